package org.leverplus.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.clip.ClipImageProcessor;
import org.leverplus.clip.ClipModel;
import org.leverplus.clip.ClipSnapshot;
import org.leverplus.clip.ClipTinySnapshot;
import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;
import org.leverplus.vlm.Qwen25VlConfig;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.QwenTokenizer;
import org.leverplus.vlm.text.SpecialTokens;
import org.leverplus.vlm.text.VqaItem;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo world as files: the dataset loads through the project's VQAv2 loader unchanged, every image exists and
 * preprocesses to the 4-token grid the VLM was trained on, the snapshot's weights and special ids are consistent,
 * and Python's prompt rendering (tools/demo/prompt_golden.py, the one train_vlm.py trained on) equals
 * {@link IcdPromptBuilder}'s ids.
 */
class DemoWorldTest {
    @TempDir static Path tmp;
    static DemoWorld.Paths world;

    @BeforeAll static void write() throws Exception {
        world = DemoWorld.materialise(tmp.resolve("world"));
    }

    @Test void datasetLoadsThroughVqaDataset() throws Exception {
        VqaDataset train = world.load("train"), val = world.load("val");
        assertEquals(420, train.size());
        assertEquals(180, val.size());
        Set<String> types = new HashSet<>();
        for (VqaDataset ds : List.of(train, val))
            for (VqaRecord r : ds.records()) {
                assertEquals(10, r.answers().size(), "ten annotator answers");
                assertTrue(Files.isRegularFile(world.images().resolve(r.imageFileName())), r.imageFileName());
                assertTrue(r.answers().contains(r.answer()), "the multiple-choice answer is among the annotators'");
                types.add(r.questionType());
            }
        assertTrue(types.containsAll(List.of("what color is the", "how many", "what shape is", "where is the",
                "is there a", "what is in the")), "question types: " + types);
        // every image is asked the ambiguous question and one other (the ICD-sensitive half of lever demo's RL data)
        for (VqaDataset ds : List.of(train, val))
            assertEquals(ds.size() / 2, ds.records().stream().filter(r -> r.questionType().equals("what is in the")).count());
        // global ids follow question_id order (spec section 2)
        for (int i = 1; i < val.size(); i++) assertTrue(val.get(i - 1).questionId() < val.get(i).questionId());
        // annotators vary: synonyms and mistakes exist, but the majority answer dominates
        long varied = val.records().stream().filter(r -> new HashSet<>(r.answers()).size() > 1).count();
        assertTrue(varied > val.size() / 4, "annotator variation in " + varied + " of " + val.size());
    }

    @Test void imagesPreprocessToFourTokens() throws Exception {
        QwenImageProcessor proc = new QwenImageProcessor(Qwen25VlSnapshot.open(world.vlm()).preprocessorConfig());
        VqaRecord r = world.load("val").get(0);
        var p = proc.process(world.images().resolve(r.imageFileName()));
        assertEquals(new ImageGrid(1, 4, 4), p.grid());
        assertEquals(4, p.grid().tokens(2));
    }

    @Test void snapshotIsConsistent() throws Exception {
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(world.vlm());
        snap.verifyWeights();
        Qwen25VlConfig c = snap.config();
        try (QwenTokenizer tok = QwenTokenizer.load(snap.tokenizerJson())) {
            SpecialTokens sp = tok.special();
            assertEquals(c.imageTokenId(), sp.imagePad());
            assertEquals(c.videoTokenId(), sp.videoPad());
            assertEquals(c.visionStartTokenId(), sp.visionStart());
            assertEquals(c.visionEndTokenId(), sp.visionEnd());
            assertEquals(c.bosTokenId(), sp.endOfText());
            assertEquals(c.eosTokenId(), sp.imEnd());
            assertTrue(sp.videoPad() < c.vocabSize());
            assertEquals("red", tok.decode(tok.encode("red"), true));
            assertEquals("top left", tok.decode(tok.encode("top left"), true), "WordLevel decodes words with spaces");
        }
    }

    @Test void pythonPromptRenderingEqualsIcdPromptBuilder() throws Exception {
        JsonNode g;
        try (InputStream in = DemoWorldTest.class.getResourceAsStream("prompt-golden.json")) {
            g = new ObjectMapper().readTree(in);
        }
        ImageGrid grid = new ImageGrid(g.get("grid").get(0).asInt(), g.get("grid").get(1).asInt(), g.get("grid").get(2).asInt());
        int n = 0;
        try (QwenTokenizer tok = QwenTokenizer.load(world.vlm().resolve("tokenizer.json"))) {
            IcdPromptBuilder b = IcdPromptBuilder.leverPlus(tok);
            for (JsonNode c : g.get("cases")) {
                List<VqaItem> icds = new ArrayList<>();
                for (JsonNode i : c.get("icds")) icds.add(new VqaItem(grid, i.get("question").asText(), i.get("answer").asText()));
                VqaItem q = VqaItem.query(grid, c.get("query").asText());
                boolean scored = c.hasNonNull("answer");
                PromptTokens pt = scored ? b.teacherForced(icds, q, c.get("answer").asText()) : b.generation(icds, q);
                int[] expected = new ObjectMapper().convertValue(c.get("ids"), int[].class);
                assertArrayEquals(expected, pt.ids(), "case " + n + ": " + pt.text());
                if (scored) {
                    assertEquals(c.get("answer_span").get(0).asInt(), pt.answerStart());
                    assertEquals(c.get("answer_span").get(1).asInt(), pt.answerEnd());
                }
                n++;
            }
        }
        assertEquals(6, n);
    }

    /**
     * Share of the val images whose nearest other val image by CLIP image features (cosine) has the same background
     * (read from the image's corner pixel): the cue the demo's ambiguous-question convention follows.
     */
    static double backgroundNeighbourShare(Path clip) throws Exception {
        ClipImageProcessor proc = new ClipImageProcessor(ClipImageProcessor.Config.read(clip.resolve(ClipImageProcessor.FILE)));
        List<Path> files;
        try (var st = Files.list(world.images())) {
            files = st.filter(f -> f.getFileName().toString().startsWith("COCO_val")).sorted().toList();
        }
        int n = files.size(), size = proc.size();
        float[] px = new float[n * size];
        int[] bg = new int[n];
        for (int i = 0; i < n; i++) {
            proc.process(files.get(i), px, i * size);
            int rgb = javax.imageio.ImageIO.read(files.get(i).toFile()).getRGB(0, 0);
            int r = (rgb >> 16) & 255, b = rgb & 255;
            bg[i] = b > 235 && r > 235 ? 0 : b > r ? 1 : 2;  // white (250,250,250), light blue (200,220,250), pink (250,205,220)
        }
        float[][] f;
        try (ClipModel m = ClipModel.load(ClipSnapshot.open(clip), ModelOptions.defaults())) {
            f = m.encodeImages(px, n).embeds();
        }
        for (int i = 0; i < n; i++) f[i] = ClipModel.normalize(f[i]);
        int same = 0;
        for (int i = 0; i < n; i++) {
            int best = -1;
            double bestSim = -2;
            for (int j = 0; j < n; j++) {
                if (j == i) continue;
                double sim = 0;
                for (int k = 0; k < f[i].length; k++) sim += f[i][k] * f[j][k];
                if (sim > bestSim) { bestSim = sim; best = j; }
            }
            if (bg[best] == bg[i]) same++;
        }
        return same / (double) n;
    }

    @Test void clipImageFeaturesGroupScenesByBackground() throws Exception {
        Path random = tmp.resolve("random-clip");
        ClipTinySnapshot.write(random, ClipTinySnapshot.Geometry.B32, org.bytedeco.pytorch.global.torch.ScalarType.Float, 0, false);
        double trained = backgroundNeighbourShare(world.clip()), untrained = backgroundNeighbourShare(random);
        System.out.printf(java.util.Locale.ROOT, "demo CLIP: nearest val image by image features has the same background: "
                + "trained %.3f, random make-tiny %.3f%n", trained, untrained);
        assertTrue(trained >= 0.90, "trained demo CLIP background agreement " + trained);  // measured 0.956 (86 of 90)
        assertTrue(trained > untrained, "trained " + trained + " vs random " + untrained);
    }
}
