package org.leverplus.cli;

import org.leverplus.data.VqaDataset;
import org.leverplus.demo.DemoWorld;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code lever demo}: the whole pipeline on the embedded demo world (a synthetic VQAv2-format dataset and a small
 * trained Qwen2.5-VL-architecture model and a small trained CLIP; nothing is downloaded): CLIP features, anchors and pools, SFT data, SFT
 * training, RL data, RCE training, evaluation against zero-shot, random and similarity baselines, and the HTML report.
 * {@code lever demo world --out DIR} only writes the world out for inspection.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on the embedded demo world; print the accuracy table and the report's path.",
        subcommands = {DemoCommand.World.class})
final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--dir", defaultValue = "lever-demo", description = "Working folder: world, pipeline file, run (default ${DEFAULT-VALUE}).") Path dir;
    @Option(names = "--quick", description = "Fewer anchors, epochs and questions (the CI smoke test).") boolean quick;

    @Override public Integer call() throws Exception {
        long t0 = System.nanoTime();
        DemoWorld.Paths w = DemoWorld.materialise(dir.resolve("world"));
        Path clip = w.clip();  // the world's tiny CLIP, trained on the demo's scenes (docs/demo.md)
        Path yaml = dir.resolve("pipeline.yaml");
        java.nio.file.Files.writeString(yaml, String.join("\n",
                "# lever demo: the validated recipe scaled to the demo world; edit and rerun `lever pipeline run` on this file",
                "run_dir: run",
                "dataset: {name: vqav2, data_dir: " + w.dataset() + ", train_images: " + w.images() + ", val_images: " + w.images() + "}",
                "vlm: {snapshot: " + w.vlm() + "}",
                "clip: {snapshot: " + clip + "}",
                "sample: {anchors: " + (quick ? 24 : 96) + ", candidates: 16}",
                "sft_data: {beam_size: " + (quick ? 3 : 5) + "}",
                "sft_train: {epochs: " + (quick ? 2 : 10) + ", extra_args: [--hidden-dim, '64']}",
                "rl_data: {balanced_filter: false}",
                "train: {rce_epochs: " + (quick ? 2 : 5) + ", extra_args: [--hidden-dim, '64']}",
                "eval: {methods: [selector, zero, random, i2i, t2t], shots: [1, 2], limit: " + (quick ? 40 : 180) + "}",
                ""));
        java.util.List<org.leverplus.pipeline.Pipeline.Status> st = PipelineCommand.pipeline(yaml).run(null, null, false, System.out);
        Path evalDir = st.get(st.size() - 1).dir();
        System.out.printf("%nlever demo: done in %.0f s; report: %s%n", (System.nanoTime() - t0) / 1e9,
                evalDir.resolve("report.html").toAbsolutePath());
        return 0;
    }

    @Command(name = "world", mixinStandardHelpOptions = true,
            description = "Write the demo world (VQAv2-format dataset + images, VLM and CLIP snapshots) into a directory.")
    static final class World implements Callable<Integer> {
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write (created if needed).") Path out;

        @Override public Integer call() throws Exception {
            DemoWorld.Paths p = DemoWorld.materialise(out);
            var w = spec.commandLine().getOut();
            w.println("demo world -> " + p.root());
            for (String split : DemoWorld.SPLITS) {
                VqaDataset ds = p.load(split);
                w.printf("  %-5s %4d questions  %s, %s%n", split, ds.size(), p.root().relativize(p.questions(split)),
                        p.root().relativize(p.annotations(split)));
            }
            w.println("  images   " + p.root().relativize(p.images()) + "/COCO_{split}2014_{image_id:012d}.jpg");
            w.println("  vlm      " + p.root().relativize(p.vlm()) + "/ (Qwen2.5-VL architecture, Hugging Face snapshot layout)");
            w.println("  clip     " + p.root().relativize(p.clip()) + "/ (CLIPModel, Hugging Face snapshot layout)");
            w.flush();
            return 0;
        }
    }
}
