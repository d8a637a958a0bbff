package org.leverplus.eval;

import org.leverplus.data.VqaRecord;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.ImageInputs;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.QwenTokenizer;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Generation prompts of an evaluation: training items as ICDs (question + training answer) in prompt order, then the
 * validation question, in Lever-Plus's layout ({@link IcdPromptBuilder#leverPlus}) with the Qwen image pipeline
 * ({@link ImageInputs}: the engine's image cache runs the vision tower once per picture across questions, shots and
 * methods).
 */
final class EvalPrompts implements AutoCloseable {
    private final EvalData data;
    private final QwenTokenizer tokenizer;
    private final IcdPromptBuilder builder;
    private final ImageInputs images;

    EvalPrompts(EvalData data, Qwen25VlSnapshot snapshot) throws IOException {
        this.data = data;
        this.tokenizer = QwenTokenizer.load(snapshot.tokenizerJson());
        this.builder = IcdPromptBuilder.leverPlus(tokenizer);
        this.images = new ImageInputs(new QwenImageProcessor(snapshot.preprocessorConfig()));
    }

    QwenTokenizer tokenizer() { return tokenizer; }

    /** Prompts for validation rows {@code rows} with ICDs {@code icds[i]} (training global ids); pixels made per call. */
    List<Prompt> prompts(int[] rows, int[][] icds) throws IOException {
        Map<Path, ImageInput> images = new HashMap<>();
        List<Prompt> out = new ArrayList<>(rows.length);
        for (int i = 0; i < rows.length; i++) {
            List<VqaItem> items = new ArrayList<>();
            List<ImageInput> ims = new ArrayList<>();
            for (int id : icds[i]) {
                VqaRecord r = data.train().get(id);
                ImageInput im = this.images.of(images, data.trainImage(id), "training item " + id + " (question " + r.questionId() + ")");
                ims.add(im);
                items.add(new VqaItem(ImageInputs.grid(im), r.question(), r.answer()));
            }
            VqaRecord q = data.val().get(rows[i]);
            ImageInput qi = this.images.of(images, data.valImage(rows[i]), "validation question " + q.questionId());
            ims.add(qi);
            PromptTokens pt = builder.generation(items, VqaItem.query(ImageInputs.grid(qi), q.question()));
            out.add(new Prompt(pt.ids(), ims));
        }
        return out;
    }

    @Override public void close() { tokenizer.close(); }
}
