package org.leverplus.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.Embeddings;
import org.leverplus.rlgen.AnswerSources;
import org.leverplus.rlgen.BalancedPairs;
import org.leverplus.rlgen.DiversityAugmenter;
import org.leverplus.rlgen.GenDataset;
import org.leverplus.rlgen.PoolsFile;
import org.leverplus.rlgen.Proposals;
import org.leverplus.rlgen.RlGenerator;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmRun;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.QwenTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lever generate rl}: RL data (proposals labelled by the VLM with the official metric), see docs/rl-data.md. */
@Command(name = "rl", description = "RL data: candidate ICD sequences per query, answered by the VLM and graded with the official VQA metric (k64 format); --balanced: VQAv2 balanced generation; --augment-diversity: add candidates to single-reward queries of a file.")
final class GenerateRlCommand implements Callable<Integer> {
    // dataset
    @Option(names = "--items", description = "Items file, JSON Lines {\"id\",\"image\",\"question\",\"answer\"?,\"answers\"?} (images relative to it).")
    Path items;
    @Option(names = "--questions", description = "Official questions file (with --annotations and --images).")
    Path questions;
    @Option(names = "--annotations", description = "Official annotations file.")
    Path annotations;
    @Option(names = "--images", description = "COCO image folder of the split.")
    Path images;
    @Option(names = "--split", defaultValue = "train", description = "Split name of the dataset (default ${DEFAULT-VALUE}).")
    String split;
    @Option(names = "--val-questions", description = "Second annotation source (questions), tried after the dataset's own answers.")
    Path valQuestions;
    @Option(names = "--val-annotations", description = "Second annotation source (annotations).")
    Path valAnnotations;
    // queries and pools
    @Option(names = "--pools", description = "Pools file {anchor: [ids]} (lever sample's pools.json): queries = anchors, in file order.")
    Path pools;
    @Option(names = "--pool", description = "'full': every item is every query's pool (queries = --queries range).")
    String pool;
    @Option(names = "--queries", description = "With --pool full: query ids START:END (end exclusive; default all).")
    String queries;
    // models
    @Option(names = "--checkpoint", description = "Selector checkpoint for beam/sample proposals (loaded strictly).")
    Path checkpoint;
    @Option(names = "--embeddings", required = true, description = "Embeddings of every id (safetensors).")
    Path embeddings;
    @Option(names = "--snapshot", required = true, description = "Qwen2.5-VL snapshot directory.")
    Path snapshot;
    @Option(names = "--out", required = true, description = "Output RL data file (k64 format).")
    Path out;
    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;
    @Option(names = "--journal", description = "Journal of finished queries (default OUT.journal.jsonl).")
    Path journal;
    // proposals
    @Option(names = "--shots", defaultValue = "2", description = "ICDs per candidate sequence (default ${DEFAULT-VALUE}).")
    int shots;
    @Option(names = "--proposers", defaultValue = "beam,sample,retrieval,random", description = "Which proposers run (default ${DEFAULT-VALUE}).")
    String proposers;
    @Option(names = "--beam-width", defaultValue = "5", description = "Selector beam proposals: beam width (default ${DEFAULT-VALUE}).") int beamWidth;
    @Option(names = "--temperatures", defaultValue = "1.0,1.3", split = ",", description = "Selector sampling temperatures (default ${DEFAULT-VALUE}).") List<Double> temperatures;
    @Option(names = "--samples-per-temperature", defaultValue = "2", description = "Sampled sequences per temperature (default ${DEFAULT-VALUE}).") int samplesPerTemperature;
    @Option(names = "--retrieval", defaultValue = "3", description = "Retrieval combinations (default ${DEFAULT-VALUE}).") int retrieval;
    @Option(names = "--random", defaultValue = "2", description = "Random sets (default ${DEFAULT-VALUE}).") int random;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the sampling and random proposers, of --balanced's random.seed and of --augment-diversity's draws (default ${DEFAULT-VALUE}).") long seed;
    // labelling
    @Option(names = "--allow-fallback", description = "Keep candidates the official metric cannot grade, labelled 'fallback' (default: drop and count them).")
    boolean allowFallback;
    @Option(names = "--num-beams", defaultValue = "3", description = "VLM generation beams (default ${DEFAULT-VALUE}, Lever-Plus's).") int numBeams;
    @Option(names = "--max-new-tokens", defaultValue = "5", description = "VLM new tokens (default ${DEFAULT-VALUE}, Lever-Plus's).") int maxNewTokens;
    // run
    @Option(names = "--chunk", defaultValue = "16", description = "Queries generated together (default ${DEFAULT-VALUE}).")
    int chunk;
    @Option(names = "--shard", defaultValue = "0/1", description = "i/n: this run does the i-th of n contiguous parts (default ${DEFAULT-VALUE}).")
    String shard;
    @Option(names = "--limit", defaultValue = "0", description = "Only the first N queries (0 = all).")
    int limit;
    @Mixin EngineFlags engineFlags = new EngineFlags();
    // balanced mode (spec 8.7b)
    @Option(names = "--balanced", description = "VQAv2 balanced mode: per query 10 similarity intervals x 4 ids over the whole dataset, shuffled and paired (Python random, seed --seed), labelled; only queries inside the positive-ratio band are written.")
    boolean balanced;
    @Option(names = "--start", description = "Balanced: first query id (default 0).") Integer start;
    @Option(names = "--end", description = "Balanced: query ids end here, exclusive (default: the dataset size).") Integer end;
    @Option(names = "--min-pos-ratio", defaultValue = "0.4", description = "Balanced: lowest positive ratio kept (default ${DEFAULT-VALUE}).") double minPosRatio;
    @Option(names = "--max-pos-ratio", defaultValue = "0.6", description = "Balanced: highest positive ratio kept (default ${DEFAULT-VALUE}).") double maxPosRatio;
    @Option(names = "--intervals", defaultValue = "10", description = "Balanced: similarity intervals (default ${DEFAULT-VALUE}).") int intervals;
    @Option(names = "--per-interval", defaultValue = "4", description = "Balanced: ids drawn per interval (default ${DEFAULT-VALUE}).") int perInterval;
    @Option(names = "--max-pairs", defaultValue = "20", description = "Balanced: pairs per query at most, the original's eval_per_query (default ${DEFAULT-VALUE}).") int maxPairs;
    @Option(names = "--target-queries", defaultValue = "0", description = "Balanced: stop once this many queries were kept (0 = no target).") int targetQueries;
    @Option(names = "--reseed-every", defaultValue = "0", description = "Balanced: random.seed(--seed) again every N queries (1000 = the original's 1000-query shard processes; 0 = once).") int reseedEvery;
    // diversity augmentation (spec 8.5)
    @Option(names = "--augment-diversity", description = "Diversity augmentation of --rl-data: all0/all1/all06 queries get new labelled candidates until a second reward level appears; writes --out (the input is never changed).")
    boolean augmentDiversity;
    @Option(names = "--rl-data", description = "Augment: the existing RL data file.") Path rlData;
    @Option(names = "--budget-all0", defaultValue = "100", description = "Augment: evaluations at most per all0 query (default ${DEFAULT-VALUE}).") int budgetAll0;
    @Option(names = "--budget-all1", defaultValue = "8", description = "Augment: evaluations at most per all1 query (default ${DEFAULT-VALUE}).") int budgetAll1;
    @Option(names = "--budget-all06", defaultValue = "8", description = "Augment: evaluations at most per all06 query (default ${DEFAULT-VALUE}).") int budgetAll06;
    @Option(names = "--max-candidates-per-query", defaultValue = "24", description = "Augment: candidates per query at most, all0 queries +6 (default ${DEFAULT-VALUE}).") int maxCandidatesPerQuery;
    @Option(names = "--aug-pool", defaultValue = "500", description = "Augment: files without candidate_pool_ids: the pool is the query's N most similar items (default ${DEFAULT-VALUE}).") int augPool;
    @Option(names = "--aug-batch", defaultValue = "8", description = "Augment: evaluations per query per labelling pass; the output does not depend on it (default ${DEFAULT-VALUE}).") int augBatch;

    @Override public Integer call() throws Exception {
        TorchRuntime.init();
        if (balanced && augmentDiversity) throw new IllegalArgumentException("give either --balanced or --augment-diversity");
        if (!balanced && (start != null || end != null)) throw new IllegalArgumentException("--start/--end go with --balanced (the standard mode: --pool full --queries START:END)");
        if (augmentDiversity) return augment();
        if (rlData != null) throw new IllegalArgumentException("--rl-data goes with --augment-diversity");
        Inputs in = inputs();
        try (Loaded l = load(in, null)) {
            RlGenerator.Summary sum = l.generator().run(out, in.journal(), in.runSettings(), overwrite, System.err);
            System.out.println("generate rl: " + sum + " -> " + out);
            System.err.println(engineCounters(l.engine()));
        }
        return 0;
    }

    /** The engine's work counters, for benchmarks and cost estimates (stderr, after the run). */
    static String engineCounters(VlmEngine e) {
        return String.format("generate rl: engine: %d vision passes; %d prompts generated from, %d scored; %d prompt tokens through the decoder"
                        + " (%d of them scoring), %d decode tokens; prefix cache %d hits / %d misses",
                e.visionCalls(), e.generatedPrompts(), e.scoredPrompts(), e.tokensComputed(), e.scoreTokens(), e.decodeTokens(),
                e.prefixHits(), e.prefixMisses());
    }

    /**
     * The run's inputs, read and checked, without the models: a distributed run's driver plans and finishes with
     * these, its tasks {@link #load} the models.
     */
    record Inputs(RlGenerator.Settings settings, GenDataset data, AnswerSources answers, Map<Integer, int[]> pools,
                  List<Integer> queryIds, Embeddings emb, GenerationSettings gen, ObjectNode runSettings, Path journal,
                  RlGenerator.Balanced balanced) {
        /** The generator without models: it only assembles the output from a journal that holds every query. */
        RlGenerator withoutModels() {
            return balanced != null ? RlGenerator.balanced(data, queryIds, emb, answers, null, settings, balanced)
                    : new RlGenerator(data, pools, queryIds, emb, null, answers, null, settings);
        }

        /** The generator on loaded models. */
        RlGenerator with(Proposals props, RlGenerator.Vlm vlm) {
            return balanced != null ? RlGenerator.balanced(data, queryIds, emb, answers, vlm, settings, balanced)
                    : new RlGenerator(data, pools, queryIds, emb, props, answers, vlm, settings);
        }
    }

    Inputs inputs() throws IOException {
        String[] sh = shard.split("/");
        if (sh.length != 2) throw new IllegalArgumentException("--shard must be i/n, got " + shard);
        RlGenerator.Settings s = new RlGenerator.Settings(shots, proposers,
                new Proposals.Settings(beamWidth, temperatures, samplesPerTemperature, retrieval, random),
                seed, chunk, allowFallback, Integer.parseInt(sh[0].trim()), Integer.parseInt(sh[1].trim()), limit);
        GenDataset data = dataset();
        AnswerSources answers = answerSources(data);

        Map<Integer, int[]> poolMap = null;
        List<Integer> queryIds = new ArrayList<>();
        if (balanced) {
            if (pools != null || pool != null || queries != null) throw new IllegalArgumentException("--balanced draws from the whole dataset: no --pools, --pool or --queries (use --start/--end)");
            int from = start == null ? 0 : start, to = end == null ? data.size() : Math.min(end, data.size());
            if (from < 0 || from > to) throw new IllegalArgumentException("--start/--end: expected 0 <= start <= end, got " + from + " and " + to);
            for (int i = from; i < to; i++) queryIds.add(i);
        } else if (pools != null) {
            if (pool != null) throw new IllegalArgumentException("give either --pools FILE or --pool full");
            poolMap = PoolsFile.read(pools);
            queryIds.addAll(poolMap.keySet());
        } else {
            if (!"full".equals(pool)) throw new IllegalArgumentException("the candidate pools: --pools FILE or --pool full");
            int from = 0, to = data.size();
            if (queries != null) {
                String[] r = queries.split(":");
                from = Integer.parseInt(r[0].trim());
                to = Math.min(data.size(), Integer.parseInt(r[1].trim()));
            }
            for (int i = from; i < to; i++) queryIds.add(i);
        }
        Embeddings emb = Embeddings.readSafetensors(embeddings);
        if (needsSelector() && checkpoint == null) throw new IllegalArgumentException("the beam and sample proposers need --checkpoint (or pass --proposers retrieval,random)");
        GenerationSettings gen = new GenerationSettings(numBeams, maxNewTokens, VlmRun.eosIds(snapshot));
        Path j = journal != null ? journal : out.resolveSibling(out.getFileName() + ".journal.jsonl");
        ObjectNode settings = runSettings(s, answers, gen);
        RlGenerator.Balanced bal = balanced ? balancedSettings() : null;
        if (balanced) {
            settings.put("mode", "balanced");
            settings.remove(List.of("pools", "checkpoint", "proposers", "beam_width", "temperatures", "samples_per_temperature", "retrieval", "random"));
            settings.put("queries", queryIds.isEmpty() ? "none" : queryIds.get(0) + ":" + (queryIds.get(queryIds.size() - 1) + 1));
            settings.put("intervals", bal.pairs().intervals()).put("per_interval", bal.pairs().perInterval())
                    .put("max_pairs", bal.pairs().maxPairs()).put("reseed_every", bal.pairs().reseedEvery())
                    .put("min_pos_ratio", bal.minPosRatio()).put("max_pos_ratio", bal.maxPosRatio())
                    .put("target_queries", bal.targetQueries()).put("prompt", "evaluation (spec 4)");
        }
        return new Inputs(s, data, answers, poolMap, queryIds, emb, gen, settings, j, bal);
    }

    private boolean needsSelector() {
        return !balanced && (proposers.contains("beam") || proposers.contains("sample"));
    }

    /** The generator with its models (the selector, if a proposer needs it, and the VLM on {@code device}, null = --device). */
    record Loaded(RlGenerator generator, SelectorCheckpoint.Loaded selector, OpenVlm vlm) implements AutoCloseable {
        VlmEngine engine() { return vlm.engine(); }

        @Override public void close() throws Exception {
            try (selector; vlm) {
                // closed in reverse order
            }
        }
    }

    Loaded load(Inputs in, String onDevice) throws Exception {
        SelectorCheckpoint.Loaded sel = selector(needsSelector(), in.emb());
        try {
            Proposals props = balanced ? null : Proposals.parse(proposers, sel == null ? null : sel.model(), in.settings().proposal());
            OpenVlm vlm = openVlm(in.gen(), onDevice);
            return new Loaded(in.with(props, vlm.vlm()), sel, vlm);
        } catch (Exception e) {
            try (SelectorCheckpoint.Loaded s = sel) {
                throw e;
            }
        }
    }

    /** The VLM side of a run: tokenizer, model and engine (closed together) and the labelling view of them. */
    record OpenVlm(QwenTokenizer tokenizer, Qwen25VlModel model, VlmEngine engine, RlGenerator.Vlm vlm) implements AutoCloseable {
        @Override public void close() throws Exception {
            try (tokenizer; model; engine) {
                // closed in reverse order
            }
        }
    }

    /** Opens --snapshot on {@code onDevice} (null = --device) with the engine flags. */
    private OpenVlm openVlm(GenerationSettings gen, String onDevice) throws Exception {
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshot);
        QwenTokenizer tok = QwenTokenizer.load(snap.tokenizerJson());
        Qwen25VlModel vlmModel = null;
        try {
            ModelOptions mo = engineFlags.model();
            vlmModel = Qwen25VlModel.load(snap, onDevice != null ? new ModelOptions(mo.dtype(), onDevice) : mo);
            VlmEngine engine = new VlmEngine(vlmModel, engineFlags.engine());
            return new OpenVlm(tok, vlmModel, engine, new RlGenerator.Vlm(engine, tok, IcdPromptBuilder.leverPlus(tok),
                    new QwenImageProcessor(snap.preprocessorConfig()), gen, snapshot.getFileName().toString()));
        } catch (Exception e) {
            try (QwenTokenizer t = tok; Qwen25VlModel m = vlmModel) {
                throw e;
            }
        }
    }

    /** The --checkpoint selector, strictly loaded, in eval mode and checked against the embeddings; null when not wanted. */
    private SelectorCheckpoint.Loaded selector(boolean wanted, Embeddings emb) throws IOException {
        if (!wanted) return null;
        SelectorCheckpoint.Loaded sel = SelectorCheckpoint.load(checkpoint, SelectorCheckpoint.LoadOptions.strict());
        PointerSelector model = sel.model();
        model.train(false);
        if (model.config().dModel() != emb.dim()) {
            sel.close();
            throw new IllegalArgumentException("the selector expects " + model.config().dModel() + "-d embeddings but " + embeddings + " has " + emb.dim());
        }
        return sel;
    }

    /** The dataset's own answers, then --val-questions/--val-annotations when given. */
    private AnswerSources answerSources(GenDataset data) throws IOException {
        AnswerSources answers = new AnswerSources().addDataset(data);
        if ((valQuestions == null) != (valAnnotations == null)) throw new IllegalArgumentException("--val-questions and --val-annotations go together");
        if (valQuestions != null) answers.addOfficial("val", valQuestions, valAnnotations);
        return answers;
    }

    private RlGenerator.Balanced balancedSettings() {
        return new RlGenerator.Balanced(new BalancedPairs.Settings(intervals, perInterval, maxPairs, seed, reseedEvery),
                minPosRatio, maxPosRatio, targetQueries);
    }

    private GenDataset dataset() throws java.io.IOException {
        if (items != null) {
            if (questions != null || annotations != null) throw new IllegalArgumentException("give either --items or --questions/--annotations/--images");
            return GenDataset.items(items, split);
        }
        if (questions == null || annotations == null || images == null)
            throw new IllegalArgumentException("the dataset: --items FILE, or --questions, --annotations and --images");
        return GenDataset.official(questions, annotations, split, images);
    }

    /** --augment-diversity: spec 8.5 on an existing file. */
    private Integer augment() throws Exception {
        if (rlData == null) throw new IllegalArgumentException("--augment-diversity needs --rl-data FILE (the file to augment)");
        if (pools != null || pool != null || queries != null) throw new IllegalArgumentException("--augment-diversity takes its queries and pools from --rl-data: no --pools, --pool or --queries");
        DiversityAugmenter.Settings as = new DiversityAugmenter.Settings(budgetAll0, budgetAll1, budgetAll06, maxCandidatesPerQuery, augPool, seed, chunk, augBatch);
        GenDataset data = dataset();
        AnswerSources answers = answerSources(data);
        Embeddings emb = Embeddings.readSafetensors(embeddings);
        GenerationSettings gen = new GenerationSettings(numBeams, maxNewTokens, VlmRun.eosIds(snapshot));
        try (SelectorCheckpoint.Loaded sel = selector(checkpoint != null, emb); OpenVlm v = openVlm(gen, null)) {
            DiversityAugmenter a = new DiversityAugmenter(data, emb, answers, v.vlm(), sel == null ? null : sel.model(), as, allowFallback);
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("input", rlData.toString());
            o.put("vqa_model", snapshot.getFileName().toString());
            ObjectNode g = o.putObject("task_gen_args");
            g.put("max_new_tokens", gen.maxNewTokens()).put("num_beams", gen.numBeams()).put("length_penalty", 0.0)
                    .put("min_new_tokens", 0).put("do_sample", false);
            ArrayNode src = o.putObject("eval").putArray("annotation_sources");
            answers.splits().forEach(src::add);
            o.put("strict_eval", !allowFallback);
            o.put("dataset", items != null ? items.toString() : questions + " + " + annotations);
            o.put("checkpoint", checkpoint == null ? null : checkpoint.toString());
            o.put("embeddings", embeddings.toString());
            o.put("max_eval_budget_all0", as.budgetAll0()).put("max_eval_budget_all1", as.budgetAll1())
                    .put("max_eval_budget_all06", as.budgetAll06()).put("max_candidates_per_query", as.maxCandidates())
                    .put("pool_size", as.poolSize()).put("seed", as.seed()).put("chunk", as.chunk()).put("aug_batch", as.batch())
                    .put("dtype", engineFlags.dtype);
            Path j = journal != null ? journal : out.resolveSibling(out.getFileName() + ".journal.jsonl");
            DiversityAugmenter.Report r = a.run(rlData, out, j, o, overwrite, System.err);
            System.out.println("generate rl --augment-diversity: " + r + " -> " + out);
        }
        return 0;
    }

    /** Everything that determines the output (the journal refuses to resume under other settings). */
    private ObjectNode runSettings(RlGenerator.Settings s, AnswerSources answers, GenerationSettings gen) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("vqa_model", snapshot.getFileName().toString());
        ObjectNode g = o.putObject("task_gen_args");
        g.put("max_new_tokens", gen.maxNewTokens()).put("num_beams", gen.numBeams()).put("length_penalty", 0.0)
                .put("min_new_tokens", 0).put("do_sample", false);
        ObjectNode ev = o.putObject("eval");
        ArrayNode src = ev.putArray("annotation_sources");
        answers.splits().forEach(src::add);
        o.put("strict_eval", !s.allowFallback());
        o.put("dataset", items != null ? items.toString() : questions + " + " + annotations);
        o.put("pools", pools != null ? pools.toString() : "full" + (queries == null ? "" : " " + queries));
        o.put("checkpoint", checkpoint == null ? null : checkpoint.toString());
        o.put("embeddings", embeddings.toString());
        o.put("shots", s.shots());
        o.put("proposers", s.proposers());
        o.put("beam_width", s.proposal().beamWidth());
        ArrayNode t = o.putArray("temperatures");
        s.proposal().temperatures().forEach(t::add);
        o.put("samples_per_temperature", s.proposal().samplesPerTemperature());
        o.put("retrieval", s.proposal().retrieval());
        o.put("random", s.proposal().random());
        o.put("seed", s.seed());
        o.put("chunk", s.chunk());
        o.put("limit", s.limit());
        o.put("shard", s.shard() + "/" + s.shards());
        o.put("dtype", engineFlags.dtype);
        return o;
    }
}
