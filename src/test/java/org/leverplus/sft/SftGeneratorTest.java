package org.leverplus.sft;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.cli.LeverCli;
import org.leverplus.data.SftBeamData;
import org.leverplus.data.SftBeamEntry;
import org.leverplus.data.VqaDataset;
import org.leverplus.sampler.CandidatePools;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.ImageInputs;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.TinySnapshotWriter;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.QwenTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code lever generate sft} on a tiny snapshot: the batched, cached search against a plain reference (every sequence
 * scored alone, caches off), negative controls, resume after a stop, shards merged, bad input.
 */
class SftGeneratorTest {
    @TempDir static Path dir;
    static Path snap, data, images, pools;
    static VqaDataset train;

    @BeforeAll
    static void world() throws Exception {
        TorchRuntime.init();
        snap = dir.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        Path v = dir.resolve("vqa");
        assertEquals(0, LeverCli.commandLine().execute("eval", "make-tiny-data", "--out", v.toString(), "--train", "14", "--val", "2", "--dim", "8"));
        data = v.resolve("data");
        images = v.resolve("images/train");
        assertEquals(0, LeverCli.commandLine().execute("sample", "--sampler", "rand", "--train-size", "14", "--anchors", "4", "--candidates", "5", "--out", dir.resolve("pools").toString()));
        pools = dir.resolve("pools/pools.json");
        train = VqaDataset.load(VqaDataset.Kind.OKVQA, data, "train");
    }

    static Map<Integer, int[]> pools() throws Exception {
        CandidatePools cp = CandidatePools.readPools(pools);
        Map<Integer, int[]> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < cp.anchors().length; i++) m.put(cp.anchors()[i], cp.pools()[i]);
        return m;
    }

    static SftGenerator.Settings settings(InfoScoreBeamSearch.Settings s, int shard, int shards) {
        return new SftGenerator.Settings(s, ModelOptions.defaults(), EngineOptions.defaults(), 0, shard, shards, false);
    }

    static final InfoScoreBeamSearch.Settings SEARCH = new InfoScoreBeamSearch.Settings(3, 2, InfoScoreBeamSearch.Order.LEFT, InfoScoreBeamSearch.TopK.LARGEST);

    /** Every sequence scored alone on an engine without caches: the plain definition of P(y | S, x). */
    static Map<Integer, ObjectNode> reference(InfoScoreBeamSearch.Settings s, boolean sumInsteadOfMean) throws Exception {
        Map<Integer, int[]> p = pools();
        Map<Integer, ObjectNode> out = new java.util.LinkedHashMap<>();
        Qwen25VlSnapshot sn = Qwen25VlSnapshot.open(snap);
        try (QwenTokenizer tok = QwenTokenizer.load(sn.tokenizerJson());
             Qwen25VlModel model = Qwen25VlModel.load(sn, ModelOptions.defaults());
             VlmEngine engine = new VlmEngine(model, EngineOptions.defaults().withImageCache(false).withPrefixCache(false))) {
            VlmInfoScorer one = new VlmInfoScorer(train, images, engine, IcdPromptBuilder.leverPlus(tok),
                    new ImageInputs(new QwenImageProcessor(sn.preprocessorConfig())));
            InfoScoreBeamSearch.Scorer alone = (anchor, seqs) -> {
                double[] r = new double[seqs.size()];
                for (int i = 0; i < r.length; i++) {
                    double pm = one.probabilities(anchor, List.of(seqs.get(i)))[0];
                    r[i] = sumInsteadOfMean ? Math.exp(Math.log(pm) * 2.0) : pm; // the answers here have 2+ tokens: sum != mean
                }
                return r;
            };
            for (Map.Entry<Integer, int[]> e : p.entrySet()) out.put(e.getKey(), InfoScoreBeamSearch.search(e.getKey(), e.getValue(), s, alone));
        }
        return out;
    }

    static void assertSameBeams(Map<Integer, ObjectNode> want, SftBeamData got, boolean expectEqual) {
        boolean all = true;
        for (SftBeamEntry e : got.entries()) {
            ObjectNode w = want.get(e.index());
            for (int b = 0; b < e.idList().size(); b++) {
                int[] ids = e.idList().get(b);
                for (int k = 0; k < ids.length; k++) all &= ids[k] == w.get("id_list").get(b).get(k).asInt();
                double ws = w.get("score_list").get(b).asDouble(), gs = e.scoreList()[b];
                all &= Math.abs(ws - gs) <= 1e-4 * Math.abs(ws) + 1e-12;
            }
        }
        assertEquals(expectEqual, all, expectEqual ? "batched, cached search equals the plain reference" : "the negative control must differ");
    }

    @Test
    void batchedSearchEqualsThePlainReferenceAndNegativeControlsDiffer() throws Exception {
        Path out = dir.resolve("sft.json");
        SftGenerator.run(train, images, pools(), snap, settings(SEARCH, 0, 1), out, null);
        SftBeamData got = SftBeamData.read(out);
        assertEquals(4, got.entries().size());
        for (SftBeamEntry e : got.entries()) {
            assertEquals(3, e.idList().size());
            for (int[] seq : e.idList()) {
                assertEquals(3, seq.length);
                assertEquals(e.index(), seq[2], "the query last");
                assertNotEquals(seq[0], seq[1]);
            }
            for (int b = 1; b < e.scoreList().length; b++) assertTrue(e.scoreList()[b - 1] >= e.scoreList()[b], "score_list descending");
            assertEquals(2, e.fewShotNum());
            assertTrue(e.raw().has("beams") && e.raw().get("beams").get(0).has("full_sequence"));
        }
        assertTrue(Files.exists(dir.resolve("sft.meta.json")));
        assertSameBeams(reference(SEARCH, false), got, true);
        assertSameBeams(reference(SEARCH, true), got, false);                          // sum of CE instead of the mean
        assertSameBeams(reference(new InfoScoreBeamSearch.Settings(3, 2, InfoScoreBeamSearch.Order.RIGHT, InfoScoreBeamSearch.TopK.LARGEST), false), got, false);
        assertSameBeams(reference(new InfoScoreBeamSearch.Settings(3, 2, InfoScoreBeamSearch.Order.LEFT, InfoScoreBeamSearch.TopK.SMALLEST), false), got, false);
    }

    @Test
    void aStoppedRunResumesToTheSameBytesAndShardsMergeToTheSingleRun() throws Exception {
        Map<Integer, int[]> p = pools();
        Path full = dir.resolve("full.json"), resumed = dir.resolve("resumed.json");
        SftGenerator.run(train, images, p, snap, settings(SEARCH, 0, 1), full, null);
        int[] seen = {0};
        assertThrows(IllegalStateException.class, () -> SftGenerator.run(train, images, p, snap, settings(SEARCH, 0, 1), resumed, null, a -> {
            if (++seen[0] == 2) throw new IllegalStateException("stopped");
        }));
        assertFalse(Files.exists(resumed), "no output from a stopped run");
        SftGenerator.Summary s = SftGenerator.run(train, images, p, snap, settings(SEARCH, 0, 1), resumed, null);
        assertEquals(2, s.resumed());
        assertEquals(2, s.computed());
        assertArrayEquals(Files.readAllBytes(full), Files.readAllBytes(resumed));
        assertFalse(Files.exists(dir.resolve(".resumed.json.journal")), "journal removed at the end");

        List<String> shardFiles = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path f = dir.resolve("shard" + i + ".json");
            SftGenerator.run(train, images, p, snap, settings(SEARCH, i, 3), f, null);
            shardFiles.add(f.toString());
        }
        Path merged = dir.resolve("merged.json");
        List<String> args = new ArrayList<>(List.of("data", "merge"));
        args.addAll(shardFiles);
        args.addAll(List.of("--out", merged.toString()));
        assertEquals(0, LeverCli.commandLine().execute(args.toArray(String[]::new)));
        assertArrayEquals(Files.readAllBytes(full), Files.readAllBytes(merged));
    }

    @Test
    void badInputIsAnErrorNamingTheAnchorAndWritesNothing() throws Exception {
        Path out = dir.resolve("bad.json");
        for (Map<Integer, int[]> p : List.of(Map.of(3, new int[]{1, 3, 4}), Map.of(3, new int[]{1, 99}), Map.of(3, new int[]{1}), Map.of(77, new int[]{1, 2}))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SftGenerator.run(train, images, p, snap, settings(SEARCH, 0, 1), out, null));
            assertTrue(e.getMessage().startsWith("anchor "), e.getMessage());
            assertFalse(Files.exists(out));
        }
    }
}
