package org.leverplus.cli;

import org.leverplus.report.HtmlReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code lever report}: regenerate the HTML report from existing files. */
@Command(name = "report", description = "Write the self-contained HTML report from an eval.json (plus optional training run and RL data).")
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--eval", required = true, description = "eval.json written by lever eval.") Path eval;
    @Option(names = "--run-dir", description = "A training run directory (metrics.jsonl): loss curves.") Path runDir;
    @Option(names = "--rl-data", description = "An RL data file: its lever data stats summary.") Path rlData;
    @Option(names = "--out", required = true, description = "The HTML file to write.") Path out;
    @Option(names = "--overwrite", description = "Replace an existing file.") boolean overwrite;

    @Override public Integer call() throws Exception {
        HtmlReport.write(eval, runDir, rlData, out, overwrite);
        spec.commandLine().getOut().println("wrote " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
