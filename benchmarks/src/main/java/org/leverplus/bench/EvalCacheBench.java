package org.leverplus.bench;

import org.leverplus.eval.RandomRetriever;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.Generation;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmGenerator;
import org.leverplus.vlm.model.ModelDims;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The generation workload of {@code lever eval --methods random --shots 1,2,3,4} on the 3B-shaped bench snapshot:
 * Lever-Plus prompts (system prompt, ICDs with 336x336 images, query), the original's random ICDs from a small
 * training pool (so images repeat across questions and shots, as COCO images do across questions), generation with
 * Lever-Plus's settings (3 beams, 5 new tokens), one batch per (method, shots) cell as {@code Evaluation} runs it.
 * Engine caches on ({@code EngineOptions.defaults()}) vs off ({@code uncached()}); generated tokens must agree.
 * <p>Run: see benchmarks/results/eval.md.
 */
public final class EvalCacheBench {
    public static void main(String[] args) throws Exception {
        int questions = 8, pool = 16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--questions" -> questions = Integer.parseInt(args[++i]);
                case "--pool" -> pool = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        TorchRuntime.init();
        Path dir = Files.createTempDirectory("lever-eval-bench");
        ModelDims d = TinySnapshotWriter.bench();
        TinySnapshotWriter.write(dir, d, TinySnapshotWriter.Layout.LEGACY, 7, null);
        int grid = 336 / 14;
        List<VlmEngineBench.Icd> train = new ArrayList<>(), val = new ArrayList<>();
        for (int i = 0; i < pool; i++) train.add(new VlmEngineBench.Icd(VlmEngineBench.image("train" + i, grid), VlmEngineBench.words(12), VlmEngineBench.words(2)));
        for (int i = 0; i < questions; i++) val.add(new VlmEngineBench.Icd(VlmEngineBench.image("val" + i, grid), VlmEngineBench.words(12), VlmEngineBench.words(2)));
        int[] sys = VlmEngineBench.words(130), user = {VlmEngineBench.IM_START, 872, VlmEngineBench.NL};
        GenerationSettings gen = GenerationSettings.leverPlus(Set.of(VlmEngineBench.IM_END));
        System.out.printf("bench snapshot (text hidden %d x %d layers, vision %d x %d blocks); %d questions, ICDs from %d training items, shots 1-4, 3 beams x 5 tokens%n",
                d.hidden(), d.layers(), d.vision().hidden(), d.vision().depth(), questions, pool);
        System.out.println("| mode | generations | seconds | questions/s (all cells) | 4-shot cell questions/s | vision passes |");
        System.out.println("|---|---|---|---|---|---|");
        List<List<int[]>> tokens = new ArrayList<>();
        try (Qwen25VlModel model = Qwen25VlModel.load(Qwen25VlSnapshot.open(dir), ModelOptions.defaults())) {
            for (String mode : new String[]{"caches off (uncached)", "caches on (defaults)"}) {
                EngineOptions o = mode.startsWith("caches off") ? EngineOptions.uncached() : EngineOptions.defaults();
                List<int[]> out = new ArrayList<>();
                try (VlmEngine e = new VlmEngine(model, o)) {
                    VlmGenerator g = new VlmGenerator(e);
                    RandomRetriever rr = new RandomRetriever(pool, 42);
                    long t0 = System.nanoTime();
                    double four = 0;
                    int n = 0;
                    for (int k = 1; k <= 4; k++) {
                        int[][] icds = rr.retrieve(k, questions);
                        List<Prompt> prompts = new ArrayList<>();
                        for (int q = 0; q < questions; q++) {
                            List<VlmEngineBench.Icd> s = new ArrayList<>();
                            for (int id : icds[q]) s.add(train.get(id));
                            prompts.add(generationPrompt(sys, user, s, val.get(q)));
                        }
                        long c0 = System.nanoTime();
                        try (TensorScope scope = TensorScope.open()) {
                            for (Generation x : g.generate(prompts, gen)) out.add(x.tokens());
                        }
                        if (k == 4) four = (System.nanoTime() - c0) / 1e9;
                        n += questions;
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("| %s | %d | %.2f | %.2f | %.2f | %d |%n", mode, n, sec, n / sec, questions / four, e.visionCalls());
                }
                tokens.add(out);
            }
        }
        for (int i = 0; i < tokens.get(0).size(); i++)
            if (!java.util.Arrays.equals(tokens.get(0).get(i), tokens.get(1).get(i)))
                throw new AssertionError("generation " + i + " differs between caches on and off");
        System.out.println("generated tokens identical with caches on and off");
    }

    /** The scoring prompt of VlmEngineBench without the answer: ends with the assistant header. */
    static Prompt generationPrompt(int[] sys, int[] user, List<VlmEngineBench.Icd> icds, VlmEngineBench.Icd query) {
        Prompt p = VlmEngineBench.prompt(sys, user, icds, query).prompt();
        int[] ids = p.ids();
        // drop the teacher-forced answer, close the user turn and open the assistant turn: <|im_end|>\n<|im_start|>assistant\n
        int keep = ids.length - query.answer().length - 2;
        int[] out = java.util.Arrays.copyOf(ids, keep + 5);
        out[keep] = VlmEngineBench.IM_END;
        out[keep + 1] = VlmEngineBench.NL;
        out[keep + 2] = VlmEngineBench.IM_START;
        out[keep + 3] = 1091;   // "assistant" stand-in (compact vocabulary)
        out[keep + 4] = VlmEngineBench.NL;
        return new Prompt(out, p.images());
    }
}
