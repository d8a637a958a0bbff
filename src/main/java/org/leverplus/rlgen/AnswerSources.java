package org.leverplus.rlgen;

import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The human answers the official metric grades against, looked up in the annotation sources in order (the
 * original: the train files first, then val; spec 8.3 step 2). A question found in none of them cannot be graded
 * officially.
 */
public final class AnswerSources {
    /** Answers found for a question and the source ({@code eval_split_used}) that had them. */
    public record Found(String split, List<String> answers) {}

    private record Source(String split, Map<String, List<String>> answers) {}

    private final List<Source> sources = new ArrayList<>();

    /** The dataset's own answers (items without answers are absent from this source). */
    public AnswerSources addDataset(GenDataset d) {
        Map<String, List<String>> m = new HashMap<>();
        for (GenItem i : d.items()) if (i.answers() != null && !i.answers().isEmpty()) m.put(i.annotationKey(), i.answers());
        sources.add(new Source(d.split(), m));
        return this;
    }

    /** An official questions + annotations pair, keyed by question_id. */
    public AnswerSources addOfficial(String split, Path questions, Path annotations) throws IOException {
        Map<String, List<String>> m = new HashMap<>();
        for (VqaRecord r : VqaDataset.load(questions, annotations, split).records()) m.put(Long.toString(r.questionId()), r.answers());
        sources.add(new Source(split, m));
        return this;
    }

    /** The first source holding the question, or null. */
    public Found find(String annotationKey) {
        for (Source s : sources) {
            List<String> a = s.answers().get(annotationKey);
            if (a != null) return new Found(s.split(), a);
        }
        return null;
    }

    /** The source names, in lookup order. */
    public List<String> splits() { return sources.stream().map(Source::split).toList(); }
}
