package org.leverplus.cli;

import org.leverplus.sampler.Sampling;
import org.leverplus.sampler.SimilaritySampler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lever sample}: the anchor set and per-anchor candidate pools (pipeline stage 1). */
@Command(name = "sample", description = {
        "Sample the anchor set and one candidate pool per anchor; write DIR/anchors.json and DIR/pools.json in the original's cache formats.",
        "rand is identical to the original's Python random for the same seed; text/img rank L2-normalised features (lever embed) exactly."})
final class SampleCommand implements Callable<Integer> {
    @Option(names = "--sampler", required = true, paramLabel = "rand|text|img|mix", description = "Which sampler.")
    String sampler;
    @Option(names = "--anchors", defaultValue = "800", paramLabel = "N", description = "Anchor count (default ${DEFAULT-VALUE}).")
    int anchors;
    @Option(names = "--candidates", defaultValue = "64", paramLabel = "K", description = "Candidates per anchor (default ${DEFAULT-VALUE}).")
    int candidates;
    @Option(names = "--seed", defaultValue = "42", description = "Python random seed (default ${DEFAULT-VALUE}, as the original).")
    long seed;
    @Option(names = "--train-size", paramLabel = "N", description = "Number of training items (rand; the others take it from the features).")
    Integer trainSize;
    @Option(names = "--features", paramLabel = "F", description = "Feature file [N, d] for text or img.")
    Path features;
    @Option(names = "--image-features", paramLabel = "F", description = "Image features for mix.")
    Path imageFeatures;
    @Option(names = "--text-features", paramLabel = "F", description = "Text features for mix.")
    Path textFeatures;
    @Option(names = "--drop-rank-0", description = "Drop the first-ranked row instead of the anchor's own id (the original's rule; wrong when another row ties with the anchor).")
    boolean dropRank0;
    @Option(names = "--mix-keep-duplicates", description = "mix: keep ids repeated across the random/image/text parts, as the original (pools may hold fewer distinct ids).")
    boolean mixKeepDuplicates;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;
    @Option(names = "--overwrite", description = "Replace existing anchors.json / pools.json.")
    boolean overwrite;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        Sampling.Kind kind;
        try {
            kind = Sampling.Kind.valueOf(sampler.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sampler: expected rand, text, img or mix but found '" + sampler + "'");
        }
        Sampling.Config c = new Sampling.Config(kind, trainSize, anchors, candidates, seed, features, imageFeatures, textFeatures,
                dropRank0 ? SimilaritySampler.AnchorRule.DROP_RANK_0 : SimilaritySampler.AnchorRule.DROP_BY_ID, mixKeepDuplicates);
        Sampling.Summary s = Sampling.run(c, out, overwrite);
        spec.commandLine().getOut().println(s.line(out));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
