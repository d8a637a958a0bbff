package org.leverplus.metric;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The official answer normalisation of the VQA evaluation code ({@code processPunctuation} then
 * {@code processDigitArticle}), with its quirks kept on purpose: see {@code vqa-metric.md}.
 */
public final class VqaNormalizer {
    /** The 21 official punctuation characters, in the official order. */
    public static final String PUNCTUATION = ";/[]\"{}()=+\\_-><@`,?!";

    /** The official call passes {@code re.UNICODE} (= 32) as the count: at most 32 periods are removed. */
    static final int PERIOD_STRIP_COUNT = 32;

    /** Number words; nothing beyond ten (so "twenty two" → "twenty 2"). */
    static final Map<String, String> MANUAL_MAP = Map.ofEntries(
            Map.entry("none", "0"), Map.entry("zero", "0"), Map.entry("one", "1"), Map.entry("two", "2"),
            Map.entry("three", "3"), Map.entry("four", "4"), Map.entry("five", "5"), Map.entry("six", "6"),
            Map.entry("seven", "7"), Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"));

    static final Set<String> ARTICLES = Set.of("a", "an", "the");

    /**
     * The official contractions table, entry for entry (keys with capitals such as "Im" can never match after
     * lower-casing; "somebody'd" maps to "somebodyd"; "its", "lets", "shes" are absent).
     */
    static final Map<String, String> CONTRACTIONS = contractions();

    private VqaNormalizer() {
    }

    /** Full normalisation: punctuation, then digits/articles/contractions. */
    public static String normalize(String s) {
        return processDigitArticle(processPunctuation(s));
    }

    /** The official {@code processPunctuation}. Every decision is made on the ORIGINAL input string. */
    public static String processPunctuation(String in) {
        boolean commaDigit = hasDigitCommaDigit(in);
        String out = in;
        for (int k = 0; k < PUNCTUATION.length(); k++) {
            char p = PUNCTUATION.charAt(k);
            if (out.indexOf(p) < 0) continue;
            boolean delete = commaDigit || in.contains(p + " ") || in.contains(" " + p);
            out = out.replace(String.valueOf(p), delete ? "" : " ");
        }
        return stripPeriods(out);
    }

    /** The official {@code periodStrip}: delete each '.' not followed by a digit, at most 32 of them. */
    static String stripPeriods(String s) {
        if (s.indexOf('.') < 0) return s;
        StringBuilder sb = new StringBuilder(s.length());
        int removed = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.' && removed < PERIOD_STRIP_COUNT) {
                boolean digitNext = i + 1 < s.length() && PythonText.isDigit(s.codePointAt(i + 1));
                if (!digitNext) {
                    removed++;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** The official {@code commaStrip} pattern {@code (\d)(,)(\d)} anywhere in the string. */
    static boolean hasDigitCommaDigit(String s) {
        for (int i = s.indexOf(','); i >= 0; i = s.indexOf(',', i + 1)) {
            if (i == 0 || i + 1 >= s.length()) continue;
            if (PythonText.isDigit(s.codePointBefore(i)) && PythonText.isDigit(s.codePointAt(i + 1))) return true;
        }
        return false;
    }

    /** The official {@code processDigitArticle}: lower-case, split, number words, drop articles, contractions. */
    public static String processDigitArticle(String in) {
        List<String> words = PythonText.split(PythonText.lower(in));
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            String word = MANUAL_MAP.getOrDefault(w, w);
            if (ARTICLES.contains(word)) continue;
            word = CONTRACTIONS.getOrDefault(word, word);
            if (sb.length() > 0) sb.append(' ');
            sb.append(word);
        }
        return sb.toString();
    }

    private static Map<String, String> contractions() {
        String[] kv = {
                "aint", "ain't", "arent", "aren't", "cant", "can't", "couldve", "could've", "couldnt", "couldn't",
                "couldn'tve", "couldn't've", "couldnt've", "couldn't've", "didnt", "didn't", "doesnt", "doesn't", "dont", "don't", "hadnt", "hadn't",
                "hadnt've", "hadn't've", "hadn'tve", "hadn't've", "hasnt", "hasn't", "havent", "haven't", "hed", "he'd", "hed've", "he'd've",
                "he'dve", "he'd've", "hes", "he's", "howd", "how'd", "howll", "how'll", "hows", "how's", "Id've", "I'd've", "I'dve", "I'd've",
                "Im", "I'm", "Ive", "I've", "isnt", "isn't", "itd", "it'd", "itd've", "it'd've", "it'dve", "it'd've", "itll", "it'll", "let's", "let's",
                "maam", "ma'am", "mightnt", "mightn't", "mightnt've", "mightn't've", "mightn'tve", "mightn't've", "mightve", "might've",
                "mustnt", "mustn't", "mustve", "must've", "neednt", "needn't", "notve", "not've", "oclock", "o'clock", "oughtnt", "oughtn't",
                "ow's'at", "'ow's'at", "'ows'at", "'ow's'at", "'ow'sat", "'ow's'at", "shant", "shan't", "shed've", "she'd've", "she'dve", "she'd've",
                "she's", "she's", "shouldve", "should've", "shouldnt", "shouldn't", "shouldnt've", "shouldn't've", "shouldn'tve", "shouldn't've",
                "somebody'd", "somebodyd", "somebodyd've", "somebody'd've", "somebody'dve", "somebody'd've", "somebodyll", "somebody'll",
                "somebodys", "somebody's", "someoned", "someone'd", "someoned've", "someone'd've", "someone'dve", "someone'd've",
                "someonell", "someone'll", "someones", "someone's", "somethingd", "something'd", "somethingd've", "something'd've",
                "something'dve", "something'd've", "somethingll", "something'll", "thats", "that's", "thered", "there'd", "thered've", "there'd've",
                "there'dve", "there'd've", "therere", "there're", "theres", "there's", "theyd", "they'd", "theyd've", "they'd've",
                "they'dve", "they'd've", "theyll", "they'll", "theyre", "they're", "theyve", "they've", "twas", "'twas", "wasnt", "wasn't",
                "wed've", "we'd've", "we'dve", "we'd've", "weve", "we've", "werent", "weren't", "whatll", "what'll", "whatre", "what're",
                "whats", "what's", "whatve", "what've", "whens", "when's", "whered", "where'd", "wheres", "where's", "whereve", "where've",
                "whod", "who'd", "whod've", "who'd've", "who'dve", "who'd've", "wholl", "who'll", "whos", "who's", "whove", "who've", "whyll", "why'll",
                "whyre", "why're", "whys", "why's", "wont", "won't", "wouldve", "would've", "wouldnt", "wouldn't", "wouldnt've", "wouldn't've",
                "wouldn'tve", "wouldn't've", "yall", "y'all", "yall'll", "y'all'll", "y'allll", "y'all'll", "yall'd've", "y'all'd've",
                "y'alld've", "y'all'd've", "y'all'dve", "y'all'd've", "youd", "you'd", "youd've", "you'd've", "you'dve", "you'd've",
                "youll", "you'll", "youre", "you're", "youve", "you've"};
        java.util.LinkedHashMap<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }
}
