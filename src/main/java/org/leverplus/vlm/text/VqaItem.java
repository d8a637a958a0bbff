package org.leverplus.vlm.text;

import org.leverplus.vlm.image.ImageGrid;

import java.util.Objects;

/**
 * One image-question(-answer) item of an in-context prompt: an ICD (with its answer) or the query (answer null).
 * The image is represented by its patch grid, which fixes its {@code <|image_pad|>} count; the pixels travel
 * separately ({@link org.leverplus.vlm.image.PixelValues}).
 *
 * @param grid     the image's patch grid ({@code image_grid_thw} row)
 * @param question the question text
 * @param answer   the answer shown for an ICD; null for a query
 */
public record VqaItem(ImageGrid grid, String question, String answer) {
    public VqaItem {
        Objects.requireNonNull(grid, "grid");
        Objects.requireNonNull(question, "question");
    }

    /** A query item (no answer). */
    public static VqaItem query(ImageGrid grid, String question) { return new VqaItem(grid, question, null); }
}
