package org.leverplus.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.RlStats;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes {@code report.html} from an evaluation's {@code eval.json}, optionally a training run directory (its
 * {@code metrics.jsonl}: step losses and per-epoch train/val losses) and an RL data file (its {@code lever data stats}
 * summary). The file is self-contained: Chart.js (MIT, vendored from npm {@code chart.js}, licence in the resources
 * next to it) and the data are inlined, so it opens without a network. Tables are rendered here; charts in the page.
 *
 * <p>The page records its own health on {@code <body>}: {@code data-charts} (charts it meant to draw),
 * {@code data-rendered} (charts whose canvas holds drawn pixels) and {@code data-errors} (script errors and
 * {@code console.error} messages, also shown in a red banner), which the browser test reads.
 */
public final class HtmlReport {
    static final String CHART_JS = "chart.umd.min.js", CHART_JS_VERSION = "4.6.1";

    private HtmlReport() {}

    /** Renders the report into {@code out} (atomically). */
    public static void write(Path evalJson, Path runDir, Path rlData, Path out, boolean overwrite) throws IOException {
        AtomicOutput.writeBytes(out, render(evalJson, runDir, rlData).getBytes(StandardCharsets.UTF_8), overwrite);
    }

    /** The report's HTML. */
    public static String render(Path evalJson, Path runDir, Path rlData) throws IOException {
        if (!Files.isRegularFile(evalJson)) throw new NoSuchFileException(evalJson.toString(), null, "no such eval.json");
        JsonNode ev = JsonSupport.mapper().readTree(evalJson.toFile());
        if (ev == null || !"lever-eval/1".equals(ev.path("format").asText()))
            throw new IllegalArgumentException(evalJson + ": not an eval.json written by lever eval (format lever-eval/1)");
        ObjectNode data = JsonSupport.mapper().createObjectNode();
        data.set("results", ev.get("results"));
        data.set("settings", ev.get("settings"));
        data.put("reference", ev.path("reference").asText());
        if (runDir != null) data.set("training", training(runDir));
        JsonNode stats = null;
        if (rlData != null) {
            stats = RlStats.of(rlData).toJson();
            data.set("rl_stats", stats);
        }

        StringBuilder h = new StringBuilder(300_000);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Lever evaluation</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
                .append("th{background:#f3f3f3}td.l,th.l{text-align:left}.sig{font-weight:bold}.chart{position:relative;height:380px;margin:1em 0}")
                .append("#errors{display:none;background:#fdd;border:1px solid #c00;padding:.5em;white-space:pre-wrap}pre{background:#f7f7f7;padding:.5em}")
                .append("\n</style>\n<script>\nwindow.__leverErrors=[];")
                .append("window.addEventListener('error',function(e){window.__leverErrors.push(String(e.message||e));});")
                .append("(function(){var ce=console.error;console.error=function(){window.__leverErrors.push(Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};})();\n</script>\n")
                .append("<script>\n/* Chart.js v").append(CHART_JS_VERSION).append(" (MIT License, https://www.chartjs.org) */\n")
                .append(resource(CHART_JS).replace("</script", "<\\/script")).append("\n</script>\n</head>\n<body>\n")
                .append("<div id=\"errors\"></div>\n<h1>Lever evaluation</h1>\n");

        JsonNode ds = ev.path("dataset");
        h.append("<p>").append(esc(ds.path("kind").asText())).append(": the first ").append(ds.path("questions").asInt())
                .append(" validation questions (question_id order), ICDs from ").append(ds.path("train_size").asInt())
                .append(" training items. Official VQA accuracy (%), ").append(pct(ev.path("settings").path("confidence_level").asDouble(0.95)))
                .append(" percentile bootstrap intervals (").append(ev.path("settings").path("bootstrap_resamples").asInt())
                .append(" resamples of the questions), selector pool: ").append(esc(ev.path("settings").path("pool").asText())).append(".</p>\n");

        h.append("<h2>Accuracy by number of shots</h2>\n<div class=\"chart\"><canvas id=\"acc\"></canvas></div>\n");
        accuracyTable(h, ev);
        h.append("<h2>Paired differences against ").append(esc(ev.path("reference").asText())).append("</h2>\n");
        comparisonTable(h, ev);
        if (runDir != null) {
            h.append("<h2>Training (").append(esc(runDir.toString())).append(")</h2>\n")
                    .append("<div class=\"chart\"><canvas id=\"steps\"></canvas></div>\n<div class=\"chart\"><canvas id=\"epochs\"></canvas></div>\n");
        }
        if (stats != null) {
            h.append("<h2>RL data (").append(esc(rlData.toString())).append(")</h2>\n<pre>").append(esc(RlStats.of(rlData).toTable())).append("</pre>\n")
                    .append("<div class=\"chart\"><canvas id=\"rewards\"></canvas></div>\n");
        }
        h.append("<script type=\"application/json\" id=\"report-data\">")
                .append(JsonSupport.mapper().writeValueAsString(data).replace("</", "<\\/")).append("</script>\n<script>\n")
                .append(resource("report.js")).append("\n</script>\n</body></html>\n");
        return h.toString();
    }

    /** Step and epoch records of a run's metrics.jsonl. */
    static ArrayNode training(Path runDir) throws IOException {
        Path m = runDir.resolve("metrics.jsonl");
        if (!Files.isRegularFile(m)) throw new NoSuchFileException(m.toString(), null, "the run directory has no metrics.jsonl");
        ArrayNode out = JsonSupport.mapper().createArrayNode();
        int line = 0;
        try (BufferedReader r = Files.newBufferedReader(m)) {
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) continue;
                JsonNode n;
                try {
                    n = JsonSupport.mapper().readTree(s);
                } catch (IOException e) {
                    throw new IllegalArgumentException(m + " line " + line + ": not valid JSON");
                }
                ObjectNode o = out.addObject();
                for (String f : new String[]{"type", "phase", "epoch", "step", "loss", "train_loss", "val_loss"})
                    if (n.has(f)) o.set(f, n.get(f));
            }
        }
        return out;
    }

    /** Methods as rows, shot counts as columns: accuracy and its 95 % interval (zero-shot in its own column). */
    private static void accuracyTable(StringBuilder h, JsonNode ev) {
        java.util.TreeSet<Integer> shots = new java.util.TreeSet<>();
        java.util.LinkedHashMap<String, java.util.Map<Integer, JsonNode>> byMethod = new java.util.LinkedHashMap<>();
        for (JsonNode r : ev.path("results")) {
            shots.add(r.path("shots").asInt());
            byMethod.computeIfAbsent(r.path("method").asText(), k -> new java.util.HashMap<>()).put(r.path("shots").asInt(), r);
        }
        h.append("<table id=\"accuracy-table\"><tr><th class=\"l\">method</th>");
        for (int k : shots) h.append("<th>").append(k).append(k == 1 ? " shot" : " shots").append("</th>");
        h.append("</tr>\n");
        for (var e : byMethod.entrySet()) {
            h.append("<tr><td class=\"l\">").append(esc(e.getKey())).append("</td>");
            for (int k : shots) {
                JsonNode r = e.getValue().get(k);
                h.append("<td>");
                if (r != null) h.append(f2(r.path("accuracy").asDouble())).append(" <small>[").append(f2(r.path("ci_low").asDouble()))
                        .append(", ").append(f2(r.path("ci_high").asDouble())).append("]</small>");
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private static void comparisonTable(StringBuilder h, JsonNode ev) {
        if (ev.path("comparisons").isEmpty()) {
            h.append("<p>Only one method was evaluated.</p>\n");
            return;
        }
        h.append("<p>Difference = method − ").append(esc(ev.path("reference").asText()))
                .append(" on the same questions (points); interval: paired bootstrap; p: two-sided paired permutation (sign-flip) test")
                .append("; bold where the interval excludes 0.</p>\n<table id=\"comparison-table\"><tr><th class=\"l\">method</th><th>shots</th><th>vs</th>")
                .append("<th>difference</th><th>95% CI</th><th>p</th></tr>\n");
        for (JsonNode c : ev.path("comparisons")) {
            boolean sig = c.path("ci_low").asDouble() > 0 || c.path("ci_high").asDouble() < 0;
            h.append("<tr").append(sig ? " class=\"sig\"" : "").append("><td class=\"l\">").append(esc(c.path("method").asText()))
                    .append("</td><td>").append(c.path("shots").asInt()).append("</td><td>").append(esc(c.path("reference").asText()))
                    .append("@").append(c.path("reference_shots").asInt()).append("</td><td>").append(String.format(Locale.ROOT, "%+.2f", c.path("mean_difference").asDouble()))
                    .append("</td><td>[").append(String.format(Locale.ROOT, "%+.2f, %+.2f", c.path("ci_low").asDouble(), c.path("ci_high").asDouble()))
                    .append("]</td><td>").append(String.format(Locale.ROOT, "%.3g", c.path("p_value").asDouble())).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    static String resource(String name) throws IOException {
        try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("report resource " + name + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String f2(double v) { return String.format(Locale.ROOT, "%.2f", v); }

    private static String pct(double level) { return String.format(Locale.ROOT, "%.0f%%", 100 * level); }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
