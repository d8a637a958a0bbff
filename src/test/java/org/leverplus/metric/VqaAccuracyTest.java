package org.leverplus.metric;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.leverplus.io.JsonSupport;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The quirks of vqa-metric.md one by one, golden cases from the official code, and randomised cases. */
class VqaAccuracyTest {
    private static final VqaAccuracy OFFICIAL = VqaAccuracy.official();

    private static List<String> ten(String s) {
        return Collections.nCopies(10, s);
    }

    private static List<String> mix(String a, int na, String b) {
        List<String> out = new ArrayList<>(Collections.nCopies(na, a));
        out.addAll(Collections.nCopies(10 - na, b));
        return out;
    }

    private static double acc(String pred, List<String> gts) {
        return OFFICIAL.score(pred, gts);
    }

    @Test
    void noNormalisationWhenAllHumanAnswersAgree() {
        assertEquals(0.0, acc("Yes", ten("yes")));
        assertEquals(0.0, acc("yes.", ten("yes")));
        assertEquals(0.0, acc("two", ten("2")));
        assertEquals(1.0, acc("yes", ten("yes")));
        // Lever-Plus's variant always normalises
        assertEquals(1.0, VqaAccuracy.leverPlus().score("Yes", ten("yes")));
        assertEquals(1.0, VqaAccuracy.leverPlus().score("two", ten("2")));
        // with disagreeing answers both sides are normalised
        assertEquals(1.0, acc("Yes", mix("yes", 9, "no")));
        assertEquals(1.0, acc("two", mix("2", 5, "3")));
    }

    @Test
    void cleaningIsPythonStripAndOnlyNewlineTab() {
        assertEquals(1.0, acc("\u3000yes\u00a0\n", ten("yes")));
        assertEquals(1.0, acc("\u001cyes\u0085", ten("yes")));
        assertEquals(0.0, acc("\u200byes", ten("yes")));   // zero-width space is not whitespace in Python
        assertEquals(0.0, acc("\ufeffyes", ten("yes")));
        assertEquals(1.0, acc("red\ncar", ten("red car"))); // \n becomes a space before comparing
        assertEquals(0.0, acc("red\rcar", ten("red car"))); // an inner \r survives cleaning ...
        assertEquals(1.0, acc("red\rcar", mix("red car", 9, "blue"))); // ... but split() breaks on it when normalising
        assertEquals("yes", PythonText.strip("\u2028 yes \u3000"));
        assertEquals(List.of("a", "b"), PythonText.split("a\u001fb"));
    }

    @Test
    void punctuationDecidedOnTheOriginalString() {
        assertEquals("redwhite blue", VqaNormalizer.normalize("red-white - blue"));
        assertEquals("x y z w", VqaNormalizer.normalize("x;-y z-w"));
        assertEquals("25", VqaNormalizer.normalize("2,5"));
        assertEquals("1 000", VqaNormalizer.normalize("1, 000"));
        assertEquals("1000", VqaNormalizer.normalize("1,000"));
        assertEquals("12 ab", VqaNormalizer.normalize("1,2 a!b"));     // a digit-comma-digit deletes all 21 characters
        assertEquals("x y", VqaNormalizer.normalize("x!y"));
        assertEquals("b", VqaNormalizer.normalize("a!b"));                // "a" becomes an article
        // not punctuation: . ' : & # $ % * ~ | ^ and non-ASCII marks
        assertEquals("it's 3:30 #1 $5 50% a&b", VqaNormalizer.normalize("it's 3:30 #1 $5 50% a&b"));
        assertEquals("“yes” ¿qué yes。", VqaNormalizer.normalize("“yes” ¿qué? yes。"));
        assertEquals(21, VqaNormalizer.PUNCTUATION.length());
    }

    @Test
    void periodsTypoAndThirtyTwoLimit() {
        assertEquals("5", VqaNormalizer.normalize("5."));
        assertEquals("a.5", VqaNormalizer.normalize("a.5"));
        assertEquals("2.5", VqaNormalizer.normalize("2.5"));
        assertEquals("", VqaNormalizer.normalize("..."));
        String many = "a.".repeat(40);                             // 40 periods: only the first 32 go
        String out = VqaNormalizer.processPunctuation(many);
        assertEquals(8, out.chars().filter(c -> c == '.').count());
        assertTrue(out.startsWith("a".repeat(32) + "a."));
    }

    @Test
    void numbersArticlesContractions() {
        assertEquals("twenty 2", VqaNormalizer.normalize("twenty two"));
        assertEquals("no 1", VqaNormalizer.normalize("no one"));
        assertEquals("0", VqaNormalizer.normalize("none"));
        assertEquals("10", VqaNormalizer.normalize("Ten"));
        assertEquals("eleven", VqaNormalizer.normalize("eleven"));
        assertEquals("", VqaNormalizer.normalize("the"));
        assertEquals("", VqaNormalizer.normalize("a"));
        assertEquals("cat", VqaNormalizer.normalize("The a cat an"));
        assertEquals(1.0, acc("the", mix("a", 5, "...")));           // "the", "a", "..." all become ""
        assertEquals("don't", VqaNormalizer.normalize("dont"));
        assertEquals("im", VqaNormalizer.normalize("Im"));           // key "Im" can never match after lower-casing
        assertEquals("somebodyd", VqaNormalizer.normalize("somebody'd"));
        assertEquals("its lets shes", VqaNormalizer.normalize("its lets shes"));
        assertEquals(120, VqaNormalizer.CONTRACTIONS.size());
    }

    @Test
    void leaveOneOutGivesTheOfficialLevels() {
        double[] expected = {0.0, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
        for (int m = 0; m <= 10; m++) {
            List<String> gts = new ArrayList<>(Collections.nCopies(m, "cat"));
            while (gts.size() < 10) gts.add("dog" + gts.size());
            assertEquals(expected[m], acc("cat", gts), 1e-12, "m=" + m);
        }
        // exactly one copy left out even when answers repeat
        assertEquals(0.6, acc("cat", List.of("cat", "cat", "x", "x", "x", "x", "x", "x", "x", "x")), 1e-12);
        assertEquals(0.5999999999999999, acc("cat", mix("dog", 8, "cat")), 0); // full precision: (8·2/3 + 2·1/3)/10, summed in order
        assertEquals(60.0, VqaAccuracy.reportPercent(acc("cat", mix("dog", 8, "cat"))), 0);
        assertEquals(60.0, VqaAccuracy.reportPercent(0.5999999999999999), 0);
    }

    @Test
    void inputsAreNotMutated() {
        List<String> gts = new ArrayList<>(mix("Yes!", 6, "no"));
        List<String> copy = List.copyOf(gts);
        double a = acc("yes", gts);
        assertEquals(copy, gts);
        assertEquals(a, acc("yes", gts));
    }

    @Test
    void answerExtractionIsASeparateStep() {
        assertEquals("red\n", AnswerExtraction.extract("red\nQuestion: what is"));
        assertEquals("red ", AnswerExtraction.extract("red Short answer: blue"));
        assertEquals("two", AnswerExtraction.extract("two, three"));
        assertEquals("a,b", AnswerExtraction.extract("a,b"));
        assertEquals("", AnswerExtraction.extract("Answer: red"));
        assertEquals("", AnswerExtraction.extract(null));
        assertEquals("question", AnswerExtraction.extract("question")); // case-sensitive, as the original
    }

    @Test
    void fallbackMatchAndProvenance() {
        assertEquals(1.0, FallbackMatch.score(" Red ", List.of("red", "blue")));
        assertEquals(0.5, FallbackMatch.score("dark red", List.of("red")));
        assertEquals(0.5, FallbackMatch.score("re", List.of("red")));
        assertEquals(0.5, FallbackMatch.score("", List.of("red")));
        assertEquals(0.0, FallbackMatch.score("green", List.of("red")));
        CorrectnessLabel off = CorrectnessLabel.of("red", mix("red", 2, "blue"), List.of("red"));
        assertEquals(org.leverplus.data.EvalMode.OFFICIAL, off.mode());
        assertEquals(0.6, off.acc(), 1e-12);
        assertEquals(1, off.correct());
        CorrectnessLabel fb = CorrectnessLabel.of("dark red", null, List.of("red"));
        assertEquals(org.leverplus.data.EvalMode.FALLBACK, fb.mode());
        assertEquals(0.5, fb.acc());
        assertEquals(org.leverplus.data.EvalMode.ERROR, CorrectnessLabel.of("x", null, null).mode());
    }

    /** 600 random cases scored by the official Python code (ported to Python 3 only for print statements). */
    @Test
    void agreesWithTheOfficialCodeOnGoldenCases() throws Exception {
        int n = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                getClass().getResourceAsStream("/metric/official-golden.jsonl"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode c = JsonSupport.mapper().readTree(line);
                List<String> gts = new ArrayList<>();
                c.get("gts").forEach(g -> gts.add(g.textValue()));
                double a = acc(c.get("pred").textValue(), gts);
                assertEquals(Double.parseDouble(c.get("acc").textValue()), a, 0, "case " + n + ": " + line);
                assertEquals(c.get("report").doubleValue(), VqaAccuracy.reportPercent(a), 0, "case " + n);
                n++;
            }
        }
        assertEquals(600, n);
    }

    /** Random inputs against an independent, literal re-statement of the rules (regexes, list removal). */
    @Test
    void randomisedAgainstAnIndependentReference() {
        String[] atoms = {"yes", "Yes", "no", "two", "2", "the", "a", "dont", "red-white", "- ", " , ", "1,2", "5.", "a.5",
                "x;y", "!", "?", "(", ")", "none", "ten", "it's", "\t", "\n", "\u00a0", "  ", "ABC", "é", "."};
        SplittableRandom rnd = new SplittableRandom(42);
        for (int t = 0; t < 3000; t++) {
            List<String> pool = new ArrayList<>();
            int k = 1 + rnd.nextInt(3);
            for (int i = 0; i < k; i++) pool.add(randomText(rnd, atoms));
            List<String> gts = new ArrayList<>();
            for (int i = 0; i < 10; i++) gts.add(pool.get(rnd.nextInt(pool.size())));
            String pred = rnd.nextBoolean() ? gts.get(rnd.nextInt(10)) : randomText(rnd, atoms);
            assertEquals(Reference.score(pred, gts), acc(pred, gts), 1e-12, () -> pred + " vs " + gts);
        }
    }

    private static String randomText(SplittableRandom rnd, String[] atoms) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) sb.append(atoms[rnd.nextInt(atoms.length)]).append(rnd.nextInt(3) == 0 ? "" : " ");
        return sb.toString();
    }

    /** A deliberately different formulation of the same rules (ASCII-only inputs). */
    static final class Reference {
        static final List<String> PUNCT = Arrays.asList(";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\",
                "_", "-", ">", "<", "@", "`", ",", "?", "!");

        static String punct(String in) {
            String out = in;
            boolean comma = java.util.regex.Pattern.compile("\\d,\\d").matcher(in).find();
            for (String p : PUNCT) {
                if (in.contains(p + " ") || in.contains(" " + p) || comma) out = out.replace(p, "");
                else out = out.replace(p, " ");
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.(?!\\d)").matcher(out);
            StringBuilder sb = new StringBuilder();
            int count = 0;
            while (count < 32 && m.find()) {
                m.appendReplacement(sb, "");
                count++;
            }
            m.appendTail(sb);
            return sb.toString();
        }

        static String digitArticle(String in) {
            List<String> out = new ArrayList<>();
            for (String w : in.toLowerCase(java.util.Locale.ROOT).trim().split("[\\s\\u00a0\\u0085\\u001c-\\u001f]+")) {
                if (w.isEmpty()) continue;
                String x = switch (w) {
                    case "none", "zero" -> "0";
                    case "one" -> "1"; case "two" -> "2"; case "three" -> "3"; case "four" -> "4"; case "five" -> "5";
                    case "six" -> "6"; case "seven" -> "7"; case "eight" -> "8"; case "nine" -> "9"; case "ten" -> "10";
                    default -> w;
                };
                if (x.equals("a") || x.equals("an") || x.equals("the")) continue;
                out.add(x.equals("dont") ? "don't" : x);
            }
            return String.join(" ", out);
        }

        static String cleanRef(String s) {
            return s.replace("\n", " ").replace("\t", " ").replaceAll("^[\\s\\u00a0\\u0085]+|[\\s\\u00a0\\u0085]+$", "");
        }

        static double score(String pred, List<String> gtsIn) {
            List<String> gts = new ArrayList<>();
            for (String g : gtsIn) gts.add(cleanRef(g));
            String p = cleanRef(pred);
            if (new java.util.HashSet<>(gts).size() > 1) {
                gts.replaceAll(g -> digitArticle(punct(g)));
                p = digitArticle(punct(p));
            }
            double sum = 0;
            for (int i = 0; i < gts.size(); i++) {
                List<String> others = new ArrayList<>(gts);
                others.remove(i);
                int m = 0;
                for (String o : others) if (o.equals(p)) m++;
                sum += Math.min(1.0, m / 3.0);
            }
            return sum / gts.size();
        }
    }
}
