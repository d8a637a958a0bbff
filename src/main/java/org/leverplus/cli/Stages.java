package org.leverplus.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.clip.ClipEmbedder;
import org.leverplus.clip.ClipImageProcessor;
import org.leverplus.clip.ClipModel;
import org.leverplus.clip.ClipTokenizer;
import org.leverplus.data.DatasetItem;
import org.leverplus.datagen.SftRun;
import org.leverplus.eval.Evaluation;
import org.leverplus.rlgen.RlGenerator;
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

    /** A parsed {@code lever embed} command line. */
    public static final class Embed {
        private final EmbedCommand c;

        private Embed(EmbedCommand c) { this.c = c; }

        public Path out() { return c.out; }

        public boolean overwrite() { return c.overwrite; }

        /** The --device of the command (tasks without a GPU compute there). */
        public String device() { return c.device; }

        public Path snapshot() { return c.snapshot; }

        public ClipEmbedder.Options options() { return c.options(); }

        /** The dataset, in global-id order (row i = item i). */
        public List<DatasetItem> items() throws IOException { return c.items(); }

        /** The CLIP model on {@code device}, with the tokenizer and image processor the kind needs (else null). */
        public Clip load(String device) throws IOException {
            EmbedCommand.Models m = c.load(options().kind(), device);
            return new Clip(m.model(), m.tokenizer(), m.images());
        }
    }

    /** A loaded CLIP model with what {@link ClipEmbedder#run} takes beside it; closing closes the model and tokenizer. */
    public record Clip(ClipModel model, ClipTokenizer tokenizer, ClipImageProcessor images) implements AutoCloseable {
        @Override public void close() { new EmbedCommand.Models(model, tokenizer, images).close(); }
    }

    /** Parses {@code args} as {@code lever embed} would. */
    public static Embed embed(String... args) {
        EmbedCommand c = parse(new EmbedCommand(), "embed", args);
        try {
            c.options(); // --kind and the sizes, checked now
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            throw new IllegalArgumentException("lever embed: " + e.getMessage());
        }
        return new Embed(c);
    }

    /** A parsed {@code lever generate sft} command line. */
    public record Sft(SftRun.Options options) {
        /** The same run with the model on another device (a Spark task's GPU). */
        public Sft onDevice(String device) {
            SftRun.Options o = options;
            return new Sft(new SftRun.Options(o.snapshot(), o.pools(), o.out(), o.items(), o.search(),
                    new ModelOptions(o.model().dtype(), device), o.engine(), o.batchVision(), o.limit(), o.shard(), o.skipBad(), o.overwrite()));
        }
    }

    /** Parses {@code args} as {@code lever generate sft} would (reads the items). */
    public static Sft sft(String... args) throws IOException {
        return new Sft(parse(new GenerateSftCommand(), "generate sft", args).options());
    }

    /** A parsed {@code lever generate rl} command line, its inputs read (no model loaded). */
    public static final class Rl {
        private final GenerateRlCommand c;
        private final GenerateRlCommand.Inputs in;

        private Rl(GenerateRlCommand c) throws IOException {
            this.c = c;
            if (c.balanced || c.augmentDiversity)
                throw new IllegalArgumentException((c.balanced ? "--balanced" : "--augment-diversity")
                        + " runs in one process (its draws come from one random stream over the queries): use lever generate rl, with --start/--end ranges per machine");
            this.in = c.inputs();
        }

        public Path out() { return c.out; }

        public boolean overwrite() { return c.overwrite; }

        /** The --device of the command (tasks without a GPU compute there). */
        public String device() { return c.engineFlags.device; }

        /** The journal {@code lever generate rl} keeps (--journal, default OUT.journal.jsonl). */
        public Path journal() { return in.journal(); }

        /** Everything that decides the output (the journal's first line, the output's meta). */
        public ObjectNode runSettings() { return in.runSettings(); }

        public RlGenerator.Settings settings() { return in.settings(); }

        /** This run's queries (after --limit and --shard), in the order the output lists them. */
        public List<Integer> queries() { return in.withoutModels().shardQueries(); }

        /** The generator with its models on {@code device}: {@link RlGenerator#journalLines} computes a chunk. */
        public Generator open(String device) throws Exception { return new Generator(c.load(in, device)); }

        /**
         * Adds {@code lines} ({@link RlGenerator#journalLines} of every chunk) to the journal and writes the output
         * as {@code lever generate rl} does, without loading a model; the journal is removed after the commit.
         */
        public RlGenerator.Summary finish(List<String> lines, java.io.PrintStream progress) throws IOException {
            RlGenerator.importJournal(in.journal(), in.runSettings(), lines);
            return in.withoutModels().run(c.out, in.journal(), in.runSettings(), c.overwrite, progress);
        }
    }

    /** A loaded RL generator (selector and VLM); closing frees the models. */
    public static final class Generator implements AutoCloseable {
        private final GenerateRlCommand.Loaded loaded;

        private Generator(GenerateRlCommand.Loaded loaded) { this.loaded = loaded; }

        public RlGenerator generator() { return loaded.generator(); }

        @Override public void close() throws Exception { loaded.close(); }
    }

    /** Parses {@code args} as {@code lever generate rl} would and reads its inputs (dataset, pools, embeddings). */
    public static Rl rl(String... args) throws IOException {
        return new Rl(parse(new GenerateRlCommand(), "generate rl", args));
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
