package org.leverplus.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.cli.LeverCli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The CI smoke test of {@code lever demo --quick}: every stage runs and the report has every method and shot. */
class DemoCommandTest {
    @Test
    void quickDemoRunsEveryStageAndReportsEveryMethodAndShot(@TempDir Path dir) throws Exception {
        assertEquals(0, LeverCli.commandLine().execute("demo", "--quick", "--dir", dir.toString()));
        Path eval = dir.resolve("run/07-eval");
        assertTrue(Files.exists(eval.resolve("report.html")), "report written");
        JsonNode e = new ObjectMapper().readTree(eval.resolve("eval.json").toFile());
        Set<String> cells = new HashSet<>();
        for (JsonNode r : e.get("results")) cells.add(r.get("method").asText() + "@" + r.get("shots").asInt());
        for (String m : List.of("selector", "random", "i2i", "t2t"))
            for (int k : new int[]{1, 2}) assertTrue(cells.contains(m + "@" + k), m + "@" + k + " in " + cells);
        assertTrue(cells.contains("zero@0"), cells.toString());
        String html = Files.readString(eval.resolve("report.html"));
        assertTrue(html.contains("selector") && html.contains("zero"), "the report's table names the methods");
    }
}
