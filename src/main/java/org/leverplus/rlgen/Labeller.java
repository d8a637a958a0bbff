package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.selector.Tensors;
import org.leverplus.vlm.engine.AnswerScore;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.engine.ScoreRequest;
import org.leverplus.vlm.engine.VlmGenerator;
import org.leverplus.vlm.engine.VlmScorer;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.ProcessedImage;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The VQA labelling every RL generation mode shares (spec 8.3): all sequences of a batch of queries are answered in
 * one batched generation with the evaluation prompt (spec 4), each answer is graded by {@link CandidateLabel}, and
 * {@code vqa_gt_prob} is scored for every kept sequence's distinct normalised human answers in one batch.
 */
final class Labeller {
    /**
     * One query's sequences to label.
     *
     * @param query     the query item
     * @param sequences ICD global ids of each sequence, in prompt order
     * @param found     the official answers, or null
     * @param refs      fallback references (the item's answer), may be empty
     */
    record Job(GenItem query, List<int[]> sequences, AnswerSources.Found found, List<String> refs) {}

    /** A sequence's label fields ({@code vqa_gt_prob} last), or the reason it was dropped. */
    record Result(ObjectNode fields, String dropReason) {
        boolean dropped() { return fields == null; }
    }

    private final GenDataset data;
    private final RlGenerator.Vlm vlm;
    private final boolean allowFallback;

    Labeller(GenDataset data, RlGenerator.Vlm vlm, boolean allowFallback) {
        this.data = data;
        this.vlm = vlm;
        this.allowFallback = allowFallback;
    }

    /**
     * Labels every job's sequences; per job, per sequence, in order. With the prefix cache on, each sequence's
     * {@code vqa_gt_prob} answers are scored on the generation's own KV cache (the teacher-forced prompt is the
     * generation prompt cut after the query text, plus the answer), so the prompt is computed once per sequence;
     * without it, as the original does, the teacher-forced prompts are computed in full by the scorer.
     */
    List<List<Result>> label(List<Job> jobs) throws IOException {
        // Prefix KV caches and the image numbering left by earlier batches would change how this batch's prompts are
        // ordered and split into passes (and so the last bits of the results): every batch starts without them.
        vlm.engine().resetPromptState();
        // No TensorScope around the VLM calls: the engine and model keep lazily built tensors (caches) that must
        // outlive this batch; the engine scopes its own temporaries. Image inputs are owned by the GC, as in VlmRun.
        Map<Path, ImageInput> images = new HashMap<>();
        boolean reuse = vlm.engine().options().prefixCache();
        List<Prompt> prompts = new ArrayList<>();
        List<List<VlmGenerator.Continuation>> continuations = new ArrayList<>();
        List<Map<String, Integer>> answerCounts = new ArrayList<>();
        for (Job j : jobs) {
            List<String> gt = j.found() != null ? j.found().answers() : j.refs();
            Map<String, Integer> counts = CandidateLabel.answerCounts(gt);
            counts.remove("");                                  // an empty answer has no tokens to score
            answerCounts.add(counts);
            for (int[] seq : j.sequences()) {
                Built gen = prompt(images, j.query(), seq, null);
                prompts.add(gen.prompt);
                if (!reuse) continue;
                List<VlmGenerator.Continuation> cs = new ArrayList<>();
                for (String answer : counts.keySet()) {
                    ScoreRequest r = prompt(images, j.query(), seq, answer).request;
                    int[] tf = r.prompt().ids(), g = gen.prompt.ids();
                    int keep = r.answerStart();
                    if (keep >= g.length || !Arrays.equals(tf, 0, keep, g, 0, keep))
                        throw new IllegalStateException("query " + j.query().idx() + ": the teacher-forced prompt for \"" + answer
                                + "\" is not the generation prompt's first " + keep + " tokens plus the answer");
                    cs.add(new VlmGenerator.Continuation(keep, Arrays.copyOfRange(tf, keep, r.answerEnd())));
                }
                continuations.add(cs);
            }
        }
        List<VlmGenerator.Scored> gens = prompts.isEmpty() ? List.of()
                : new VlmGenerator(vlm.engine()).generateAndScore(prompts, vlm.generation(), reuse ? continuations : null);
        List<List<Result>> out = new ArrayList<>();
        List<ScoreRequest> scoreReqs = new ArrayList<>();
        List<double[]> weights = new ArrayList<>();
        List<int[]> spans = new ArrayList<>();
        List<ObjectNode> scored = new ArrayList<>();
        int g = 0;
        for (int ji = 0; ji < jobs.size(); ji++) {
            Job j = jobs.get(ji);
            List<Result> rs = new ArrayList<>();
            Map<String, Integer> counts = answerCounts.get(ji);
            double[] w = new double[counts.size()];
            int a = 0;
            for (int c : counts.values()) w[a++] = Math.min(c / 3.0, 1.0);
            for (int[] seq : j.sequences()) {
                VlmGenerator.Scored gen = gens.get(g++);
                String raw = vlm.tokenizer().decode(gen.generation().tokens(), true);
                CandidateLabel l = CandidateLabel.of(raw, j.found(), j.refs(), allowFallback);
                if (l.dropped()) { rs.add(new Result(null, l.dropReason())); continue; }
                if (reuse) {
                    double sum = 0;
                    for (int k = 0; k < w.length; k++) sum += gen.scores().get(k).probability() * w[k];
                    l.fields().put("vqa_gt_prob", sum);
                } else {
                    int start = scoreReqs.size();
                    for (String answer : counts.keySet()) scoreReqs.add(prompt(images, j.query(), seq, answer).request);
                    weights.add(w);
                    spans.add(new int[]{start, scoreReqs.size()});
                    scored.add(l.fields());
                }
                rs.add(new Result(l.fields(), null));
            }
            out.add(rs);
        }
        List<AnswerScore> scores = scoreReqs.isEmpty() ? List.of() : new VlmScorer(vlm.engine()).score(scoreReqs);
        for (int k = 0; k < scored.size(); k++) {
            int[] span = spans.get(k);
            double[] w = weights.get(k);
            double sum = 0;
            for (int r = span[0]; r < span[1]; r++) sum += scores.get(r).probability() * w[r - span[0]];
            scored.get(k).put("vqa_gt_prob", sum);
        }
        return out;
    }

    private record Built(Prompt prompt, ScoreRequest request) {}

    /** The sequence's prompt: generation when {@code answer} is null, else teacher-forced with that answer. */
    private Built prompt(Map<Path, ImageInput> images, GenItem query, int[] icdIds, String answer) throws IOException {
        List<VqaItem> icds = new ArrayList<>();
        List<ImageInput> ims = new ArrayList<>();
        for (int id : icdIds) {
            GenItem icd = data.get(id);
            if (icd.answer() == null) throw new IllegalArgumentException("ICD id " + icd.idx() + " has no answer to show (items file: add \"answer\" or \"answers\")");
            ImageInput im = image(images, icd);
            ims.add(im);
            icds.add(new VqaItem(grid(im), icd.question(), icd.answer()));
        }
        ImageInput qi = image(images, query);
        ims.add(qi);
        VqaItem qv = VqaItem.query(grid(qi), query.question());
        if (answer == null) {
            PromptTokens pt = vlm.builder().generation(icds, qv);
            return new Built(new Prompt(pt.ids(), ims), null);
        }
        PromptTokens pt = vlm.builder().teacherForced(icds, qv, answer);
        return new Built(null, new ScoreRequest(new Prompt(pt.ids(), ims), pt.answerStart(), pt.answerEnd()));
    }

    private static ImageGrid grid(ImageInput im) { return new ImageGrid(im.grid()[0], im.grid()[1], im.grid()[2]); }

    private ImageInput image(Map<Path, ImageInput> done, GenItem item) throws IOException {
        ImageInput im = done.get(item.image());
        if (im != null) return im;
        if (!Files.isRegularFile(item.image()))
            throw new java.nio.file.NoSuchFileException(item.image().toString(), null, "image of id " + item.idx() + " not found");
        ProcessedImage p = vlm.images().process(item.image());
        String key = sha256(Files.readAllBytes(item.image())) + "|" + vlm.images().config();
        im = new ImageInput(key, Tensors.floats(p.pixels(), p.grid().patches(), p.rowSize()), new int[]{p.grid().t(), p.grid().h(), p.grid().w()});
        done.put(item.image(), im);
        return im;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
