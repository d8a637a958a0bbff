package org.leverplus.selector;

/** Selector architectures: V3 (= V2 network with the query-update gate) and V4-5 with the additive scoring head. */
public enum SelectorArch {
    /** Lever-Plus V2/V3: cosine scores of a gated, re-normalised query against the projected pool (spec 7.2/7.3). */
    V3("v3"),
    /** Lever-Plus V4-5 additive: GRU decoder state, step embedding, {@code v^T tanh(Wq h + Wc c)} scores (spec 7.4). */
    V4_5_ADDITIVE("v4_5_additive");

    public final String id;

    SelectorArch(String id) { this.id = id; }

    public static SelectorArch parse(String s) {
        for (SelectorArch a : values()) if (a.id.equalsIgnoreCase(s) || a.name().equalsIgnoreCase(s)) return a;
        if ("v2".equalsIgnoreCase(s)) return V3;
        throw new IllegalArgumentException("unknown selector architecture '" + s + "', expected one of v3, v4_5_additive");
    }
}
