package org.leverplus.vlm.input;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An image file with its question and, for an ICD, its answer.
 *
 * @param image    JPEG or PNG file
 * @param question question text
 * @param answer   answer for an ICD; null for the query
 */
public record ImageQuestion(Path image, String question, String answer) {
    public ImageQuestion {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(question, "question");
    }

    public static ImageQuestion query(Path image, String question) { return new ImageQuestion(image, question, null); }
}
