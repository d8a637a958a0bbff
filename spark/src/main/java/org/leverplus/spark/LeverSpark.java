package org.leverplus.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.leverplus.cli.Stages;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code spark-submit --class org.leverplus.spark.LeverSpark lever-spark.jar <stage> <the stage's CLI flags>
 * [--keep-parts]}: runs a Lever stage over the cluster with the same flags as {@code lever <stage>} and writes the same
 * file. Stages: {@code vlm score}, {@code vlm generate}, {@code eval}, {@code embed}, {@code generate sft} (plus
 * {@code --anchors-per-task N}), {@code generate rl}. Exit 0 on success, 1 on an error (one line), 2 on a bad
 * command line.
 */
public final class LeverSpark {
    private LeverSpark() {}

    public static void main(String[] argv) {
        if (argv.length < 2 || Arrays.asList(argv).contains("--help")) {
            System.err.println("usage: LeverSpark <stage> <flags of lever <stage>> [--keep-parts] [--anchors-per-task N (generate sft)]; stages: " + STAGES);
            System.exit(argv.length < 2 ? 2 : 0);
        }
        SparkConf conf = new SparkConf().setAppName("lever " + argv[0]);
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            DistributedRun.Summary s = run(sc, argv, System.err);
            System.out.println("lever " + argv[0] + " (spark): " + s);
        } catch (IllegalArgumentException e) {
            System.err.println("lever: error: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("lever: error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            System.exit(1);
        }
    }

    /** Runs {@code argv} (stage words, then its flags) on {@code sc}. */
    public static DistributedRun.Summary run(JavaSparkContext sc, String[] argv, PrintStream log) throws Exception {
        return run(sc, argv, null, log);
    }

    /** As {@link #run(JavaSparkContext, String[], PrintStream)}, with {@code wrap} around the stage's chunk runner. */
    static DistributedRun.Summary run(JavaSparkContext sc, String[] argv, java.util.function.UnaryOperator<ChunkRunner> wrap,
                                      PrintStream log) throws Exception {
        List<String> all = new ArrayList<>(Arrays.asList(argv));
        boolean keepParts = all.remove("--keep-parts");
        if (!all.isEmpty() && all.get(0).equals("eval")) {
            return new EvalStage(all.subList(1, all.size()).toArray(String[]::new)).run(sc, wrap, keepParts, log);
        }
        if (!all.isEmpty() && all.get(0).equals("embed")) {
            return new EmbedStage(all.subList(1, all.size()).toArray(String[]::new)).run(sc, wrap, keepParts, log);
        }
        if (all.size() < 2) throw new IllegalArgumentException("expected a stage (" + STAGES + ") and its flags");
        String stage = all.get(0) + " " + all.get(1);
        String[] flags = all.subList(2, all.size()).toArray(String[]::new);
        if (stage.equals("generate sft")) return new SftStage(flags).run(sc, wrap, keepParts, log);
        if (stage.equals("generate rl")) return new RlStage(flags).run(sc, wrap, keepParts, log);
        VlmStage s = new VlmStage(stage, all.subList(2, all.size()).toArray(String[]::new));
        ChunkRunner runner = wrap == null ? s.runner() : wrap.apply(s.runner());
        return DistributedRun.run(sc, stage, s.chunks(), s.plan(), runner, s.spec.out(), s.spec.overwrite(),
                s.spec.settings().model().device(), keepParts, log);
    }

    /** The stages a distributed run can execute. */
    static final List<String> STAGES = List.of("vlm score", "vlm generate", "eval", "embed", "generate sft", "generate rl");
}
