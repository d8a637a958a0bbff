package org.leverplus.vlm.text;

/**
 * A contiguous run of prompt tokens with one role: chat-template text, an ICD's image or text, the query's image or
 * text, or the answer being scored.
 *
 * @param kind  the role
 * @param item  ICD index in prompt order (0 = left-most) for ICD segments, -1 otherwise
 * @param start first token position
 * @param end   one past the last token position
 */
public record Segment(Kind kind, int item, int start, int end) {
    /** Token roles. Image segments include their {@code <|vision_start|>} and {@code <|vision_end|>} tokens. */
    public enum Kind { TEMPLATE, ICD_IMAGE, ICD_TEXT, QUERY_IMAGE, QUERY_TEXT, ANSWER }

    public Segment {
        if (start < 0 || end < start) throw new IllegalArgumentException("bad segment [" + start + ", " + end + ")");
    }

    public int length() { return end - start; }

    /** e.g. {@code icd[1].text} or {@code query.image}. */
    public String label() {
        return switch (kind) {
            case TEMPLATE -> "template";
            case ICD_IMAGE -> "icd[" + item + "].image";
            case ICD_TEXT -> "icd[" + item + "].text";
            case QUERY_IMAGE -> "query.image";
            case QUERY_TEXT -> "query.text";
            case ANSWER -> "answer";
        };
    }
}
