package org.leverplus.cli;

import org.leverplus.data.VqaDataset;
import org.leverplus.demo.DemoWorld;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code lever demo}: the embedded demo world ({@code lever demo world --out DIR} writes it out for inspection). */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "The embedded demo world (synthetic VQA data and a tiny trained VLM).",
        subcommands = {DemoCommand.World.class})
final class DemoCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "world", mixinStandardHelpOptions = true,
            description = "Write the demo world (VQAv2-format dataset + images, VLM snapshot) into a directory.")
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
            w.flush();
            return 0;
        }
    }
}
