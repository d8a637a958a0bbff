package org.leverplus.sampler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Stage 1 of the pipeline in one call: the anchor set, then one candidate pool per anchor from the chosen sampler,
 * written as {@code anchors.json} + {@code pools.json} (see {@link CandidatePools}). All samplers share the anchor set
 * ({@code random.seed(seed); random.sample(range(trainLen), anchors)}), as the original's samplers share one cache file.
 */
public final class Sampling {
    private Sampling() {}

    public enum Kind {
        RAND, TEXT, IMG, MIX;

        public String originalName() {
            return switch (this) {
                case RAND -> "RandSampler";
                case TEXT -> "TextSimSampler";
                case IMG -> "ImgSimSampler";
                case MIX -> "MixSimSampler";
            };
        }
    }

    /**
     * What to sample. {@code trainLen} is required for {@code rand} and otherwise must agree with the feature rows
     * when given (null: taken from the features). {@code features} is the text or image feature file for
     * {@code text}/{@code img}; {@code mix} needs both {@code imageFeatures} and {@code textFeatures}.
     */
    public record Config(Kind kind, Integer trainLen, int anchors, int candidates, long seed,
                         Path features, Path imageFeatures, Path textFeatures,
                         SimilaritySampler.AnchorRule anchorRule, boolean mixKeepDuplicates) {
        public Config {
            if (anchors <= 0) throw new IllegalArgumentException("--anchors must be positive but was " + anchors);
            if (candidates <= 0) throw new IllegalArgumentException("--candidates must be positive but was " + candidates);
            switch (kind) {
                case RAND -> {
                    if (trainLen == null) throw new IllegalArgumentException("--sampler rand needs --train-size N (the number of training items)");
                }
                case TEXT, IMG -> {
                    if (features == null) throw new IllegalArgumentException("--sampler " + kind.name().toLowerCase(Locale.ROOT) + " needs --features F.safetensors (from lever embed --kind " + (kind == Kind.TEXT ? "text" : "image") + ")");
                }
                case MIX -> {
                    if (imageFeatures == null || textFeatures == null)
                        throw new IllegalArgumentException("--sampler mix needs --image-features and --text-features (from lever embed --kind image / --kind text)");
                }
            }
        }
    }

    /** What was done, for the command's summary line. */
    public record Summary(Kind kind, int trainLen, int anchors, int candidates, long seed, long redraws, int shrunkPools) {
        public String line(Path out) {
            return String.format(Locale.ROOT, "%s: %d anchors x %d candidates over %d training items (seed %d%s%s) -> %s",
                    kind.originalName(), anchors, candidates, trainLen, seed,
                    redraws > 0 ? ", " + redraws + " random draws redone because they held their anchor" : "",
                    shrunkPools > 0 ? ", " + shrunkPools + " pools hold duplicate ids (--mix-keep-duplicates)" : "", out);
        }
    }

    public static Summary run(Config c, Path outDir, boolean overwrite) throws IOException {
        int trainLen = trainLen(c);
        int[] anchors = RandSampler.anchors(trainLen, c.anchors(), c.seed());
        long redraws = 0;
        int shrunk = 0;
        int[][] pools;
        switch (c.kind()) {
            case RAND -> {
                RandSampler.Result r = RandSampler.pools(anchors, trainLen, c.candidates(), c.seed());
                pools = r.pools();
                redraws = r.redraws();
            }
            case TEXT, IMG -> pools = SimilaritySampler.pools(c.features(), anchors, c.candidates(), c.anchorRule());
            case MIX -> {
                int[] split = MixSampler.split(c.candidates());
                RandSampler.Result r = RandSampler.pools(anchors, trainLen, split[0], c.seed());
                redraws = r.redraws();
                // with refill each similarity part may need up to k ranked ids (k - its own share are possible repeats)
                int depth = c.mixKeepDuplicates() ? Math.max(split[1], split[2]) : c.candidates();
                int[][] img = SimilaritySampler.pools(c.imageFeatures(), anchors, depth, c.anchorRule());
                int[][] txt = SimilaritySampler.pools(c.textFeatures(), anchors, depth, c.anchorRule());
                pools = MixSampler.pools(c.candidates(), r.pools(), img, txt, c.mixKeepDuplicates());
                for (int[] p : pools) if (java.util.Arrays.stream(p).distinct().count() < p.length) shrunk++;
            }
            default -> throw new AssertionError(c.kind());
        }
        new CandidatePools(anchors, pools).write(outDir, overwrite);
        return new Summary(c.kind(), trainLen, anchors.length, c.candidates(), c.seed(), redraws, shrunk);
    }

    private static int trainLen(Config c) throws IOException {
        Integer fromFeatures = null;
        for (Path p : new Path[]{c.features(), c.imageFeatures(), c.textFeatures()}) {
            if (p == null || c.kind() == Kind.RAND) continue;
            int rows;
            try (FeatureRows f = new FeatureRows(p)) {
                rows = f.rows;
            }
            if (fromFeatures != null && rows != fromFeatures)
                throw new IllegalArgumentException(p + ": " + rows + " rows but the other feature file has " + fromFeatures + " (both must cover the same training split)");
            fromFeatures = rows;
        }
        if (c.trainLen() != null && fromFeatures != null && !c.trainLen().equals(fromFeatures))
            throw new IllegalArgumentException("--train-size " + c.trainLen() + " but the features have " + fromFeatures + " rows");
        return c.trainLen() != null ? c.trainLen() : fromFeatures;
    }
}
