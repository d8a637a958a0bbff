package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.vlm.text.PositionIds;

/**
 * A prompt ready for the decoder: input embeddings [L, hidden] (image rows scattered in), M-RoPE positions, and a
 * content signature per token (the token id, or the image for image tokens) used to find shared prefixes.
 */
record PreparedPrompt(Prompt prompt, Tensor embeds, PositionIds positions, long[] content) {
    /** The M-RoPE position of the first token appended after the prompt (max + 1 = length + rope delta). */
    long nextPosition() { return content.length + positions.ropeDelta(); }

    int length() { return content.length; }

    /** Length of the common prefix of the two prompts' contents. */
    static int commonPrefix(PreparedPrompt a, PreparedPrompt b) {
        int n = Math.min(a.content.length, b.content.length), i = 0;
        while (i < n && a.content[i] == b.content[i]) i++;
        return i;
    }
}
