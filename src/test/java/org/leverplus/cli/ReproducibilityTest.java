package org.leverplus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Identical inputs and seed give byte-identical outputs, also across JVMs (a {@code Map.of} iteration order, for one,
 * changes per JVM): the same pipeline (synthetic data + embeddings, filter, two training epochs with checkpoints and
 * state, selector scores, a tiny VLM snapshot and its scores) runs in two separate JVMs and every file is compared.
 */
class ReproducibilityTest {
    static final String[] PIPELINE = {
            "data", "make-synthetic", "--format", "k64", "--queries", "30", "--candidates", "6", "--pool", "200", "--dim", "16",
            "--out", "rl.json", "--embeddings-out", "emb.safetensors", ";;",
            "data", "filter", "rl.json", "--min-pos-ratio", "0", "--max-pos-ratio", "1", "--out", "filtered.json", ";;",
            "train", "--run-dir", "run", "--rl-data", "rl.json", "--embeddings", "emb.safetensors", "--hidden-dim", "8", "--rce-epochs", "2", ";;",
            "selector", "score", "--checkpoint", "run/rce_epoch2.safetensors", "--rl-data", "rl.json", "--embeddings", "emb.safetensors",
            "--shots", "1,2", "--out", "scores.jsonl", ";;",
            "vlm", "make-tiny", "--out", "tiny", "--layout", "new", ";;",
            "vlm", "generate", "--snapshot", Path.of("src/test/resources/vlm/tiny/snapshot-legacy").toAbsolutePath().toString(),
            "--requests", Path.of("src/test/resources/vlm/tiny/generate.jsonl").toAbsolutePath().toString(), "--out", "gen.jsonl"};

    @Test void twoJvmsWriteIdenticalBytes(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        run(a);
        run(b);
        Map<String, byte[]> fa = files(a), fb = files(b);
        assertEquals(fa.keySet(), fb.keySet());
        assertTrue(fa.keySet().containsAll(List.of("rl.json", "emb.safetensors", "filtered.json", "run/rce_epoch1.safetensors",
                "run/rce_epoch2.safetensors", "run/state.safetensors", "run/run.json", "run/metrics.jsonl", "scores.jsonl",
                "tiny/model.safetensors", "gen.jsonl")), fa.keySet().toString());
        for (String f : fa.keySet()) {
            if (f.equals("run/metrics.jsonl")) // the epoch records' wall-clock fields are the only bytes that may differ
                assertEquals(withoutTiming(fa.get(f)), withoutTiming(fb.get(f)), f + " differs between the two JVMs");
            else
                assertArrayEquals(fa.get(f), fb.get(f), f + " differs between the two JVMs");
        }
    }

    static void run(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                "-cp", absoluteClassPath(), CliScriptMain.class.getName()));
        cmd.addAll(List.of(PIPELINE));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("SOURCE_DATE_EPOCH", "1764806400"); // filter writes "filtered_at"
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }

    static String withoutTiming(byte[] jsonl) {
        return new String(jsonl, java.nio.charset.StandardCharsets.UTF_8)
                .replaceAll(",\"seconds\":[-0-9.Ee]+", "").replaceAll(",\"groups_per_s\":[-0-9.EeNaInfity]+", "");
    }

    static String absoluteClassPath() {
        List<String> parts = new ArrayList<>();
        for (String s : System.getProperty("java.class.path").split(java.io.File.pathSeparator))
            parts.add(Path.of(s).toAbsolutePath().toString());
        return String.join(java.io.File.pathSeparator, parts);
    }

    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator)
                m.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }
}
