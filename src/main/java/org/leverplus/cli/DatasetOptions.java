package org.leverplus.cli;

import org.leverplus.data.DatasetItem;
import org.leverplus.data.Items;
import org.leverplus.data.VqaDataset;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The dataset options every stage command shares (a picocli mixin): the official VQAv2/OK-VQA files with the COCO image
 * folder ({@code --dataset okvqa|vqav2 --data-dir D --split S --images DIR}, or explicit {@code --questions/--annotations}),
 * or {@code --items ITEMS.jsonl}. Items come back in global-id order (spec 2).
 */
final class DatasetOptions {
    @Option(names = "--items", paramLabel = "FILE", description = "JSON Lines of {\"id\", \"image\", \"question\", \"answer\"?, \"answers\"?} (image paths relative to the file).")
    Path items;
    @Option(names = "--dataset", paramLabel = "okvqa|vqav2", description = "Official file names under --data-dir.")
    String dataset;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Directory with the official questions/annotations files.")
    Path dataDir;
    @Option(names = "--questions", paramLabel = "FILE", description = "Official questions file (instead of --dataset/--data-dir).")
    Path questions;
    @Option(names = "--annotations", paramLabel = "FILE", description = "Official annotations file.")
    Path annotations;
    @Option(names = "--split", defaultValue = "train", description = "train or val (file names and COCO image names; default ${DEFAULT-VALUE}).")
    String split;
    @Option(names = "--images", paramLabel = "DIR", description = "COCO image folder (COCO_{split}2014_{image_id:012d}.jpg).")
    Path images;

    /** Whether any dataset option was given. */
    boolean given() {
        return items != null || dataset != null || questions != null;
    }

    List<DatasetItem> load() throws IOException {
        if (items != null) {
            if (dataset != null || questions != null) throw new IllegalArgumentException("--items cannot be combined with --dataset or --questions");
            return Items.fromJsonl(items);
        }
        if (images == null) throw new IllegalArgumentException("the official files need --images DIR (the COCO image folder)");
        if (!split.equals("train") && !split.equals("val")) throw new IllegalArgumentException("--split must be train or val but was " + split);
        Path q = questions, a = annotations;
        if (dataset != null) {
            if (dataDir == null) throw new IllegalArgumentException("--dataset needs --data-dir");
            VqaDataset.Kind kind = switch (dataset.toLowerCase(Locale.ROOT)) {
                case "okvqa", "ok-vqa" -> VqaDataset.Kind.OKVQA;
                case "vqav2" -> VqaDataset.Kind.VQAV2;
                default -> throw new IllegalArgumentException("--dataset must be okvqa or vqav2 but was " + dataset);
            };
            q = dataDir.resolve(kind.questionsFile(split));
            a = dataDir.resolve(kind.annotationsFile(split));
        } else if (q == null || a == null) {
            throw new IllegalArgumentException("give --items FILE, or --dataset with --data-dir, or --questions with --annotations");
        }
        return Items.fromVqa(q, a, split, images);
    }
}
