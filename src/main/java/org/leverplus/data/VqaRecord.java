package org.leverplus.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One question of VQAv2 or OK-VQA, merged from the official questions and annotations files.
 *
 * @param idx                  row index after sorting by question_id: THE global id (beam data, RL data, embeddings)
 * @param questionId           {@code question_id}
 * @param imageId              {@code image_id}
 * @param question             the question text
 * @param answers              the human answers ({@code answers[*].answer}, usually 10), in file order
 * @param multipleChoiceAnswer {@code multiple_choice_answer} (VQAv2), or null (OK-VQA)
 * @param questionType         {@code question_type}, or null
 * @param answerType           {@code answer_type}, or null
 * @param answer               the training answer: {@code multiple_choice_answer}, else the most frequent human answer
 * @param split                "train" or "val" (for the image file name)
 */
public record VqaRecord(int idx, long questionId, long imageId, String question, List<String> answers,
                        String multipleChoiceAnswer, String questionType, String answerType, String answer,
                        String split) {

    /** {@code COCO_{split}2014_{image_id:012d}.jpg}. */
    public String imageFileName() {
        return String.format(Locale.ROOT, "COCO_%s2014_%012d.jpg", split, imageId);
    }

    /** The image under a COCO root directory. */
    public Path imagePath(Path cocoRoot) {
        return cocoRoot.resolve(imageFileName());
    }

    /** Lever-Plus's {@code q_a} column: {@code "Question:{q} Answer: {a}"}. */
    public String qa() {
        return "Question:" + question + " Answer: " + answer;
    }
}
