#!/usr/bin/python3
"""Writes src/test/resources/selector-fixtures/grpo_parity.pt: three GRPO steps of the original loop (PyTorch 1.13,
transcribed from PointerSelectorV3.compute_grpo_loss / GRPOTrainer.train_grpo_epoch): reference log-probs from the
starting policy in eval mode, z_score_clamp-normalised rewards re-standardised into advantages (std floor 0.1, clip 5),
PPO clip 0.2, k3 KL with adaptive beta (initial 0.1), AdamW lr 2e-3 (weight decay 0.01), clip 1.0, dropout 0."""
import copy, os, sys
from collections import OrderedDict
import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks", "python"))
import rce_reference as ref

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/selector-fixtures/grpo_parity.pt"
torch.manual_seed(11)
ref.K = 5
m = ref.PointerSelectorV3(d_model=8, hidden_dim=6, num_layers=1, dropout=0.0, attn_dropout=0.0)
m.K = 5
with torch.no_grad():
    for p in m.parameters():
        p.add_(torch.randn_like(p) * 0.05)
init = OrderedDict((k, v.detach().clone()) for k, v in m.state_dict().items())
emb = torch.randn(12, 8)
groups = [
    (3, [1, 4, 5, 7, 9], [[0, 1], [2, 4], [3, 0], [1, 2]], [1.6, 0.0, 1.0, 0.0]),
    (6, [0, 2, 8, 10, 11], [[4, 3], [0, 2], [1, 4]], [0.0, 2.0, 1.3]),
]

def seq_logprobs(model, q, pool, labels):
    n = len(labels)
    logits = model.forward(emb[q].unsqueeze(0).expand(n, -1), emb[pool].unsqueeze(0).expand(n, -1, -1), torch.tensor(labels))
    return F.log_softmax(logits, -1).gather(-1, torch.tensor(labels).unsqueeze(-1)).squeeze(-1).sum(-1)

def zscore_clamp(r):
    std = r.std()
    return torch.clamp((r - r.mean()) / std, -3, 3) if std > 1e-12 else r.clone()

ref_model = copy.deepcopy(m).eval()
with torch.no_grad():
    old = [seq_logprobs(ref_model, q, p, l) for q, p, l, _ in groups]
opt = torch.optim.AdamW(m.parameters(), lr=2e-3)
m.train()
beta, eps = 0.1, 0.2
losses, betas, kls = [], [], []
for step in range(4):
    gi = step % 2
    q, pool, labels, rewards = groups[gi]
    rn = zscore_clamp(torch.tensor(rewards))
    adv = torch.clamp((rn - rn.mean()) / torch.clamp(rn.std(), min=0.1), -5, 5)
    opt.zero_grad()
    new = seq_logprobs(m, q, pool, labels)
    log_ratio = new - old[gi]
    ratio = torch.exp(log_ratio)
    ppo = -torch.min(ratio * adv, torch.clamp(ratio, 1 - eps, 1 + eps) * adv).mean()
    kl = (ratio - 1 - log_ratio).mean()
    loss = ppo + beta * kl
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    losses.append(loss.item()); betas.append(beta); kls.append(kl.item())
    k = kl.item()
    beta = beta * 1.5 if k > 0.1 else beta / 1.5 if k < 0.01 else beta
    beta = max(0.001, min(10.0, beta))
final = OrderedDict((k, v.detach().clone()) for k, v in m.state_dict().items())
torch.save({"init": init, "final": final, "embeddings": emb, "losses": losses, "betas": betas, "kls": kls, "final_beta": beta,
            "groups": [{"query": q, "pool": p, "labels": l, "rewards": r} for q, p, l, r in groups]}, out)
print("wrote", out, "losses", losses, "kls", kls, "betas", betas + [beta])
