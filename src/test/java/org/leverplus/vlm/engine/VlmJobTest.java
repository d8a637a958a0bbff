package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.vlm.model.ModelOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A range of requests gives the same lines whatever the job computed before (what distributed runs rely on). */
class VlmJobTest {
    static final Path TINY = Path.of("src/test/resources/vlm/tiny");
    @TempDir Path dir;

    /** {@code copies} copies of the fixture requests; copy c > 0 changes the text after the system prompt. */
    Path requests(int copies) throws Exception {
        Files.copy(TINY.resolve("goldens.safetensors"), dir.resolve("goldens.safetensors"));
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (String l : Files.readAllLines(TINY.resolve("requests.jsonl"))) {
                if (l.isBlank()) continue;
                ObjectNode r = (ObjectNode) json.readTree(l);
                r.put("id", r.get("id").asText() + "-" + c);
                ArrayNode ids = (ArrayNode) r.get("input_ids");
                for (int i = 8; i < ids.size() && c > 0; i++) {
                    int t = ids.get(i).asInt();
                    if (t < 2000) ids.set(i, 10 + (t - 10 + 37 * c + i) % 1980);
                }
                out.add(json.writeValueAsString(r));
            }
        }
        Path p = dir.resolve("requests.jsonl");
        Files.write(p, out);
        return p;
    }

    /**
     * On the 3B-shaped bench preset (hidden 256: float sums long enough to round differently), a range computed after
     * another equals the same range computed first. Without {@link VlmEngine#resetPromptState} the images were
     * numbered in the order the first range met them, the prompts were sorted and batched differently, and lines of
     * the second range differed in the 5th-6th significant digit.
     */
    @Test
    void aRangeDoesNotDependOnTheRangesBeforeIt() throws Exception {
        Path req = requests(40);
        Path snap = dir.resolve("bench");
        org.leverplus.vlm.model.TinySnapshotWriter.write(snap, org.leverplus.vlm.model.TinySnapshotWriter.bench(),
                org.leverplus.vlm.model.TinySnapshotWriter.Layout.NEW, 1234, null);
        VlmRun.Settings s = new VlmRun.Settings(ModelOptions.defaults(), EngineOptions.defaults(), 6, false);
        List<String> after, fresh = new ArrayList<>();
        try (VlmJob job = VlmJob.open(VlmJob.Kind.SCORE, snap, req, s, null)) {
            assertEquals(120, job.size());
            after = new ArrayList<>(job.lines(0, 64));
            after.addAll(job.lines(64, 120));
        }
        try (VlmJob job = VlmJob.open(VlmJob.Kind.SCORE, snap, req, s, null)) {
            fresh.addAll(job.lines(64, 120));
        }
        assertEquals(fresh, after.subList(64, 120));
    }
}
