package org.leverplus.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.PointerConversion;
import org.leverplus.data.RlConvert;
import org.leverplus.data.RlFilter;
import org.leverplus.data.RlMerge;
import org.leverplus.data.RlStats;
import org.leverplus.data.RlValidator;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.io.JsonSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lever data}: tools for Lever-Plus RL data files. Outputs are written atomically and never overwritten silently. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Inspect, check, filter, merge and convert Lever-Plus RL data files.",
        subcommands = {DataCommand.Stats.class, DataCommand.Filter.class, DataCommand.Merge.class,
                DataCommand.Validate.class, DataCommand.Convert.class, DataCommand.MakeSynthetic.class,
                EmbeddingsCommand.class})
final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        LeverCli.missingSubcommand(spec);
    }

    static void printJson(java.io.PrintWriter out, ObjectNode o) throws Exception {
        out.println(JsonSupport.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
        out.flush();
    }

    /** Base of the subcommands: output goes to picocli's writers (tests capture them). */
    abstract static class Sub implements Callable<Integer> {
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        java.io.PrintWriter out() {
            return spec.commandLine().getOut();
        }

        java.io.PrintWriter err() {
            return spec.commandLine().getErr();
        }

        void say(String format, Object... args) {
            out().printf(Locale.ROOT, format, args);
            out().flush();
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Counts, positive/fallback/error ratios, query mix, candidates per query, reward levels.")
    static final class Stats extends Sub {
        @Parameters(paramLabel = "FILE", description = "RL data JSON.") Path file;
        @Option(names = "--json", description = "Print JSON.") boolean json;

        @Override public Integer call() throws Exception {
            RlStats s = RlStats.of(file);
            if (json) printJson(out(), s.toJson());
            else {
                out().print(s.toTable());
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "filter", mixinStandardHelpOptions = true, description = "Keep queries whose positive ratio is in [min, max] (balanced-data filter); records the step in _meta.")
    static final class Filter extends Sub {
        @Parameters(paramLabel = "FILE", description = "RL data JSON.") Path file;
        @Option(names = "--min-pos-ratio", defaultValue = "0", description = "Lowest positive ratio kept (default ${DEFAULT-VALUE}).") double min;
        @Option(names = "--max-pos-ratio", defaultValue = "1", description = "Highest positive ratio kept (default ${DEFAULT-VALUE}).") double max;
        @Option(names = "--mixed-only", description = "Keep only queries with both positive and negative candidates.") boolean mixedOnly;
        @Option(names = "--out", required = true, description = "Output file.") Path out;
        @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;
        @Option(names = "--json", description = "Print the report as JSON.") boolean json;

        @Override public Integer call() throws Exception {
            RlFilter.Report r = RlFilter.run(file, out, new RlFilter.Params(min, max, mixedOnly), overwrite);
            if (json) printJson(out(), JsonSupport.snakeCase(r));
            else say("kept %d of %d queries (%d candidates); removed: %d all-positive, %d all-negative, %d out of range, %d empty -> %s%n",
                    r.keptQueries(), r.originalQueries(), r.keptCandidates(), r.removedAllPositive(), r.removedAllNegative(),
                    r.removedOutOfRange(), r.removedEmpty(), out);
            return 0;
        }
    }

    @Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge RL data files (rounds, shards; duplicate query keys are an error unless --on-duplicate is given) or the SFT shard files of lever generate sft (shard order, from their .meta.json).")
    static final class Merge extends Sub {
        @Parameters(paramLabel = "FILE", arity = "1..*", description = "RL data files, merged in this order.") List<Path> files;
        @Option(names = "--out", required = true, description = "Output file.") Path out;
        @Option(names = "--on-duplicate", defaultValue = "error", description = "error, keep-first or keep-last (default: ${DEFAULT-VALUE}).") String onDuplicate;
        @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;
        @Option(names = "--json", description = "Print the report as JSON.") boolean json;

        @Override public Integer call() throws Exception {
            if (org.leverplus.datagen.SftMerge.isSftFile(files.get(0))) {
                // SFT beam shards of lever generate sft: put in shard order, concatenated
                int n = org.leverplus.datagen.SftMerge.run(files, out, overwrite);
                say("merged %d SFT files: %d anchors -> %s%n", files.size(), n, out);
                return 0;
            }
            RlMerge.Report r = RlMerge.run(files, out, RlMerge.OnDuplicate.parse(onDuplicate), overwrite);
            if (json) {
                ObjectNode o = JsonSupport.snakeCase(r);
                o.put("positive_ratio", r.positiveRatio());
                printJson(out(), o);
            } else say("merged %d files: %d queries, %d candidates, positive ratio %.4f, %d duplicate keys -> %s%n",
                    files.size(), r.queries(), r.candidates(), r.positiveRatio(), r.duplicateKeys(), out);
            return 0;
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true, description = "Check schema and consistency; one line per problem; exit 1 if any.")
    static final class Validate extends Sub {
        @Parameters(paramLabel = "FILE", description = "RL data JSON.") Path file;
        @Option(names = "--dataset-size", description = "Train split size: global ids must be below it (default: not checked).") Long datasetSizeOption;
        long datasetSize;
        @Option(names = "--json", description = "Print {file, problems: [...]} as JSON.") boolean json;

        @Override public Integer call() throws Exception {
            List<String> problems = new java.util.ArrayList<>();
            if (datasetSizeOption != null && datasetSizeOption < 1)
                throw new IllegalArgumentException("--dataset-size: expected a positive number of items but found " + datasetSizeOption);
            datasetSize = datasetSizeOption == null ? -1 : datasetSizeOption;
            long n = RlValidator.validate(file, datasetSize, json ? problems::add : line -> {
                out().println(line);
                out().flush();
            });
            if (json) {
                ObjectNode o = JsonSupport.mapper().createObjectNode();
                o.put("file", file.toString());
                o.put("valid", n == 0);
                problems.forEach(o.putArray("problems")::add);
                printJson(out(), o);
            } else if (n == 0) say("%s: valid%n", file);
            else {
                err().println(file + ": " + n + " problem(s)");
                err().flush();
            }
            return n == 0 ? 0 : LeverCli.EXIT_FAILURE;
        }
    }

    @Command(name = "convert", mixinStandardHelpOptions = true, description = "Rewrite pointers as local (positions in candidate_pool_ids) or global (dataset indices).")
    static final class Convert extends Sub {
        @Parameters(paramLabel = "FILE", description = "RL data JSON.") Path file;
        @Option(names = "--pointers", required = true, description = "local or global.") String pointers;
        @Option(names = "--out", required = true, description = "Output file.") Path out;
        @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;

        @Override public Integer call() throws Exception {
            long n = RlConvert.run(file, out, PointerConversion.Target.parse(pointers), overwrite);
            say("converted %d queries to %s pointers -> %s%n", n, pointers, out);
            return 0;
        }
    }

    @Command(name = "make-synthetic", mixinStandardHelpOptions = true, description = "Write a synthetic RL data file in one of Lever-Plus's formats (tests, examples, benchmarks).")
    static final class MakeSynthetic extends Sub {
        @Option(names = "--format", defaultValue = "v4", description = "v1, v4, k64 or balanced (default ${DEFAULT-VALUE}).") String format;
        @Option(names = "--queries", defaultValue = "100", description = "Query groups (default ${DEFAULT-VALUE}).") int queries;
        @Option(names = "--candidates", defaultValue = "20", description = "Candidate sequences per query (default ${DEFAULT-VALUE}).") int candidates;
        @Option(names = "--pool", defaultValue = "9009", description = "Train split size the ids come from (default ${DEFAULT-VALUE}).") int pool;
        @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--first-index", defaultValue = "0", description = "Global id of the first query (disjoint shards).") int firstIndex;
        @Option(names = "--out", required = true, description = "Output RL data JSON.") Path out;
        @Option(names = "--overwrite", description = "Replace existing outputs.") boolean overwrite;
        @Option(names = "--embeddings-out", description = "Also write random N(0,1) embeddings [pool, --dim] for every id (safetensors), so the file can be trained on.")
        Path embeddingsOut;
        @Option(names = "--dim", defaultValue = "512", description = "Embedding width for --embeddings-out (default ${DEFAULT-VALUE}, CLIP ViT-B/32's).")
        int dim;

        @Override public Integer call() throws Exception {
            if (embeddingsOut != null && dim < 1) throw new IllegalArgumentException("--dim: expected >= 1 but found " + dim);
            SyntheticRlData.Format f;
            try {
                f = SyntheticRlData.Format.valueOf(format.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--format: expected v1, v4, k64 or balanced but found \"" + format + "\"");
            }
            SyntheticRlData.Spec spec = new SyntheticRlData.Spec(f, queries, candidates, pool, seed, firstIndex);
            // all or nothing: every check and the embeddings come first, both files are committed only once both are written
            org.leverplus.io.AtomicOutput.checkTarget(out.toAbsolutePath(), overwrite);
            org.leverplus.data.Embeddings emb = null;
            if (embeddingsOut != null) {
                org.leverplus.io.AtomicOutput.checkTarget(embeddingsOut.toAbsolutePath(), overwrite);
                if (out.toAbsolutePath().normalize().equals(embeddingsOut.toAbsolutePath().normalize()))
                    throw new IllegalArgumentException("--out and --embeddings-out name the same file");
                long n = (long) pool * dim;
                if (n > Integer.MAX_VALUE - 8)
                    throw new IllegalArgumentException("--pool " + pool + " x --dim " + dim + " = " + n + " values: too many for one embedding matrix (at most "
                            + (Integer.MAX_VALUE - 8) + ")");
                java.util.Random rng = new java.util.Random(seed);
                float[] v = new float[(int) n];
                for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
                emb = org.leverplus.data.Embeddings.of(pool, dim, v);
            }
            try (org.leverplus.io.AtomicOutput eo = emb == null ? null : org.leverplus.io.AtomicOutput.create(embeddingsOut, overwrite)) {
                if (eo != null) emb.writeSafetensors(eo, java.util.Map.of("source", "lever data make-synthetic", "seed", Long.toString(seed)));
                SyntheticRlData.write(spec, out, overwrite, () -> { if (eo != null) eo.commit(); });
            }
            say("wrote %d queries x %d candidates (%s) -> %s%n", queries, candidates, format, out);
            if (embeddingsOut != null) say("wrote random embeddings [%d, %d] -> %s%n", pool, dim, embeddingsOut);
            return 0;
        }
    }
}
