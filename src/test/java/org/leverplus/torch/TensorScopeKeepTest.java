package org.leverplus.torch;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** keep() hands a tensor out of a scope alive; adopt() gives it back so that the scope frees it. */
class TensorScopeKeepTest {
    @Test void keptTensorsSurviveTheScopeAndAdoptedOnesAreFreedWithIt() {
        Tensor kept;
        try (TensorScope s = TensorScope.open()) {
            kept = s.keep(torch.ones(3));
            assertFalse(kept.isNull(), "keep must not free the tensor");
        }
        assertFalse(kept.isNull());
        assertEquals(3.0, kept.sum().item_double(), 0.0);
        try (TensorScope s = TensorScope.open()) {
            s.adopt(kept);
        }
        assertTrue(kept.isNull(), "an adopted tensor is freed with its scope");
    }
}
