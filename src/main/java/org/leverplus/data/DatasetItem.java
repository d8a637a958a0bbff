package org.leverplus.data;

import java.nio.file.Path;
import java.util.List;

/**
 * One training or evaluation item as every stage command sees it, whatever the source.
 *
 * @param id       the global id (spec 2: row index after sorting by question id)
 * @param sourceId the id in the source (question_id, or the {@code id} of an items file line)
 * @param image    the image file
 * @param question the question text
 * @param answer   the training answer, or null
 * @param answers  the human answers (possibly empty)
 */
public record DatasetItem(int id, long sourceId, Path image, String question, String answer, List<String> answers) {
    /** How the item is named in error messages. */
    public String describe() {
        return "item " + id + " (id " + sourceId + ", image " + image + ")";
    }
}
