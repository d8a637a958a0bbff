package org.leverplus.hf;

/**
 * How one model family's checkpoints spell tensor names. Lever addresses every weight by a <em>canonical</em> name; a
 * family whose checkpoints exist in several key layouts (Qwen2.5-VL: legacy and nested) maps each stored key to the
 * canonical one, and back for writers of test snapshots. A snapshot must use one layout throughout.
 */
public interface KeyLayout {
    /** The canonical name of a stored key. */
    String canonical(String storedName);

    /** The key this layout stores for a canonical name. */
    String stored(String canonicalName);

    /** The layouts of one family. */
    interface Family {
        /** The layout a stored key belongs to, or null when the key says nothing about it. */
        KeyLayout of(String storedName);

        /** The layout assumed when no key says. */
        KeyLayout fallback();
    }

    /** Stored names are canonical (CLIP and most single-layout families). */
    KeyLayout IDENTITY = new KeyLayout() {
        @Override public String canonical(String storedName) { return storedName; }

        @Override public String stored(String canonicalName) { return canonicalName; }

        @Override public String toString() { return "IDENTITY"; }
    };

    /** A family with one layout whose stored names are the canonical ones. */
    Family SINGLE = new Family() {
        @Override public KeyLayout of(String storedName) { return null; }

        @Override public KeyLayout fallback() { return IDENTITY; }
    };
}
