package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * VQAv2 or OK-VQA loaded from the official files (spec section 2): records sorted by {@code question_id}, the row index
 * being the global id used everywhere. Both files are streamed; only the merged records are kept, with repeated answer
 * strings shared ("yes" is stored once).
 */
public final class VqaDataset {
    /** The two datasets and their official file names. */
    public enum Kind {
        VQAV2("v2_OpenEnded_mscoco_%s2014_questions.json", "v2_mscoco_%s2014_annotations.json"),
        OKVQA("OpenEnded_mscoco_%s2014_questions.json", "mscoco_%s2014_annotations.json");

        private final String questions, annotations;

        Kind(String questions, String annotations) {
            this.questions = questions;
            this.annotations = annotations;
        }

        public String questionsFile(String split) {
            return String.format(java.util.Locale.ROOT, questions, split);
        }

        public String annotationsFile(String split) {
            return String.format(java.util.Locale.ROOT, annotations, split);
        }
    }

    private final List<VqaRecord> records;
    private final Map<Long, Integer> byQuestionId;

    private VqaDataset(List<VqaRecord> records) {
        this.records = Collections.unmodifiableList(records);
        this.byQuestionId = new HashMap<>(records.size() * 2);
        for (VqaRecord r : records) byQuestionId.put(r.questionId(), r.idx());
    }

    /** Loads {@code split} ("train"/"val") of {@code kind} from a directory holding the official file names. */
    public static VqaDataset load(Kind kind, Path dir, String split) throws IOException {
        return load(dir.resolve(kind.questionsFile(split)), dir.resolve(kind.annotationsFile(split)), split);
    }

    /** Loads from explicit files. */
    public static VqaDataset load(Path questionsFile, Path annotationsFile, String split) throws IOException {
        Map<Long, Object[]> questions = new HashMap<>();
        JsonArrayStream.stream(questionsFile, "questions", (q, i) -> {
            long qid = longField(questionsFile, "questions", q, i, "question_id");
            Object[] prev = questions.put(qid, new Object[]{longField(questionsFile, "questions", q, i, "image_id"),
                    textField(questionsFile, "questions", q, i, "question", true)});
            if (prev != null) throw new IllegalArgumentException(questionsFile + ": questions[" + i + "]: question_id " + qid + " appears twice");
        });
        Map<String, String> shared = new HashMap<>();
        List<VqaRecord> recs = new ArrayList<>();
        JsonArrayStream.stream(annotationsFile, "annotations", (a, i) -> {
            long qid = longField(annotationsFile, "annotations", a, i, "question_id");
            Object[] q = questions.remove(qid);
            if (q == null)
                throw new IllegalArgumentException(annotationsFile + ": annotations[" + i + "]: question_id " + qid
                        + " has no question in " + questionsFile + " (or appears twice)");
            JsonNode ans = a.get("answers");
            if (ans == null || !ans.isArray())
                throw new IllegalArgumentException(annotationsFile + ": annotations[" + i + "]: answers: expected an array");
            List<String> answers = new ArrayList<>(ans.size());
            for (int k = 0; k < ans.size(); k++) {
                JsonNode t = ans.get(k).get("answer");
                if (t == null || !t.isTextual())
                    throw new IllegalArgumentException(annotationsFile + ": annotations[" + i + "]: answers[" + k + "].answer: expected a string");
                answers.add(shared.computeIfAbsent(t.textValue(), s -> s));
            }
            String mc = textField(annotationsFile, "annotations", a, i, "multiple_choice_answer", false);
            String answer = mc != null ? mc : mostFrequent(answers);
            recs.add(new VqaRecord(-1, qid, (Long) q[0], (String) q[1], List.copyOf(answers),
                    mc == null ? null : shared.computeIfAbsent(mc, s -> s),
                    textField(annotationsFile, "annotations", a, i, "question_type", false),
                    textField(annotationsFile, "annotations", a, i, "answer_type", false),
                    answer == null ? "" : shared.computeIfAbsent(answer, s -> s), split));
        });
        if (!questions.isEmpty()) {
            long first = questions.keySet().stream().mapToLong(Long::longValue).min().getAsLong();
            throw new IllegalArgumentException(questionsFile + ": question_id " + first + " has no annotation in " + annotationsFile
                    + (questions.size() > 1 ? " (" + questions.size() + " questions without one)" : ""));
        }
        recs.sort(Comparator.comparingLong(VqaRecord::questionId));
        List<VqaRecord> indexed = new ArrayList<>(recs.size());
        for (int i = 0; i < recs.size(); i++) {
            VqaRecord r = recs.get(i);
            indexed.add(new VqaRecord(i, r.questionId(), r.imageId(), r.question(), r.answers(), r.multipleChoiceAnswer(),
                    r.questionType(), r.answerType(), r.answer(), r.split()));
        }
        return new VqaDataset(indexed);
    }

    /** Python's {@code Counter(answers).most_common(1)}: the highest count, ties resolved by first occurrence. */
    public static String mostFrequent(List<String> answers) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String a : answers) counts.merge(a, 1, Integer::sum);
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet())
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        return best;
    }

    /** Number of records. */
    public int size() {
        return records.size();
    }

    /** Record at global id {@code idx}. */
    public VqaRecord get(int idx) {
        return records.get(idx);
    }

    /** All records in global-id order. */
    public List<VqaRecord> records() {
        return records;
    }

    /** The global id of a question id, or −1. */
    public int indexOf(long questionId) {
        return byQuestionId.getOrDefault(questionId, -1);
    }

    private static long longField(Path f, String arr, JsonNode o, int i, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.isIntegralNumber())
            throw new IllegalArgumentException(f + ": " + arr + "[" + i + "]: " + field + ": expected an integer but found " + n);
        return n.longValue();
    }

    private static String textField(Path f, String arr, JsonNode o, int i, String field, boolean required) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) throw new IllegalArgumentException(f + ": " + arr + "[" + i + "]: " + field + ": expected a string but the field is missing");
            return null;
        }
        if (!n.isTextual()) throw new IllegalArgumentException(f + ": " + arr + "[" + i + "]: " + field + ": expected a string but found " + n);
        return n.textValue();
    }
}
