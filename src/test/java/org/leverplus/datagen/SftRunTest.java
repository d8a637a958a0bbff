package org.leverplus.datagen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.SftBeamData;
import org.leverplus.data.SftBeamEntry;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * File to file: the original's SFT format (keys, shapes, lossless round trip), the sidecar meta, crash + resume and
 * shard + merge giving the uninterrupted run's bytes, and bad inputs failing with the file and anchor named (or
 * skipped and counted with --skip-bad), nothing half-written.
 */
class SftRunTest {
    static final Path DATA = Path.of("src/test/resources/datagen").toAbsolutePath();
    @TempDir static Path tmp;
    static Path snap, pools;
    static SftInputs.Items items;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll static void setUp() throws Exception {
        TorchRuntime.init();
        snap = tmp.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 5, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        items = SftInputs.readItems(DATA.resolve("items.jsonl"));
        pools = tmp.resolve("pools.json");
        Files.writeString(pools, "{\"6\": [5, 1, 2, 3, 4], \"4\": [0, 1, 2, 3, 8], \"7\": [9, 8, 6, 2, 5], \"1\": [0, 2, 3, 9, 7]}");
    }

    static SftRun.Options options(Path pools, Path out, int limit, SftRun.Shard shard, boolean skipBad) {
        return new SftRun.Options(snap, pools, out, items, new BeamSearchSettings(2, 2, BeamSearchSettings.Order.LEFT, BeamSearchSettings.TopK.LARGEST),
                ModelOptions.defaults(), EngineOptions.defaults().withBatch(4096, 8), false, limit, shard, skipBad, false);
    }

    static Path single;

    static synchronized Path single() throws Exception {
        if (single == null) {
            single = tmp.resolve("single/sft.json");
            SftRun.Summary s = SftRun.run(options(pools, single, 0, SftRun.Shard.all(), false), null);
            assertEquals(4, s.anchors());
            assertTrue(s.tokensComputed() < s.promptTokens(), "the caches save work: " + s);
        }
        return single;
    }

    @Test void writesTheOriginalsFormatLosslessly() throws Exception {
        Path out = single();
        JsonNode root = JSON.readTree(out.toFile());
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("6", "4", "7", "1"), keys, "anchors in pools-file order");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            JsonNode a = root.get(k);
            List<String> fields = new ArrayList<>();
            a.fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("beams", "few_shot_num", "id_list", "score_list", "shot_scores"), fields, "exactly the original's keys");
            assertEquals(2, a.get("few_shot_num").asInt());
            assertEquals(2, a.get("beams").size());
            for (int b = 0; b < 2; b++) {
                JsonNode beam = a.get("beams").get(b);
                JsonNode ids = a.get("id_list").get(b);
                assertEquals(3, ids.size());
                assertEquals(Integer.parseInt(k), ids.get(2).asInt(), "the query last");
                // left order: prompt order = [c2, c1, q]; shots are chronological
                assertEquals(beam.get("shots").get(0).get("id").asInt(), ids.get(1).asInt());
                assertEquals(beam.get("shots").get(1).get("id").asInt(), ids.get(0).asInt());
                assertEquals(ids, beam.get("full_sequence"));
                assertEquals(beam.get("final_score").asDouble(), a.get("score_list").get(b).asDouble());
                assertEquals(beam.get("shots").get(1).get("score").asDouble(), a.get("shot_scores").get(b).get(1).asDouble());
            }
            assertTrue(a.get("score_list").get(0).asDouble() >= a.get("score_list").get(1).asDouble(), "beam-filter order, descending");
        }
        // the project's SFT reader reads it and writes back the same bytes
        SftBeamData d = SftBeamData.read(out);
        assertEquals(4, d.entries().size());
        SftBeamEntry e = d.entries().get(0);
        assertEquals(6, e.index());
        assertEquals(2, e.fewShotNum());
        Path back = tmp.resolve("roundtrip.json");
        d.write(back, false);
        assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(back));
        // the sidecar: snapshot hash and every setting; the journal is gone
        JsonNode meta = JSON.readTree(SftRun.metaPath(out).toFile());
        assertEquals(64, meta.at("/settings/snapshot/sha256").asText().length());
        assertEquals("left", meta.at("/settings/search/order").asText());
        assertEquals("largest", meta.at("/settings/search/per_beam_topk").asText());
        assertEquals(2, meta.at("/settings/search/beam_size").asInt());
        assertEquals(4, meta.get("anchors_written").asInt());
        assertFalse(Files.exists(SftJournal.pathFor(out)));
    }

    @Test void crashAndResumeGiveTheUninterruptedBytes() throws Exception {
        Path out = tmp.resolve("resume/sft.json");
        SftRun.crashAfterAnchors = 2;
        try {
            assertThrows(IllegalStateException.class, () -> SftRun.run(options(pools, out, 0, SftRun.Shard.all(), false), null));
        } finally {
            SftRun.crashAfterAnchors = -1;
        }
        assertFalse(Files.exists(out), "nothing written before the end");
        Path journal = SftJournal.pathFor(out);
        assertEquals(3, Files.readAllLines(journal).size(), "header + two anchors");
        // the process also died in the middle of writing the third line
        Files.write(journal, "{\"anchor\": 7, \"entry\": {\"beams\": [".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
        SftRun.Summary s = SftRun.run(options(pools, out, 0, SftRun.Shard.all(), false), null);
        assertEquals(2, s.resumed());
        assertArrayEquals(Files.readAllBytes(single()), Files.readAllBytes(out), "resumed run = uninterrupted run, byte for byte");
        // a journal from other settings is refused, not mixed in
        Path out2 = tmp.resolve("resume2/sft.json");
        SftRun.crashAfterAnchors = 1;
        try {
            assertThrows(IllegalStateException.class, () -> SftRun.run(options(pools, out2, 0, SftRun.Shard.all(), false), null));
        } finally {
            SftRun.crashAfterAnchors = -1;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftRun.run(options(pools, out2, 3, SftRun.Shard.all(), false), null));
        assertTrue(e.getMessage().contains("other settings"), e.getMessage());
    }

    @Test void shardsMergeIntoTheSingleRunsBytes() throws Exception {
        List<Path> parts = new ArrayList<>();
        for (int i = 1; i >= 0; i--) { // given out of order: merge sorts by the shard in the sidecars
            Path p = tmp.resolve("shards/sft." + i + ".json");
            SftRun.run(options(pools, p, 0, new SftRun.Shard(i, 2), false), null);
            parts.add(p);
        }
        Path merged = tmp.resolve("shards/merged.json");
        assertEquals(4, SftMerge.run(parts, merged, false));
        assertTrue(SftMerge.isSftFile(merged));
        assertArrayEquals(Files.readAllBytes(single()), Files.readAllBytes(merged), "merged shards = one run, byte for byte");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftMerge.run(parts.subList(0, 1), tmp.resolve("shards/x.json"), false));
        assertTrue(e.getMessage().contains("shard 0/2 is missing"), e.getMessage());
    }

    @Test void badAnchorsFailNamingFileAndAnchorOrAreSkippedAndCounted() throws Exception {
        Files.writeString(tmp.resolve("missing.jsonl"), Files.readString(DATA.resolve("items.jsonl")).replace("../org/leverplus/vlm/image/", DATA + "/../org/leverplus/vlm/image/")
                + "{\"id\": 10, \"image\": \"nope.png\", \"question\": \"Q?\", \"answer\": \"a\"}\n");
        SftInputs.Items withMissing = SftInputs.readItems(tmp.resolve("missing.jsonl"));
        String[][] cases = {
                {"{\"6\": [5, 1, 2, 3, 4], \"10\": [0, 1, 2, 3, 8]}", "anchor 10: image not found"},
                {"{\"6\": [5, 1, 2, 3, 4], \"4\": [0, 1, 4, 3, 8]}", "anchor 4: its pool names the anchor itself"},
                {"{\"6\": [5, 1, 2, 3, 4], \"4\": [0, 1, 99, 3, 8]}", "anchor 4: its pool names candidate 99, which is not in"},
                {"{\"6\": [5, 1, 2, 3, 4], \"4\": [0, 1, 1]}", "anchor 4: its pool has 2 distinct candidates but 2 beams of 2 shots need at least 3"},
        };
        for (int i = 0; i < cases.length; i++) {
            Path p = tmp.resolve("bad" + i + ".json");
            Files.writeString(p, cases[i][0]);
            Path out = tmp.resolve("bad/out" + i + ".json");
            SftRun.Options o = options(p, out, 0, SftRun.Shard.all(), false);
            o = new SftRun.Options(o.snapshot(), o.pools(), o.out(), withMissing, o.search(), o.model(), o.engine(), false, 0, o.shard(), false, false);
            SftRun.Options fo = o;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftRun.run(fo, null));
            assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains(cases[i][1]), e.getMessage());
            assertFalse(Files.exists(out) || Files.exists(SftJournal.pathFor(out)), "nothing written");
        }
        // with --skip-bad: counted, listed in the meta, absent from the output
        Path p = tmp.resolve("bad0.json");
        Path out = tmp.resolve("bad/skipped.json");
        SftRun.Options o = options(p, out, 0, SftRun.Shard.all(), true);
        o = new SftRun.Options(o.snapshot(), o.pools(), o.out(), withMissing, o.search(), o.model(), o.engine(), false, 0, o.shard(), true, false);
        SftRun.Summary s = SftRun.run(o, null);
        assertEquals(1, s.skipped());
        assertEquals(List.of("6"), List.copyOf(SftBeamData.read(out).entries().stream().map(SftBeamEntry::key).toList()));
        JsonNode meta = JSON.readTree(SftRun.metaPath(out).toFile());
        assertEquals(1, meta.get("anchors_skipped").asInt());
        assertEquals(10, meta.at("/skipped/0/anchor").asInt());
    }

    @Test void malformedInputsNameFileRecordAndField() throws Exception {
        Path items = tmp.resolve("items-bad.jsonl");
        Files.writeString(items, "{\"id\": 0, \"image\": \"a.png\", \"question\": \"Q?\", \"answer\": \"x\"}\n{\"id\": 1, \"image\": \"b.png\", \"answer\": \"y\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftInputs.readItems(items));
        assertEquals(items + ": line 2: \"question\": expected a string", e.getMessage());
        Path pools = tmp.resolve("pools-bad.json");
        Files.writeString(pools, "{\"3\": [1, 2], \"x\": [1]}");
        e = assertThrows(IllegalArgumentException.class, () -> SftInputs.readPools(pools));
        assertEquals(pools + ": anchor \"x\": expected an integer anchor id as key", e.getMessage());
        Files.writeString(pools, "{\"3\": [1, \"2\"]}");
        e = assertThrows(IllegalArgumentException.class, () -> SftInputs.readPools(pools));
        assertEquals(pools + ": anchor \"3\": [1]: expected a candidate id (integer >= 0) but found \"2\"", e.getMessage());
        Files.writeString(pools, "{\"3\": [1], \"3\": [2]}");
        e = assertThrows(IllegalArgumentException.class, () -> SftInputs.readPools(pools));
        assertTrue(e.getMessage().startsWith(pools + ": not a valid pools file: Duplicate field '3'"), e.getMessage());
    }
}
