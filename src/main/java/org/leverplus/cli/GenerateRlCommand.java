package org.leverplus.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.Embeddings;
import org.leverplus.rlgen.AnswerSources;
import org.leverplus.rlgen.GenDataset;
import org.leverplus.rlgen.PoolsFile;
import org.leverplus.rlgen.Proposals;
import org.leverplus.rlgen.RlGenerator;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.torch.Devices;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmRun;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.QwenTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lever generate rl}: RL data (proposals labelled by the VLM with the official metric), see docs/rl-data.md. */
@Command(name = "rl", description = "RL data: candidate ICD sequences per query, answered by the VLM and graded with the official VQA metric (k64 format).")
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
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the sampling and random proposers (default ${DEFAULT-VALUE}).") long seed;
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
    @Option(names = "--dtype", defaultValue = "float32", description = "float32 or bfloat16 (default ${DEFAULT-VALUE}).") String dtype;
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).") String device;
    @Option(names = "--no-image-cache", description = "Run the vision tower for every image occurrence.") boolean noImageCache;
    @Option(names = "--no-prefix-cache", description = "Recompute shared prompt prefixes for every prompt.") boolean noPrefixCache;
    @Option(names = "--batch-tokens", defaultValue = "16384", description = "Micro-batch bound: rows x padded length (default ${DEFAULT-VALUE}).") long batchTokens;
    @Option(names = "--batch-size", defaultValue = "64", description = "Micro-batch rows at most (default ${DEFAULT-VALUE}).") int batchSize;

    @Override public Integer call() throws Exception {
        TorchRuntime.init();
        Inputs in = inputs();
        try (Loaded l = load(in, null)) {
            RlGenerator.Summary sum = l.generator().run(out, in.journal(), in.runSettings(), overwrite, System.err);
            System.out.println("generate rl: " + sum + " -> " + out);
        }
        return 0;
    }

    /**
     * The run's inputs, read and checked, without the models: a distributed run's driver plans and finishes with
     * these, its tasks {@link #load} the models.
     */
    record Inputs(RlGenerator.Settings settings, GenDataset data, AnswerSources answers, Map<Integer, int[]> pools,
                  List<Integer> queryIds, Embeddings emb, GenerationSettings gen, ObjectNode runSettings, Path journal) {
        /** The generator without models: it only assembles the output from a journal that holds every query. */
        RlGenerator withoutModels() {
            return new RlGenerator(data, pools, queryIds, emb, null, answers, null, settings);
        }
    }

    Inputs inputs() throws IOException {
        String[] sh = shard.split("/");
        if (sh.length != 2) throw new IllegalArgumentException("--shard must be i/n, got " + shard);
        RlGenerator.Settings s = new RlGenerator.Settings(shots, proposers,
                new Proposals.Settings(beamWidth, temperatures, samplesPerTemperature, retrieval, random),
                seed, chunk, allowFallback, Integer.parseInt(sh[0].trim()), Integer.parseInt(sh[1].trim()), limit);
        GenDataset data;
        if (items != null) {
            if (questions != null || annotations != null) throw new IllegalArgumentException("give either --items or --questions/--annotations/--images");
            data = GenDataset.items(items, split);
        } else {
            if (questions == null || annotations == null || images == null)
                throw new IllegalArgumentException("the dataset: --items FILE, or --questions, --annotations and --images");
            data = GenDataset.official(questions, annotations, split, images);
        }
        AnswerSources answers = new AnswerSources().addDataset(data);
        if ((valQuestions == null) != (valAnnotations == null)) throw new IllegalArgumentException("--val-questions and --val-annotations go together");
        if (valQuestions != null) answers.addOfficial("val", valQuestions, valAnnotations);

        Map<Integer, int[]> poolMap = null;
        List<Integer> queryIds = new ArrayList<>();
        if (pools != null) {
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
        boolean needsSelector = proposers.contains("beam") || proposers.contains("sample");
        if (needsSelector && checkpoint == null) throw new IllegalArgumentException("the beam and sample proposers need --checkpoint (or pass --proposers retrieval,random)");
        GenerationSettings gen = new GenerationSettings(numBeams, maxNewTokens, VlmRun.eosIds(snapshot));
        Path j = journal != null ? journal : out.resolveSibling(out.getFileName() + ".journal.jsonl");
        return new Inputs(s, data, answers, poolMap, queryIds, emb, gen, runSettings(s, answers, gen), j);
    }

    /** The generator with its models (the selector, if a proposer needs it, and the VLM on {@code device}, null = --device). */
    record Loaded(RlGenerator generator, SelectorCheckpoint.Loaded selector, QwenTokenizer tokenizer, Qwen25VlModel model,
                  VlmEngine engine) implements AutoCloseable {
        @Override public void close() throws Exception {
            try (selector; tokenizer; model; engine) {
                // closed in reverse order
            }
        }
    }

    Loaded load(Inputs in, String onDevice) throws Exception {
        boolean needsSelector = proposers.contains("beam") || proposers.contains("sample");
        SelectorCheckpoint.Loaded sel = needsSelector ? SelectorCheckpoint.load(checkpoint, SelectorCheckpoint.LoadOptions.strict()) : null;
        QwenTokenizer tok = null;
        Qwen25VlModel vlmModel = null;
        try {
            PointerSelector model = sel == null ? null : sel.model();
            if (model != null) {
                model.train(false);
                if (model.config().dModel() != in.emb().dim())
                    throw new IllegalArgumentException("the selector expects " + model.config().dModel() + "-d embeddings but " + embeddings + " has " + in.emb().dim());
            }
            Proposals props = Proposals.parse(proposers, model, in.settings().proposal());
            Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshot);
            EngineOptions eo = EngineOptions.defaults().withImageCache(!noImageCache).withPrefixCache(!noPrefixCache).withBatch(batchTokens, batchSize);
            tok = QwenTokenizer.load(snap.tokenizerJson());
            vlmModel = Qwen25VlModel.load(snap, new ModelOptions(ModelOptions.parseDtype(dtype),
                    onDevice != null ? onDevice : Devices.name(Devices.parse(device))));
            VlmEngine engine = new VlmEngine(vlmModel, eo);
            RlGenerator.Vlm vlm = new RlGenerator.Vlm(engine, tok, IcdPromptBuilder.leverPlus(tok),
                    new QwenImageProcessor(snap.preprocessorConfig()), in.gen(), snapshot.getFileName().toString());
            return new Loaded(new RlGenerator(in.data(), in.pools(), in.queryIds(), in.emb(), props, in.answers(), vlm, in.settings()),
                    sel, tok, vlmModel, engine);
        } catch (Exception e) {
            try (SelectorCheckpoint.Loaded s = sel; QwenTokenizer t = tok; Qwen25VlModel m = vlmModel) {
                throw e;
            }
        }
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
        o.put("dtype", dtype);
        return o;
    }
}
