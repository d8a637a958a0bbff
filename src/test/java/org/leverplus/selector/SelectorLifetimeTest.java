package org.leverplus.selector;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.leverplus.torch.TensorScope;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A selector must own its parameter tensors whatever scope or garbage collection happens around it: JavaCPP returns
 * {@code named_parameters().get(i).value()} by reference into the dictionary, so holding those references after the
 * dictionary is released (scope close or GC) read freed memory (the native crashes seen when several runs shared a JVM).
 */
class SelectorLifetimeTest {
    @Test void parametersOutliveTheScopeTheSelectorWasCreatedIn() {
        PointerSelector m;
        Map<String, double[]> before = new LinkedHashMap<>();
        try (TensorScope s = TensorScope.open()) {
            m = PointerSelector.create(PointerSelectorTest.TINY, 3);
            for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) before.put(e.getKey(), summary(e.getValue()));
        }
        try {
            // churn native memory so that anything released above is reused, and let the GC release what it can
            for (int i = 0; i < 50; i++) {
                try (TensorScope s = TensorScope.open(); PointerSelector other = PointerSelector.create(PointerSelectorTest.TINY, 100 + i)) {
                    other.parameters().values().forEach(t -> t.add(t).sum());
                }
                if (i % 10 == 0) System.gc();
            }
            for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) {
                double[] want = before.get(e.getKey()), got = summary(e.getValue());
                assertEquals(want[0], got[0], 0.0, e.getKey() + " sum");
                assertEquals(want[1], got[1], 0.0, e.getKey() + " abs sum");
                assertEquals(want[2], got[2], 0.0, e.getKey() + " numel");
            }
        } finally {
            m.close();
        }
    }

    private static double[] summary(Tensor t) {
        try (TensorScope s = TensorScope.open()) {
            return new double[]{t.sum().item_double(), t.abs().sum().item_double(), t.numel()};
        }
    }
}
