package org.leverplus.datagen;

import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.PreprocessorConfig;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.ProcessedImage;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.engine.AnswerScore;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.engine.ScoreRequest;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmScorer;
import org.leverplus.vlm.model.Tensors;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.QwenTokenizer;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Lever-Plus' InfoScore beam search (spec 5), the supervised data of the selector: for an anchor {@code x} with
 * answer {@code y} and its candidate pool, keep the ICD sequences that most raise the VLM's probability of {@code y}.
 *
 * <pre>
 * beams = [ [] ]
 * for step in 1..shots:
 *     for each beam S:  P0 = P(y | S, x)                       (once per beam)
 *                       for c in sorted(pool - S):  info(c) = P(y | insert(c, S), x) - P0
 *                       keep the beamSize largest (or, --per-beam-topk smallest, the original's Qwen quirk)
 *     beams = the beamSize largest expansions (stable: ties keep expansion order)
 * </pre>
 * {@code P(y | S, x) = exp(-mean cross-entropy)} over exactly the answer's tokens (the intended metric; the original's
 * Qwen mask covered most of the prompt, spec 5.1/14.2.5). {@code insert} prepends (left, the original's order) or
 * appends just before the query (right). A beam's score is its last step's InfoScore, not a sum.
 *
 * <p>All prompts of one step (every beam's baseline and every candidate of every beam) go to the engine in one call,
 * which cuts them into micro-batches, shares common prefixes (system prompt; in right order also the chosen ICDs) and
 * runs each distinct image through the vision tower once (image-embedding cache). Ties in a top-k keep the earlier
 * candidate (smaller id), where {@code torch.topk} leaves the order unspecified.
 *
 * <p>Use from a JVM service:
 * <pre>{@code
 * try (Qwen25VlModel model = Qwen25VlModel.load(snapshot, ModelOptions.defaults());
 *      VlmEngine engine = new VlmEngine(model, EngineOptions.defaults());
 *      QwenTokenizer tok = QwenTokenizer.load(snapshot.tokenizerJson())) {
 *     var search = new InfoScoreBeamSearch(engine, tok, snapshot.preprocessorConfig(), BeamSearchSettings.defaults());
 *     AnchorBeams r = search.search(anchorItem, poolItems);   // r.toJson() is the original's SFT entry
 * }
 * }</pre>
 * Not thread-safe (the engine is not).
 */
public final class InfoScoreBeamSearch {
    private final VlmEngine engine;
    private final VlmScorer scorer;
    private final IcdPromptBuilder builder;
    private final QwenImageProcessor processor;
    private final BeamSearchSettings settings;
    private final int imageThreads;
    private final boolean batchVision;
    private long promptsScored, promptTokens, anchors;

    public InfoScoreBeamSearch(VlmEngine engine, QwenTokenizer tokenizer, PreprocessorConfig preprocessor, BeamSearchSettings settings) {
        this(engine, tokenizer, preprocessor, settings, false);
    }

    /**
     * @param batchVision run each anchor's uncached images through the vision tower several per pass
     *                    ({@link VlmEngine#encodeImages}); faster on a GPU, but a batched embedding differs from the
     *                    single-image one in the last bits (float32 about 1e-6 relative), and which images are still
     *                    uncached depends on what ran before, so a resumed or sharded run is then equal to an
     *                    uninterrupted one only within that tolerance, not byte for byte
     */
    public InfoScoreBeamSearch(VlmEngine engine, QwenTokenizer tokenizer, PreprocessorConfig preprocessor, BeamSearchSettings settings,
                               boolean batchVision) {
        this.batchVision = batchVision;
        this.engine = engine;
        this.scorer = new VlmScorer(engine);
        this.builder = new IcdPromptBuilder(tokenizer, IcdPromptBuilder.LEVER_PLUS_SYSTEM_PROMPT, 2, settings.answerTokenization());
        this.processor = new QwenImageProcessor(preprocessor);
        this.settings = settings;
        this.imageThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    public BeamSearchSettings settings() { return settings; }

    /**
     * Checks an anchor and its pool without running the model: images exist, the pool does not name the anchor, and
     * (after dropping repeated ids, as the original's dict does) it is large enough. Returns the pool sorted by id.
     */
    public List<SftItem> checkedPool(SftItem anchor, List<SftItem> pool) {
        return checkedPool(anchor, pool, settings);
    }

    /** As {@link #checkedPool(SftItem, List)}, before any model is loaded. */
    public static List<SftItem> checkedPool(SftItem anchor, List<SftItem> pool, BeamSearchSettings settings) {
        if (!Files.isRegularFile(anchor.image())) throw new BadAnchorException(anchor.id(), "image not found: " + anchor.image());
        TreeMap<Integer, SftItem> byId = new TreeMap<>();
        for (SftItem c : pool) {
            if (c.id() == anchor.id()) throw new BadAnchorException(anchor.id(), "its pool names the anchor itself");
            if (!Files.isRegularFile(c.image())) throw new BadAnchorException(anchor.id(), "candidate " + c.id() + ": image not found: " + c.image());
            byId.putIfAbsent(c.id(), c);
        }
        if (byId.size() < settings.minimumPool())
            throw new BadAnchorException(anchor.id(), "its pool has " + byId.size() + " distinct candidates but " + settings.beamSize()
                    + " beams of " + settings.shots() + " shots need at least " + settings.minimumPool());
        return new ArrayList<>(byId.values());
    }

    /** Runs the beam search for one anchor. */
    public AnchorBeams search(SftItem anchor, List<SftItem> pool) {
        List<SftItem> cands = checkedPool(anchor, pool);
        // Every anchor starts from the same engine state, so its result does not depend on what ran before (resume).
        engine.resetPromptState();
        try (TensorScope scope = TensorScope.open()) {
            Map<Integer, ImageInput> images = images(anchor, cands);
            if (batchVision) {
                // the anchor's images not cached yet go through the vision tower together, before any prompt needs them
                List<ImageInput> distinct = new ArrayList<>();
                distinct.add(images.get(anchor.id()));
                for (SftItem c : cands) distinct.add(images.get(c.id()));
                engine.encodeImages(distinct);
            }
            Map<Integer, SftItem> byId = new HashMap<>();
            for (SftItem c : cands) byId.put(c.id(), c);
            List<Beam> beams = List.of(new Beam(new int[0], new double[0]));
            for (int step = 0; step < settings.shots(); step++) {
                List<ScoreRequest> requests = new ArrayList<>();
                List<int[]> candidateIds = new ArrayList<>();
                for (Beam b : beams) {
                    requests.add(request(anchor, b.promptOrder(settings.order()), byId, images));
                    int[] free = cands.stream().mapToInt(SftItem::id).filter(id -> !b.contains(id)).toArray();
                    candidateIds.add(free);
                    for (int c : free) requests.add(request(anchor, b.with(c, 0).promptOrder(settings.order()), byId, images));
                }
                for (ScoreRequest r : requests) promptTokens += r.prompt().length();
                promptsScored += requests.size();
                List<AnswerScore> scores = scorer.score(requests);
                List<Beam> expansions = new ArrayList<>();
                int k = 0;
                for (int bi = 0; bi < beams.size(); bi++) {
                    double base = scores.get(k++).probability();
                    int[] free = candidateIds.get(bi);
                    double[] info = new double[free.length];
                    for (int j = 0; j < free.length; j++) info[j] = scores.get(k++).probability() - base;
                    for (int j : topK(info, settings.beamSize(), settings.perBeamTopK() == BeamSearchSettings.TopK.LARGEST))
                        expansions.add(beams.get(bi).with(free[j], info[j]));
                }
                // the global beam filter keeps the largest, for every model (stable: ties keep expansion order)
                expansions.sort(Comparator.comparingDouble((Beam b) -> b.last()).reversed());
                beams = expansions.subList(0, Math.min(settings.beamSize(), expansions.size()));
            }
            anchors++;
            List<AnchorBeams.Beam> out = new ArrayList<>();
            for (Beam b : beams) out.add(new AnchorBeams.Beam(b.chosen(), b.scores(), b.promptOrder(settings.order())));
            return new AnchorBeams(anchor.id(), settings.shots(), out);
        }
    }

    /**
     * Positions of the {@code k} largest (or smallest) values, best first; ties keep the earlier position.
     */
    static int[] topK(double[] v, int k, boolean largest) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Comparator<Integer> byValue = Comparator.comparingDouble(i -> v[i]);
        Arrays.sort(idx, largest ? byValue.reversed() : byValue);
        int n = Math.min(k, v.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = idx[i];
        return out;
    }

    private ScoreRequest request(SftItem anchor, int[] icdIds, Map<Integer, SftItem> byId, Map<Integer, ImageInput> images) {
        List<VqaItem> icds = new ArrayList<>();
        List<ImageInput> ims = new ArrayList<>();
        for (int id : icdIds) {
            SftItem c = byId.get(id);
            ImageInput im = images.get(id);
            icds.add(new VqaItem(grid(im), c.question(), c.answer()));
            ims.add(im);
        }
        ImageInput qi = images.get(anchor.id());
        ims.add(qi);
        PromptTokens pt = builder.teacherForced(icds, VqaItem.query(grid(qi), anchor.question()), anchor.answer());
        return new ScoreRequest(new Prompt(pt.ids(), ims), pt.answerStart(), pt.answerEnd());
    }

    private static ImageGrid grid(ImageInput im) {
        int[] g = im.grid();
        return new ImageGrid(g[0], g[1], g[2]);
    }

    /** Preprocessed images of the anchor and its candidates (in the caller's scope), one per distinct file. */
    private Map<Integer, ImageInput> images(SftItem anchor, List<SftItem> cands) {
        List<SftItem> all = new ArrayList<>();
        all.add(anchor);
        all.addAll(cands);
        LinkedHashMap<Path, ImageInput> byFile = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        for (SftItem i : all) if (!byFile.containsKey(i.image())) { byFile.put(i.image(), null); files.add(i.image()); }
        try {
            int[] n = {0};
            processor.processInOrder(files, imageThreads, p -> {
                Path f = files.get(n[0]++);
                byFile.put(f, imageInput(f, p));
            });
        } catch (IOException | UncheckedIOException e) {
            throw new BadAnchorException(anchor.id(), "an image could not be read: " + e.getMessage());
        }
        Map<Integer, ImageInput> out = new HashMap<>();
        for (SftItem i : all) out.put(i.id(), byFile.get(i.image()));
        return out;
    }

    private ImageInput imageInput(Path f, ProcessedImage p) {
        String key;
        try {
            key = sha256(Files.readAllBytes(f)) + "|" + processor.config();
        } catch (IOException e) {
            throw new UncheckedIOException(f + ": " + e.getMessage(), e);
        }
        int[] g = {p.grid().t(), p.grid().h(), p.grid().w()};
        return new ImageInput(key, Tensors.floats(p.pixels(), null, p.grid().patches(), p.rowSize()), g);
    }

    static String sha256(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** Prompts scored so far (baselines included). */
    public long promptsScored() { return promptsScored; }

    /** Tokens of the prompts scored so far: what a run without caches or prefix sharing would compute. */
    public long promptTokens() { return promptTokens; }

    /** Anchors searched so far. */
    public long anchors() { return anchors; }

    /** A partial sequence: ICDs in the order chosen and their InfoScores. */
    private record Beam(int[] chosen, double[] scores) {
        boolean contains(int id) {
            for (int c : chosen) if (c == id) return true;
            return false;
        }

        Beam with(int id, double score) {
            int[] c = Arrays.copyOf(chosen, chosen.length + 1);
            c[chosen.length] = id;
            double[] s = Arrays.copyOf(scores, scores.length + 1);
            s[scores.length] = score;
            return new Beam(c, s);
        }

        double last() { return scores[scores.length - 1]; }

        int[] promptOrder(BeamSearchSettings.Order order) {
            if (order == BeamSearchSettings.Order.RIGHT) return chosen.clone();
            int[] r = new int[chosen.length];
            for (int i = 0; i < r.length; i++) r[i] = chosen[chosen.length - 1 - i];
            return r;
        }
    }
}
