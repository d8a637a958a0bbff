package org.leverplus.vlm.input;

import org.leverplus.vlm.image.PixelValues;
import org.leverplus.vlm.text.PositionIds;
import org.leverplus.vlm.text.PromptTokens;

/**
 * One prompt ready for the model: token ids with segments (and the answer span when teacher-forced), the images'
 * {@code pixel_values} in the order of their {@code <|image_pad|>} runs, and the M-RoPE positions.
 *
 * @param prompt    ids, segments, grids, answer span
 * @param pixels    {@code pixel_values} and {@code image_grid_thw}, ICD images first (prompt order), query last
 * @param positions {@code [3][L]} positions and {@code rope_delta}
 */
public record ModelInputs(PromptTokens prompt, PixelValues pixels, PositionIds positions) {
    public ModelInputs {
        if (!prompt.grids().equals(pixels.grids()))
            throw new IllegalArgumentException("prompt grids " + prompt.grids() + " differ from pixel grids " + pixels.grids());
        if (positions.length() != prompt.length())
            throw new IllegalArgumentException("positions cover " + positions.length() + " tokens but the prompt has " + prompt.length());
    }
}
