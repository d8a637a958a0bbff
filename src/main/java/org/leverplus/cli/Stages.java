package org.leverplus.cli;

import org.leverplus.eval.Evaluation;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.VlmJob;
import org.leverplus.vlm.engine.VlmRun;
import org.leverplus.vlm.model.ModelOptions;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The stage commands as other runners (the Spark runner) execute them: parsed with exactly the CLI's own command
 * classes, so a distributed run takes the same flags, defaults and checks as {@code lever ...} on one machine.
 */
public final class Stages {
    private Stages() {}

    /** A parsed {@code lever vlm score|generate} command line. */
    public record Vlm(VlmJob.Kind kind, Path snapshot, Path requests, Path out, boolean overwrite, VlmRun.Settings settings,
                      GenerationSettings generation) {
        /** The same command on another device (a Spark task's GPU). */
        public Vlm onDevice(String device) {
            ModelOptions m = new ModelOptions(settings.model().dtype(), device);
            return new Vlm(kind, snapshot, requests, out, overwrite,
                    new VlmRun.Settings(m, settings.engine(), settings.chunk(), settings.overwrite()), generation);
        }

        public VlmJob open() throws IOException {
            return VlmJob.open(kind, snapshot, requests, settings, generation);
        }
    }

    /** Names of the stages this class parses, as command words. */
    public static final List<String> VLM_STAGES = List.of("vlm score", "vlm generate");

    /** A parsed {@code lever eval} command line. */
    public record Eval(Evaluation.Inputs inputs, Evaluation.Settings settings, Path out, Path runDir, Path rlData) {
        /** The same evaluation on another device (a Spark task's GPU). */
        public Eval onDevice(String device) {
            Evaluation.Settings s = settings;
            return new Eval(inputs, new Evaluation.Settings(s.methods(), s.shots(), s.pool(), s.randomSeed(), s.statsSeed(),
                    s.resamples(), s.permutations(), s.numBeams(), s.maxNewTokens(), new ModelOptions(s.model().dtype(), device),
                    s.engine(), s.chunk(), s.overwrite()), out, runDir, rlData);
        }

        /** The same evaluation continuing what is in {@code --out} (a distributed run's final, grading step). */
        public Eval resuming() {
            Evaluation.Settings s = settings;
            return new Eval(inputs, new Evaluation.Settings(s.methods(), s.shots(), s.pool(), s.randomSeed(), s.statsSeed(),
                    s.resamples(), s.permutations(), s.numBeams(), s.maxNewTokens(), s.model(), s.engine(), s.chunk(), false),
                    out, runDir, rlData);
        }

        /** Writes the HTML report and prints the accuracy table, as {@code lever eval} does at its end. */
        public void finish(Evaluation.Outcome o, java.io.PrintWriter w) throws Exception { EvalCommand.finish(this, o, w); }
    }

    /** Parses {@code args} as {@code lever eval} would (loads the dataset's question lists). */
    public static Eval eval(String... args) throws Exception {
        return parse(new EvalCommand(), "eval", args).parsed();
    }

    /**
     * Parses {@code args} (the options after the command words) as {@code lever <stage>} would.
     * @throws IllegalArgumentException naming the stage and the problem, for unknown stages and bad options
     */
    public static Vlm vlm(String stage, String... args) throws IOException {
        switch (stage) {
            case "vlm score" -> {
                VlmScoreCommand c = parse(new VlmScoreCommand(), stage, args);
                return new Vlm(VlmJob.Kind.SCORE, c.o.snapshot, c.o.requests, c.o.out, c.o.overwrite, c.o.settings(), null);
            }
            case "vlm generate" -> {
                VlmGenerateCommand c = parse(new VlmGenerateCommand(), stage, args);
                return new Vlm(VlmJob.Kind.GENERATE, c.o.snapshot, c.o.requests, c.o.out, c.o.overwrite, c.o.settings(),
                        c.generationSettings());
            }
            default -> throw new IllegalArgumentException("unknown stage '" + stage + "' (expected one of " + VLM_STAGES + ")");
        }
    }

    private static <T> T parse(T command, String stage, String[] args) {
        CommandLine cl = new CommandLine(command);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException("lever " + stage + ": " + e.getMessage());
        }
        return command;
    }
}
