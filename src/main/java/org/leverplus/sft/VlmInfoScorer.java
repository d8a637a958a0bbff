package org.leverplus.sft;

import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.engine.AnswerScore;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.ImageInputs;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.engine.ScoreRequest;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmScorer;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code P(y | S, x)} with the in-process VLM: the teacher-forced Lever-Plus prompt (ICDs S in prompt order, the
 * anchor's question, its answer y), scored over the answer's own tokens only; {@code P = exp(mean log-prob)} =
 * {@code exp(-mean CE)}. All sequences of a call go to the engine together (micro-batched, prefix-cached).
 */
public final class VlmInfoScorer implements InfoScoreBeamSearch.Scorer {
    private final VqaDataset train;
    private final Path images;
    private final VlmEngine engine;
    private final IcdPromptBuilder builder;
    private final ImageInputs inputs;
    private long prompts;

    public VlmInfoScorer(VqaDataset train, Path images, VlmEngine engine, IcdPromptBuilder builder, ImageInputs inputs) {
        this.train = train;
        this.images = images;
        this.engine = engine;
        this.builder = builder;
        this.inputs = inputs;
    }

    /** Prompts scored so far. */
    public long prompts() { return prompts; }

    @Override public double[] probabilities(int anchor, List<int[]> sequences) throws IOException {
        VqaRecord a = record(anchor, anchor);
        double[] out = new double[sequences.size()];
        try (TensorScope scope = TensorScope.open()) {
            Map<Path, ImageInput> done = new HashMap<>();
            ImageInput qi = inputs.of(done, a.imagePath(images), "anchor " + anchor);
            List<ScoreRequest> reqs = new ArrayList<>(sequences.size());
            for (int[] seq : sequences) {
                List<VqaItem> icds = new ArrayList<>(seq.length);
                List<ImageInput> ims = new ArrayList<>(seq.length + 1);
                for (int id : seq) {
                    VqaRecord r = record(id, anchor);
                    ImageInput im = inputs.of(done, r.imagePath(images), "candidate " + id + " of anchor " + anchor);
                    ims.add(im);
                    icds.add(new VqaItem(ImageInputs.grid(im), r.question(), r.answer()));
                }
                ims.add(qi);
                PromptTokens pt = builder.teacherForced(icds, VqaItem.query(ImageInputs.grid(qi), a.question()), a.answer());
                reqs.add(new ScoreRequest(new Prompt(pt.ids(), ims), pt.answerStart(), pt.answerEnd()));
            }
            List<AnswerScore> scores = new VlmScorer(engine).score(reqs);
            for (int i = 0; i < out.length; i++) out[i] = scores.get(i).probability();
        }
        prompts += sequences.size();
        return out;
    }

    private VqaRecord record(int id, int anchor) {
        if (id < 0 || id >= train.size())
            throw new IllegalArgumentException("anchor " + anchor + ": id " + id + " is not a training item (0.." + (train.size() - 1) + ")");
        return train.get(id);
    }
}
