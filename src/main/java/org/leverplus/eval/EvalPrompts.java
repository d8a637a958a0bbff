package org.leverplus.eval;

import org.leverplus.data.VqaRecord;
import org.leverplus.vlm.Snapshot;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.ProcessedImage;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.Tensors;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.QwenTokenizer;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Generation prompts of an evaluation: training items as ICDs (question + training answer) in prompt order, then the
 * validation question, in Lever-Plus's layout ({@link IcdPromptBuilder#leverPlus}) with the Qwen image pipeline. An
 * image's cache key is the SHA-256 of its bytes plus the preprocessing settings (computed once per file), so the
 * engine's image cache runs the vision tower once per picture across questions, shots and methods.
 */
final class EvalPrompts implements AutoCloseable {
    private final EvalData data;
    private final QwenTokenizer tokenizer;
    private final IcdPromptBuilder builder;
    private final QwenImageProcessor processor;
    private final Map<Path, String> keys = new HashMap<>();

    EvalPrompts(EvalData data, Snapshot snapshot) throws IOException {
        this.data = data;
        this.tokenizer = QwenTokenizer.load(snapshot.tokenizerJson());
        this.builder = IcdPromptBuilder.leverPlus(tokenizer);
        this.processor = new QwenImageProcessor(snapshot.preprocessorConfig());
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
                ImageInput im = image(images, data.trainImage(id), "training item " + id + " (question " + r.questionId() + ")");
                ims.add(im);
                items.add(new VqaItem(grid(im), r.question(), r.answer()));
            }
            VqaRecord q = data.val().get(rows[i]);
            ImageInput qi = image(images, data.valImage(rows[i]), "validation question " + q.questionId());
            ims.add(qi);
            PromptTokens pt = builder.generation(items, VqaItem.query(grid(qi), q.question()));
            out.add(new Prompt(pt.ids(), ims));
        }
        return out;
    }

    private static ImageGrid grid(ImageInput im) {
        return new ImageGrid(im.grid()[0], im.grid()[1], im.grid()[2]);
    }

    private ImageInput image(Map<Path, ImageInput> done, Path file, String what) throws IOException {
        ImageInput im = done.get(file);
        if (im != null) return im;
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "image of " + what + " not found");
        ProcessedImage p = processor.process(file);
        String key = keys.get(file);
        if (key == null) {
            key = sha256(Files.readAllBytes(file)) + "|" + processor.config();
            keys.put(file, key);
        }
        im = new ImageInput(key, Tensors.floats(p.pixels(), null, p.grid().patches(), p.rowSize()), new int[]{p.grid().t(), p.grid().h(), p.grid().w()});
        done.put(file, im);
        return im;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    @Override public void close() { tokenizer.close(); }
}
