package org.leverplus.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.io.JsonSupport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report opened in a real headless browser (Debian's chromium; .ci/run installs it where missing): every chart
 * draws pixels, no script error or console error. Skipped, with the reason printed, only where no browser exists.
 */
class HtmlReportBrowserTest {
    /** An eval.json as lever eval writes it (two methods, shots 1-4, zero-shot), with plausible numbers. */
    static Path evalJson(Path dir) throws Exception {
        ObjectNode o = JsonSupport.mapper().createObjectNode();
        o.put("format", "lever-eval/1");
        o.putObject("dataset").put("kind", "okvqa").put("data_dir", "/data/okvqa").put("train_size", 9009).put("val_size", 5046).put("questions", 800);
        ObjectNode s = o.putObject("settings");
        s.putArray("methods").add("selector").add("zero").add("random");
        s.putArray("shots").add(1).add(2).add(3).add(4);
        s.put("pool", "top-k 64").put("bootstrap_resamples", 10000).put("confidence_level", 0.95);
        o.put("reference", "selector");
        ArrayNode r = o.putArray("results"), c = o.putArray("comparisons");
        for (int k = 1; k <= 4; k++) {
            r.addObject().put("method", "selector").put("shots", k).put("accuracy", 48 + k * 0.3).put("mean", 48 + k * 0.3).put("ci_low", 46.1 + k * 0.3).put("ci_high", 50.2 + k * 0.3);
        }
        r.addObject().put("method", "zero").put("shots", 0).put("accuracy", 41.2).put("mean", 41.2).put("ci_low", 39.0).put("ci_high", 43.5);
        for (int k = 1; k <= 4; k++) {
            r.addObject().put("method", "random").put("shots", k).put("accuracy", 46 + k * 0.2).put("mean", 46 + k * 0.2).put("ci_low", 44 + k * 0.2).put("ci_high", 48 + k * 0.2);
            c.addObject().put("method", "random").put("shots", k).put("reference", "selector").put("reference_shots", k).put("mean_difference", -2.1)
                    .put("ci_low", -3.4).put("ci_high", -0.8).put("p_value", 0.002).put("questions", 800);
            c.addObject().put("method", "zero").put("shots", 0).put("reference", "selector").put("reference_shots", k).put("mean_difference", -7.0)
                    .put("ci_low", -8.9).put("ci_high", -5.1).put("p_value", 1e-4).put("questions", 800);
        }
        o.putArray("questions");
        Path p = dir.resolve("eval.json");
        JsonSupport.mapper().writeValue(p.toFile(), o);
        return p;
    }

    static Path runDir(Path dir) throws Exception {
        Path run = dir.resolve("run");
        Files.createDirectories(run);
        StringBuilder sb = new StringBuilder();
        for (int e = 1; e <= 3; e++) {
            for (int st = 0; st < 20; st++) sb.append(String.format(java.util.Locale.ROOT, "{\"phase\":\"rce\",\"epoch\":%d,\"step\":%d,\"type\":\"step\",\"loss\":%.4f}%n", e, st, 9 - e * 0.5 - st * 0.01));
            sb.append(String.format(java.util.Locale.ROOT, "{\"phase\":\"rce\",\"epoch\":%d,\"type\":\"epoch\",\"train_loss\":%.3f,\"val_loss\":%.3f}%n", e, 8.9 - e * 0.5, 9.0 - e * 0.3));
        }
        Files.writeString(run.resolve("metrics.jsonl"), sb);
        return run;
    }

    @Test void rendersItsChartsInHeadlessChromiumWithoutErrors(@TempDir Path dir) throws Exception {
        Path rl = dir.resolve("rl.json");
        SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 20, 6, 200, 3), rl, false);
        Path html = dir.resolve("report.html");
        HtmlReport.write(evalJson(dir), runDir(dir), rl, html, false);
        String page = Files.readString(html);
        assertFalse(Pattern.compile("<script[^>]*\\ssrc=|<link[^>]*href=|@import", Pattern.CASE_INSENSITIVE).matcher(page).find(), "self-contained: no external scripts or styles");
        assertTrue(page.contains("Chart.js v4.6.1") && page.contains("comparison-table") && page.contains("-2.10"));

        String browser = browser();
        Assumptions.assumeTrue(browser != null, () -> {
            System.out.println("HtmlReportBrowserTest skipped: no chromium, chromium-browser or google-chrome on PATH (.ci/run installs Debian's chromium)");
            return "no headless browser";
        });
        Path profile = Files.createDirectories(dir.resolve("profile"));
        List<String> cmd = new ArrayList<>(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                "--virtual-time-budget=10000", "--window-size=1200,2000", "--dump-dom", html.toUri().toString()));
        Path dom = dir.resolve("dom.html"), err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(dom.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s: " + Files.readString(err));
        }
        String out = Files.readString(dom, StandardCharsets.UTF_8), log = Files.readString(err, StandardCharsets.UTF_8);
        Matcher body = Pattern.compile("<body([^>]*)>").matcher(out);
        assertTrue(body.find(), "no <body> in chromium's DOM dump; stderr:\n" + log);
        String attrs = body.group(1);
        assertEquals("4", attr(attrs, "data-charts"), attrs + "\n" + log);
        assertEquals("4", attr(attrs, "data-rendered"), "every chart drew pixels: " + attrs);
        assertEquals("", attr(attrs, "data-errors"), "no script or console errors");
        for (String line : log.split("\n"))
            assertFalse(line.contains("CONSOLE") && (line.contains("Error") || line.contains("Uncaught")), "console: " + line);
    }

    @Test void refusesFilesThatAreNotAnEvaluation(@TempDir Path dir) throws Exception {
        Path bogus = dir.resolve("x.json");
        Files.writeString(bogus, "{\"results\": []}");
        assertThrows(IllegalArgumentException.class, () -> HtmlReport.render(bogus, null, null));
        Path ev = evalJson(dir);
        Path noMetrics = Files.createDirectories(dir.resolve("empty-run"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> HtmlReport.render(ev, noMetrics, null));
    }

    static String attr(String attrs, String name) {
        Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(attrs);
        return m.find() ? m.group(1) : null;
    }

    static String browser() {
        for (String b : new String[]{"chromium", "chromium-browser", "google-chrome"})
            for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
                if (Files.isExecutable(Path.of(d, b))) return Path.of(d, b).toString();
        return null;
    }
}
