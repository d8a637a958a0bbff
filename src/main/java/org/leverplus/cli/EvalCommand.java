package org.leverplus.cli;

import org.leverplus.data.VqaDataset;
import org.leverplus.eval.EvalData;
import org.leverplus.eval.Evaluation;
import org.leverplus.eval.Method;
import org.leverplus.eval.Retrievers;
import org.leverplus.eval.TinyEvalData;
import org.leverplus.report.HtmlReport;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.engine.EngineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code lever eval}: VQA accuracy by shots, selector vs baselines, with intervals, paired tests and the HTML report. */
@Command(name = "eval", description = "Evaluate ICD selection: VQA accuracy by number of shots for the selector and the baselines (see docs/eval.md).",
        subcommands = EvalCommand.MakeTinyData.class)
final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--dataset", defaultValue = "okvqa", description = "okvqa or vqav2 (official file names; default ${DEFAULT-VALUE}).") String dataset;
    @Option(names = "--data-dir", description = "Directory with the official question and annotation files of the train and val splits.") Path dataDir;
    @Option(names = "--train-images", description = "COCO train2014 images (the ICDs).") Path trainImages;
    @Option(names = "--val-images", description = "COCO val2014 images (the questions).") Path valImages;
    @Option(names = "--snapshot", description = "Qwen2.5-VL snapshot directory (with tokenizer.json).") Path snapshot;
    @Option(names = "--methods", split = ",", defaultValue = "selector,zero,random", description = "Any of selector,zero,random,i2i,i2t,t2t,mix (default ${DEFAULT-VALUE}).") List<String> methods;
    @Option(names = "--shots", split = ",", defaultValue = "1,2,3,4", description = "Shot counts (default ${DEFAULT-VALUE}).") List<Integer> shots;
    @Option(names = "--limit", defaultValue = "100", description = "The first N validation questions by question_id; -1 for all (default ${DEFAULT-VALUE}).") int limit;
    @Option(names = "--checkpoint", description = "Selector checkpoint (strict load).") Path checkpoint;
    @Option(names = "--selector-train-embeddings", description = "Selector embeddings of the training split [N_train, d].") Path selectorTrain;
    @Option(names = "--selector-val-embeddings", description = "Selector embeddings of the validation split [N_val, d].") Path selectorVal;
    @Option(names = "--pool", arity = "1..2", defaultValue = "top-k 64", description = "Selector candidate pool: 'top-k K' (default, per question by selector-embedding cosine) or 'first-k K' (the original's).") List<String> pool;
    @Option(names = "--clip-train-image", description = "CLIP image features of the training split (i2i, mix).") Path clipTrainImage;
    @Option(names = "--clip-train-text", description = "CLIP question-text features of the training split (i2t, t2t, mix).") Path clipTrainText;
    @Option(names = "--clip-val-image", description = "CLIP image features of the validation split (i2i, i2t, mix).") Path clipValImage;
    @Option(names = "--clip-val-text", description = "CLIP question-text features of the validation split (t2t, mix).") Path clipValText;
    @Option(names = "--random-seed", defaultValue = "42", description = "NumPy seed of the random baseline and the mix's random part (default ${DEFAULT-VALUE}).") long randomSeed;
    @Option(names = "--stats-seed", defaultValue = "0", description = "Seed of the bootstrap and permutation tests (default ${DEFAULT-VALUE}).") long statsSeed;
    @Option(names = "--bootstrap", defaultValue = "10000", description = "Bootstrap resamples (default ${DEFAULT-VALUE}).") int resamples;
    @Option(names = "--permutations", defaultValue = "10000", description = "Permutations of the paired test (default ${DEFAULT-VALUE}).") int permutations;
    @Option(names = "--num-beams", defaultValue = "3", description = "Beams (default ${DEFAULT-VALUE}, Lever-Plus's).") int numBeams;
    @Option(names = "--max-new-tokens", defaultValue = "5", description = "New tokens (default ${DEFAULT-VALUE}, Lever-Plus's).") int maxNewTokens;
    @Mixin EngineFlags engineFlags = new EngineFlags();
    @Option(names = "--chunk", defaultValue = "64", description = "Questions generated and journaled together (default ${DEFAULT-VALUE}).") int chunk;
    @Option(names = "--run-dir", description = "A training run directory: its loss curves go into the report.") Path runDir;
    @Option(names = "--rl-data", description = "An RL data file: its statistics go into the report.") Path rlData;
    @Option(names = "--out", description = "Output directory (journal, eval.json, metrics.json, report.html).") Path out;
    @Option(names = "--overwrite", description = "Discard an existing journal and results in --out and start again.") boolean overwrite;

    /** The command line as evaluation inputs and settings (what {@link Stages#eval} returns). */
    Stages.Eval parsed() throws Exception {
        for (Object[] o : new Object[][]{{dataDir, "--data-dir"}, {trainImages, "--train-images"}, {valImages, "--val-images"}, {snapshot, "--snapshot"}, {out, "--out"}})
            if (o[0] == null) throw new IllegalArgumentException("lever eval needs " + o[1]);
        List<Method> ms = new ArrayList<>();
        for (String m : methods) ms.add(Method.parse(m));
        TorchRuntime.init();
        EngineOptions e = engineFlags.engine();
        Evaluation.Settings s = new Evaluation.Settings(ms, shots, Retrievers.PoolSpec.parse(String.join(" ", pool)), randomSeed, statsSeed,
                resamples, permutations, numBeams, maxNewTokens, engineFlags.model(),
                e, chunk, overwrite);
        VqaDataset.Kind kind = switch (dataset.toLowerCase(Locale.ROOT)) {
            case "okvqa" -> VqaDataset.Kind.OKVQA;
            case "vqav2" -> VqaDataset.Kind.VQAV2;
            default -> throw new IllegalArgumentException("--dataset must be okvqa or vqav2, got '" + dataset + "'");
        };
        EvalData data = EvalData.load(kind, dataDir, trainImages, valImages, limit);
        Evaluation.Inputs in = new Evaluation.Inputs(data, snapshot, checkpoint, selectorTrain, selectorVal, clipTrainImage, clipTrainText, clipValImage, clipValText);
        return new Stages.Eval(in, s, out, runDir, rlData);
    }

    @Override public Integer call() throws Exception {
        Stages.Eval p = parsed();
        Evaluation.Outcome o = Evaluation.run(p.inputs(), p.settings(), out, System.err);
        finish(p, o, spec.commandLine().getOut());
        return 0;
    }

    /** Writes the report and prints the table and the outputs (after a one-machine or a distributed run). */
    static void finish(Stages.Eval p, Evaluation.Outcome o, java.io.PrintWriter w) throws Exception {
        HtmlReport.write(o.evalJson(), p.runDir(), p.rlData(), p.out().resolve(Evaluation.REPORT_HTML), true);
        w.print(o.results().table());
        w.println("wrote " + o.evalJson() + ", " + p.out().resolve(Evaluation.METRICS_JSON) + ", " + p.out().resolve(Evaluation.REPORT_HTML));
        w.flush();
    }

    /** {@code lever eval make-tiny-data}: a tiny OK-VQA-shaped dataset with feature files, for the tour and tests. */
    @Command(name = "make-tiny-data", description = "Write a tiny OK-VQA-shaped dataset (official files, JPEG images, random feature files).")
    static final class MakeTinyData implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--out", required = true, description = "Directory to create.") Path out;
        @Option(names = "--train", defaultValue = "12", description = "Training items (default ${DEFAULT-VALUE}).") int train;
        @Option(names = "--val", defaultValue = "6", description = "Validation questions (default ${DEFAULT-VALUE}).") int val;
        @Option(names = "--dim", defaultValue = "512", description = "Feature width (default ${DEFAULT-VALUE}, CLIP ViT-B/32's).") int dim;
        @Option(names = "--seed", defaultValue = "7", description = "Seed (default ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--overwrite", description = "Write into an existing non-empty directory.") boolean overwrite;

        @Override public Integer call() throws Exception {
            if (Files.isDirectory(out) && !overwrite) try (var s = Files.list(out)) {
                if (s.findAny().isPresent()) throw new IllegalArgumentException(out + " is not empty (use --overwrite)");
            }
            TinyEvalData.write(out, train, val, dim, seed);
            spec.commandLine().getOut().println("wrote " + out + ": data/, images/train, images/val, features/ (" + train + " training items, " + val + " questions, dim " + dim + ")");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
