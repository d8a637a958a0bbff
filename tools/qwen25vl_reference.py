#!/usr/bin/python3
"""Independent plain-PyTorch reference for the Qwen2.5-VL forward, used to make the engine's golden fixtures.

It follows huggingface/transformers src/transformers/models/qwen2_5_vl/modeling_qwen2_5_vl.py (eager attention
path, float32, CPU) operation by operation, written from scratch for torch 1.13 (Debian python3-torch): patch
embed as a Conv3d-equivalent matmul, 2-D vision rotary, get_window_index, per-chunk vision attention, RMSNorm,
SwiGLU with biases, PatchMerger + argsort(window_index), Qwen2 decoder with GQA and M-RoPE (mrope_section), tied
lm_head, get_rope_index, greedy decoding and HF-style beam search (length_penalty 0, early_stopping False).

Writes into OUT_DIR:
  snapshot-legacy/  config.json (flat text params), model.safetensors (legacy keys: visual.*, model.*; bf16)
  snapshot-new/     config.json (nested text_config + rope_parameters), model.safetensors (model.visual.*,
                    model.language_model.*)
  goldens.safetensors  expected tensors (float32 / int64)
  goldens.json         prompts (token ids, image order, answer span), grids, greedy/beam token lists

Run: /usr/bin/python3 tools/qwen25vl_reference.py src/test/resources/vlm/tiny
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
torch.set_num_threads(1)

# ---------------------------------------------------------------------------------------------------------------
# Tiny config (spec qwen25vl-engine.md 2.2, with a small vocabulary so the fixture stays small; special ids sit at
# the top of the vocabulary and the engine reads them from config.json).
VOCAB = 2048
OUT_SCALE = 4.0
ENDOFTEXT, IM_START, IM_END, VISION_START, VISION_END, VISION_PAD, IMAGE_PAD, VIDEO_PAD = range(2000, 2008)
TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0, mrope_section=[2, 1, 1])
VISION = dict(depth=4, hidden_size=32, intermediate_size=48, num_heads=2, out_hidden_size=32, patch_size=14,
              temporal_patch_size=2, spatial_merge_size=2, window_size=56, fullatt_block_indexes=[1, 3],
              in_chans=3, hidden_act="silu", tokens_per_second=2)


def flat_config():
    return {"architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
            "hidden_size": TEXT["hidden_size"], "intermediate_size": TEXT["intermediate_size"],
            "num_hidden_layers": TEXT["num_hidden_layers"], "num_attention_heads": TEXT["num_attention_heads"],
            "num_key_value_heads": TEXT["num_key_value_heads"], "hidden_act": "silu",
            "rms_norm_eps": TEXT["rms_norm_eps"], "rope_theta": TEXT["rope_theta"],
            "max_position_embeddings": 4096,
            "rope_scaling": {"type": "mrope", "mrope_section": TEXT["mrope_section"]},
            "vocab_size": VOCAB, "tie_word_embeddings": True, "use_sliding_window": False,
            "bos_token_id": ENDOFTEXT, "eos_token_id": IM_END, "image_token_id": IMAGE_PAD,
            "video_token_id": VIDEO_PAD, "vision_start_token_id": VISION_START, "vision_end_token_id": VISION_END,
            "torch_dtype": "bfloat16", "vision_config": dict(VISION)}


def nested_config():
    text = {"hidden_size": TEXT["hidden_size"], "intermediate_size": TEXT["intermediate_size"],
            "num_hidden_layers": TEXT["num_hidden_layers"], "num_attention_heads": TEXT["num_attention_heads"],
            "num_key_value_heads": TEXT["num_key_value_heads"], "hidden_act": "silu",
            "rms_norm_eps": TEXT["rms_norm_eps"], "max_position_embeddings": 4096, "vocab_size": VOCAB,
            "rope_parameters": {"rope_type": "default", "mrope_section": TEXT["mrope_section"],
                                "rope_theta": TEXT["rope_theta"]},
            "bos_token_id": ENDOFTEXT, "eos_token_id": IM_END, "dtype": "bfloat16"}
    vision = dict(VISION)
    vision["in_channels"] = vision.pop("in_chans")
    return {"architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
            "text_config": text, "vision_config": vision, "tie_word_embeddings": True,
            "image_token_id": IMAGE_PAD, "video_token_id": VIDEO_PAD, "vision_start_token_id": VISION_START,
            "vision_end_token_id": VISION_END, "dtype": "bfloat16"}


# ---------------------------------------------------------------------------------------------------------------
# Weights: std-1 embedding, linears ~ 1/sqrt(fan_in), norms ~ 1 +- 0.1, biases ~ 0.1, so logits are far from flat.
def make_weights():
    w = {}
    d, dv = TEXT["hidden_size"], VISION["hidden_size"]
    hd = d // TEXT["num_attention_heads"]
    kvd = TEXT["num_key_value_heads"] * hd

    def lin(out_f, in_f, name, bias):
        w[name + ".weight"] = torch.randn(out_f, in_f) / math.sqrt(in_f)
        if bias:
            w[name + ".bias"] = torch.randn(out_f) * 0.1

    def norm(n, name):
        w[name + ".weight"] = 1.0 + 0.1 * torch.randn(n)

    cin = VISION["in_chans"] * VISION["temporal_patch_size"] * VISION["patch_size"] ** 2
    w["visual.patch_embed.proj.weight"] = (torch.randn(dv, cin) / math.sqrt(cin)).view(
        dv, VISION["in_chans"], VISION["temporal_patch_size"], VISION["patch_size"], VISION["patch_size"])
    for i in range(VISION["depth"]):
        p = f"visual.blocks.{i}."
        norm(dv, p + "norm1")
        norm(dv, p + "norm2")
        lin(3 * dv, dv, p + "attn.qkv", True)
        lin(dv, dv, p + "attn.proj", True)
        lin(VISION["intermediate_size"], dv, p + "mlp.gate_proj", True)
        lin(VISION["intermediate_size"], dv, p + "mlp.up_proj", True)
        lin(dv, VISION["intermediate_size"], p + "mlp.down_proj", True)
    m2 = dv * VISION["spatial_merge_size"] ** 2
    norm(dv, "visual.merger.ln_q")
    lin(m2, m2, "visual.merger.mlp.0", True)
    lin(VISION["out_hidden_size"], m2, "visual.merger.mlp.2", True)
    w["model.embed_tokens.weight"] = torch.randn(VOCAB, d)
    for i in range(TEXT["num_hidden_layers"]):
        p = f"model.layers.{i}."
        norm(d, p + "input_layernorm")
        norm(d, p + "post_attention_layernorm")
        lin(d, d, p + "self_attn.q_proj", True)
        lin(kvd, d, p + "self_attn.k_proj", True)
        lin(kvd, d, p + "self_attn.v_proj", True)
        lin(d, d, p + "self_attn.o_proj", False)
        lin(TEXT["intermediate_size"], d, p + "mlp.gate_proj", False)
        lin(TEXT["intermediate_size"], d, p + "mlp.up_proj", False)
        lin(d, TEXT["intermediate_size"], p + "mlp.down_proj", False)
        # larger residual updates, so the tied lm_head does not just echo the last input token
        w[p + "self_attn.o_proj.weight"] *= OUT_SCALE
        w[p + "mlp.down_proj.weight"] *= OUT_SCALE
    norm(d, "model.norm")
    # stored as bf16 like the real snapshot; the reference computes with the bf16 values upcast to float32
    return {k: v.to(torch.bfloat16).to(torch.float32) for k, v in w.items()}


def new_key(k):
    if k.startswith("visual."):
        return "model." + k
    if k.startswith("model."):
        return "model.language_model." + k[len("model."):]
    return k


def write_safetensors(path, tensors, dtypes, metadata=None):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        dt = dtypes.get(name, "F32") if isinstance(dtypes, dict) else dtypes
        if dt == "BF16":
            b = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        elif dt == "F32":
            b = t.to(torch.float32).numpy().astype("<f4").tobytes()
        elif dt == "I64":
            b = t.to(torch.int64).numpy().astype("<i8").tobytes()
        else:
            raise ValueError(dt)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------------------------------------------------------
# Model (transformers' operations, eager attention)
def rms_norm(x, weight, eps):
    dt = x.dtype
    h = x.to(torch.float32)
    var = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(var + eps)
    return weight * h.to(dt)


def linear(x, W, name, bias=True):
    y = x @ W[name + ".weight"].t()
    if bias and (name + ".bias") in W:
        y = y + W[name + ".bias"]
    return y


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def vision_rot_pos_emb(grid_thw):
    m = VISION["spatial_merge_size"]
    hd = VISION["hidden_size"] // VISION["num_heads"]
    dim = hd // 2
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0, dim, 2, dtype=torch.float) / dim))
    pos_ids = []
    for t, h, w in grid_thw:
        hpos = torch.arange(h).unsqueeze(1).expand(-1, w).reshape(h // m, m, w // m, m).permute(0, 2, 1, 3).flatten()
        wpos = torch.arange(w).unsqueeze(0).expand(h, -1).reshape(h // m, m, w // m, m).permute(0, 2, 1, 3).flatten()
        pos_ids.append(torch.stack([hpos, wpos], dim=-1).repeat(t, 1))
    pos_ids = torch.cat(pos_ids, dim=0)
    max_grid = max(max(h, w) for _, h, w in grid_thw)
    full = torch.outer(torch.arange(max_grid, dtype=torch.float), inv_freq)
    return full[pos_ids].flatten(1)


def get_window_index(grid_thw):
    m = VISION["spatial_merge_size"]
    vws = VISION["window_size"] // m // VISION["patch_size"]
    window_index, cu = [], [0]
    wid = 0
    for t, h, w in grid_thw:
        lh, lw = h // m, w // m
        index = torch.arange(t * lh * lw).reshape(t, lh, lw)
        pad_h = vws - lh % vws
        pad_w = vws - lw % vws
        nwh = (lh + pad_h) // vws
        nww = (lw + pad_w) // vws
        ip = F.pad(index, (0, pad_w, 0, pad_h), "constant", -100)
        ip = ip.reshape(t, nwh, vws, nww, vws).permute(0, 1, 3, 2, 4).reshape(t, nwh * nww, vws, vws)
        seqlens = (ip != -100).sum([2, 3]).reshape(-1)
        ip = ip.reshape(-1)
        window_index.append(ip[ip != -100] + wid)
        cu.extend((seqlens.cumsum(0) * m * m + cu[-1]).tolist())
        wid += t * lh * lw
    return torch.cat(window_index), torch.unique_consecutive(torch.tensor(cu))


def vision_forward(W, pixel_values, grid_thw):
    dv, nh = VISION["hidden_size"], VISION["num_heads"]
    hd = dv // nh
    unit = VISION["spatial_merge_size"] ** 2
    x = pixel_values.view(-1, VISION["in_chans"], VISION["temporal_patch_size"], VISION["patch_size"],
                          VISION["patch_size"])
    x = F.conv3d(x, W["visual.patch_embed.proj.weight"],
                 stride=(VISION["temporal_patch_size"], VISION["patch_size"], VISION["patch_size"])).view(-1, dv)
    rot = vision_rot_pos_emb(grid_thw)
    window_index, cu_window = get_window_index(grid_thw)
    n = x.shape[0]
    x = x.reshape(n // unit, unit, -1)[window_index].reshape(n, -1)
    rot = rot.reshape(n // unit, unit, -1)[window_index].reshape(n, -1)
    emb = torch.cat((rot, rot), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    cu_full = torch.tensor([0] + np.cumsum([t * h * w for t, h, w in grid_thw]).tolist())
    for i in range(VISION["depth"]):
        p = f"visual.blocks.{i}."
        cu = cu_full if i in VISION["fullatt_block_indexes"] else cu_window
        h = rms_norm(x, W[p + "norm1.weight"], 1e-6)
        q, k, v = linear(h, W, p + "attn.qkv").reshape(n, 3, nh, -1).permute(1, 0, 2, 3).unbind(0)
        c, s = cos.unsqueeze(-2).float(), sin.unsqueeze(-2).float()
        q = q * c + rotate_half(q) * s
        k = k * c + rotate_half(k) * s
        q, k, v = (t_.transpose(0, 1).unsqueeze(0) for t_ in (q, k, v))
        lengths = (cu[1:] - cu[:-1]).tolist()
        outs = []
        for qq, kk, vv in zip(torch.split(q, lengths, 2), torch.split(k, lengths, 2), torch.split(v, lengths, 2)):
            a = torch.matmul(qq, kk.transpose(2, 3)) * hd ** -0.5
            a = F.softmax(a, dim=-1, dtype=torch.float32)
            outs.append(torch.matmul(a, vv).transpose(1, 2))
        o = torch.cat(outs, dim=1).reshape(n, -1)
        x = x + linear(o, W, p + "attn.proj")
        h = rms_norm(x, W[p + "norm2.weight"], 1e-6)
        x = x + linear(F.silu(linear(h, W, p + "mlp.gate_proj")) * linear(h, W, p + "mlp.up_proj"), W,
                       p + "mlp.down_proj")
    h = rms_norm(x, W["visual.merger.ln_q.weight"], 1e-6).view(-1, dv * unit)
    h = linear(F.gelu(linear(h, W, "visual.merger.mlp.0")), W, "visual.merger.mlp.2")
    return h[torch.argsort(window_index)]


def get_rope_index(ids, grids):
    """Positions [3, L] and rope_delta for one unpadded sequence (images only, second_per_grid_t = 0)."""
    m = VISION["spatial_merge_size"]
    ids = list(ids)
    parts, st, img = [], 0, 0
    n_images = sum(1 for i in range(len(ids) - 1) if ids[i] == VISION_START and ids[i + 1] == IMAGE_PAD)
    for _ in range(n_images):
        ed = ids.index(IMAGE_PAD, st)
        t, h, w = grids[img]
        lt, lh, lw = t, h // m, w // m
        text_len = ed - st
        st_idx = int(parts[-1].max()) + 1 if parts else 0
        parts.append(torch.arange(text_len).view(1, -1).expand(3, -1) + st_idx)
        t_index = torch.zeros(lt * lh * lw, dtype=torch.long)
        h_index = torch.arange(lh).view(1, -1, 1).expand(lt, -1, lw).flatten()
        w_index = torch.arange(lw).view(1, 1, -1).expand(lt, lh, -1).flatten()
        parts.append(torch.stack([t_index, h_index, w_index]) + text_len + st_idx)
        st = ed + lt * lh * lw
        img += 1
    if st < len(ids):
        st_idx = int(parts[-1].max()) + 1 if parts else 0
        parts.append(torch.arange(len(ids) - st).view(1, -1).expand(3, -1) + st_idx)
    pos = torch.cat(parts, dim=1)
    return pos, int(pos.max()) + 1 - len(ids)


def text_forward(W, embeds, pos):
    """embeds [L, d] float32, pos [3, L]; returns final-normed hidden [L, d] (one unpadded sequence, causal)."""
    d, nh, nkv = TEXT["hidden_size"], TEXT["num_attention_heads"], TEXT["num_key_value_heads"]
    hd = d // nh
    L = embeds.shape[0]
    inv_freq = 1.0 / (TEXT["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float) / hd))
    freqs = pos[:, :, None].float() * inv_freq[None, None, :]  # [3, L, hd/2]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    sec = TEXT["mrope_section"] * 2
    cos = torch.cat([c[i % 3] for i, c in enumerate(cos.split(sec, dim=-1))], dim=-1).unsqueeze(0)  # [1, L, hd]
    sin = torch.cat([s[i % 3] for i, s in enumerate(sin.split(sec, dim=-1))], dim=-1).unsqueeze(0)
    mask = torch.full((L, L), torch.finfo(torch.float32).min).triu(1)
    x = embeds
    for i in range(TEXT["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], TEXT["rms_norm_eps"])
        q = linear(h, W, p + "self_attn.q_proj").view(L, nh, hd).transpose(0, 1)
        k = linear(h, W, p + "self_attn.k_proj").view(L, nkv, hd).transpose(0, 1)
        v = linear(h, W, p + "self_attn.v_proj").view(L, nkv, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = nh // nkv
        k = k[:, None].expand(nkv, rep, L, hd).reshape(nh, L, hd)
        v = v[:, None].expand(nkv, rep, L, hd).reshape(nh, L, hd)
        a = torch.matmul(q, k.transpose(1, 2)) * hd ** -0.5 + mask
        a = F.softmax(a, dim=-1, dtype=torch.float32)
        o = torch.matmul(a, v).transpose(0, 1).reshape(L, d)
        x = x + linear(o, W, p + "self_attn.o_proj", bias=False)
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], TEXT["rms_norm_eps"])
        x = x + linear(F.silu(linear(h, W, p + "mlp.gate_proj", False)) * linear(h, W, p + "mlp.up_proj", False),
                       W, p + "mlp.down_proj", False)
    return rms_norm(x, W["model.norm.weight"], TEXT["rms_norm_eps"])


def embed(W, ids, image_embeds):
    e = W["model.embed_tokens.weight"][torch.tensor(ids)]
    mask = torch.tensor(ids) == IMAGE_PAD
    assert int(mask.sum()) == image_embeds.shape[0], (int(mask.sum()), image_embeds.shape)
    e = e.clone()
    e[mask] = image_embeds
    return e


def full_logits(W, ids, pixel_values, grids):
    img = vision_forward(W, pixel_values, grids) if grids else torch.zeros(0, TEXT["hidden_size"])
    pos, _ = get_rope_index(ids, grids)
    h = text_forward(W, embed(W, ids, img), pos)
    return h @ W["model.embed_tokens.weight"].t(), pos


def greedy(W, ids, pixel_values, grids, max_new, eos):
    ids = list(ids)
    out, margins = [], []
    for _ in range(max_new):
        logits, _ = full_logits(W, ids, pixel_values, grids)
        last = logits[-1]
        top2 = torch.topk(last, 2).values
        margins.append(float(top2[0] - top2[1]))
        tok = int(torch.argmax(last))
        out.append(tok)
        ids.append(tok)
        if tok in eos:
            break
    return out, margins


def beam_search(W, ids, pixel_values, grids, num_beams, max_new, eos):
    """HF beam search (length_penalty 0 -> hypothesis score = sum of token log-probs; early_stopping False)."""
    beams = [(list(ids), 0.0)]
    finished = []  # (score, tokens)
    prompt_len = len(ids)

    def add_hyp(score, toks):
        finished.append((score, toks))
        finished.sort(key=lambda x: -x[0])
        del finished[num_beams:]

    for step in range(max_new):
        cands = []
        for bi, (seq, sc) in enumerate(beams):
            logits, _ = full_logits(W, seq, pixel_values, grids)
            lp = F.log_softmax(logits[-1].double(), dim=-1)
            for v in range(VOCAB):
                cands.append((sc + float(lp[v]), bi, v))
            if step == 0:
                break  # HF starts with one live beam (the others at -1e9)
        cands.sort(key=lambda c: (-c[0], c[1], c[2]))
        cands = cands[: 2 * num_beams]
        nxt = []
        for rank, (score, bi, v) in enumerate(cands):
            if v in eos:
                if rank >= num_beams:
                    continue
                add_hyp(score, beams[bi][0][prompt_len:] + [v])
            else:
                nxt.append((beams[bi][0] + [v], score))
            if len(nxt) == num_beams:
                break
        beams = nxt
        # is_done: enough hypotheses and none of the candidates of this step can beat the worst of them
        if len(finished) >= num_beams and finished[-1][0] >= cands[0][0]:
            return finished[0][1], finished[0][0]
    for seq, sc in beams:
        if len(finished) < num_beams or sc > finished[-1][0]:
            add_hyp(sc, seq[prompt_len:])
    return finished[0][1], finished[0][0]


# ---------------------------------------------------------------------------------------------------------------
def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    W = make_weights()
    rng = torch.Generator().manual_seed(99)

    def words(n):
        return torch.randint(10, 1990, (n,), generator=rng).tolist()

    grids = {"A": (1, 6, 8), "B": (1, 4, 6), "C": (1, 4, 4)}
    pixels = {k: torch.randn(t * h * w, 1176, generator=rng) for k, (t, h, w) in grids.items()}
    m2 = VISION["spatial_merge_size"] ** 2

    def image_tokens(k):
        t, h, w = grids[k]
        return [VISION_START] + [IMAGE_PAD] * (t * h * w // m2) + [VISION_END]

    system = [IM_START] + words(5) + [IM_END, 198 % 1990]
    user_head = [IM_START] + words(1) + [198 % 1990]

    def prompt(demos, query, answer):
        """Lever-Plus layout: system, one user turn with (image, question+answer) demos then the query."""
        ids = list(system) + list(user_head)
        images = []
        for img, q, a in demos:
            ids += image_tokens(img) + q + a
            images.append(img)
        img, q = query
        ids += image_tokens(img) + q
        images.append(img)
        start = len(ids)
        ids += answer
        end = len(ids)
        ids += [IM_END, 198 % 1990]
        return ids, images, start, end

    demo_a = ("A", words(4), words(1))
    demo_b = ("B", words(3), words(2))
    demo_c = ("C", words(5), words(1))
    specs = [
        ([demo_a], ("B", words(4)), words(2)),
        ([demo_b, demo_c], ("A", words(3)), words(3)),
        ([], ("C", words(4)), words(1)),
    ]
    goldens, meta = {}, {"config": "snapshot-legacy/config.json", "vocab_size": VOCAB,
                         "grids": {k: list(v) for k, v in grids.items()}, "prompts": [], "generation": []}
    for k in grids:
        goldens[f"pixel_values.{k}"] = pixels[k]
        goldens[f"vision.{k}"] = vision_forward(W, pixels[k], [grids[k]])
    order = ["A", "B", "C"]
    goldens["vision.ABC"] = vision_forward(W, torch.cat([pixels[k] for k in order]), [grids[k] for k in order])
    wi, cuw = get_window_index([grids["A"]])
    goldens["window_index.A"] = wi
    goldens["cu_window_seqlens.A"] = cuw

    for pi, (demos, query, answer) in enumerate(specs):
        ids, images, start, end = prompt(demos, query, answer)
        pv = torch.cat([pixels[k] for k in images])
        g = [grids[k] for k in images]
        logits, pos = full_logits(W, ids, pv, g)
        ans_logits = logits[start - 1:end - 1]
        lp = F.log_softmax(ans_logits, dim=-1).gather(1, torch.tensor(ids[start:end]).view(-1, 1)).view(-1)
        goldens[f"prompt{pi}.position_ids"] = pos
        goldens[f"prompt{pi}.answer_logits"] = ans_logits
        goldens[f"prompt{pi}.answer_logprobs"] = lp
        meta["prompts"].append({"input_ids": ids, "images": images, "answer_start": start, "answer_end": end,
                                "logprob_sum": float(lp.sum()), "logprob_mean": float(lp.mean()),
                                "rope_delta": get_rope_index(ids, g)[1]})

    # generation prompt: one demo then the query, generation prompt appended
    ids, images, start, _ = prompt([demo_a], ("C", words(4)), [])
    gen_ids = ids[:start] + [IM_END, 198 % 1990, IM_START] + words(1) + [198 % 1990]
    pv = torch.cat([pixels[k] for k in images])
    g = [grids[k] for k in images]
    toks, margins = greedy(W, gen_ids, pv, g, 6, {IM_END, ENDOFTEXT})
    assert min(margins) > 1e-2, f"greedy margins too small: {margins}; change the seed"
    override = toks[2]  # treat the 3rd greedy token as EOS to exercise early stopping
    toks_eos, _ = greedy(W, gen_ids, pv, g, 6, {override})
    beam, beam_score = beam_search(W, gen_ids, pv, g, 3, 5, {IM_END, ENDOFTEXT})
    beam_eos, beam_eos_score = beam_search(W, gen_ids, pv, g, 3, 5, {override})
    meta["generation"].append({"input_ids": gen_ids, "images": images, "greedy": toks, "greedy_margins": margins,
                               "eos_override": override, "greedy_eos_override": toks_eos,
                               "beam3": beam, "beam3_score": beam_score,
                               "beam3_eos_override": beam_eos, "beam3_eos_override_score": beam_eos_score})

    for layout, cfg, keyf in (("snapshot-legacy", flat_config(), lambda k: k),
                              ("snapshot-new", nested_config(), new_key)):
        d = os.path.join(out_dir, layout)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        write_safetensors(os.path.join(d, "model.safetensors"), {keyf(k): v for k, v in W.items()}, "BF16",
                          {"format": "pt"})
    write_safetensors(os.path.join(out_dir, "goldens.safetensors"), goldens,
                      {k: ("I64" if v.dtype == torch.int64 else "F32") for k, v in goldens.items()},
                      {"reference": "tools/qwen25vl_reference.py (plain PyTorch " + torch.__version__ + ", float32, CPU)"})
    with open(os.path.join(out_dir, "goldens.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("greedy", toks, "margins", [round(x, 3) for x in margins])
    print("beam", beam, beam_score, "beam(eos override)", beam_eos, beam_eos_score)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/vlm/tiny")
