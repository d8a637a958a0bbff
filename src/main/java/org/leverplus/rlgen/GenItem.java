package org.leverplus.rlgen;

import java.nio.file.Path;
import java.util.List;

/**
 * One dataset item as RL generation uses it, as a query or as an ICD.
 *
 * @param idx        the global id (row of the dataset, of the embeddings, and the RL data key)
 * @param questionId the official {@code question_id}, or null (items files with a non-numeric id)
 * @param imageId    {@code image_id}, or null
 * @param question   question text
 * @param image      image file
 * @param answer     the answer an ICD shows (the training answer)
 * @param answers    the human answers (official metric), or null when unknown
 * @param annotationKey the key the annotation sources look the question up by (question_id, or the item id)
 */
public record GenItem(int idx, Long questionId, Long imageId, String question, Path image, String answer,
                      List<String> answers, String annotationKey) {}
