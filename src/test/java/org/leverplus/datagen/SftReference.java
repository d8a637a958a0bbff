package org.leverplus.datagen;

import org.leverplus.vlm.engine.AnswerScore;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.engine.ScoreRequest;
import org.leverplus.vlm.engine.VlmScorer;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.ProcessedImage;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.Tensors;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A brute-force InfoScore beam search written from spec 5, independent of {@link InfoScoreBeamSearch}: every prompt
 * is scored on its own (batch 1, an engine without caches), loops instead of batching. {@link Variant}s are the
 * negative controls: each is a plausible mistake that the comparison must catch.
 */
final class SftReference {
    enum Variant { INTENDED, SUM_CE, WHOLE_PROMPT, SWAPPED_ORDER, ACCUMULATED }

    record Result(List<int[]> chosen, List<double[]> scores) {}

    private final VlmScorer scorer;
    private final IcdPromptBuilder builder;
    private final QwenImageProcessor processor;
    private final Map<String, double[]> memo = new HashMap<>();
    private final Map<Integer, ImageInput> images = new HashMap<>();
    long scored;

    SftReference(VlmScorer scorer, IcdPromptBuilder builder, QwenImageProcessor processor) {
        this.scorer = scorer;
        this.builder = builder;
        this.processor = processor;
    }

    Result run(SftItem anchor, List<SftItem> poolIn, int beamSize, int shots, boolean left, boolean largest, Variant v) {
        TreeMap<Integer, SftItem> pool = new TreeMap<>();
        for (SftItem c : poolIn) pool.put(c.id(), c);
        boolean promptLeft = v == Variant.SWAPPED_ORDER ? !left : left;
        List<int[]> beams = new ArrayList<>();
        List<double[]> beamScores = new ArrayList<>();
        beams.add(new int[0]);
        beamScores.add(new double[0]);
        for (int step = 0; step < shots; step++) {
            List<int[]> expIds = new ArrayList<>();
            List<double[]> expScores = new ArrayList<>();
            List<Double> expKey = new ArrayList<>();
            for (int b = 0; b < beams.size(); b++) {
                int[] seq = beams.get(b);
                double base = prob(anchor, pool, order(seq, promptLeft), v);
                List<Integer> cands = new ArrayList<>();
                List<Double> info = new ArrayList<>();
                for (int c : pool.keySet()) {
                    boolean used = false;
                    for (int s : seq) used |= s == c;
                    if (used) continue;
                    int[] next = Arrays.copyOf(seq, seq.length + 1);
                    next[seq.length] = c;
                    cands.add(c);
                    info.add(prob(anchor, pool, order(next, promptLeft), v) - base);
                }
                // top-k by a selection loop: best remaining each time, first one wins a tie
                boolean[] taken = new boolean[cands.size()];
                for (int k = 0; k < Math.min(beamSize, cands.size()); k++) {
                    int best = -1;
                    for (int j = 0; j < cands.size(); j++) {
                        if (taken[j]) continue;
                        if (best < 0 || (largest ? info.get(j) > info.get(best) : info.get(j) < info.get(best))) best = j;
                    }
                    taken[best] = true;
                    int[] next = Arrays.copyOf(seq, seq.length + 1);
                    next[seq.length] = cands.get(best);
                    double[] sc = Arrays.copyOf(beamScores.get(b), step + 1);
                    // ACCUMULATED: a beam's score is the running sum of its InfoScores (kept and ranked by it)
                    sc[step] = info.get(best) + (v == Variant.ACCUMULATED && step > 0 ? sc[step - 1] : 0);
                    expIds.add(next);
                    expScores.add(sc);
                    expKey.add(sc[step]);
                }
            }
            // global filter: largest key, first one wins a tie
            boolean[] taken = new boolean[expIds.size()];
            List<int[]> nb = new ArrayList<>();
            List<double[]> ns = new ArrayList<>();
            for (int k = 0; k < Math.min(beamSize, expIds.size()); k++) {
                int best = -1;
                for (int j = 0; j < expIds.size(); j++) if (!taken[j] && (best < 0 || expKey.get(j) > expKey.get(best))) best = j;
                taken[best] = true;
                nb.add(expIds.get(best));
                ns.add(expScores.get(best));
            }
            beams = nb;
            beamScores = ns;
        }
        return new Result(beams, beamScores);
    }

    private static int[] order(int[] chronological, boolean left) {
        if (!left) return chronological;
        int[] r = new int[chronological.length];
        for (int i = 0; i < r.length; i++) r[i] = chronological[r.length - 1 - i];
        return r;
    }

    /** P(y | prompt) by the variant's definition; one prompt scored at a time. */
    private double prob(SftItem anchor, Map<Integer, SftItem> pool, int[] promptOrder, Variant v) {
        List<VqaItem> icds = new ArrayList<>();
        List<ImageInput> ims = new ArrayList<>();
        for (int id : promptOrder) {
            SftItem c = pool.get(id);
            ImageInput im = image(c);
            icds.add(new VqaItem(grid(im), c.question(), c.answer()));
            ims.add(im);
        }
        ImageInput q = image(anchor);
        ims.add(q);
        PromptTokens pt = builder.teacherForced(icds, VqaItem.query(grid(q), anchor.question()), anchor.answer());
        boolean whole = v == Variant.WHOLE_PROMPT;
        String key = anchor.id() + Arrays.toString(pt.ids()) + Arrays.toString(promptOrder) + whole;
        double[] lp = memo.computeIfAbsent(key, k -> {
            scored++;
            ScoreRequest r = new ScoreRequest(new Prompt(pt.ids(), ims), whole ? 1 : pt.answerStart(), pt.answerEnd());
            AnswerScore s = scorer.score(List.of(r)).get(0);
            return s.tokenLogprobs();
        });
        double sum = 0;
        for (double x : lp) sum += x;
        return v == Variant.SUM_CE ? Math.exp(sum) : Math.exp(sum / lp.length);
    }

    private ImageInput image(SftItem item) {
        return images.computeIfAbsent(item.id(), k -> {
            try {
                ProcessedImage p = processor.process(item.image());
                return new ImageInput("ref-" + item.image(), Tensors.floats(p.pixels(), null, p.grid().patches(), p.rowSize()),
                        new int[]{p.grid().t(), p.grid().h(), p.grid().w()});
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static ImageGrid grid(ImageInput im) {
        int[] g = im.grid();
        return new ImageGrid(g[0], g[1], g[2]);
    }
}
