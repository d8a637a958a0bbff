package org.leverplus.selector;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/**
 * A straightforward LibTorch transcription of the original PointerSelectorV2/V4-5 forward (eval mode), one row per
 * label sequence with query and pool expanded, using {@code nn.MultiheadAttention}'s own forward (sequence-first):
 * the independent reference the selector's factorised encoder/decoder is compared with.
 */
final class OriginalReference {
    private OriginalReference() {}

    /** logits [R,S,K] for R rows, query [R,d], cand [R,K,d], labels [R,S]. */
    static Tensor logits(PointerSelector m, Tensor query, Tensor cand, long[][] labels) {
        Map<String, Tensor> p = m.parameters();
        SelectorConfig c = m.config();
        int h = c.hiddenDim();
        long r = query.size(0), k = cand.size(1);
        Tensor qr = p.containsKey("input_proj.weight") ? torch.linear(query, p.get("input_proj.weight")) : query;
        Tensor cr = p.containsKey("input_proj.weight") ? torch.linear(cand, p.get("input_proj.weight")) : cand;
        Tensor hq = qr.unsqueeze(1);                                   // [R,1,H] batch-first
        for (int l = 0; l < c.numLayers(); l++) {
            Tensor a = m.attentionModule(l).forward(hq.transpose(0, 1), cr.transpose(0, 1), cr.transpose(0, 1)).get0(); // [1,R,H]
            Tensor sum = a.transpose(0, 1).add(hq);
            hq = torch.layer_norm(sum, new long[]{h}, new TensorOptional(p.get("attn_norms." + l + ".weight")),
                    new TensorOptional(p.get("attn_norms." + l + ".bias")), 1e-5, false);
        }
        Tensor s = Tensors.l2normalize(torch.linear(hq.squeeze(1), p.get("query_proj.weight")));
        Tensor cn = Tensors.l2normalize(torch.linear(cr, p.get("cand_proj.weight")));          // [R,K,H]
        Tensor mask = torch.zeros(r, k).to(org.bytedeco.pytorch.global.torch.ScalarType.Bool);
        int steps = labels[0].length;
        Tensor[] out = new Tensor[steps];
        for (int t = 0; t < steps; t++) {
            Tensor sc;
            if (c.arch() == SelectorArch.V3) {
                sc = cn.bmm(s.unsqueeze(2)).squeeze(2).div(new Scalar(c.temperature()));
            } else {
                Tensor emb = p.get("step_emb.weight").select(0, Math.min(t, c.stepEmbRows() - 1));
                Tensor hs = Tensors.l2normalize(s.add(emb));
                Tensor qt = torch.linear(hs, p.get("attn_Wq.weight"), new TensorOptional(p.get("attn_Wq.bias"))).unsqueeze(1);
                Tensor ct = torch.linear(cn, p.get("attn_Wc.weight"));
                sc = torch.linear(qt.add(ct).tanh(), p.get("attn_v.weight")).squeeze(2).div(new Scalar(c.temperature()));
            }
            sc = sc.masked_fill(mask, new Scalar(-100.0));
            out[t] = sc;
            long[] idx = new long[(int) r];
            for (int i = 0; i < r; i++) idx[i] = labels[i][t];
            Tensor it = Tensors.longs(idx, r);
            mask = mask.scatter(1, it.unsqueeze(1), new Scalar(1));
            Tensor chosen = cn.gather(1, it.view(r, 1, 1).expand(r, 1, h)).squeeze(1);
            if (c.arch() == SelectorArch.V3) {
                Tensor g = torch.linear(torch.cat(new TensorVector(s, chosen), 1), p.get("query_update_gate.weight"),
                        new TensorOptional(p.get("query_update_gate.bias"))).sigmoid();
                s = Tensors.l2normalize(g.mul(s).add(g.neg().add(new Scalar(1)).mul(chosen)));
            } else {
                s = Tensors.l2normalize(torch.gru_cell(chosen, s, p.get("decoder_gru.weight_ih"), p.get("decoder_gru.weight_hh"),
                        new TensorOptional(p.get("decoder_gru.bias_ih")), new TensorOptional(p.get("decoder_gru.bias_hh"))));
            }
        }
        return torch.stack(new TensorVector(out), 1);
    }

    /** Σ_t log_softmax(logits_t)[label_t], [R]. */
    static Tensor sequenceLogprobs(Tensor logits, long[][] labels) {
        long r = logits.size(0);
        int s = labels[0].length;
        long[] flat = new long[(int) r * s];
        for (int i = 0; i < r; i++) for (int t = 0; t < s; t++) flat[i * s + t] = labels[i][t];
        Tensor lab = Tensors.longs(flat, r, s);
        return logits.log_softmax(2).gather(2, lab.unsqueeze(2)).squeeze(2).sum(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    }
}
