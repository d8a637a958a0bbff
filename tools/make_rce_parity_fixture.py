#!/usr/bin/python3
"""Writes src/test/resources/selector-fixtures/rce_parity.pt: a tiny PointerSelectorV3 (d 8, hidden 6, one layer),
two query groups, and the parameters after three RCE steps of the original training loop (train mode with dropout 0,
AdamW lr 1e-2 weight decay 0.01, grad-norm clip 1.0, temperatures 2.0, 1.25, 0.5), computed with PyTorch 1.13 by a
transcription of PointerSelectorV2.forward + PointerSelectorV3.compute_rce_loss. Lever's RceParityTest replays the
same steps and compares every parameter."""
import os, sys
from collections import OrderedDict
import torch
import torch.nn as nn
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks", "python"))
import rce_reference as ref

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/selector-fixtures/rce_parity.pt"
torch.manual_seed(7)
ref.K = 5
m = ref.PointerSelectorV3(d_model=8, hidden_dim=6, num_layers=1, dropout=0.0, attn_dropout=0.0)
m.K = 5
# non-trivial biases so that every parameter matters
with torch.no_grad():
    for p in m.parameters():
        p.add_(torch.randn_like(p) * 0.05)
init = OrderedDict((k, v.detach().clone()) for k, v in m.state_dict().items())
emb = torch.randn(12, 8)
groups = [
    (3, [1, 4, 5, 7, 9], [[0, 1], [2, 4], [3, 0], [1, 2]], [1.6, 0.0, 1.0, 0.0]),
    (6, [0, 2, 8, 10, 11], [[4, 3], [0, 2], [1, 4]], [0.0, 2.0, 1.3]),
]
opt = torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=0.01)
m.train()
temps = [2.0, 1.25, 0.5]
losses = []
for step, tau in enumerate(temps):
    q, pool, labels, rewards = groups[step % 2]
    opt.zero_grad()
    loss = m.compute_rce_loss(emb[q].unsqueeze(0), emb[pool].unsqueeze(0), torch.tensor([labels]), torch.tensor([rewards]), tau)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    losses.append(loss.item())
final = OrderedDict((k, v.detach().clone()) for k, v in m.state_dict().items())
torch.save({"init": init, "final": final, "embeddings": emb, "losses": losses, "temperatures": temps,
            "groups": [{"query": q, "pool": p, "labels": l, "rewards": r} for q, p, l, r in groups]}, out)
print("wrote", out, "losses", losses)
