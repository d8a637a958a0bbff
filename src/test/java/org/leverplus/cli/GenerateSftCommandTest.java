package org.leverplus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code lever generate sft} and {@code lever data merge} on SFT shards: exit codes, outputs, one-line errors. */
class GenerateSftCommandTest {
    static final Path DATA = Path.of("src/test/resources/datagen");

    @Test void generatesShardsMergesAndReportsBadInputInOneLine(@TempDir Path tmp) throws Exception {
        Path snap = tmp.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        String[] common = {"generate", "sft", "--snapshot", snap.toString(), "--items", DATA.resolve("items.jsonl").toString(),
                "--pools", DATA.resolve("pools.json").toString(), "--beam-size", "2", "--limit", "2", "--order", "right", "--per-beam-topk", "smallest"};
        Path one = tmp.resolve("sft.json");
        LeverCliTest.Run r = LeverCliTest.run(concat(common, "--out", one.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(tmp.resolve("sft.meta.json")));
        assertTrue(Files.readString(tmp.resolve("sft.meta.json")).contains("\"per_beam_topk\" : \"smallest\""));
        for (int i = 0; i < 2; i++) assertEquals(0, LeverCliTest.run(concat(common, "--out", tmp.resolve("s" + i + ".json").toString(), "--shard", i + "/2")).code());
        Path merged = tmp.resolve("merged.json");
        r = LeverCliTest.run("data", "merge", tmp.resolve("s1.json").toString(), tmp.resolve("s0.json").toString(), "--out", merged.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(merged));
        // bad input: one line naming the pools file and the anchor, exit 1, no output
        Path pools = tmp.resolve("self.json");
        Files.writeString(pools, "{\"0\": [0, 1, 2, 3]}");
        r = LeverCliTest.run("generate", "sft", "--snapshot", snap.toString(), "--items", DATA.resolve("items.jsonl").toString(),
                "--pools", pools.toString(), "--out", tmp.resolve("bad.json").toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().startsWith("lever: error: " + pools + ": anchor 0: its pool names the anchor itself"), r.err());
        assertTrue(!Files.exists(tmp.resolve("bad.json")));
        r = LeverCliTest.run(concat(common, "--out", one.toString(), "--shard", "2/2"));
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("--shard"), r.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
