package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.vlm.text.PositionIds;

/**
 * A prompt ready for the decoder: M-RoPE positions and a content signature per token (the token id, or the image for
 * image tokens) used to order requests and find shared prefixes. The input embeddings [L, hidden] (image rows
 * scattered in) are made only for the micro-batch that runs the prompt ({@link VlmEngine#embed}) and dropped after
 * it, so a large chunk of requests does not hold all its embeddings at once.
 */
final class PreparedPrompt {
    private final Prompt prompt;
    private final PositionIds positions;
    private final long[] content;
    private Tensor embeds;

    PreparedPrompt(Prompt prompt, PositionIds positions, long[] content) {
        this.prompt = prompt;
        this.positions = positions;
        this.content = content;
    }

    Prompt prompt() { return prompt; }

    PositionIds positions() { return positions; }

    long[] content() { return content; }

    int length() { return content.length; }

    /** The embeddings if made (they belong to the scope that was open when they were made), else null. */
    Tensor embeds() { return embeds; }

    void embeds(Tensor t) { embeds = t; }

    /** Forgets the embeddings (their scope frees them). */
    void release() { embeds = null; }

    /** The M-RoPE position of the first token appended after the prompt (max + 1 = length + rope delta). */
    long nextPosition() { return content.length + positions.ropeDelta(); }

    /** Length of the common prefix of the two prompts' contents. */
    static int commonPrefix(PreparedPrompt a, PreparedPrompt b) {
        int n = Math.min(a.content.length, b.content.length), i = 0;
        while (i < n && a.content[i] == b.content[i]) i++;
        return i;
    }
}
