package org.leverplus.cli;

import org.leverplus.clip.ClipEmbedder;
import org.leverplus.clip.ClipImageProcessor;
import org.leverplus.clip.ClipModel;
import org.leverplus.clip.ClipSnapshot;
import org.leverplus.clip.ClipTokenizer;
import org.leverplus.vlm.model.ModelOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.leverplus.data.DatasetItem;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lever embed}: CLIP embeddings of a dataset in global-id order (pipeline stage 1 inputs). */
@Command(name = "embed", description = {
        "Embed a dataset with a CLIP snapshot into [N, d] float32 safetensors, row i = global id i.",
        "selector: normalize(mean(normalize(image), normalize(text))) (ViT-B/32); image|text: normalised sampler features (ViT-L/14).",
        "Interrupted runs resume from finished chunks."})
final class EmbedCommand implements Callable<Integer> {
    @Option(names = "--snapshot", required = true, paramLabel = "DIR", description = "CLIP snapshot directory (config.json, *.safetensors, tokenizer.json, preprocessor_config.json).") Path snapshot;
    @Option(names = "--kind", defaultValue = "selector", description = "selector, image or text (default ${DEFAULT-VALUE}).") String kind;
    @Option(names = "--out", required = true, paramLabel = "E.safetensors", description = "Output embeddings [N, d] float32 (safetensors).") Path out;
    @Mixin DatasetOptions data;
    @Option(names = "--batch-size", defaultValue = "32", description = "Items per model batch (default ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--chunk-rows", defaultValue = "4096", description = "Rows per resumable chunk (default ${DEFAULT-VALUE}).") int chunkRows;
    @Option(names = "--decode-threads", description = "Image decode threads (default: cores - 1, at least 1).") Integer decodeThreads;
    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N].") String device;
    @Option(names = "--dtype", defaultValue = "float32", description = "float32 or bfloat16.") String dtype;
    @Option(names = "--skip-bad", description = "Turn unreadable images into zero rows (listed in the summary and the file's metadata) instead of failing.") boolean skipBad;
    @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        ClipEmbedder.Options o = options();
        var items = data.load();
        try (Models m = load(o.kind(), device)) {
            ClipEmbedder.Summary sum = ClipEmbedder.run(m.model(), m.tokenizer(), m.images(), items, out, o, spec.commandLine().getErr());
            spec.commandLine().getOut().println(sum.line(out));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /** The embedder's options the flags describe. */
    ClipEmbedder.Options options() {
        ClipEmbedder.Kind k;
        try {
            k = ClipEmbedder.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--kind: expected selector, image or text but found '" + kind + "'");
        }
        int threads = decodeThreads != null ? decodeThreads : Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        return new ClipEmbedder.Options(k, batchSize, chunkRows, threads, skipBad, overwrite);
    }

    /** The dataset, in global-id order. */
    List<DatasetItem> items() throws IOException { return data.load(); }

    /** The CLIP model (on {@code device}), with the tokenizer and image processor {@code kind} needs (else null). */
    record Models(ClipModel model, ClipTokenizer tokenizer, ClipImageProcessor images) implements AutoCloseable {
        @Override public void close() {
            try (model; tokenizer) {
                // closed in reverse order
            }
        }
    }

    Models load(ClipEmbedder.Kind k, String device) throws IOException {
        ClipSnapshot s = ClipSnapshot.open(snapshot);
        ClipImageProcessor images = k == ClipEmbedder.Kind.TEXT ? null
                : new ClipImageProcessor(s.files().optional(ClipImageProcessor.FILE).isPresent()
                ? ClipImageProcessor.Config.read(s.files().require(ClipImageProcessor.FILE)) : ClipImageProcessor.Config.defaults());
        ClipModel model = ClipModel.load(s, new ModelOptions(ModelOptions.parseDtype(dtype), device));
        try {
            ClipTokenizer tok = k == ClipEmbedder.Kind.IMAGE ? null : ClipTokenizer.load(s.files().tokenizerJson(), s.config().text().maxPositions());
            return new Models(model, tok, images);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
