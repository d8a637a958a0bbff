#!/usr/bin/python3
"""Reference timing of the original Lever-Plus RCE step (PyTorch, one thread), for benchmarks/results/selector.md.

A faithful re-creation of PointerSelectorV2/V3's forward (input_proj without bias, one single-head
nn.MultiheadAttention with residual + LayerNorm, dropout 0.5 on query and candidates, query_proj/cand_proj,
L2 normalisation, temperature 0.1, -100 masking, the query-update gate) and of PointerSelectorV3.compute_rce_loss
(query and pool expanded over the N candidate sequences, CE summed over steps, softmax(r/tau) weights), driven like
GRPOTrainer.train_rce_epoch: one query group per step, train mode, AdamW(lr 1e-4, weight decay 0.01), grad-norm
clip 1.0. Shapes: 20 candidates x 2 shots, pool 64, d_model 512, hidden 256. Usage: rce_reference.py [steps]."""
import sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)
D, H, K, N, S = 512, 256, 64, 20, 2


class PointerSelectorV3(nn.Module):
    def __init__(self, d_model=D, hidden_dim=H, num_layers=1, dropout=0.5, attn_dropout=0.1):
        super().__init__()
        self.hidden_dim, self.K = hidden_dim, K
        self.input_proj = nn.Linear(d_model, hidden_dim, bias=False)
        self.cross_attn_layers = nn.ModuleList([nn.MultiheadAttention(hidden_dim, 1, dropout=attn_dropout, batch_first=True)
                                                for _ in range(num_layers)])
        self.attn_norms = nn.ModuleList([nn.LayerNorm(hidden_dim) for _ in range(num_layers)])
        self.query_proj = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.cand_proj = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.query_update_gate = nn.Linear(hidden_dim * 2, hidden_dim)
        self.temperature = torch.tensor([0.1])
        nn.init.xavier_uniform_(self.input_proj.weight)
        nn.init.eye_(self.query_proj.weight); nn.init.eye_(self.cand_proj.weight)
        with torch.no_grad():
            self.query_proj.weight.add_(torch.randn_like(self.query_proj.weight) * 0.01)
            self.cand_proj.weight.add_(torch.randn_like(self.cand_proj.weight) * 0.01)
        nn.init.xavier_uniform_(self.query_update_gate.weight); nn.init.zeros_(self.query_update_gate.bias)

    def forward(self, query_emb, cand_emb, labels):
        B, Kc = query_emb.shape[0], cand_emb.shape[1]
        q = self.input_proj(query_emb)
        c = self.input_proj(cand_emb.reshape(-1, cand_emb.shape[-1])).reshape(B, Kc, self.hidden_dim)
        h = q.unsqueeze(1)
        for attn, norm in zip(self.cross_attn_layers, self.attn_norms):
            a, _ = attn(query=h, key=c, value=c)
            h = norm(a + h)
        s = F.normalize(self.query_proj(self.dropout(h.squeeze(1))), p=2, dim=-1)
        cn = F.normalize(self.cand_proj(self.dropout(c)), p=2, dim=-1)
        mask = torch.zeros(B, Kc, dtype=torch.bool)
        logits = []
        for t in range(labels.shape[1]):
            sc = torch.bmm(cn, s.unsqueeze(2)).squeeze(2) / self.temperature
            sc = sc.masked_fill(mask, -100.0)
            logits.append(sc)
            idx = labels[:, t]
            mask = mask.scatter(1, idx.unsqueeze(1), True)
            chosen = cn.gather(1, idx.view(B, 1, 1).expand(-1, 1, self.hidden_dim)).squeeze(1)
            g = torch.sigmoid(self.query_update_gate(torch.cat([s, chosen], dim=-1)))
            s = F.normalize(g * s + (1 - g) * chosen, p=2, dim=-1)
        return torch.stack(logits, 1)

    def compute_rce_loss(self, query_emb, cand_emb, beam_labels, beam_rewards, temperature):
        B, NB, SH = beam_labels.shape
        weights = F.softmax(beam_rewards / temperature, dim=-1)
        labels_flat = beam_labels.reshape(B * NB, SH)
        qx = query_emb.unsqueeze(1).expand(-1, NB, -1).reshape(B * NB, -1)
        cx = cand_emb.unsqueeze(1).expand(-1, NB, -1, -1).reshape(B * NB, self.K, -1)
        logits = self.forward(qx, cx, labels_flat)
        ce = F.cross_entropy(torch.clamp(logits.reshape(-1, self.K), min=-100.0), labels_flat.reshape(-1), reduction='none')
        ce = ce.reshape(B, NB, SH).sum(-1)
        return (weights * ce).sum(-1).mean()


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    model = PointerSelectorV3()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    emb = torch.randn(4096, D)
    groups = []
    g = torch.Generator().manual_seed(2)
    for _ in range(256):
        pool = torch.randint(0, 4096, (K,), generator=g)
        labels = torch.stack([torch.randperm(K, generator=g)[:S] for _ in range(N)])
        rewards = (torch.rand(N, generator=g) < 0.33).float() * (1 + torch.rand(N, generator=g))
        groups.append((emb[torch.randint(0, 4096, (1,), generator=g)], emb[pool].unsqueeze(0), labels.unsqueeze(0), rewards.unsqueeze(0)))
    warm = max(steps // 5, 5)
    for i in range(warm + steps):
        if i == warm:
            t0 = time.perf_counter()
        q, c, l, r = groups[i % len(groups)]
        opt.zero_grad()
        loss = model.compute_rce_loss(q, c, l, r, temperature=1.0)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    secs = time.perf_counter() - t0
    print("reference (PyTorch %s, %d thread): %.1f groups/s (%d groups in %.2f s)" % (torch.__version__, torch.get_num_threads(), steps / secs, steps, secs))


if __name__ == "__main__":
    main()
