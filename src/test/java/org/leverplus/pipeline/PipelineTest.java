package org.leverplus.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The pipeline engine with three small stages: skip and rerun logic, resume, --from/--until/--dry-run, locking. */
class PipelineTest {
    @TempDir Path dir;
    final Map<String, Integer> runs = new HashMap<>();
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
    /** Stage "b" fails after writing its journal while this is set (an interrupted stage). */
    boolean failB;

    /** A stage that appends its settings (and its input's content) to upstream content, journaling in two steps. */
    final class Fake implements Stage {
        final String name, section, upstream;
        Fake(String name, String section, String upstream) { this.name = name; this.section = section; this.upstream = upstream; }
        @Override public String name() { return name; }
        @Override public List<String> dependsOn() { return upstream == null ? List.of() : List.of(upstream); }
        @Override public JsonNode settings(PipelineConfig c) { return c.section(section); }
        @Override public Map<String, Path> inputs(PipelineConfig c) {
            Map<String, Path> m = new HashMap<>();
            if (upstream == null) m.put("embed.selector_train", c.path("embed", "selector_train"));
            return m;
        }
        @Override public void run(StageContext ctx) throws Exception {
            runs.merge(name, 1, Integer::sum);
            String in = upstream == null ? Files.readString(ctx.config().path("embed", "selector_train"))
                    : Files.readString(ctx.dirOf(upstream).resolve("out.txt"));
            Path journal = ctx.dir().resolve(".journal");
            if (!Files.exists(journal)) {
                Files.writeString(journal, "half\n");
                if (name.equals("b") && failB) throw new IllegalStateException("killed");
            } else runs.merge(name + "-resumed", 1, Integer::sum);
            Files.writeString(ctx.dir().resolve("out.txt"), in + "|" + name + ":" + ctx.config().section(section));
        }
    }

    Path config(String extra) throws Exception {
        Files.writeString(dir.resolve("q.json"), "{\"questions\": []}");
        Path p = dir.resolve("pipeline.yaml");
        Files.writeString(p, "run_dir: run\nembed:\n  selector_train: q.json\nvlm:\n  snapshot: snap\n" + extra);
        return p;
    }

    Pipeline pipeline(Path cfg) throws Exception {
        return new Pipeline(PipelineConfig.read(cfg), List.of(new Fake("a", "sample", null), new Fake("b", "sft_data", "a"),
                new Fake("c", "train", "b")));
    }

    String log() { return logBytes.toString(StandardCharsets.UTF_8); }

    @Test
    void doneStagesAreSkippedAndAChangedSettingRerunsItsStageAndDownstream() throws Exception {
        Path cfg = config("");
        pipeline(cfg).run(null, null, false, log);
        assertEquals(Map.of("a", 1, "b", 1, "c", 1), runs);
        String out1 = Files.readString(dir.resolve("run/03-c/out.txt"));
        assertTrue(out1.contains("\"beam_size\":5") && out1.contains("\"rce_epochs\":5"), "defaults reach the stages: " + out1);
        pipeline(cfg).run(null, null, false, log);
        assertEquals(Map.of("a", 1, "b", 1, "c", 1), runs, "second run: everything done");
        assertTrue(log().contains("[a] skip: done"));
        for (Pipeline.Status s : pipeline(cfg).status()) assertEquals(Pipeline.State.DONE, s.state());

        config("sft_data:\n  beam_size: 3\n");
        List<Pipeline.Status> st = pipeline(cfg).status();
        assertEquals(Pipeline.State.DONE, st.get(0).state());
        assertEquals(Pipeline.State.STALE, st.get(1).state());
        assertTrue(st.get(1).reason().contains("beam_size") && st.get(1).reason().contains("5 -> 3"), st.get(1).reason());
        assertEquals(Pipeline.State.STALE, st.get(2).state());
        assertTrue(st.get(2).reason().contains("upstream b"), st.get(2).reason());
        pipeline(cfg).run(null, null, false, log);
        assertEquals(Map.of("a", 1, "b", 2, "c", 2), runs);

        Files.writeString(dir.resolve("q.json"), "{\"questions\": [1]}");
        String why = pipeline(cfg).status().get(0).reason();
        assertTrue(why.contains("input embed.selector_train changed"), why);
        pipeline(cfg).run(null, null, false, log);
        assertEquals(Map.of("a", 2, "b", 3, "c", 3), runs);
    }

    @Test
    void anInterruptedStageResumesAndEndsLikeAnUninterruptedRun() throws Exception {
        Path cfg = config("");
        pipeline(cfg).run(null, null, false, log);
        byte[] want = Files.readAllBytes(dir.resolve("run/03-c/out.txt"));
        String wantManifest = Files.readString(dir.resolve("run/03-c/manifest.json"));
        // start over in a fresh run directory, killed in the middle of b
        Files.writeString(cfg, Files.readString(cfg).replace("run_dir: run", "run_dir: run2"));
        failB = true;
        assertThrows(IllegalStateException.class, () -> pipeline(cfg).run(null, null, false, log));
        assertEquals(Pipeline.State.INTERRUPTED, pipeline(cfg).status().get(1).state());
        assertTrue(pipeline(cfg).status().get(1).reason().contains("resumes"));
        failB = false;
        pipeline(cfg).run(null, null, false, log);
        assertEquals(1, runs.get("b-resumed"), "b resumed through its journal");
        assertArrayEquals(want, Files.readAllBytes(dir.resolve("run2/03-c/out.txt")));
        assertEquals(Hashes.outputs(dir.resolve("run/03-c")), Hashes.outputs(dir.resolve("run2/03-c")));
        assertTrue(wantManifest.contains("\"outputs_sha256\""));
    }

    @Test
    void fromUntilAndDryRun() throws Exception {
        Path cfg = config("");
        pipeline(cfg).run(null, "a", false, log);
        assertEquals(Map.of("a", 1), runs);
        pipeline(cfg).run(null, null, true, log);
        assertEquals(Map.of("a", 1), runs, "a dry run runs nothing");
        assertTrue(log().contains("[a] would skip: done") && log().contains("[b] would run: not run yet")
                && log().contains("[c] would run: upstream b is pending"), log());
        pipeline(cfg).run(null, null, false, log);
        pipeline(cfg).run("b", null, false, log);
        assertEquals(Map.of("a", 1, "b", 2, "c", 2), runs, "--from b reruns b and c, not a");
        assertThrows(IllegalArgumentException.class, () -> pipeline(cfg).run("zz", null, false, log));
        assertThrows(IllegalArgumentException.class, () -> pipeline(cfg).run("c", "a", false, log));
    }

    @Test
    void aSecondRunOnTheSameDirectoryIsRefused() throws Exception {
        Path cfg = config("");
        Files.createDirectories(dir.resolve("run"));
        try (FileChannel ch = FileChannel.open(dir.resolve("run/.pipeline.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = ch.lock(); // as another `lever pipeline run` holds it
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> pipeline(cfg).run(null, null, false, log));
                assertTrue(e.getMessage().contains("in use by another `lever pipeline run`"), e.getMessage());
            } finally {
                lock.release();
            }
        }
        assertTrue(runs.isEmpty());
    }

    @Test
    void configErrorsNameTheKeyAndLine() throws Exception {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("sample:\n  anchor: 3\n", "line 7: sample.anchor is not a setting of sample");
        cases.put("sample:\n  anchors: many\n", "line 7: sample.anchors must be a whole number, not the string 'many'");
        cases.put("samples:\n  anchors: 3\n", "line 6: samples is not a section");
        cases.put("eval:\n  shots: [1, 2, 100]\n", "line 7: eval.shots must lie between 1 and sample.candidates (64), found 100");
        cases.put("train:\n  rce_epochs: 0\n", "line 7: train.rce_epochs and train.grpo_epochs are both 0");
        cases.put("rl_data:\n  min_pos_ratio: 0.7\n", "line 7: rl_data.min_pos_ratio and max_pos_ratio must satisfy");
        cases.put("eval:\n  methods: [selector, oracle]\n", "eval.methods has unknown method 'oracle'");
        cases.put("rl_data:\n  mode: fancy\n", "line 7: rl_data.mode must be standard or balanced, not 'fancy'");
        cases.put("rl_data:\n  mode: balanced\n  shots: 3\n", "rl_data.shots must be 2 with rl_data.mode balanced");
        cases.put("sample:\n  sampler: fancy\n", "sample.sampler must be one of rand, text, img, mix");
        cases.put("vlm:\n  dtype: fp8\n", "");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path p = config(c.getKey());
            Exception e = assertThrows(Exception.class, () -> PipelineConfig.read(p), c.getKey());
            assertTrue(e.getMessage().contains(c.getValue()) && e.getMessage().startsWith(p.toString()), c.getKey() + " -> " + e.getMessage());
        }
        Files.writeString(dir.resolve("bad.yaml"), "run_dir: [unclosed\n");
        Exception e = assertThrows(IllegalArgumentException.class, () -> PipelineConfig.read(dir.resolve("bad.yaml")));
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
        Path missingInput = config("");
        Files.delete(dir.resolve("q.json"));
        Exception m = assertThrows(IllegalArgumentException.class, () -> pipeline(missingInput).status());
        assertTrue(m.getMessage().contains("line 3: embed.selector_train names ") && m.getMessage().contains("does not exist"), m.getMessage());
        assertNotNull(new ArrayList<>(List.of(1)));
    }

    @Test
    void theExamplePipelinesParse() throws Exception {
        for (String f : List.of("okvqa.yaml", "vqav2.yaml")) {
            PipelineConfig c = PipelineConfig.read(Path.of("docs/pipelines", f));
            assertEquals(5, c.integer("train", "rce_epochs"));
            assertEquals(0, c.integer("train", "grpo_epochs"));
            assertEquals(List.of(1L, 2L, 3L, 4L), c.integers("eval", "shots"));
        }
    }
}
