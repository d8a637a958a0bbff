package org.leverplus.datagen;

/** An anchor that cannot be searched (missing image, a pool naming the anchor or an unknown id, a pool too small). */
public final class BadAnchorException extends IllegalArgumentException {
    private final int anchor;
    private final String reason;

    public BadAnchorException(int anchor, String reason) {
        super("anchor " + anchor + ": " + reason);
        this.anchor = anchor;
        this.reason = reason;
    }

    public int anchor() { return anchor; }

    public String reason() { return reason; }
}
