package org.leverplus.cli;

import org.leverplus.pipeline.Pipeline;
import org.leverplus.pipeline.PipelineConfig;
import org.leverplus.pipeline.PipelineStages;
import org.leverplus.pipeline.ProcessRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code lever pipeline}: every stage from one YAML file (docs/pipeline.md). */
@Command(name = "pipeline", description = "Run every stage from one YAML file, skipping what is done (see docs/pipeline.md).",
        subcommands = {PipelineCommand.Run.class, PipelineCommand.Status.class})
final class PipelineCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** The standard stages, each running its lever command in a process of its own ({@link ProcessRunner}). */
    static Pipeline pipeline(Path file) throws Exception {
        PipelineConfig c = PipelineConfig.read(file);
        CommandLine root = LeverCli.commandLine();
        boolean rl = root.getSubcommands().get("generate").getSubcommands().containsKey("rl");
        return new Pipeline(c, PipelineStages.standard(new ProcessRunner(LeverCli.class.getName()), rl));
    }

    @Command(name = "run", description = "Run the stages that are not done (a stage whose manifest matches is skipped).")
    static final class Run implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "PIPELINE.yaml", description = "The pipeline file (docs/pipeline.md).") Path file;
        @Option(names = "--from", description = "Rerun this stage and every later one, even when done.") String from;
        @Option(names = "--until", description = "Stop after this stage.") String until;
        @Option(names = "--dry-run", description = "Print what would run and why; run nothing.") boolean dryRun;

        @Override public Integer call() throws Exception {
            List<Pipeline.Status> st = pipeline(file).run(from, until, dryRun, System.out);
            if (!dryRun) System.out.println("pipeline: " + st.size() + " stages done");
            return 0;
        }
    }

    @Command(name = "status", description = "Each stage: done / stale / interrupted / pending, with why and when.")
    static final class Status implements Callable<Integer> {
        @Parameters(paramLabel = "PIPELINE.yaml", description = "The pipeline file (docs/pipeline.md).") Path file;

        @Override public Integer call() throws Exception {
            for (Pipeline.Status s : pipeline(file).status()) {
                String when = s.manifest() == null ? "" : String.format("  (finished %s, %.1f s)", s.manifest().finished(), s.manifest().seconds());
                System.out.printf("%-10s %-11s %s%s%n", s.stage(), s.state().toString().toLowerCase(), s.reason(), when);
            }
            return 0;
        }
    }
}
