package org.leverplus.pipeline;

import org.leverplus.data.VqaDataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stages of Lever-Plus as {@code lever} command lines, in order: embed (the CLIP feature files the later stages
 * read), sample, sft_data, sft_train, rl_data (+ balanced filter), train (RCE/GRPO), eval (+ report). Each stage's
 * settings are its configuration sections; its inputs are the files and folders it reads from outside the pipeline.
 */
public final class PipelineStages {
    /** File names of the embed stage's outputs (links to the configured feature files). */
    public static final List<String> FEATURES = List.of("selector_train", "selector_val", "clip_train_image", "clip_train_text",
            "clip_val_image", "clip_val_text");

    private PipelineStages() {}

    static Path feature(StageContext ctx, String key) { return ctx.dirOf("embed").resolve(key + ".safetensors"); }

    /** Whether the embed stage provides a feature file: given in the configuration, or computed from clip.snapshot. */
    static boolean has(PipelineConfig c, String key) { return c.path("embed", key) != null || c.path("clip", "snapshot") != null; }

    /**
     * The standard stages. {@code hasRlGenerator}: whether this build has {@code lever generate rl}; without it the
     * pipeline stops after SFT training and evaluates the SFT selector (the RL stages need RL data).
     */
    public static List<Stage> standard(CommandStage.Runner lever, boolean hasRlGenerator) {
        List<Stage> s = new ArrayList<>();
        s.add(new Stage() {
            @Override public String name() { return "embed"; }
            @Override public List<String> dependsOn() { return List.of(); }
            @Override public com.fasterxml.jackson.databind.JsonNode settings(PipelineConfig c) {
                com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
                o.set("embed", c.section("embed"));
                o.set("clip", c.section("clip"));
                o.put("dataset", c.string("dataset", "name"));
                return o;
            }
            @Override public Map<String, Path> inputs(PipelineConfig c) {
                Map<String, Path> m = new LinkedHashMap<>();
                for (String k : FEATURES) if (c.path("embed", k) != null) m.put("embed." + k, c.path("embed", k));
                if (c.path("clip", "snapshot") != null) {
                    m.put("clip.snapshot", c.path("clip", "snapshot"));
                    if (c.path("clip", "sampler_snapshot") != null) m.put("clip.sampler_snapshot", c.path("clip", "sampler_snapshot"));
                    m.put("dataset.data_dir", c.requiredPath("dataset", "data_dir"));
                    m.put("dataset.train_images", c.requiredPath("dataset", "train_images"));
                    m.put("dataset.val_images", c.requiredPath("dataset", "val_images"));
                }
                return m;
            }
            @Override public void run(StageContext ctx) throws Exception {
                PipelineConfig c = ctx.config();
                Path clip = c.path("clip", "snapshot");
                if (c.path("embed", "selector_train") == null && clip == null)
                    throw c.error("embed", "selector_train", "is required unless clip.snapshot is given (then lever embed computes it)");
                for (String k : FEATURES) {
                    Path p = c.path("embed", k);
                    if (p != null) {
                        Files.createSymbolicLink(feature(ctx, k), p.toAbsolutePath());
                        continue;
                    }
                    if (clip == null) continue;
                    // selector_train -> selector of the train split; clip_val_image -> image features of val; ...
                    String kind = k.startsWith("selector") ? "selector" : k.endsWith("image") ? "image" : "text";
                    String split = k.contains("train") ? "train" : "val";
                    Path snap = kind.equals("selector") || c.path("clip", "sampler_snapshot") == null ? clip : c.path("clip", "sampler_snapshot");
                    List<String> a = new ArrayList<>(List.of("embed", "--snapshot", snap.toString(), "--kind", kind,
                            "--dataset", c.string("dataset", "name"), "--data-dir", req(c, "dataset", "data_dir"), "--split", split,
                            "--images", req(c, "dataset", split + "_images"), "--device", c.string("clip", "device"),
                            "--out", feature(ctx, k).toString()));
                    a.addAll(c.strings("embed", "extra_args"));
                    ctx.log().println("[embed] lever " + String.join(" ", a));
                    int code = lever.run(a);
                    if (code != 0) throw new IllegalStateException("stage embed: `lever " + String.join(" ", a) + "` exited with " + code);
                }
            }
        });
        s.add(new CommandStage("sample", List.of("embed"), List.of("dataset", "sample"), c -> Map.of(), (c, ctx) -> {
            String sampler = c.string("sample", "sampler");
            List<String> a = new ArrayList<>(List.of("sample", "--sampler", sampler, "--anchors", str(c.integer("sample", "anchors")),
                    "--candidates", str(c.integer("sample", "candidates")), "--seed", str(c.integer("sample", "seed")),
                    "--train-size", str(countAnnotations(annotations(c))), "--out", ctx.dir().toString()));
            switch (sampler) {
                case "text" -> a.addAll(List.of("--features", needFeature(c, ctx, "clip_train_text", "sample.sampler text").toString()));
                case "img" -> a.addAll(List.of("--features", needFeature(c, ctx, "clip_train_image", "sample.sampler img").toString()));
                case "mix" -> a.addAll(List.of("--image-features", needFeature(c, ctx, "clip_train_image", "sample.sampler mix").toString(),
                        "--text-features", needFeature(c, ctx, "clip_train_text", "sample.sampler mix").toString()));
                default -> { }
            }
            a.addAll(c.strings("sample", "extra_args"));
            return List.of(a);
        }, lever));
        s.add(new CommandStage("sft_data", List.of("sample"), List.of("dataset", "vlm", "sft_data"), PipelineStages::vlmInputs, (c, ctx) -> {
            List<String> a = new ArrayList<>(List.of("generate", "sft", "--dataset", c.string("dataset", "name"),
                    "--data-dir", req(c, "dataset", "data_dir"), "--images", req(c, "dataset", "train_images"), "--split", "train",
                    "--pools", ctx.dirOf("sample").resolve("pools.json").toString(), "--snapshot", req(c, "vlm", "snapshot"),
                    "--out", ctx.dir().resolve("sft.json").toString(), "--beam-size", str(c.integer("sft_data", "beam_size")),
                    "--shots", str(c.integer("sft_data", "shots")), "--order", c.string("sft_data", "order"),
                    "--device", c.string("vlm", "device"), "--dtype", c.string("vlm", "dtype")));
            a.addAll(c.strings("sft_data", "extra_args"));
            return List.of(a);
        }, lever));
        s.add(new CommandStage("sft_train", List.of("embed", "sample", "sft_data"), List.of("sft_train"), c -> Map.of(), (c, ctx) -> {
            if (c.integer("sft_train", "epochs") == 0) return List.of();
            List<String> a = new ArrayList<>(List.of("train", "--run-dir", ctx.dir().resolve("run").toString(),
                    "--sft-data", ctx.dirOf("sft_data").resolve("sft.json").toString(),
                    "--sft-pools", ctx.dirOf("sample").resolve("pools.json").toString(),
                    "--embeddings", feature(ctx, "selector_train").toString(), "--sft-epochs", str(c.integer("sft_train", "epochs")),
                    "--rce-epochs", "0", "--grpo-epochs", "0"));
            a.addAll(c.strings("sft_train", "extra_args"));
            return List.of(a);
        }, lever));
        String selectorStage = "sft_train";
        if (hasRlGenerator) {
            s.add(new CommandStage("rl_data", List.of("embed", "sample", "sft_train"), List.of("dataset", "vlm", "rl_data"), PipelineStages::vlmInputs, (c, ctx) -> {
                VqaDataset.Kind kind = c.string("dataset", "name").equals("vqav2") ? VqaDataset.Kind.VQAV2 : VqaDataset.Kind.OKVQA;
                Path data = c.requiredPath("dataset", "data_dir");
                boolean balanced = c.string("rl_data", "mode").equals("balanced");
                List<String> gen = new ArrayList<>(List.of("generate", "rl", "--questions", data.resolve(kind.questionsFile("train")).toString(),
                        "--annotations", annotations(c).toString(), "--images", req(c, "dataset", "train_images"), "--split", "train",
                        "--val-questions", data.resolve(kind.questionsFile("val")).toString(),
                        "--val-annotations", data.resolve(kind.annotationsFile("val")).toString(), "--snapshot", req(c, "vlm", "snapshot"),
                        "--embeddings", feature(ctx, "selector_train").toString(),
                        "--out", ctx.dir().resolve("rl.json").toString(), "--device", c.string("vlm", "device"), "--dtype", c.string("vlm", "dtype")));
                if (balanced)      // the band is applied while generating; queries: --start/--end/--target-queries in extra_args
                    gen.addAll(List.of("--balanced", "--min-pos-ratio", str(c.real("rl_data", "min_pos_ratio")),
                            "--max-pos-ratio", str(c.real("rl_data", "max_pos_ratio"))));
                else
                    gen.addAll(List.of("--pools", ctx.dirOf("sample").resolve("pools.json").toString(),
                            "--checkpoint", finalCheckpoint(c, ctx.dirOf("sft_train"), "sft_train").toString(),
                            "--shots", str(c.integer("rl_data", "shots"))));
                gen.addAll(c.strings("rl_data", "extra_args"));
                List<List<String>> cmds = new ArrayList<>(List.of(gen));
                if (!balanced && c.bool("rl_data", "balanced_filter"))
                    cmds.add(List.of("data", "filter", ctx.dir().resolve("rl.json").toString(), "--min-pos-ratio", str(c.real("rl_data", "min_pos_ratio")),
                            "--max-pos-ratio", str(c.real("rl_data", "max_pos_ratio")), "--out", ctx.dir().resolve("rl_balanced.json").toString()));
                return cmds;
            }, lever));
            s.add(new CommandStage("train", List.of("embed", "sft_train", "rl_data"), List.of("train", "rl_data"), c -> Map.of(), (c, ctx) -> {
                boolean filtered = !c.string("rl_data", "mode").equals("balanced") && c.bool("rl_data", "balanced_filter");
                Path rl = ctx.dirOf("rl_data").resolve(filtered ? "rl_balanced.json" : "rl.json");
                List<String> a = new ArrayList<>(List.of("train", "--run-dir", ctx.dir().resolve("run").toString(), "--rl-data", rl.toString(),
                        "--embeddings", feature(ctx, "selector_train").toString(), "--rce-epochs", str(c.integer("train", "rce_epochs")),
                        "--grpo-epochs", str(c.integer("train", "grpo_epochs"))));
                Path init = c.integer("sft_train", "epochs") > 0 ? finalCheckpoint(c, ctx.dirOf("sft_train"), "sft_train") : null;
                if (init != null) a.addAll(List.of("--init", init.toString()));
                a.addAll(c.strings("train", "extra_args"));
                return List.of(a);
            }, lever));
            selectorStage = "train";
        }
        String sel = selectorStage;
        s.add(new CommandStage("eval", List.of("embed", sel), List.of("dataset", "vlm", "eval", "sample"), PipelineStages::evalInputs, (c, ctx) -> {
            List<String> a = new ArrayList<>(List.of("eval", "--dataset", c.string("dataset", "name"), "--data-dir", req(c, "dataset", "data_dir"),
                    "--train-images", req(c, "dataset", "train_images"), "--val-images", req(c, "dataset", "val_images"),
                    "--snapshot", req(c, "vlm", "snapshot"), "--methods", String.join(",", c.strings("eval", "methods")),
                    "--shots", String.join(",", c.integers("eval", "shots").stream().map(String::valueOf).toList()),
                    "--limit", c.integer("eval", "limit") == 0 ? "-1" : str(c.integer("eval", "limit")),
                    "--random-seed", str(c.integer("eval", "seed")), "--out", ctx.dir().toString(),
                    "--device", c.string("vlm", "device"), "--dtype", c.string("vlm", "dtype")));
            List<String> methods = c.strings("eval", "methods");
            if (methods.contains("selector")) {
                Path ckpt = finalCheckpoint(c, ctx.dirOf(sel), sel);
                if (ckpt == null) throw c.error("eval", "methods", "include selector but no stage trained one (sft_train.epochs is 0 and there is no RL training)");
                // each question's own pool, as large as the pools the selector was trained on
                a.addAll(List.of("--pool", "top-k", str(c.integer("sample", "candidates"))));
                a.addAll(List.of("--checkpoint", ckpt.toString(), "--selector-train-embeddings", feature(ctx, "selector_train").toString(),
                        "--selector-val-embeddings", needFeature(c, ctx, "selector_val", "eval.methods selector").toString(),
                        "--run-dir", ctx.dirOf(sel).resolve("run").toString()));
            }
            for (String[] f : new String[][]{{"clip_train_image", "--clip-train-image"}, {"clip_train_text", "--clip-train-text"},
                    {"clip_val_image", "--clip-val-image"}, {"clip_val_text", "--clip-val-text"}}) {
                if (has(c, f[0])) a.addAll(List.of(f[1], feature(ctx, f[0]).toString()));
            }
            if (ctx.stageDirs().containsKey("rl_data") && Files.exists(ctx.dirOf("rl_data").resolve("rl.json")))
                a.addAll(List.of("--rl-data", ctx.dirOf("rl_data").resolve("rl.json").toString()));
            a.addAll(c.strings("eval", "extra_args"));
            return List.of(a);
        }, lever));
        return s;
    }

    /**
     * The checkpoint a training stage hands on: SFT's best validation epoch (the original keeps only that one), and
     * the RL stage's last epoch (the validated recipe evaluates rce_epoch5).
     */
    static Path finalCheckpoint(PipelineConfig c, Path stageDir, String stage) {
        Path run = stageDir.resolve("run");
        String name = switch (stage) {
            case "sft_train" -> c.integer("sft_train", "epochs") == 0 ? null : "best";
            default -> c.integer("train", "grpo_epochs") > 0 ? "grpo_epoch" + c.integer("train", "grpo_epochs") : "rce_epoch" + c.integer("train", "rce_epochs");
        };
        return name == null ? null : run.resolve(name + ".safetensors");
    }

    private static Map<String, Path> vlmInputs(PipelineConfig c) {
        Map<String, Path> m = new LinkedHashMap<>();
        m.put("dataset.data_dir", c.requiredPath("dataset", "data_dir"));
        m.put("dataset.train_images", c.requiredPath("dataset", "train_images"));
        m.put("vlm.snapshot", c.requiredPath("vlm", "snapshot"));
        return m;
    }

    private static Map<String, Path> evalInputs(PipelineConfig c) {
        Map<String, Path> m = vlmInputs(c);
        m.put("dataset.val_images", c.requiredPath("dataset", "val_images"));
        return m;
    }

    private static Path annotations(PipelineConfig c) {
        VqaDataset.Kind kind = c.string("dataset", "name").equals("vqav2") ? VqaDataset.Kind.VQAV2 : VqaDataset.Kind.OKVQA;
        Path p = c.requiredPath("dataset", "data_dir").resolve(kind.annotationsFile("train"));
        if (!Files.isRegularFile(p)) throw c.error("dataset", "data_dir", "has no " + p.getFileName() + " (the official " + c.string("dataset", "name") + " train annotations)");
        return p;
    }

    /** Records in the "annotations" list of an annotation file, streamed (VQAv2's is 300 MB): the training size. */
    static int countAnnotations(Path file) throws IOException {
        try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.databind.ObjectMapper().getFactory().createParser(file.toFile())) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT)
                throw new IllegalArgumentException(file + ": expected a JSON object with an \"annotations\" list");
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String name = p.currentName();
                com.fasterxml.jackson.core.JsonToken t = p.nextToken();
                if (name.equals("annotations") && t == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                    int n = 0;
                    while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
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

    private static Path needFeature(PipelineConfig c, StageContext ctx, String key, String who) {
        if (!has(c, key)) throw c.error("embed", key, "is required by " + who);
        return feature(ctx, key);
    }

    private static String req(PipelineConfig c, String section, String key) { return c.requiredPath(section, key).toString(); }

    private static String str(long v) { return String.valueOf(v); }

    private static String str(double v) { return String.valueOf(v); }
}
