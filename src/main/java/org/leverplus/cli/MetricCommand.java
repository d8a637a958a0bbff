package org.leverplus.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.JsonSupport;
import org.leverplus.metric.VqaAccuracy;
import org.leverplus.metric.VqaEvaluation;
import org.leverplus.metric.VqaJsonl;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lever metric}: evaluation metrics. */
@Command(name = "metric", mixinStandardHelpOptions = true, description = "Evaluation metrics (the official VQAv2 accuracy).",
        subcommands = {MetricCommand.Vqa.class})
final class MetricCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        LeverCli.missingSubcommand(spec);
    }

    @Command(name = "vqa", mixinStandardHelpOptions = true, description = {
            "The official VQAv2 accuracy.",
            "Per line: JSONL {\"pred\": \"...\", \"gts\": [10 answers]} on standard input or --in; one accuracy per line.",
            "Whole file: --results R.json --questions Q.json --annotations A.json (overall, per answer type, per question type)."})
    static final class Vqa implements Callable<Integer> {
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--in", description = "JSONL input file (default: standard input).") Path in;

        @ArgGroup(exclusive = false) Files3 files;

        static final class Files3 {
            @Option(names = "--results", required = true, description = "Results JSON: [{\"question_id\": q, \"answer\": \"...\"}].") Path results;
            @Option(names = "--questions", required = true, description = "Official questions JSON.") Path questions;
            @Option(names = "--annotations", required = true, description = "Official annotations JSON.") Path annotations;
        }

        @Option(names = "--json", description = "Whole-file mode: print JSON instead of a table.") boolean json;

        @Option(names = "--leverplus-normalization", description = "Compatibility: normalise even when all human answers agree (Lever-Plus's metric), not the official rule.")
        boolean leverPlus;

        @Override public Integer call() throws Exception {
            VqaAccuracy metric = leverPlus ? VqaAccuracy.leverPlus() : VqaAccuracy.official();
            PrintWriter out = spec.commandLine().getOut();
            if (files == null) {
                if (json) throw new IllegalArgumentException("--json applies to the whole-file mode (--results/--questions/--annotations)");
                try (BufferedReader r = in == null
                        ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                        : new BufferedReader(new InputStreamReader(org.leverplus.io.Inputs.open(in, "JSONL file (--in)"), StandardCharsets.UTF_8))) {
                    VqaJsonl.score(r, out, metric, in == null ? "<stdin>" : in.toString());
                } finally {
                    out.flush();
                }
                return 0;
            }
            if (in != null) throw new IllegalArgumentException("--in is for the per-line mode; do not combine it with --results");
            org.leverplus.io.Inputs.requireFile(files.results, "results JSON file (--results)");
            org.leverplus.io.Inputs.requireFile(files.questions, "questions JSON file (--questions)");
            org.leverplus.io.Inputs.requireFile(files.annotations, "annotations JSON file (--annotations)");
            VqaEvaluation.Result res = new VqaEvaluation(metric).evaluate(files.results, files.questions, files.annotations);
            if (json) {
                ObjectNode o = JsonSupport.mapper().createObjectNode();
                o.put("overall", res.overall());
                o.put("questions", res.questions());
                ObjectNode at = o.putObject("per_answer_type");
                res.perAnswerType().forEach(at::put);
                ObjectNode qt = o.putObject("per_question_type");
                res.perQuestionType().forEach(qt::put);
                out.println(JsonSupport.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
            } else {
                out.printf(Locale.ROOT, "%-32s %7.2f   (%d questions)%n", "overall", res.overall(), res.questions());
                out.println("per answer type");
                for (Map.Entry<String, Double> e : res.perAnswerType().entrySet())
                    out.printf(Locale.ROOT, "  %-30s %7.2f%n", e.getKey(), e.getValue());
                out.println("per question type");
                for (Map.Entry<String, Double> e : res.perQuestionType().entrySet())
                    out.printf(Locale.ROOT, "  %-30s %7.2f%n", e.getKey(), e.getValue());
            }
            out.flush();
            return 0;
        }
    }
}
