package org.leverplus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code lever vlm make-tiny | score | generate}: exit codes, outputs, refusal to overwrite, bad options. */
class VlmEngineCommandsTest {
    static final Path TINY = Path.of("src/test/resources/vlm/tiny");

    @Test void scoreAndGenerateOnTheFixture(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("s.jsonl");
        String[] score = {"vlm", "score", "--snapshot", TINY.resolve("snapshot-new").toString(), "--requests",
                TINY.resolve("requests.jsonl").toString(), "--out", out.toString()};
        LeverCliTest.Run r = LeverCliTest.run(score);
        assertEquals(0, r.code(), r.err());
        assertEquals(3, Files.readAllLines(out).size());
        r = LeverCliTest.run(score);
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("exists"), r.err());
        Path gen = tmp.resolve("g.jsonl");
        r = LeverCliTest.run("vlm", "generate", "--snapshot", TINY.resolve("snapshot-legacy").toString(), "--requests",
                TINY.resolve("generate.jsonl").toString(), "--out", gen.toString(), "--num-beams", "1", "--max-new-tokens", "6");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(gen).contains("\"tokens\":[1639,1430,1430,1430,1430,347]"), Files.readString(gen));
    }

    @Test void makeTinyWritesALoadableSnapshotAndChecksOptions(@TempDir Path tmp) throws Exception {
        Path snap = tmp.resolve("tiny");
        assertEquals(0, LeverCliTest.run("vlm", "make-tiny", "--out", snap.toString(), "--layout", "new").code());
        assertTrue(Files.isRegularFile(snap.resolve("model.safetensors")) && Files.isRegularFile(snap.resolve("config.json")));
        assertEquals(LeverCli.EXIT_FAILURE, LeverCliTest.run("vlm", "make-tiny", "--out", snap.toString()).code(), "non-empty directory");
        LeverCliTest.Run bad = LeverCliTest.run("vlm", "make-tiny", "--out", tmp.resolve("x").toString(), "--layout", "sideways");
        assertEquals(LeverCli.EXIT_FAILURE, bad.code());
        assertTrue(bad.err().contains("--layout"), bad.err());
    }
}
