package org.leverplus.datagen;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmScorer;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.TinySnapshotWriter;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.QwenTokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batched, cached beam search against {@link SftReference} (brute force from spec 5, one prompt at a time, no
 * caches) on a tiny random snapshot with the real tokenizer: both orders, both per-beam top-k modes; ids exact, scores
 * within a tolerance; and every negative control (sum CE, whole-prompt CE, swapped order, accumulated scores) must
 * break the comparison.
 */
class InfoScoreBeamSearchTest {
    static final Path DATA = Path.of("src/test/resources/datagen");
    @TempDir static Path tmp;
    static Qwen25VlSnapshot snap;
    static Qwen25VlModel model;
    static QwenTokenizer tokenizer;
    static VlmEngine cached, plain;
    static SftReference reference;
    static SftInputs.Items items;
    static LinkedHashMap<Integer, int[]> pools;

    @BeforeAll static void setUp() throws Exception {
        TorchRuntime.init();
        Path dir = tmp.resolve("tiny");
        TinySnapshotWriter.write(dir, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 11, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        snap = Qwen25VlSnapshot.open(dir);
        model = Qwen25VlModel.load(snap, ModelOptions.defaults());
        tokenizer = QwenTokenizer.load(snap.tokenizerJson());
        cached = new VlmEngine(model, EngineOptions.defaults().withBatch(4096, 16));
        // the reference scores one prompt at a time without prefix sharing (the image cache is exact: one vision pass per image)
        plain = new VlmEngine(model, EngineOptions.defaults().withPrefixCache(false));
        reference = new SftReference(new VlmScorer(plain), IcdPromptBuilder.leverPlus(tokenizer), new QwenImageProcessor(snap.preprocessorConfig()));
        items = SftInputs.readItems(DATA.resolve("items.jsonl"));
        pools = SftInputs.readPools(DATA.resolve("pools.json"));
    }

    @AfterAll static void tearDown() {
        cached.close();
        plain.close();
        tokenizer.close();
        model.close();
    }

    /** The first five candidates of the anchor's pool (small: the reference scores every prompt on its own). */
    static List<SftItem> pool(int anchor) {
        List<SftItem> out = new ArrayList<>();
        for (int c : Arrays.copyOf(pools.get(anchor), 5)) out.add(items.get(c));
        return out;
    }

    /** Relative tolerance on P: float32 scores of batched, prefix-shared prompts vs one-at-a-time (see docs/sft-data.md). */
    static final double REL = 2e-4;

    /** Whether the engine's beams equal the reference's: ids exactly, each score within REL of the baseline probability scale. */
    static String mismatch(AnchorBeams got, SftReference.Result want, double scale) {
        if (got.beams().size() != want.chosen().size()) return "beam count " + got.beams().size() + " vs " + want.chosen().size();
        for (int b = 0; b < want.chosen().size(); b++) {
            AnchorBeams.Beam g = got.beams().get(b);
            if (!Arrays.equals(g.chosen(), want.chosen().get(b)))
                return "beam " + b + ": ids " + Arrays.toString(g.chosen()) + " vs " + Arrays.toString(want.chosen().get(b));
            for (int s = 0; s < g.shotScores().length; s++) {
                double d = Math.abs(g.shotScores()[s] - want.scores().get(b)[s]);
                if (d > REL * scale) return "beam " + b + " step " + s + ": score " + g.shotScores()[s] + " vs " + want.scores().get(b)[s];
            }
        }
        return null;
    }

    static double scale(SftReference.Result r) {
        double m = 0;
        for (double[] s : r.scores()) for (double v : s) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double maxRelDiff;

    /** Compares with the reference; returns the negative controls that broke the comparison. */
    List<SftReference.Variant> compare(BeamSearchSettings s, int anchor, SftReference.Variant... controls) throws Exception {
        // batched vision passes in right order (the option is off by default), one image per pass in left order
        InfoScoreBeamSearch search = new InfoScoreBeamSearch(cached, tokenizer, snap.preprocessorConfig(), s, s.order() == BeamSearchSettings.Order.RIGHT);
        AnchorBeams got = search.search(items.get(anchor), pool(anchor));
        boolean left = s.order() == BeamSearchSettings.Order.LEFT, largest = s.perBeamTopK() == BeamSearchSettings.TopK.LARGEST;
        SftReference.Result want = reference.run(items.get(anchor), pool(anchor), s.beamSize(), s.shots(), left, largest, SftReference.Variant.INTENDED);
        double scale = scale(want);
        assertEquals(null, mismatch(got, want, scale), s + " anchor " + anchor);
        for (int b = 0; b < want.scores().size(); b++)
            for (int k = 0; k < s.shots(); k++)
                maxRelDiff = Math.max(maxRelDiff, Math.abs(got.beams().get(b).shotScores()[k] - want.scores().get(b)[k]) / scale);
        List<SftReference.Variant> broke = new ArrayList<>();
        for (SftReference.Variant v : controls) {
            String m = mismatch(got, reference.run(items.get(anchor), pool(anchor), s.beamSize(), s.shots(), left, largest, v), scale);
            if (m != null) broke.add(v);
        }
        return broke;
    }

    @Test void matchesTheBruteForceReferenceInBothOrdersAndTopKModes() throws Exception {
        var all = SftReference.Variant.values();
        var controls = Arrays.copyOfRange(all, 1, all.length);
        // the default shape (left, largest) with every negative control: each must break the comparison
        List<SftReference.Variant> broke = compare(new BeamSearchSettings(3, 2, BeamSearchSettings.Order.LEFT, BeamSearchSettings.TopK.LARGEST), 6, controls);
        assertEquals(List.of(controls), broke, "every negative control must break the comparison");
        assertEquals(List.of(SftReference.Variant.SWAPPED_ORDER), compare(new BeamSearchSettings(2, 2, BeamSearchSettings.Order.RIGHT, BeamSearchSettings.TopK.LARGEST), 4,
                SftReference.Variant.SWAPPED_ORDER), "right order: swapping the order must break it");
        compare(new BeamSearchSettings(2, 2, BeamSearchSettings.Order.LEFT, BeamSearchSettings.TopK.SMALLEST), 7);
        compare(new BeamSearchSettings(2, 3, BeamSearchSettings.Order.RIGHT, BeamSearchSettings.TopK.SMALLEST), 6);
        System.out.printf("InfoScore beam search vs brute force: max |score difference| / max |score| = %.3g (tolerance %.1g)%n", maxRelDiff, REL);
    }
}
