package org.leverplus.metric;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The official whole-file VQA evaluation ({@code VQA.loadRes} + {@code VQAEval.evaluate}): a results file
 * {@code [{"question_id": q, "answer": "..."}]} against the official questions and annotations files.
 *
 * <p>As in the reference: the results must cover exactly the annotation file's question ids (a result appearing
 * twice counts once, the last one wins); questions are scored in annotation-file order; the overall, per-answer-type
 * and per-question-type accuracies are {@code round(100·mean, 2)} of the per-question accuracies. The annotations
 * file is streamed (VQAv2 train annotations are hundreds of MB). Stricter than the reference: an annotation whose
 * question id has no entry in the questions file, or that appears twice, is an error (mismatched files).
 */
public final class VqaEvaluation {
    /** One evaluated file set. */
    public record Result(double overall, Map<String, Double> perAnswerType, Map<String, Double> perQuestionType,
                         int questions, Map<Long, Double> perQuestion) {
    }

    private final VqaAccuracy metric;

    public VqaEvaluation(VqaAccuracy metric) {
        this.metric = metric;
    }

    /** Evaluates {@code results} against {@code questions} + {@code annotations}. */
    public Result evaluate(Path results, Path questions, Path annotations) throws IOException {
        Map<Long, String> answers = readResults(results);
        Set<Long> questionIds = new HashSet<>();
        streamArray(questions, "questions", (q, i) -> questionIds.add(longField(questions, q, i, "question_id")));

        List<Double> all = new ArrayList<>();
        Map<String, List<Double>> byAnswerType = new TreeMap<>();
        Map<String, List<Double>> byQuestionType = new TreeMap<>();
        Map<Long, Double> perQuestion = new HashMap<>();
        Set<Long> seen = new HashSet<>();
        streamArray(annotations, "annotations", (a, i) -> {
            long qid = longField(annotations, a, i, "question_id");
            if (!seen.add(qid)) throw error(annotations, i, "question_id", "question id " + qid + " appears twice");
            if (!questionIds.contains(qid))
                throw error(annotations, i, "question_id", "question id " + qid + " is not in the questions file " + questions);
            String pred = answers.get(qid);
            if (pred == null)
                throw new IllegalArgumentException(results + ": no prediction for question id " + qid
                        + " of " + annotations + " (results must cover exactly the annotation file's questions)");
            JsonNode ans = a.get("answers");
            if (ans == null || !ans.isArray() || ans.isEmpty())
                throw error(annotations, i, "answers", "expected a non-empty array of answer objects but found " + ans);
            List<String> gts = new ArrayList<>(ans.size());
            for (int k = 0; k < ans.size(); k++) {
                JsonNode t = ans.get(k).get("answer");
                if (t == null || !t.isTextual())
                    throw error(annotations, i, "answers[" + k + "].answer", "expected a string but found " + t);
                gts.add(t.textValue());
            }
            double acc = metric.score(pred, gts);
            all.add(acc);
            byAnswerType.computeIfAbsent(textField(annotations, a, i, "answer_type"), x -> new ArrayList<>()).add(acc);
            byQuestionType.computeIfAbsent(textField(annotations, a, i, "question_type"), x -> new ArrayList<>()).add(acc);
            perQuestion.put(qid, VqaAccuracy.reportPercent(acc));
        });
        if (seen.size() != answers.size()) {
            for (Long q : answers.keySet())
                if (!seen.contains(q))
                    throw new IllegalArgumentException(results + ": prediction for question id " + q
                            + " which is not in " + annotations + " (results must cover exactly the annotation file's questions)");
        }
        if (all.isEmpty()) throw new IllegalArgumentException(annotations + ": no annotations to evaluate");
        Map<String, Double> at = new TreeMap<>();
        byAnswerType.forEach((k, v) -> at.put(k, percent(v)));
        Map<String, Double> qt = new TreeMap<>();
        byQuestionType.forEach((k, v) -> qt.put(k, percent(v)));
        return new Result(percent(all), at, qt, all.size(), perQuestion);
    }

    /** {@code round(100·float(sum(xs))/len(xs), 2)}, summing left to right as Python does. */
    static double percent(List<Double> xs) {
        double s = 0;
        for (double x : xs) s += x;
        return VqaAccuracy.roundPython(100 * s / xs.size(), 2);
    }

    static Map<Long, String> readResults(Path results) throws IOException {
        JsonNode root;
        try {
            root = JsonSupport.mapper().readTree(results.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(results + ": malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.FileNotFoundException e) {
            throw new NoSuchFileException(results.toString(), null, "no such results file");
        }
        if (root == null || !root.isArray())
            throw new IllegalArgumentException(results + ": results is not an array of objects");
        Map<Long, String> out = new HashMap<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode r = root.get(i);
            long qid = longField(results, r, i, "question_id");
            JsonNode a = r.get("answer");
            if (a == null || !a.isTextual()) throw error(results, i, "answer", "expected a string but found " + a);
            out.put(qid, a.textValue()); // the reference's createIndex: the last result for a question wins
        }
        return out;
    }

    interface ElementVisitor {
        void visit(JsonNode element, int index);
    }

    /** Streams the elements of the array under top-level key {@code field}. */
    static void streamArray(Path file, String field, ElementVisitor visitor) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such file");
        boolean found = false;
        try (JsonParser p = JsonSupport.factory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT)
                throw new IllegalArgumentException(file + ": expected a JSON object with \"" + field + "\"");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals(field)) {
                    if (t != JsonToken.START_ARRAY) throw new IllegalArgumentException(file + ": " + field + ": expected an array");
                    found = true;
                    int i = 0;
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        JsonNode e = JsonSupport.mapper().readTree(p);
                        if (!e.isObject()) throw error(file, i, null, "expected an object");
                        visitor.visit(e, i++);
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": malformed or truncated JSON at line "
                    + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
        }
        if (!found) throw new IllegalArgumentException(file + ": expected a top-level \"" + field + "\" array but found none");
    }

    static long longField(Path file, JsonNode o, int i, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.isIntegralNumber()) throw error(file, i, field, "expected an integer but found " + n);
        return n.longValue();
    }

    static String textField(Path file, JsonNode o, int i, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.isTextual()) throw error(file, i, field, "expected a string but found " + n);
        return n.textValue();
    }

    static IllegalArgumentException error(Path file, int index, String field, String problem) {
        return new IllegalArgumentException(file + ": record " + index + (field == null ? "" : ": " + field) + ": " + problem);
    }
}
