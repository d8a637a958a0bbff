package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.clip.ClipConfig;
import org.leverplus.clip.ClipImageProcessor;
import org.leverplus.clip.ClipSnapshot;
import org.leverplus.clip.ClipTinySnapshot;
import org.leverplus.clip.ClipTokenizer;
import org.leverplus.io.Safetensors;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.Tensors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lever clip}: tiny snapshots, the tokenizer and the image preprocessing of a CLIP snapshot. */
@Command(name = "clip", description = "CLIP snapshot tools: make-tiny, tokenize, preprocess.",
        subcommands = {ClipCommand.MakeTiny.class, ClipCommand.Tokenize.class, ClipCommand.Preprocess.class})
final class ClipCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    static Path tokenizerJson(Path snapshot) throws Exception {
        return ClipSnapshot.open(snapshot).files().tokenizerJson();
    }

    @Command(name = "make-tiny", description = "Write a tiny random CLIP snapshot in the real file format (config, weights, preprocessor, tokenizer).")
    static final class MakeTiny implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to create.") Path out;
        @Option(names = "--geometry", defaultValue = "b32", description = "b32 (patch 32, like ViT-B/32) or l14 (patch 14, like ViT-L/14); default ${DEFAULT-VALUE}.") String geometry;
        @Option(names = "--dtype", defaultValue = "float32", description = "float32, bfloat16 or float16 (default ${DEFAULT-VALUE}).") String dtype;
        @Option(names = "--seed", defaultValue = "0", description = "Weight seed (default ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--overwrite", description = "Replace existing outputs.") boolean overwrite;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override public Integer call() throws Exception {
            ClipTinySnapshot.Geometry g = switch (geometry.toLowerCase(Locale.ROOT)) {
                case "b32" -> ClipTinySnapshot.Geometry.B32;
                case "l14" -> ClipTinySnapshot.Geometry.L14;
                default -> throw new CommandLine.ParameterException(spec.commandLine(), "--geometry: expected b32 or l14 but found '" + geometry + "'");
            };
            ScalarType t = switch (dtype.toLowerCase(Locale.ROOT)) {
                case "float32", "fp32" -> ScalarType.Float;
                case "bfloat16", "bf16" -> ScalarType.BFloat16;
                case "float16", "fp16" -> ScalarType.Half;
                default -> throw new CommandLine.ParameterException(spec.commandLine(), "--dtype: expected float32, bfloat16 or float16 but found '" + dtype + "'");
            };
            ClipTinySnapshot.write(out, g, t, seed, overwrite);
            spec.commandLine().getOut().println("tiny CLIP (" + geometry + ", " + dtype + ") -> " + out);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "tokenize", description = {"Tokenize with the snapshot's tokenizer.json as CLIP does (<|startoftext|> ... <|endoftext|>, cut to the text positions).",
            "Reads one JSON string per line from stdin; prints one JSON array of ids per line."})
    static final class Tokenize implements Callable<Integer> {
        @Option(names = "--snapshot", required = true, paramLabel = "DIR", description = "CLIP snapshot directory (with tokenizer.json).") Path snapshot;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override public Integer call() throws Exception {
            ObjectMapper json = new ObjectMapper();
            PrintWriter out = spec.commandLine().getOut();
            ClipSnapshot s = ClipSnapshot.open(snapshot);
            int max = Files.isRegularFile(snapshot.resolve(ClipConfig.FILE)) && s.config().hasText() ? s.config().text().maxPositions() : 77;
            try (ClipTokenizer tok = ClipTokenizer.load(s.files().tokenizerJson(), max);
                 BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                int n = 0;
                while ((line = in.readLine()) != null) {
                    n++;
                    JsonNode v;
                    try {
                        v = json.readTree(line);
                    } catch (Exception e) {
                        throw new IllegalArgumentException("stdin line " + n + ": expected a JSON string but the line is not valid JSON");
                    }
                    if (v == null || !v.isTextual()) throw new IllegalArgumentException("stdin line " + n + ": expected a JSON string");
                    out.println(json.writeValueAsString(tok.encode(v.asText())));
                }
                out.flush();
                if (tok.truncated() > 0) {
                    spec.commandLine().getErr().println("lever: " + tok.truncated() + " texts were cut to " + max + " tokens");
                    spec.commandLine().getErr().flush();
                }
            }
            return 0;
        }
    }

    @Command(name = "preprocess", description = "CLIPImageProcessor on one image: writes pixel_values [3, H, W] float32.")
    static final class Preprocess implements Callable<Integer> {
        @Option(names = "--snapshot", required = true, paramLabel = "DIR", description = "Snapshot (preprocessor_config.json is read).") Path snapshot;
        @Parameters(paramLabel = "IMAGE", description = "Image file.") Path image;
        @Option(names = "--out", required = true, description = "Output pixel_values [3, 224, 224] float32 (safetensors).") Path out;
        @Option(names = "--overwrite", description = "Replace existing outputs.") boolean overwrite;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override public Integer call() throws Exception {
            ClipImageProcessor p = new ClipImageProcessor(ClipImageProcessor.Config.read(ClipSnapshot.open(snapshot).files().require(ClipImageProcessor.FILE)));
            float[] px = new float[p.size()];
            p.process(image, px, 0);
            if (!overwrite && Files.exists(out)) throw new java.nio.file.FileAlreadyExistsException(out + " exists (use --overwrite)");
            TorchRuntime.init();
            try (TensorScope s = TensorScope.open()) {
                Safetensors.write(out, Map.of("pixel_values", Tensors.floats(px, null, 3, p.config().cropHeight(), p.config().cropWidth())), Map.of());
            }
            spec.commandLine().getOut().println("pixel_values [3, " + p.config().cropHeight() + ", " + p.config().cropWidth() + "] -> " + out);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
