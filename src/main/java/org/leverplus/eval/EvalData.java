package org.leverplus.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The dataset side of an evaluation, kept in one place: the training split (the ICD source) and the first
 * {@code limit} validation questions in {@code question_id} order (as the original's {@code test_data_num}), with
 * their image directories. {@link #writeOfficialSubset} writes the official questions/annotations files restricted to
 * those questions, so that the whole-file VQA evaluation grades exactly them.
 *
 * @param kind        VQAv2 or OK-VQA (official file names)
 * @param dataDir     directory with the official question and annotation files of both splits
 * @param train       the training split (global id = row)
 * @param val         the validation split (global id = row)
 * @param trainImages COCO train2014 image directory
 * @param valImages   COCO val2014 image directory
 * @param limit       number of evaluated validation questions (rows 0..limit-1 of {@code val})
 */
public record EvalData(VqaDataset.Kind kind, Path dataDir, VqaDataset train, VqaDataset val, Path trainImages, Path valImages, int limit) {

    /** Loads both splits and checks that every evaluated question can be graded. */
    public static EvalData load(VqaDataset.Kind kind, Path dataDir, Path trainImages, Path valImages, int limit) throws IOException {
        VqaDataset train = VqaDataset.load(kind, dataDir, "train");
        VqaDataset val = VqaDataset.load(kind, dataDir, "val");
        int n = limit < 0 ? val.size() : Math.min(limit, val.size());
        if (n == 0) throw new IllegalArgumentException(dataDir + ": no validation questions to evaluate");
        if (train.size() == 0) throw new IllegalArgumentException(dataDir + ": the training split (the ICD source) is empty");
        for (int i = 0; i < n; i++) {
            VqaRecord r = val.get(i);
            if (r.answers().isEmpty())
                throw new IllegalArgumentException("validation question " + r.questionId() + " has no human answers: it cannot be graded");
        }
        return new EvalData(kind, dataDir, train, val, trainImages, valImages, n);
    }

    /** The evaluated validation questions, in question_id order. */
    public List<VqaRecord> questions() { return val.records().subList(0, limit); }

    public Path valQuestionsFile() { return dataDir.resolve(kind.questionsFile("val")); }

    public Path valAnnotationsFile() { return dataDir.resolve(kind.annotationsFile("val")); }

    /** A training item's image. */
    public Path trainImage(int globalId) { return train.get(globalId).imagePath(trainImages); }

    /** A validation question's image. */
    public Path valImage(int row) { return val.get(row).imagePath(valImages); }

    /**
     * Copies the official validation files keeping only the evaluated questions (objects copied verbatim, top-level
     * fields other than the array kept as they are).
     */
    public void writeOfficialSubset(Path questionsOut, Path annotationsOut) throws IOException {
        Set<Long> ids = new HashSet<>();
        for (VqaRecord r : questions()) ids.add(r.questionId());
        filter(valQuestionsFile(), "questions", ids, questionsOut);
        filter(valAnnotationsFile(), "annotations", ids, annotationsOut);
    }

    private static void filter(Path in, String field, Set<Long> ids, Path out) throws IOException {
        if (!Files.exists(in)) throw new NoSuchFileException(in.toString(), null, "no such file");
        try (JsonParser p = JsonSupport.factory().createParser(in.toFile());
             AtomicOutput o = AtomicOutput.create(out, true)) {
            try (JsonGenerator g = JsonSupport.compactGenerator(o.stream()).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
                if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException(in + ": expected a JSON object");
                g.writeStartObject();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    g.writeFieldName(name);
                    if (name.equals(field)) {
                        g.writeStartArray();
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            JsonNode e = JsonSupport.mapper().readTree(p);
                            JsonNode q = e.get("question_id");
                            if (q != null && q.isIntegralNumber() && ids.contains(q.longValue())) g.writeTree(e);
                        }
                        g.writeEndArray();
                    } else {
                        g.writeTree(JsonSupport.mapper().readTree(p));
                    }
                }
                g.writeEndObject();
            }
            o.commit();
        }
    }
}
