package org.leverplus.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.data.Embeddings;
import org.leverplus.sampler.PoolFiles;
import org.leverplus.sampler.Samplers;
import org.leverplus.torch.TorchRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lever sample}: the anchor set and the per-anchor candidate pools (the original's sampler caches). */
@Command(name = "sample", description = "Anchor set and candidate pools: rand (CPython-exact), text/img similarity, mix. Writes DIR/anchors.json and DIR/pools.json.")
final class SampleCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--sampler", defaultValue = "rand", description = "rand, text, img or mix (default ${DEFAULT-VALUE}).") String sampler;
    @Option(names = "--anchors", defaultValue = "800", description = "Anchors (training queries) (default ${DEFAULT-VALUE}).") int anchors;
    @Option(names = "--candidates", defaultValue = "64", description = "Candidates per anchor (default ${DEFAULT-VALUE}).") int candidates;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the anchor set and the random pools (default ${DEFAULT-VALUE}, the original's).") long seed;
    @Option(names = "--train-size", description = "Number of training items (rand needs nothing else).") Integer trainSize;
    @Option(names = "--train-annotations", description = "Training annotation file (VQAv2 format): its record count is the training size.") Path trainAnnotations;
    @Option(names = "--features", description = "Feature rows [N_train, d] (safetensors, `lever embed --kind text|image`) for text or img.") Path features;
    @Option(names = "--image-features", description = "Image features [N_train, d] for mix.") Path imageFeatures;
    @Option(names = "--text-features", description = "Text features [N_train, d] for mix.") Path textFeatures;
    @Option(names = "--drop-rank0", description = "text/img/mix: drop the first neighbour whatever it is, as the original (default: drop the anchor by id).") boolean dropRank0;
    @Option(names = "--mix-keep-duplicates", description = "mix: keep ids repeated across the parts, as the original (default: skip them and refill).") boolean keepDuplicates;
    @Option(names = "--out", required = true, description = "Output directory (anchors.json, pools.json).") Path out;
    @Option(names = "--overwrite", description = "Replace existing anchors.json/pools.json.") boolean overwrite;

    @Override public Integer call() throws Exception {
        for (String f : new String[]{PoolFiles.ANCHORS, PoolFiles.POOLS}) {
            if (Files.exists(out.resolve(f)) && !overwrite) throw new IllegalArgumentException(out.resolve(f) + " exists (use --overwrite to replace it)");
        }
        Embeddings one = null, img = null, txt = null;
        switch (sampler) {
            case "rand" -> { }
            case "text", "img" -> one = read(require(features, "--features"));
            case "mix" -> {
                img = read(require(imageFeatures, "--image-features"));
                txt = read(require(textFeatures, "--text-features"));
            }
            default -> throw new IllegalArgumentException("--sampler must be rand, text, img or mix, got '" + sampler + "'");
        }
        int n = trainSize(one != null ? one : img);
        if (candidates < 1) throw new IllegalArgumentException("--candidates must be >= 1, got " + candidates);
        long t0 = System.nanoTime();
        int[] a = Samplers.anchors(n, anchors, seed);
        Map<Integer, int[]> pools = switch (sampler) {
            case "rand" -> Samplers.rand(a, n, candidates, seed);
            case "text", "img" -> Samplers.similar(a, one, candidates, dropRank0);
            default -> Samplers.mix(a, n, candidates, seed, img, txt, keepDuplicates, dropRank0);
        };
        PoolFiles.write(out, a, pools, overwrite);
        spec.commandLine().getOut().printf("sample %s: %d anchors x %d candidates from %d training items in %.1f s -> %s, %s%n",
                sampler, a.length, candidates, n, (System.nanoTime() - t0) / 1e9, out.resolve(PoolFiles.ANCHORS), out.resolve(PoolFiles.POOLS));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static Path require(Path p, String option) {
        if (p == null) throw new IllegalArgumentException("this sampler needs " + option);
        return p;
    }

    private static Embeddings read(Path p) throws IOException {
        TorchRuntime.init();
        return Embeddings.readSafetensors(p);
    }

    private int trainSize(Embeddings rows) throws IOException {
        if (trainSize != null) {
            if (trainSize < 2) throw new IllegalArgumentException("--train-size must be >= 2, got " + trainSize);
            if (rows != null && rows.rows() != trainSize)
                throw new IllegalArgumentException("--train-size " + trainSize + " but the features have " + rows.rows() + " rows");
            return trainSize;
        }
        if (rows != null) return rows.rows();
        if (trainAnnotations != null) return countAnnotations(trainAnnotations);
        throw new IllegalArgumentException("the rand sampler needs --train-size or --train-annotations");
    }

    /** Records in the "annotations" array, streamed (VQAv2's file is 300 MB). */
    static int countAnnotations(Path file) throws IOException {
        try (JsonParser p = new ObjectMapper().getFactory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException(file + ": expected a JSON object with an \"annotations\" list");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals("annotations") && t == JsonToken.START_ARRAY) {
                    int n = 0;
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        p.skipChildren();
                        n++;
                    }
                    return n;
                }
                p.skipChildren();
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        throw new IllegalArgumentException(file + ": no \"annotations\" list");
    }
}
