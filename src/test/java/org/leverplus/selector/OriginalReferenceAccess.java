package org.leverplus.selector;

import org.bytedeco.pytorch.Tensor;

/** Public access to the test reference for tests in other packages. */
public final class OriginalReferenceAccess {
    private OriginalReferenceAccess() {}

    public static Tensor logits(PointerSelector m, Tensor query, Tensor cand, long[][] labels) {
        return OriginalReference.logits(m, query, cand, labels);
    }

    public static Tensor sequenceLogprobs(PointerSelector m, Tensor query, Tensor cand, long[][] labels) {
        return OriginalReference.sequenceLogprobs(OriginalReference.logits(m, query, cand, labels), labels);
    }
}
