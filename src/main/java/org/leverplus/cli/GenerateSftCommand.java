package org.leverplus.cli;

import org.leverplus.data.VqaDataset;
import org.leverplus.datagen.BeamSearchSettings;
import org.leverplus.datagen.SftInputs;
import org.leverplus.datagen.SftRun;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.model.ModelOptions;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lever generate sft}: the original's SFT beam file from an InfoScore beam search ({@link SftRun}). */
@Command(name = "sft", description = "InfoScore beam search over each anchor's candidate pool with the in-process Qwen2.5-VL: "
        + "writes the original's SFT JSON plus SFT.meta.json; resumable (journal), shardable.")
final class GenerateSftCommand implements Callable<Integer> {
    @Option(names = "--snapshot", required = true, description = "Qwen2.5-VL snapshot directory (with tokenizer.json).") Path snapshot;
    @Option(names = "--pools", required = true, description = "Pools file {\"<anchor id>\": [candidate ids]} (lever sample); its keys are the anchors, in order.") Path pools;
    @Option(names = "--out", required = true, description = "Output SFT JSON (a sidecar .meta.json is written next to it).") Path out;
    @ArgGroup(exclusive = true, multiplicity = "1") DatasetSource dataset;
    @Option(names = "--beam-size", defaultValue = "5", description = "Beams kept per step (default ${DEFAULT-VALUE}).") int beamSize;
    @Option(names = "--shots", defaultValue = "2", description = "ICDs per sequence (default ${DEFAULT-VALUE}).") int shots;
    @Option(names = "--order", defaultValue = "left", description = "left (new ICD prepended, the original's) or right (just before the query) (default ${DEFAULT-VALUE}).") String order;
    @Option(names = "--per-beam-topk", defaultValue = "largest", description = "largest (intended) or smallest (the original's Qwen quirk) (default ${DEFAULT-VALUE}).") String topK;
    @Option(names = "--answer-tokenization", defaultValue = "separate", description = "separate (intended: the answer tokenized on its own) or joined (as the original's processor tokenized \"Short answer:{y}\"; BPE may merge the colon into the answer); only the answer's tokens are scored either way (default ${DEFAULT-VALUE}).") String answerTokenization;
    @Option(names = "--limit", defaultValue = "0", description = "Only the first N anchors of the pools file (0 = all).") int limit;
    @Option(names = "--shard", defaultValue = "0/1", description = "i/n: this process's contiguous slice of the anchors (default ${DEFAULT-VALUE}); merge with lever data merge.") String shard;
    @Option(names = "--skip-bad", description = "Skip (and count) anchors with a missing image, a pool naming the anchor or an unknown id, or too few candidates.") boolean skipBad;
    @Mixin EngineFlags engineFlags = new EngineFlags();
    @Option(names = "--batch-vision", description = "Run each anchor's uncached images through the vision tower several per pass (faster on a GPU; a resumed or sharded run then equals an uninterrupted one only within float tolerance).") boolean batchVision;
    @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;

    /**
     * Where the items come from. Kept to this one class so the shared dataset options (issue 10) can replace it.
     */
    static final class DatasetSource {
        @Option(names = "--items", required = true, description = "Items, JSON Lines {\"id\", \"image\", \"question\", \"answer\" or \"answers\"} (images relative to the file).") Path items;
        @ArgGroup(exclusive = false) Official official;

        static final class Official {
            @Option(names = "--dataset", required = true, description = "okvqa or vqav2.") String kind;
            @Option(names = "--data-dir", required = true, description = "Directory with the official questions and annotations files.") Path dir;
            @Option(names = "--images", required = true, description = "COCO image folder (COCO_{split}2014_{image_id:012d}.jpg).") Path images;
            @Option(names = "--split", defaultValue = "train", description = "Split (default ${DEFAULT-VALUE}).") String split;
        }

        SftInputs.Items open() throws IOException {
            if (items != null) return SftInputs.readItems(items);
            VqaDataset.Kind k = switch (official.kind.toLowerCase(Locale.ROOT)) {
                case "okvqa", "ok-vqa" -> VqaDataset.Kind.OKVQA;
                case "vqav2" -> VqaDataset.Kind.VQAV2;
                default -> throw new IllegalArgumentException("--dataset: expected okvqa or vqav2 but found \"" + official.kind + "\"");
            };
            return SftInputs.official(k, official.dir, official.split, official.images);
        }
    }

    @Override public Integer call() throws Exception {
        TorchRuntime.init();
        SftRun.Summary s = SftRun.run(options(), System.err);
        System.out.println("generate sft: " + s + " -> " + out);
        return 0;
    }

    /** The run the flags describe (reads the items). */
    SftRun.Options options() throws IOException {
        BeamSearchSettings search = new BeamSearchSettings(beamSize, shots, BeamSearchSettings.Order.parse(order), BeamSearchSettings.TopK.parse(topK),
                BeamSearchSettings.parseAnswerTokenization(answerTokenization));
        EngineOptions engine = engineFlags.engine();
        ModelOptions model = engineFlags.model();
        return new SftRun.Options(snapshot, pools, out, dataset.open(), search, model, engine, batchVision, limit,
                SftRun.Shard.parse(shard), skipBad, overwrite);
    }
}
