package org.leverplus.datagen;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One dataset item as the beam search needs it: an anchor (its question and answer are the query and the scored
 * answer) or a candidate ICD (shown with its answer).
 *
 * @param id       the global id (pools and SFT files refer to items by it)
 * @param image    the image file
 * @param question the question
 * @param answer   the training answer (VQAv2 {@code multiple_choice_answer}, else the most frequent human answer)
 */
public record SftItem(int id, Path image, String question, String answer) {
    public SftItem {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
    }
}
