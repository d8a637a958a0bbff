package org.leverplus.cli;

import org.leverplus.data.VqaDataset;
import org.leverplus.sampler.CandidatePools;
import org.leverplus.sft.InfoScoreBeamSearch;
import org.leverplus.sft.SftGenerator;
import org.leverplus.torch.Devices;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.model.ModelOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lever generate}: training data made with the in-process VLM. */
@Command(name = "generate", description = "Make training data with the VLM: sft (InfoScore beam search).",
        subcommands = {GenerateCommand.Sft.class})
final class GenerateCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** {@code lever generate sft}. */
    @Command(name = "sft", description = "SFT data: InfoScore beam search over each anchor's pool (the original's SFT JSON + OUT.meta.json).")
    static final class Sft implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--dataset", defaultValue = "okvqa", description = "okvqa or vqav2 (official file names; default ${DEFAULT-VALUE}).") String dataset;
        @Option(names = "--data-dir", required = true, description = "Directory with the official train question and annotation files.") Path dataDir;
        @Option(names = "--train-images", required = true, description = "COCO train2014 images.") Path trainImages;
        @Option(names = "--pools", required = true, description = "pools.json of `lever sample` ({anchor: [candidate ids]}, anchors in file order).") Path pools;
        @Option(names = "--snapshot", required = true, description = "Qwen2.5-VL snapshot directory (with tokenizer.json).") Path snapshot;
        @Option(names = "--out", required = true, description = "Output SFT JSON (a sidecar OUT.meta.json is written beside it).") Path out;
        @Option(names = "--beam-size", defaultValue = "5", description = "Beams (default ${DEFAULT-VALUE}).") int beamSize;
        @Option(names = "--shots", defaultValue = "2", description = "ICDs per sequence (default ${DEFAULT-VALUE}).") int shots;
        @Option(names = "--order", defaultValue = "left", description = "left (new ICD leftmost, the original's) or right (default ${DEFAULT-VALUE}).") String order;
        @Option(names = "--per-beam-topk", defaultValue = "largest", description = "largest (intended) or smallest (the original's Qwen quirk) (default ${DEFAULT-VALUE}).") String perBeam;
        @Option(names = "--limit", defaultValue = "0", description = "Only the first N anchors of the pools file (0: all; default ${DEFAULT-VALUE}).") int limit;
        @Option(names = "--shard", defaultValue = "0/1", description = "i/n: this process takes anchors i, i+n, ... (default ${DEFAULT-VALUE}).") String shard;
        @Option(names = "--dtype", defaultValue = "float32", description = "float32 or bfloat16 (default ${DEFAULT-VALUE}).") String dtype;
        @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).") String device;
        @Option(names = "--no-image-cache", description = "Run the vision tower for every image occurrence.") boolean noImageCache;
        @Option(names = "--no-prefix-cache", description = "Recompute shared prompt prefixes for every prompt.") boolean noPrefixCache;
        @Option(names = "--overwrite", description = "Replace the output and discard an interrupted run's journal.") boolean overwrite;

        @Override public Integer call() throws Exception {
            InfoScoreBeamSearch.Settings search = new InfoScoreBeamSearch.Settings(beamSize, shots,
                    switch (order) {
                        case "left" -> InfoScoreBeamSearch.Order.LEFT;
                        case "right" -> InfoScoreBeamSearch.Order.RIGHT;
                        default -> throw new IllegalArgumentException("--order must be left or right, got '" + order + "'");
                    },
                    switch (perBeam) {
                        case "largest" -> InfoScoreBeamSearch.TopK.LARGEST;
                        case "smallest" -> InfoScoreBeamSearch.TopK.SMALLEST;
                        default -> throw new IllegalArgumentException("--per-beam-topk must be largest or smallest, got '" + perBeam + "'");
                    });
            String[] sh = shard.split("/");
            if (sh.length != 2 || !sh[0].matches("\\d+") || !sh[1].matches("\\d+"))
                throw new IllegalArgumentException("--shard must be i/n (e.g. 0/4), got '" + shard + "'");
            if (limit < 0) throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
            TorchRuntime.init();
            SftGenerator.Settings s = new SftGenerator.Settings(search,
                    new ModelOptions(ModelOptions.parseDtype(dtype), Devices.name(Devices.parse(device))),
                    EngineOptions.defaults().withImageCache(!noImageCache).withPrefixCache(!noPrefixCache),
                    limit, Integer.parseInt(sh[0]), Integer.parseInt(sh[1]), overwrite);
            VqaDataset.Kind kind = switch (dataset.toLowerCase(Locale.ROOT)) {
                case "okvqa" -> VqaDataset.Kind.OKVQA;
                case "vqav2" -> VqaDataset.Kind.VQAV2;
                default -> throw new IllegalArgumentException("--dataset must be okvqa or vqav2, got '" + dataset + "'");
            };
            VqaDataset train = VqaDataset.load(kind, dataDir, "train");
            int[] dropped = new int[1];
            CandidatePools p = CandidatePools.readPools(pools, dropped);
            if (dropped[0] > 0) System.err.println("generate sft: " + pools + ": " + dropped[0] + " repeated candidate ids dropped (kept their first position)");
            java.util.Map<Integer, int[]> byAnchor = new java.util.LinkedHashMap<>();
            for (int i = 0; i < p.anchors().length; i++) byAnchor.put(p.anchors()[i], p.pools()[i]);
            SftGenerator.Summary sum = SftGenerator.run(train, trainImages, byAnchor, snapshot, s, out, System.err);
            spec.commandLine().getOut().println("generate sft: " + sum + " -> " + out + ", " + SftGenerator.metaFile(out));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
