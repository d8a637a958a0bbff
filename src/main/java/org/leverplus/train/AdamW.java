package org.leverplus.train;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torch.optim.AdamW (amsgrad off) over named parameters, with its state as plain named tensors so that it goes into
 * a safetensors resume file: {@code p ← p·(1 − lr·wd)}, {@code m ← β1·m + (1−β1)·g}, {@code v ← β2·v + (1−β2)·g²},
 * {@code p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)}. Parameters that do not require grad are skipped.
 */
public final class AdamW {
    private final Map<String, Tensor> params;
    private final double lr, beta1, beta2, eps, weightDecay;
    private final Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, Tensor> params, double lr, double weightDecay) {
        this(params, lr, 0.9, 0.999, 1e-8, weightDecay);
    }

    public AdamW(Map<String, Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.lr = lr; this.beta1 = beta1; this.beta2 = beta2; this.eps = eps; this.weightDecay = weightDecay;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            m.put(e.getKey(), torch.zeros_like(e.getValue()));
            v.put(e.getKey(), torch.zeros_like(e.getValue()));
        }
    }

    public double lr() { return lr; }

    public long steps() { return step; }

    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g.defined()) g.zero_();
        }
    }

    public void step() {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                if (!p.requires_grad()) continue;
                Tensor g = p.grad();
                if (!g.defined()) continue;
                p.mul_(new Scalar(1 - lr * weightDecay));
                Tensor mm = m.get(e.getKey()), vv = v.get(e.getKey());
                mm.mul_(new Scalar(beta1)).add_(g, new Scalar(1 - beta1));
                vv.mul_(new Scalar(beta2)).addcmul_(g, g, new Scalar(1 - beta2));
                Tensor denom = vv.sqrt().div(new Scalar(Math.sqrt(bc2))).add(new Scalar(eps));
                p.addcdiv_(mm, denom, new Scalar(-lr / bc1));
            }
        }
    }

    /** State tensors by name ({@code adam.m.<param>}, {@code adam.v.<param>}); the step count goes to metadata. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        for (String k : m.keySet()) {
            s.put("adam.m." + k, m.get(k));
            s.put("adam.v." + k, v.get(k));
        }
        return s;
    }

    public void restore(Map<String, Tensor> state, long steps) {
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            for (String k : m.keySet()) {
                Tensor a = state.get("adam.m." + k), b = state.get("adam.v." + k);
                if (a == null || b == null) throw new IllegalStateException("resume state lacks the optimizer moments of '" + k + "'");
                m.get(k).copy_(a);
                v.get(k).copy_(b);
            }
        }
        this.step = steps;
    }
}
