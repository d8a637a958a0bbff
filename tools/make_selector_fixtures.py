#!/usr/bin/python3
"""Generates the tiny PyTorch checkpoint fixtures for Lever's importer tests (run with Debian's python3-torch 1.13):
   - rl_v3.pt: the original RL trainer's torch.save({"epoch", "phase", "model_state_dict", "kl_beta", "metrics"})
   - sft_v2.ckpt: a Lightning-style checkpoint with lever_lm.pointer_selector.* keys (legacy cross_attn./attn_norm.
     names), CLIP tower keys (lever_lm.sen_model.*, lever_lm.img_model.*) and hyper_parameters
   - embeddings.pt: a bare [N, d] float tensor, as query_embeddings.pt
   - expected.json: the parameter values (flattened) the importer must reproduce
Sizes: d_model 8, hidden 6, one layer. Output directory: argv[1] (default src/test/resources/selector-fixtures)."""
import json, os, sys
from collections import OrderedDict
import torch

out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/selector-fixtures"
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
d, h = 8, 6
sd = OrderedDict()
sd["input_proj.weight"] = torch.randn(h, d)
sd["cross_attn_layers.0.in_proj_weight"] = torch.randn(3 * h, h)
sd["cross_attn_layers.0.in_proj_bias"] = torch.randn(3 * h)
sd["cross_attn_layers.0.out_proj.weight"] = torch.randn(h, h)
sd["cross_attn_layers.0.out_proj.bias"] = torch.randn(h)
sd["attn_norms.0.weight"] = torch.randn(h)
sd["attn_norms.0.bias"] = torch.randn(h)
sd["query_proj.weight"] = torch.randn(h, h)
sd["cand_proj.weight"] = torch.randn(h, h)
sd["query_update_gate.weight"] = torch.randn(h, 2 * h)
sd["query_update_gate.bias"] = torch.randn(h)
# a non-contiguous view, as state dicts of transposed/sliced weights can hold
sd["cand_proj.weight"] = torch.randn(h, h).t()

torch.save({"epoch": 4, "phase": "rce", "model_state_dict": sd, "kl_beta": 0.15,
            "metrics": {"val_loss": 7.25, "train_loss": 6.5}}, os.path.join(out, "rl_v3.pt"))

legacy = OrderedDict()
for k, v in sd.items():
    k2 = k.replace("cross_attn_layers.0.", "cross_attn.").replace("attn_norms.0.", "attn_norm.")
    legacy["lever_lm.pointer_selector." + k2] = v
legacy["lever_lm.sen_model.embeddings.position_ids"] = torch.arange(4)
legacy["lever_lm.img_model.vision_model.post_layernorm.weight"] = torch.ones(3, dtype=torch.float16)
torch.save({"epoch": 12, "global_step": 120, "pytorch-lightning_version": "2.0.0", "state_dict": legacy,
            "hyper_parameters": {"lr": 1e-4, "weight_decay": 1e-3, "warm_steps": 0.05},
            "callbacks": {}, "optimizer_states": [], "lr_schedulers": []}, os.path.join(out, "sft_v2.ckpt"))

emb = torch.randn(10, d)
torch.save(emb, os.path.join(out, "embeddings.pt"))

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump({"state_dict": {k: v.contiguous().flatten().tolist() for k, v in sd.items()},
               "embeddings": emb.flatten().tolist()}, f)
print("wrote fixtures to", out)
