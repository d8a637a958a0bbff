package org.leverplus.vlm.engine;

import java.util.List;

/** Requests of a run, loaded a chunk at a time (images are decoded per chunk, not all at once). */
public interface RequestSource extends AutoCloseable {
    /** One request: its id, prompt and, for scoring, the answer span (-1 when absent). */
    record Entry(String id, Prompt prompt, int answerStart, int answerEnd, String where) {
        public ScoreRequest scoreRequest() {
            if (answerStart < 0 || answerEnd < 0) throw new IllegalArgumentException(where + " (id " + id + "): scoring needs an answer");
            return new ScoreRequest(prompt, answerStart, answerEnd);
        }
    }

    int size();

    /** Entries [from, to), in file order. */
    List<Entry> load(int from, int to) throws java.io.IOException;

    @Override void close();
}
