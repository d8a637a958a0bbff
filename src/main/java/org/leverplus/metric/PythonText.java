package org.leverplus.metric;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python 3 {@code str} operations the official metric relies on, with Python's semantics rather than Java's:
 * {@code strip()} and {@code split()} use Python's whitespace set ({@code str.isspace}), which includes
 * {@code \x1c}–{@code \x1f}, {@code \x85}, {@code \xa0}, {@code \u3000}, {@code \u2028} and excludes {@code \u200b},
 * {@code \ufeff}, {@code \x00}.
 */
public final class PythonText {
    private PythonText() {
    }

    /** Python's {@code str.isspace()} for one code point. */
    public static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0
                || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029
                || cp == 0x202f || cp == 0x205f || cp == 0x3000;
    }

    /** {@code s.strip()}. */
    public static String strip(String s) {
        int start = 0, end = s.length();
        while (start < end) {
            int cp = s.codePointAt(start);
            if (!isSpace(cp)) break;
            start += Character.charCount(cp);
        }
        while (end > start) {
            int cp = s.codePointBefore(end);
            if (!isSpace(cp)) break;
            end -= Character.charCount(cp);
        }
        return s.substring(start, end);
    }

    /** {@code s.split()} (no separator: runs of whitespace, no empty words). */
    public static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0, n = s.length();
        while (i < n) {
            while (i < n && isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
            int start = i;
            while (i < n && !isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
            if (i > start) out.add(s.substring(start, i));
        }
        return out;
    }

    /** {@code s.lower()}: the locale-independent full lower-case mapping. */
    public static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** Python 3's {@code \d} in a str pattern: any Unicode decimal digit (category Nd). */
    public static boolean isDigit(int cp) {
        return Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER;
    }
}
