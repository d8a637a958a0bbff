package org.leverplus.vlm.engine;

/**
 * A teacher-forced prompt and the span [answerStart, answerEnd) of its answer tokens: the score is the log-probability
 * of exactly these tokens, each predicted from the hidden state one position earlier.
 */
public record ScoreRequest(Prompt prompt, int answerStart, int answerEnd) {
    public ScoreRequest {
        if (answerStart < 1 || answerEnd <= answerStart || answerEnd > prompt.length())
            throw new IllegalArgumentException("answer span [" + answerStart + ", " + answerEnd + ") must be non-empty, start >= 1 and end <= prompt length "
                    + prompt.length());
    }

    public int answerLength() { return answerEnd - answerStart; }
}
