package org.leverplus.vlm.input;

import org.leverplus.vlm.image.PixelValues;
import org.leverplus.vlm.image.ProcessedImage;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.MRopeIndex;
import org.leverplus.vlm.text.PositionIds;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@link ModelInputs} from image files and VQA text: preprocesses the images (in parallel), sizes each
 * {@code <|image_pad|>} run from the resulting grid, renders and tokenises the Lever-Plus prompt, and computes the
 * M-RoPE positions. The three parts are consistent by construction (checked in {@link ModelInputs}).
 */
public final class ModelInputBuilder {
    private final QwenImageProcessor images;
    private final IcdPromptBuilder prompts;
    private final int imageTokenId;
    private final int threads;

    /**
     * @param images  the image processor (from the snapshot's preprocessor_config.json)
     * @param prompts the prompt builder (tokenizer, system prompt, answer tokenisation)
     * @param imageTokenId {@code <|image_pad|>} id
     * @param threads image decode/resize threads
     */
    public ModelInputBuilder(QwenImageProcessor images, IcdPromptBuilder prompts, int imageTokenId, int threads) {
        this.images = images;
        this.prompts = prompts;
        this.imageTokenId = imageTokenId;
        this.threads = threads;
    }

    /** The generation prompt for {@code icds} (prompt order) and {@code query}. */
    public ModelInputs generation(List<ImageQuestion> icds, ImageQuestion query) throws IOException {
        return build(icds, query, null);
    }

    /** The teacher-forced prompt scoring {@code answer}; {@code prompt().answerStart()/answerEnd()} give its span. */
    public ModelInputs teacherForced(List<ImageQuestion> icds, ImageQuestion query, String answer) throws IOException {
        return build(icds, query, answer);
    }

    private ModelInputs build(List<ImageQuestion> icds, ImageQuestion query, String answer) throws IOException {
        List<Path> files = new ArrayList<>();
        for (ImageQuestion q : icds) files.add(q.image());
        files.add(query.image());
        List<ProcessedImage> processed = new ArrayList<>(files.size());
        images.processInOrder(files, threads, processed::add);
        List<VqaItem> items = new ArrayList<>();
        for (int i = 0; i < icds.size(); i++) {
            ImageQuestion q = icds.get(i);
            if (q.answer() == null) throw new IllegalArgumentException("icd[" + i + "] (" + q.image() + ") has no answer");
            items.add(new VqaItem(processed.get(i).grid(), q.question(), q.answer()));
        }
        if (query.answer() != null) throw new IllegalArgumentException("the query (" + query.image() + ") must not carry an answer");
        VqaItem qi = VqaItem.query(processed.get(processed.size() - 1).grid(), query.question());
        PromptTokens prompt = answer == null ? prompts.generation(items, qi) : prompts.teacherForced(items, qi, answer);
        PositionIds positions = MRopeIndex.compute(prompt.ids(), prompt.grids(), imageTokenId, images.config().mergeSize());
        return new ModelInputs(prompt, PixelValues.concat(processed), positions);
    }
}
