package org.leverplus.vlm.text;

import org.leverplus.vlm.image.ImageGrid;

import java.util.Arrays;
import java.util.List;

/**
 * A tokenised in-context prompt, ready for the model: token ids with every {@code <|image_pad|>} expanded to its
 * image's token count, the segments the tokens belong to, the image grids in prompt order, and for the
 * teacher-forced variant the answer span.
 *
 * <p>The answer span {@code [answerStart, answerEnd)} is the set of positions whose log-probabilities make up
 * {@code log P(answer | prompt)}: token {@code ids[p]} for p in the span, predicted by the logits at {@code p - 1}.
 * The {@code <|im_end|>} after the answer is not part of it.
 *
 * @param text        the chat-template text before image expansion (one {@code <|image_pad|>} per image), as
 *                    {@code apply_chat_template(..., tokenize=False)} renders it
 * @param ids         token ids
 * @param segments    consecutive segments covering all ids
 * @param grids       image grids in prompt order (ICDs left to right, then the query)
 * @param answerStart first answer position, or -1 for a generation prompt
 * @param answerEnd   one past the last answer position, or -1
 */
public record PromptTokens(String text, int[] ids, List<Segment> segments, List<ImageGrid> grids, int answerStart, int answerEnd) {
    public PromptTokens {
        ids = ids.clone();
        segments = List.copyOf(segments);
        grids = List.copyOf(grids);
        int pos = 0;
        for (Segment s : segments) {
            if (s.start() != pos) throw new IllegalArgumentException("segments must be contiguous: " + s + " starts at " + s.start() + ", expected " + pos);
            pos = s.end();
        }
        if (pos != ids.length) throw new IllegalArgumentException("segments cover " + pos + " tokens but there are " + ids.length);
    }

    @Override public int[] ids() { return ids.clone(); }

    public int length() { return ids.length; }

    /** Whether this is the teacher-forced variant with an answer span. */
    public boolean hasAnswer() { return answerStart >= 0; }

    /** The answer's token ids. */
    public int[] answerIds() {
        if (!hasAnswer()) throw new IllegalStateException("generation prompt has no answer span");
        return Arrays.copyOfRange(ids, answerStart, answerEnd);
    }

    /** The segment a token position belongs to. */
    public Segment segmentAt(int position) {
        if (position < 0 || position >= ids.length) throw new IndexOutOfBoundsException("position " + position + " outside [0, " + ids.length + ")");
        int lo = 0, hi = segments.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segments.get(mid).start() <= position) lo = mid;
            else hi = mid - 1;
        }
        return segments.get(lo);
    }

    /** Per token: the index of its segment in {@link #segments()}. */
    public int[] segmentIndex() {
        int[] out = new int[ids.length];
        for (int i = 0; i < segments.size(); i++) Arrays.fill(out, segments.get(i).start(), segments.get(i).end(), i);
        return out;
    }
}
