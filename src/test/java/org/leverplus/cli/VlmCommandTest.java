package org.leverplus.cli;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.PreprocessorConfig;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.image.PixelValues;
import org.leverplus.vlm.image.QwenImageProcessor;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VlmCommandTest {
    @TempDir Path tmp;

    static final String PREPROCESSOR = """
            {"min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14, "temporal_patch_size": 2, "merge_size": 2,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
             "rescale_factor": 0.00392156862745098, "resample": 3, "do_resize": true, "do_rescale": true, "do_normalize": true,
             "do_convert_rgb": true, "image_processor_type": "Qwen2VLImageProcessor"}""";

    static Path fixture(String name) throws Exception {
        return Path.of(VlmCommandTest.class.getResource("/org/leverplus/vlm/image/" + name).toURI());
    }

    Path snapshot(boolean tokenizer, boolean preprocessor) throws Exception {
        Path d = Files.createTempDirectory(tmp, "snap");
        if (tokenizer) Files.copy(TestTokenizers.snapshotDir().resolve("tokenizer.json"), d.resolve("tokenizer.json"));
        if (preprocessor) Files.writeString(d.resolve("preprocessor_config.json"), PREPROCESSOR);
        return d;
    }

    static LeverCliTest.Run runWithStdin(String stdin, String... args) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return LeverCliTest.run(args);
        } finally {
            System.setIn(old);
        }
    }

    @Test void tokenizeNeedsOnlyTheTokenizer() throws Exception {
        Path snap = snapshot(true, false);
        LeverCliTest.Run r = runWithStdin("\"Hello, my dog is cute\"\n\"<|im_start|>user\\nhi<|im_end|>\"\n\"\"\n",
                "vlm", "tokenize", "--snapshot", snap.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("[9707,11,847,5562,374,18838]\n[151644,872,198,6023,151645]\n[]\n", r.out().replace("\r", ""));
    }

    @Test void tokenizeRejectsNonJsonLinesWithTheLineNumber() throws Exception {
        Path snap = snapshot(true, false);
        LeverCliTest.Run r = runWithStdin("\"ok\"\nnot json\n", "vlm", "tokenize", "--snapshot", snap.toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("stdin line 2"), r.err());
    }

    @Test void tokenizeWithoutTokenizerNamesTheFile() throws Exception {
        Path snap = snapshot(false, true);
        LeverCliTest.Run r = runWithStdin("\"x\"\n", "vlm", "tokenize", "--snapshot", snap.toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("tokenizer.json"), r.err());
    }

    @Test void promptPrintsTextAndSegmentCounts() throws Exception {
        Path snap = snapshot(true, true);
        Files.copy(fixture("coco-640x480.jpg"), tmp.resolve("a.jpg"));
        Files.writeString(tmp.resolve("icds.json"), """
                [{"image": "a.jpg", "question": "What is on the plate?", "answer": "pizza"},
                 {"grid": [1, 4, 6], "question": "How many?", "answer": "2"}]""");
        Files.writeString(tmp.resolve("q.json"), "{\"grid\": [1, 2, 2], \"question\": \"What color is the bus?\"}");
        LeverCliTest.Run r = LeverCliTest.run("vlm", "prompt", "--snapshot", snap.toString(), "--icds", tmp.resolve("icds.json").toString(),
                "--query", tmp.resolve("q.json").toString(), "--answer", "red");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("<|vision_start|><|image_pad|><|vision_end|>Question:What is on the plate? Short answer:pizza<|vision_start|>"), out);
        assertTrue(out.contains("Short answer:red<|im_end|>"), out);
        assertTrue(out.matches("(?s).*icd\\[0\\]\\.image\\s+393  grid 1x34x46.*"), out);   // 640x480 -> 644x476 -> 391 tokens
        assertTrue(out.matches("(?s).*icd\\[1\\]\\.image\\s+8  grid 1x4x6.*"), out);
        assertTrue(out.matches("(?s).*answer\\s+1\\n.*"), out);
        assertTrue(out.contains("3 images, answer span ["), out);
    }

    @Test void promptWithGridsOnlyDoesNotNeedThePreprocessorConfig() throws Exception {
        Path snap = snapshot(true, false);
        Files.writeString(tmp.resolve("q.json"), "{\"grid\": [1, 2, 2], \"question\": \"Why?\"}");
        LeverCliTest.Run r = LeverCliTest.run("vlm", "prompt", "--snapshot", snap.toString(), "--query", tmp.resolve("q.json").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("<|im_start|>assistant"), r.out());
        Files.writeString(tmp.resolve("bad.json"), "[{\"grid\": [1, 2, 2], \"question\": \"no answer\"}]");
        r = LeverCliTest.run("vlm", "prompt", "--snapshot", snap.toString(), "--icds", tmp.resolve("bad.json").toString(),
                "--query", tmp.resolve("q.json").toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("bad.json: record 0: missing field \"answer\""), r.err());
    }

    @Test void preprocessWritesPixelValuesInArgumentOrder() throws Exception {
        Path snap = snapshot(false, true);
        List<Path> imgs = List.of(fixture("rgb-70x50.png"), fixture("gray-56x56.jpg"), fixture("rgb-84x56.png"));
        Path out = tmp.resolve("pv.safetensors");
        LeverCliTest.Run r = LeverCliTest.run("vlm", "preprocess", "--snapshot", snap.toString(), imgs.get(0).toString(),
                imgs.get(1).toString(), imgs.get(2).toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        PixelValues want = new QwenImageProcessor(PreprocessorConfig.defaults()).processAll(imgs, 1);
        try (TensorScope s = TensorScope.open(); SafetensorsFile f = Safetensors.open(out)) {
            Tensor pv = f.get("pixel_values").contiguous();
            assertArrayEquals(new long[]{want.rows(), 1176}, pv.sizes().vec().get());
            float[] got = new float[want.data().length];
            pv.data_ptr_float().get(got);
            assertArrayEquals(want.data(), got);
            Tensor g = f.get("image_grid_thw").contiguous();
            long[] grid = new long[9];
            g.data_ptr_long().get(grid);
            assertArrayEquals(want.gridThw(), grid);
            assertArrayEquals(new long[]{1, 4, 4, 1, 4, 4, 1, 4, 6}, grid);
        }
        // An existing output is kept unless --overwrite.
        r = LeverCliTest.run("vlm", "preprocess", "--snapshot", snap.toString(), imgs.get(0).toString(), "--out", out.toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("--overwrite"), r.err());
    }

    @Test void preprocessErrorsNameTheMissingFile() throws Exception {
        Path snap = snapshot(true, false);
        Path out = tmp.resolve("x.safetensors");
        LeverCliTest.Run r = LeverCliTest.run("vlm", "preprocess", "--snapshot", snap.toString(), fixture("rgb-84x56.png").toString(), "--out", out.toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("preprocessor_config.json"), r.err());
        Path snap2 = snapshot(true, true);
        r = LeverCliTest.run("vlm", "preprocess", "--snapshot", snap2.toString(), tmp.resolve("missing.png").toString(), "--out", out.toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("missing.png"), r.err());
        assertFalse(Files.exists(out), "a failed run leaves no output");
    }

    @Test void promptWarnsWhenTheSnapshotTemplateDiffers() throws Exception {
        Path snap = snapshot(true, false);
        Files.writeString(tmp.resolve("q.json"), "{\"grid\": [1, 2, 2], \"question\": \"Why?\"}");
        Files.writeString(snap.resolve("chat_template.json"), new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(java.util.Map.of("chat_template", org.leverplus.vlm.text.IcdPromptBuilder.QWEN2_VL_CHAT_TEMPLATE)));
        LeverCliTest.Run r = LeverCliTest.run("vlm", "prompt", "--snapshot", snap.toString(), "--query", tmp.resolve("q.json").toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("warning"), r.err());
        Files.writeString(snap.resolve("chat_template.json"), "{\"chat_template\": \"{{ messages }}\"}");
        r = LeverCliTest.run("vlm", "prompt", "--snapshot", snap.toString(), "--query", tmp.resolve("q.json").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: the snapshot's chat template differs"), r.err());
    }
}
