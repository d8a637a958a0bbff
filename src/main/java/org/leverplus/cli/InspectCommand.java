package org.leverplus.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.Inputs;
import org.leverplus.io.Safetensors;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.hf.WeightEntry;
import org.leverplus.hf.WeightIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code lever inspect FILE}: what a safetensors file (embeddings, a selector checkpoint, training state, pixel values)
 * or a Hugging Face snapshot directory holds, reading headers only: tensors with dtype and shape, metadata, parameter
 * count; for a selector checkpoint also the architecture; for a snapshot its config, key layout and shards.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what a safetensors file, selector checkpoint or snapshot directory holds (headers only).")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A .safetensors file or a snapshot directory.") Path path;
    @Option(names = "--json", description = "Print JSON (file, kind, tensors [name, dtype, shape], metadata, parameters, bytes).") boolean json;

    @Override public Integer call() throws Exception {
        ObjectNode o = Files.isDirectory(path) ? snapshot(path) : file(path);
        if (json) {
            LeverCli.printJson(o);
            return 0;
        }
        StringBuilder b = new StringBuilder();
        b.append(o.get("path").asText()).append(" (").append(o.get("kind").asText()).append(")\n");
        if (o.has("selector")) b.append("selector: ").append(o.get("selector")).append('\n');
        if (o.has("config")) b.append("config: ").append(o.get("config")).append('\n');
        if (o.has("layout")) b.append("key layout: ").append(o.get("layout").asText()).append(", shards: ").append(o.get("shards")).append('\n');
        b.append(String.format(Locale.ROOT, "tensors: %d, parameters: %,d, bytes: %,d%n", o.get("tensors").size(), o.get("parameters").asLong(), o.get("bytes").asLong()));
        if (o.has("metadata") && o.get("metadata").size() > 0) {
            b.append("metadata:\n");
            o.get("metadata").fields().forEachRemaining(e -> b.append("  ").append(e.getKey()).append(": ").append(e.getValue().asText()).append('\n'));
        }
        int shown = 0;
        for (var t : o.get("tensors")) {
            if (shown++ == 200) { b.append("  ... (").append(o.get("tensors").size() - 200).append(" more; --json lists all)\n"); break; }
            b.append(String.format(Locale.ROOT, "  %-60s %-5s %s%n", t.get("name").asText(), t.get("dtype").asText(), t.get("shape")));
        }
        System.out.print(b);
        return 0;
    }

    private static ObjectNode file(Path p) throws Exception {
        Inputs.requireFile(p, "safetensors file");
        Safetensors.Header h = Safetensors.readHeader(p);
        ObjectNode o = LeverCli.jsonSummary();
        o.put("path", p.toString());
        boolean selector = SelectorCheckpoint.FORMAT.equals(h.metadata().get(SelectorCheckpoint.FORMAT_KEY));
        boolean state = h.tensors().keySet().stream().anyMatch(n -> n.startsWith("model.")) && h.metadata().containsKey("config_fingerprint");
        o.put("kind", selector ? "selector checkpoint" : state ? "training state" : "safetensors");
        if (selector) {
            SelectorConfig c = SelectorConfig.fromMetadata(h.metadata());
            o.putObject("selector").put("arch", c.arch().id).put("d_model", c.dModel()).put("hidden_dim", c.hiddenDim()).put("num_layers", c.numLayers());
        }
        ObjectNode meta = o.putObject("metadata");
        new TreeMap<>(h.metadata()).forEach(meta::put);
        ArrayNode ts = o.putArray("tensors");
        long params = 0;
        for (Safetensors.TensorInfo t : h.tensors().values()) {
            ObjectNode e = ts.addObject();
            e.put("name", t.name());
            e.put("dtype", t.dtype().name());
            ArrayNode s = e.putArray("shape");
            for (long d : t.shape()) s.add(d);
            params += t.numel();
        }
        o.put("parameters", params);
        o.put("bytes", h.dataLength());
        return o;
    }

    private static ObjectNode snapshot(Path dir) throws Exception {
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(dir);
        WeightIndex idx = snap.weightIndex();
        ObjectNode o = LeverCli.jsonSummary();
        o.put("path", dir.toString());
        o.put("kind", "snapshot");
        var c = snap.config();
        o.putObject("config").put("hidden_size", c.hiddenSize()).put("num_hidden_layers", c.numHiddenLayers())
                .put("vocab_size", c.vocabSize()).put("vision_depth", c.vision().depth());
        o.put("layout", idx.layout().toString().toLowerCase(Locale.ROOT));
        ArrayNode shards = o.putArray("shards");
        for (Path s : idx.shards()) shards.add(s.getFileName().toString());
        ArrayNode ts = o.putArray("tensors");
        long params = 0, bytes = 0;
        for (Map.Entry<String, WeightEntry> e : new TreeMap<>(idx.entries()).entrySet()) {
            WeightEntry w = e.getValue();
            ObjectNode t = ts.addObject();
            t.put("name", w.storedName());
            t.put("dtype", w.dtype().name());
            ArrayNode s = t.putArray("shape");
            for (long d : w.shape()) s.add(d);
            params += w.numel();
            bytes += w.byteSize();
        }
        o.put("parameters", params);
        o.put("bytes", bytes);
        o.putObject("metadata");
        return o;
    }

    static String shape(long[] s) { return Arrays.toString(s); }
}
