package org.leverplus.vlm.engine;

import org.junit.jupiter.api.Test;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.Tensors;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link VlmEngine#encodeImages}: uncached images go through the vision tower together, once each, and each image's
 * embedding equals the one it gets alone within float32 rounding (not bit for bit: the matrix products run on more
 * rows, so the SFT beam search batches vision passes only when asked, {@code --batch-vision}).
 */
class VisionBatchTest {
    @Test void batchedVisionPassesEqualSingleOnesWithinRounding() {
        try (TinyFixture f = new TinyFixture();
             Qwen25VlModel m = TinyFixture.load("snapshot-new", ModelOptions.defaults());
             VlmEngine single = new VlmEngine(m, EngineOptions.defaults());
             VlmEngine batched = new VlmEngine(m, EngineOptions.defaults())) {
            List<ImageInput> ims = new ArrayList<>();
            f.meta.get("grids").fieldNames().forEachRemaining(n -> ims.add(f.image(n)));
            assertTrue(ims.size() >= 2, "the fixture has several images");
            List<ImageInput> twice = new ArrayList<>(ims);
            twice.addAll(ims);
            batched.encodeImages(twice);
            assertEquals(ims.size(), batched.visionCalls(), "each distinct image encoded once");
            assertEquals(1, batched.visionBatches(), "in one pass");
            batched.encodeImages(ims);
            assertEquals(1, batched.visionBatches(), "cached images are not encoded again");
            for (ImageInput im : ims)
                Close.arrays(im.key() + ": batched vs alone", Tensors.toFloats(single.imageEmbedding(im)), Tensors.toFloats(batched.imageEmbedding(im)), 1e-5);
            assertEquals(ims.size(), batched.visionCalls(), "later uses hit the cache");
        }
    }
}
