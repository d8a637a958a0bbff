#!/usr/bin/python3
"""Trains the Lever demo VLM: a tiny Qwen2.5-VL (same architecture, forward and key layout as the 3B model) that
answers the demo world's questions and takes its answer convention from in-context demonstrations (ICDs).

How the committed model was run (2026-12-04; tools/demo/*.py and tools/qwen25vl_reference.py copied to an NVIDIA H200
machine, its python3 with torch 2.11 + CUDA; 3952 steps of 64 prompts in 277 s):
    DEMO_DEVICE=cuda DEMO_WORKERS=7 DEMO_BATCH=64 DEMO_LR=3e-3 DEMO_PROBE=1 DEMO_ZERO_STEPS=500 DEMO_TIME_LIMIT=270 \
        DEMO_EVAL_EVERY=500 DEMO_LOG_EVERY=100 python3 tools/demo/train_vlm.py src/main/resources/org/leverplus/demo 100000
    (arguments: OUT STEPS [eval] [INIT snapshot weights or -] [SEED] [MAX_ICDS]). Needs demo_world.py to have written
    OUT/dataset and OUT/vlm/tokenizer.json. Runs on the CPU too (the default), about 4 s per 16-prompt step on the
    shared 2-core machine.
Settings (environment): DEMO_LR peak learning rate; DEMO_VLR vision-tower multiplier; DEMO_BATCH prompts per step;
DEMO_PROBE weight of the training-only probe heads (linear classifiers on each image's merged image tokens for
colour, shape, count, background, position; not saved: they keep the vision tower from collapsing, which made the
first committed model image-blind); DEMO_ZERO_STEPS steps during which 70% of prompts are 0-shot; DEMO_AUX the older
<|vision_end|> word loss; DEMO_TIME_LIMIT seconds (the cosine schedule follows max(step/STEPS, time/limit) and stops
at 1); DEMO_DEVICE; DEMO_WORKERS data-generation processes; DEMO_EVAL_EVERY steps between greedy val checks
(zero-shot by question type, and the ambiguous question with a same-/other-convention ICD).

Training corpus: fresh scenes from demo_world's renderer (never the dataset's images), rendered as Lever-Plus ICD
prompts exactly as org.leverplus.vlm.text.IcdPromptBuilder.leverPlus builds them (Qwen2-VL chat template, the
Lever-Plus system prompt, "Question:{q} Short answer:{a}" items, 56x56 images = grid (1,4,4) = 4 image tokens),
with 0-3 ICDs. The ambiguous question's convention is random per prompt (not tied to the background as in the
dataset) and shared by the ICDs and the query in 90% of prompts, so the model learns to copy it from an ICD.
Loss: every "Short answer:" answer in the prompt (teacher-forced scoring layout: answer then <|im_end|>) and, in
half the prompts, the answer after "<|im_start|>assistant\n" plus <|im_end|> (generation layout).

The forward is tools/qwen25vl_reference.py's (same equations), batched: images all have one window covering the
whole grid (window_size 112 = 4 merge units > the 2x2 merged grid), so vision attention is per image; the system-prompt prefix is shared
by every prompt and computed once per layer. At the end the script checks its batched logits against the
reference's full_logits on a few prompts, writes the snapshot into OUT/vlm (config.json, model.safetensors (F32),
generation_config.json, preprocessor_config.json) and evaluates on the val split (demo_eval.json).
"""
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import demo_world as world  # noqa: E402
import qwen25vl_reference as ref  # noqa: E402

torch.set_num_threads(2)
VOCAB = world.VOCAB_SIZE
SP = {name: world.SPECIAL_BASE + i for i, name in enumerate(world.SPECIALS)}
ENDOFTEXT, IM_START, IM_END = SP["<|endoftext|>"], SP["<|im_start|>"], SP["<|im_end|>"]
VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD = SP["<|vision_start|>"], SP["<|vision_end|>"], SP["<|image_pad|>"], SP["<|video_pad|>"]
TEXT = dict(hidden_size=64, intermediate_size=192, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=10000.0, mrope_section=[2, 3, 3])
VISION = dict(depth=2, hidden_size=48, intermediate_size=96, num_heads=2, out_hidden_size=64, patch_size=14,
              temporal_patch_size=2, spatial_merge_size=2, window_size=112, fullatt_block_indexes=[1],
              in_chans=3, hidden_act="silu", tokens_per_second=2)
# the reference module computes with module-level settings: point them at this model
ref.TEXT, ref.VISION, ref.VOCAB = TEXT, VISION, VOCAB
ref.ENDOFTEXT, ref.IM_START, ref.IM_END, ref.VISION_START, ref.VISION_END, ref.IMAGE_PAD, ref.VIDEO_PAD = (
    ENDOFTEXT, IM_START, IM_END, VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD)
GRID = (1, 4, 4)
IMG_TOKENS = 4
NPATCH = 16
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
TOK = world.Tokenizer()


def pixel_values(img):
    """Qwen2VLImageProcessor on a 56x56 RGB PIL image (smart_resize keeps 56x56; tools/vlm/image-golden.py)."""
    rgb = np.asarray(img.convert("RGB"))
    image = (rgb.astype(np.float64) * 0.00392156862745098).astype(np.float32)
    image = (image - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    patches = np.array([image.transpose(2, 0, 1)])
    patches = np.concatenate([patches, patches], axis=0)
    p = patches.reshape(1, 2, 3, 2, 2, 14, 2, 2, 14).transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return torch.from_numpy(np.ascontiguousarray(p.reshape(16, 1176), dtype=np.float32))


# --------------------------------------------------------------------------------------------------------------
# Prompt layout (IcdPromptBuilder.leverPlus, SEPARATE answers)
PREFIX = TOK.encode("<|im_start|>system\n" + world.SYSTEM_PROMPT + "<|im_end|>\n<|im_start|>user\n")


def strip_spaces(s):
    return s.strip(" ")


def prompt_ids(icds, query_q, answer=None):
    """icds: [(question, answer)]; returns ids after PREFIX-less layout = full ids, and answer span (teacher forced)."""
    ids = list(PREFIX)
    spans = []
    for q, a in icds:
        ids += [VISION_START] + [IMAGE_PAD] * IMG_TOKENS + [VISION_END]
        head = TOK.encode(strip_spaces("Question:" + q + " Short answer:"))
        full = TOK.encode(strip_spaces("Question:" + q + " Short answer:" + a))
        spans.append((len(ids) + len(head), len(ids) + len(full)))
        ids += full
    ids += [VISION_START] + [IMAGE_PAD] * IMG_TOKENS + [VISION_END]
    ids += TOK.encode(strip_spaces("Question:" + query_q + " Short answer:"))
    span = None
    if answer is None:
        ids += TOK.encode("<|im_end|>\n<|im_start|>assistant\n")
    else:
        s = len(ids)
        ids += TOK.encode(answer.rstrip(" "))
        span = (s, len(ids))
        ids += TOK.encode("<|im_end|>\n")
    return ids, spans, span


# --------------------------------------------------------------------------------------------------------------
# Model
def init_weights(seed=0):
    torch.manual_seed(seed)
    w = {}
    d, dv = TEXT["hidden_size"], VISION["hidden_size"]
    hd = d // TEXT["num_attention_heads"]
    kvd = TEXT["num_key_value_heads"] * hd

    def lin(o, i, name, bias, scale=1.0):
        w[name + ".weight"] = torch.randn(o, i) / math.sqrt(i) * scale
        if bias:
            w[name + ".bias"] = torch.zeros(o)

    cin = 3 * 2 * 14 * 14
    w["visual.patch_embed.proj.weight"] = (torch.randn(dv, cin) / math.sqrt(cin)).view(dv, 3, 2, 14, 14)
    for i in range(VISION["depth"]):
        p = "visual.blocks.%d." % i
        w[p + "norm1.weight"] = torch.ones(dv)
        w[p + "norm2.weight"] = torch.ones(dv)
        lin(3 * dv, dv, p + "attn.qkv", True)
        lin(dv, dv, p + "attn.proj", True, 0.5)
        lin(VISION["intermediate_size"], dv, p + "mlp.gate_proj", True)
        lin(VISION["intermediate_size"], dv, p + "mlp.up_proj", True)
        lin(dv, VISION["intermediate_size"], p + "mlp.down_proj", True, 0.5)
    w["visual.merger.ln_q.weight"] = torch.ones(dv)
    lin(4 * dv, 4 * dv, "visual.merger.mlp.0", True)
    lin(d, 4 * dv, "visual.merger.mlp.2", True)
    w["model.embed_tokens.weight"] = torch.randn(VOCAB, d) * 0.1
    for i in range(TEXT["num_hidden_layers"]):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = torch.ones(d)
        w[p + "post_attention_layernorm.weight"] = torch.ones(d)
        lin(d, d, p + "self_attn.q_proj", True)
        lin(kvd, d, p + "self_attn.k_proj", True)
        lin(kvd, d, p + "self_attn.v_proj", True)
        lin(d, d, p + "self_attn.o_proj", False, 0.5)
        lin(TEXT["intermediate_size"], d, p + "mlp.gate_proj", False)
        lin(TEXT["intermediate_size"], d, p + "mlp.up_proj", False)
        lin(d, TEXT["intermediate_size"], p + "mlp.down_proj", False, 0.5)
    w["model.norm.weight"] = torch.ones(d)
    for v in w.values():
        v.requires_grad_(True)
    return w


_VROT = None


def vision_batch(W, pv):
    """pv [N, 16, 1176] -> image embeddings [N, 4, d]; equals ref.vision_forward per image (one window each)."""
    global _VROT
    if _VROT is None:
        rot = ref.vision_rot_pos_emb([GRID])
        emb = torch.cat((rot, rot), dim=-1)
        _VROT = (emb.cos().unsqueeze(1), emb.sin().unsqueeze(1))  # [16, 1, hd]
    cos, sin = _VROT
    N = pv.shape[0]
    dv, nh = VISION["hidden_size"], VISION["num_heads"]
    hd = dv // nh
    x = pv @ W["visual.patch_embed.proj.weight"].view(dv, -1).t()  # [N, 16, dv]
    for i in range(VISION["depth"]):
        p = "visual.blocks.%d." % i
        h = ref.rms_norm(x, W[p + "norm1.weight"], 1e-6)
        q, k, v = ref.linear(h, W, p + "attn.qkv").reshape(N, NPATCH, 3, nh, hd).permute(2, 0, 1, 3, 4).unbind(0)
        q = q * cos + ref.rotate_half(q) * sin
        k = k * cos + ref.rotate_half(k) * sin
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [N, nh, 16, hd]
        a = F.softmax(torch.matmul(q, k.transpose(2, 3)) * hd ** -0.5, dim=-1)
        o = torch.matmul(a, v).transpose(1, 2).reshape(N, NPATCH, dv)
        x = x + ref.linear(o, W, p + "attn.proj")
        h = ref.rms_norm(x, W[p + "norm2.weight"], 1e-6)
        x = x + ref.linear(F.silu(ref.linear(h, W, p + "mlp.gate_proj")) * ref.linear(h, W, p + "mlp.up_proj"), W, p + "mlp.down_proj")
    h = ref.rms_norm(x, W["visual.merger.ln_q.weight"], 1e-6).reshape(N, IMG_TOKENS, dv * 4)
    return ref.linear(F.gelu(ref.linear(h, W, "visual.merger.mlp.0")), W, "visual.merger.mlp.2")


def rope(pos):
    """pos [B, 3, L] -> cos, sin [B, 1, L, hd] (ref.text_forward's M-RoPE)."""
    hd = TEXT["hidden_size"] // TEXT["num_attention_heads"]
    inv = 1.0 / (TEXT["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float) / hd))
    fr = pos[..., None].float() * inv  # [B, 3, L, hd/2]
    emb = torch.cat((fr, fr), dim=-1)
    sec = TEXT["mrope_section"] * 2
    cos = torch.cat([c[:, i % 3] for i, c in enumerate(emb.cos().split(sec, dim=-1))], dim=-1)
    sin = torch.cat([s[:, i % 3] for i, s in enumerate(emb.sin().split(sec, dim=-1))], dim=-1)
    return cos.unsqueeze(1), sin.unsqueeze(1)


def text_batch(W, prefix_emb, emb, pos):
    """Shared prefix [P, d] (positions 0..P-1) + right-padded suffixes [B, S, d] with positions pos [B, 3, S].
    Returns final-normed hidden of the suffixes [B, S, d]."""
    d, nh, nkv = TEXT["hidden_size"], TEXT["num_attention_heads"], TEXT["num_key_value_heads"]
    hd, rep = d // nh, nh // nkv
    B, S, _ = emb.shape
    P = prefix_emb.shape[0]
    pc, ps = rope(torch.arange(P).view(1, 1, P).expand(1, 3, P))
    sc, ss = rope(pos)
    neg = torch.finfo(torch.float32).min
    pmask = torch.full((P, P), neg).triu(1)
    smask = torch.cat([torch.zeros(S, P), torch.full((S, S), neg).triu(1)], dim=1)
    xp, xs = prefix_emb.unsqueeze(0), emb
    for i in range(TEXT["num_hidden_layers"]):
        p = "model.layers.%d." % i

        def qkv(x, L, n):
            h = ref.rms_norm(x, W[p + "input_layernorm.weight"], TEXT["rms_norm_eps"])
            q = ref.linear(h, W, p + "self_attn.q_proj").view(n, L, nh, hd).transpose(1, 2)
            k = ref.linear(h, W, p + "self_attn.k_proj").view(n, L, nkv, hd).transpose(1, 2)
            v = ref.linear(h, W, p + "self_attn.v_proj").view(n, L, nkv, hd).transpose(1, 2)
            return q, k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)

        qp, kp, vp = qkv(xp, P, 1)
        qp, kp = qp * pc + ref.rotate_half(qp) * ps, kp * pc + ref.rotate_half(kp) * ps
        qs, ks, vs = qkv(xs, S, B)
        qs, ks = qs * sc + ref.rotate_half(qs) * ss, ks * sc + ref.rotate_half(ks) * ss
        op = torch.matmul(F.softmax(torch.matmul(qp, kp.transpose(2, 3)) * hd ** -0.5 + pmask, dim=-1), vp)
        K = torch.cat([kp.expand(B, -1, -1, -1), ks], dim=2)
        V = torch.cat([vp.expand(B, -1, -1, -1), vs], dim=2)
        os_ = torch.matmul(F.softmax(torch.matmul(qs, K.transpose(2, 3)) * hd ** -0.5 + smask, dim=-1), V)

        def post(x, o, L, n):
            x = x + ref.linear(o.transpose(1, 2).reshape(n, L, d), W, p + "self_attn.o_proj", bias=False)
            h = ref.rms_norm(x, W[p + "post_attention_layernorm.weight"], TEXT["rms_norm_eps"])
            return x + ref.linear(F.silu(ref.linear(h, W, p + "mlp.gate_proj", False)) * ref.linear(h, W, p + "mlp.up_proj", False),
                                  W, p + "mlp.down_proj", False)

        xp, xs = post(xp, op, P, 1), post(xs, os_, S, B)
    return ref.rms_norm(xs, W["model.norm.weight"], TEXT["rms_norm_eps"])


def batch_hidden(W, seqs, img_out=None, poss=None):
    """seqs: [(ids, [pixel_values per image])] all starting with PREFIX. Returns hidden [B, S, d] of the suffixes
    (and appends the image embeddings [N, 4, d] to img_out when given). poss: precomputed positions (optional)."""
    P = len(PREFIX)
    dev = W["model.norm.weight"].device
    pv = torch.stack([torch.as_tensor(x) for _, imgs in seqs for x in imgs]).to(dev)
    img = vision_batch(W, pv)
    if img_out is not None:
        img_out.append(img)
    img = img.reshape(-1, TEXT["hidden_size"])
    E = W["model.embed_tokens.weight"]
    S = max(len(ids) for ids, _ in seqs) - P
    B = len(seqs)
    tok = np.full((B, S), ENDOFTEXT, dtype=np.int64)
    pos = np.zeros((B, 3, S), dtype=np.int64)
    for b, (ids, _) in enumerate(seqs):
        tok[b, :len(ids) - P] = ids[P:]
        pos[b, :, :len(ids) - P] = (poss[b] if poss is not None else positions(ids))[:, P:]
    tok, pos = torch.from_numpy(tok).to(dev), torch.from_numpy(pos).to(dev)
    emb = E[tok]
    m = tok == IMAGE_PAD
    emb = emb.masked_scatter(m.unsqueeze(-1), img) if True else emb
    return text_batch(W, E[torch.tensor(PREFIX)], emb, pos)


# --------------------------------------------------------------------------------------------------------------
# Training corpus
AUX_WEIGHT = float(os.environ.get("DEMO_AUX", "0"))  # see the docstring for the committed model's settings
# training-only probe heads (DEMO_PROBE > 0; never saved): linear classifiers on each image's 4 merged image tokens
# (the merger output the decoder sees) predict colour, shape, count, background and position, giving the vision
# tower a direct loss from step 0 so it cannot collapse to a constant output while the decoder is still learning
PROBE_WEIGHT = float(os.environ.get("DEMO_PROBE", "0"))
PROBE_CLASSES = [("color", list(world.COLORS)), ("shape", world.SHAPES), ("n", [1, 2, 3]),
                 ("bg", list(world.BACKGROUNDS)), ("position", [None] + world.POSITIONS)]
# curriculum (DEMO_ZERO_STEPS > 0): for the first steps most prompts are 0-shot, where only the image decides the answer
ZERO_STEPS = int(os.environ.get("DEMO_ZERO_STEPS", "0"))
STEP = [0]
ICD_CHOICES = [0, 1, 2, 2, 2, 3]
PRIOR = [0.45, 0.35, 0.20]  # color, shape, count: the convention a prompt without a revealing ICD should default to


def item(rng, conv):
    qt = rng.choices(world.QTYPES, world.QWEIGHTS)[0]
    s = world.scene(rng)
    if qt == "position" and s["n"] != 1:
        qt = "count"
    q, a, _, _ = world.question(s, qt, rng, conv if qt == "ambiguous" else None)
    if qt != "ambiguous" and a in world.SYNONYMS and rng.random() < 0.1:
        a = rng.choice(world.SYNONYMS[a])  # ICD answers sometimes use a synonym, as annotators do
    return q, a, pixel_values(world.jpeg_roundtrip(world.render(s, rng))), s


def example(rng):
    k = rng.choice(ICD_CHOICES)
    if STEP[0] < ZERO_STEPS and rng.random() < 0.7:
        k = 0
    shared = rng.choices(world.CONVENTIONS, PRIOR)[0]
    items = []
    for _ in range(k + 1):
        conv = shared if rng.random() < 0.9 else rng.choice(world.CONVENTIONS)
        items.append(item(rng, conv))
    # the query's canonical answer (no synonyms for the query)
    q, a, pv, _ = items[-1]
    for syn, alts in world.SYNONYMS.items():
        if a in alts:
            a = syn
    gen = rng.random() < 0.5
    ids, spans, span = prompt_ids([(x[0], x[1]) for x in items[:-1]], q, None if gen else a)
    targets = []
    for s, e in spans:
        targets += list(range(s, e))
    if gen:
        s = len(ids)
        ids = ids + TOK.encode(a) + [IM_END]
        targets += list(range(s, len(ids)))
    else:
        targets += list(range(span[0], span[1] + 1))  # answer + <|im_end|>
    # auxiliary targets (AUX_WEIGHT > 0): the hidden state at each <|vision_end|> predicts the image's colour,
    # shape and count words (positions the prompt never generates from), so the vision tower has a short path to a loss
    ends = [p for p, tok in enumerate(ids) if tok == VISION_END]
    aux = [(p, TOK.encode(w)[0]) for p, x in zip(ends, items) for w in (x[3]["color"], x[3]["shape"], str(x[3]["n"]))]
    probe = [[vals.index(x[3][key]) for key, vals in PROBE_CLASSES] for x in items]
    return ids, [x[2] for x in items], targets, aux, probe, positions(ids)


def positions(ids):
    """M-RoPE positions [3, L] of a prompt (ref.get_rope_index), as numpy so data workers can compute them."""
    with torch.device("cpu"):
        return ref.get_rope_index(ids, [GRID] * sum(1 for t in ids if t == VISION_START))[0].numpy()


def make_batch(args):
    """B training prompts from their own seeded generator (data workers run this; deterministic per (seed, step))."""
    seed, step, B = args
    STEP[0] = step
    rng = random.Random(seed * 1000003 + step)
    out = []
    for _ in range(B):
        ids, imgs, targets, aux, probe, pos = example(rng)
        out.append((ids, [x.numpy() for x in imgs], targets, aux, probe, pos))
    return out


def _worker_init():
    torch.set_num_threads(1)


def probe_heads(seed=3):
    g = torch.Generator().manual_seed(seed)
    d = IMG_TOKENS * TEXT["hidden_size"]
    return {key: (torch.randn(len(vals), d, generator=g) / math.sqrt(d)).requires_grad_(True) for key, vals in PROBE_CLASSES}


def loss_of(W, batch, heads=None, stats=None):
    imgs = []
    h = batch_hidden(W, [(x[0], x[1]) for x in batch], imgs, [x[5] for x in batch])
    P = len(PREFIX)
    rows, cols, tgt = [], [], []
    for b, x in enumerate(batch):
        ids, targets = x[0], x[2]
        for t in targets:
            rows.append(b)
            cols.append(t - 1 - P)
            tgt.append(ids[t])
    logits = h[torch.tensor(rows), torch.tensor(cols)] @ W["model.embed_tokens.weight"].t()
    loss = F.cross_entropy(logits, torch.tensor(tgt))
    if AUX_WEIGHT > 0:
        rows, cols, tgt = [], [], []
        for b, x in enumerate(batch):
            for p, w in x[3]:
                rows.append(b)
                cols.append(p - P)
                tgt.append(w)
        aux = h[torch.tensor(rows), torch.tensor(cols)] @ W["model.embed_tokens.weight"].t()
        loss = loss + AUX_WEIGHT * F.cross_entropy(aux, torch.tensor(tgt))
    if heads is not None and PROBE_WEIGHT > 0:
        feats = imgs[0].reshape(imgs[0].shape[0], -1)
        labels = torch.tensor([p for x in batch for p in x[4]])
        for j, (key, _) in enumerate(PROBE_CLASSES):
            lg = feats @ heads[key].t()
            loss = loss + PROBE_WEIGHT * F.cross_entropy(lg, labels[:, j]) / len(PROBE_CLASSES)
            if stats is not None:
                stats[key] = float((lg.argmax(-1) == labels[:, j]).float().mean())
    return loss


# --------------------------------------------------------------------------------------------------------------
# Evaluation on the dataset (VQA accuracy min(#matches/3, 1), without the 10-choose-9 averaging)
def load_split(out, split):
    d = os.path.join(out, "dataset")
    qs = json.load(open(os.path.join(d, "v2_OpenEnded_mscoco_%s2014_questions.json" % split)))["questions"]
    ans = {a["question_id"]: a for a in json.load(open(os.path.join(d, "v2_mscoco_%s2014_annotations.json" % split)))["annotations"]}
    recs = []
    for q in sorted(qs, key=lambda q: q["question_id"]):
        a = ans[q["question_id"]]
        from PIL import Image
        img = Image.open(os.path.join(d, "images", "COCO_%s2014_%012d.jpg" % (split, q["image_id"])))
        recs.append(dict(q=q["question"], a=a["multiple_choice_answer"], answers=[x["answer"] for x in a["answers"]],
                         pv=pixel_values(img), qtype=a["question_type"]))
    return recs


def greedy_batch(W, prompts, max_new=3):
    """prompts: [(ids, imgs)] generation prompts; returns decoded answers (greedy, eos <|im_end|>/<|endoftext|>)."""
    outs = [[] for _ in prompts]
    cur = [list(ids) for ids, _ in prompts]
    done = [False] * len(prompts)
    P = len(PREFIX)
    for _ in range(max_new):
        live = [i for i in range(len(prompts)) if not done[i]]
        if not live:
            break
        h = batch_hidden(W, [(cur[i], prompts[i][1]) for i in live])
        for j, i in enumerate(live):
            tok = int(torch.argmax(h[j, len(cur[i]) - 1 - P] @ W["model.embed_tokens.weight"].t()))
            if tok in (IM_END, ENDOFTEXT):
                done[i] = True
            else:
                outs[i].append(tok)
                cur[i].append(tok)
    return [TOK.decode([t for t in o if t in TOK.inv]) for o in outs]


def convention_of(answer):
    return "color" if answer in world.COLORS else "shape" if answer in world.SHAPES else "count"


def convention_probe(W, train, val):
    """Greedy accuracy on the val ambiguous questions with one ambiguous train ICD of the query's convention, and
    with one of another convention: how much the model copies the convention from an ICD."""
    amb = [r for r in train if r["q"] == world.AMBIGUOUS_Q]
    rng = random.Random(3)
    res = []
    for same in (True, False):
        prompts, qs = [], []
        for r in val:
            if r["q"] != world.AMBIGUOUS_Q:
                continue
            c = convention_of(r["a"])
            icd = rng.choice([x for x in amb if (convention_of(x["a"]) == c) == same])
            prompts.append((prompt_ids([(icd["q"], icd["a"])], r["q"])[0], [icd["pv"], r["pv"]]))
            qs.append(r)
        with torch.no_grad():
            preds = greedy_batch(W, prompts)
        res.append(sum(acc(p, r["answers"]) for p, r in zip(preds, qs)) / max(1, len(qs)))
    return tuple(res)


def acc(pred, answers):
    return min(1.0, sum(1 for a in answers if a == pred) / 3.0)


def evaluate(W, train, val, seed=5, pairs=6):
    rng = random.Random(seed)
    res = {}
    with torch.no_grad():
        zs = greedy_batch(W, [prompt_ids([], r["q"])[0:1] + ([r["pv"]],) for r in val])
        res["zero_shot"] = sum(acc(p, r["answers"]) for p, r in zip(zs, val)) / len(val)
        per_query = [[] for _ in val]
        for k in range(pairs):
            prompts = []
            for r in val:
                icds = rng.sample(train, 2)
                prompts.append((prompt_ids([(x["q"], x["a"]) for x in icds], r["q"])[0], [icds[0]["pv"], icds[1]["pv"], r["pv"]]))
            preds = []
            for s in range(0, len(prompts), 64):
                preds += greedy_batch(W, prompts[s:s + 64])
            for i, (p, r) in enumerate(zip(preds, val)):
                per_query[i].append(acc(p, r["answers"]))
        res["random_2shot"] = sum(sum(x) for x in per_query) / (len(val) * pairs)
        mixed = [1 for x in per_query if any(v > 0.5 for v in x) and any(v <= 0.5 for v in x)]
        res["mixed_share"] = len(mixed) / len(val)
        res["pairs_per_query"] = pairs
        by = {}
        for r, z, x in zip(val, zs, per_query):
            t = by.setdefault(r["qtype"], [0, 0.0, 0.0])
            t[0] += 1
            t[1] += acc(z, r["answers"])
            t[2] += sum(x) / len(x)
        res["by_question_type"] = {k: dict(n=v[0], zero_shot=v[1] / v[0], random_2shot=v[2] / v[0]) for k, v in by.items()}
    return res


# --------------------------------------------------------------------------------------------------------------
def quick_eval(W, train_recs, val):
    """Greedy zero-shot val accuracy by question type and the convention probe, printed during training."""
    with torch.no_grad():
        zs = greedy_batch(W, [prompt_ids([], r["q"])[0:1] + ([r["pv"]],) for r in val])
    by = {}
    for p, r in zip(zs, val):
        by.setdefault(r["qtype"], []).append(acc(p, r["answers"]))
    print("  zero-shot val %.3f | %s" % (sum(acc(p, r["answers"]) for p, r in zip(zs, val)) / len(val),
          " ".join("%s %.2f" % (k[:10], sum(v) / len(v)) for k, v in sorted(by.items()))), flush=True)
    print("  ambiguous 1-shot: same-convention ICD %.2f, other-convention ICD %.2f" % convention_probe(W, train_recs, val), flush=True)

def config_json():
    c = ref.flat_config()
    c["torch_dtype"] = "float32"
    c["max_position_embeddings"] = 4096
    return c


def write_snapshot(W, out):
    v = os.path.join(out, "vlm")
    os.makedirs(v, exist_ok=True)
    ref.write_safetensors(os.path.join(v, "model.safetensors"), {k: t.detach() for k, t in W.items()}, "F32",
                          {"format": "pt"})
    json.dump(config_json(), open(os.path.join(v, "config.json"), "w"), indent=2)
    json.dump({"bos_token_id": ENDOFTEXT, "eos_token_id": [IM_END, ENDOFTEXT], "pad_token_id": ENDOFTEXT,
               "do_sample": False, "repetition_penalty": 1.0}, open(os.path.join(v, "generation_config.json"), "w"), indent=2)
    json.dump({"min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14, "temporal_patch_size": 2, "merge_size": 2,
               "image_mean": MEAN, "image_std": STD, "rescale_factor": 0.00392156862745098, "resample": 3,
               "do_resize": True, "do_rescale": True, "do_normalize": True, "do_convert_rgb": True,
               "image_processor_type": "Qwen2VLImageProcessor", "processor_class": "Qwen2_5_VLProcessor"},
              open(os.path.join(v, "preprocessor_config.json"), "w"), indent=2)


def check_against_reference(W, rng):
    Wd = {k: t.detach() for k, t in W.items()}
    worst = 0.0
    for n in range(3):
        ids, imgs = example(rng)[:2]
        h = batch_hidden(Wd, [(ids, imgs)])[0, :len(ids) - len(PREFIX)]
        mine = h @ Wd["model.embed_tokens.weight"].t()
        full, _ = ref.full_logits(Wd, ids, torch.cat(imgs), [GRID] * len(imgs))
        worst = max(worst, float((mine - full[len(PREFIX):]).abs().max()))
    assert worst < 1e-3, worst
    return worst


def load_snapshot_weights(path):
    import struct
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    W = {}
    for k, v in header.items():
        if k != "__metadata__":
            a, b = v["data_offsets"]
            W[k] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").copy()).view(v["shape"]).requires_grad_(True)
    return W


def main(out, steps, do_eval=False, init=None, seed=1, max_icds=3):
    global _VROT
    t0 = time.time()
    rng = random.Random(seed)
    W = init_weights() if not init or init == "-" else load_snapshot_weights(init)
    workers = int(os.environ.get("DEMO_WORKERS", "0"))  # data-generation processes (0: in this process)
    pool = None
    if workers:
        import multiprocessing
        pool = multiprocessing.get_context("fork").Pool(workers, _worker_init)  # before any CUDA use
    device = os.environ.get("DEMO_DEVICE", "cpu")
    if device != "cpu":
        W = {k: v.detach().to(device).requires_grad_(True) for k, v in W.items()}
        torch.set_default_device(device)
    global ICD_CHOICES
    ICD_CHOICES = [k for k in [0, 1, 2, 2, 2, 3] if k <= max_icds]
    peak = float(os.environ.get("DEMO_LR", "5e-3"))
    vmult = float(os.environ.get("DEMO_VLR", "1"))  # vision tower + merger learning rate = peak * DEMO_VLR
    B = int(os.environ.get("DEMO_BATCH", "16"))
    with torch.device("cpu"):
        heads = probe_heads() if PROBE_WEIGHT > 0 else None
    if heads:
        heads = {k: v.detach().to(device).requires_grad_(True) for k, v in heads.items()}
    vis = [t for k, t in W.items() if k.startswith("visual.")]
    groups = [dict(params=[t for k, t in W.items() if not k.startswith("visual.")], mult=1.0),
              dict(params=vis, mult=vmult)]
    if heads:
        groups.append(dict(params=list(heads.values()), mult=1.0))
    opt = torch.optim.AdamW(groups, lr=peak, weight_decay=0.01)
    every = int(os.environ.get("DEMO_EVAL_EVERY", "0"))
    val = load_split(out, "val") if every else None
    train_recs = load_split(out, "train") if every else None
    warm = 30
    limit = float(os.environ.get("DEMO_TIME_LIMIT", "0"))  # seconds: the schedule follows max(step/steps, time/limit)

    def batches():
        if not pool:
            for st in range(steps):
                yield make_batch((seed, st, B))
            return
        import collections
        ahead = collections.deque(pool.apply_async(make_batch, ((seed, st, B),)) for st in range(min(steps, 2 * workers)))
        nxt = len(ahead)
        while ahead:
            b = ahead.popleft().get()
            if nxt < steps:
                ahead.append(pool.apply_async(make_batch, ((seed, nxt, B),)))
                nxt += 1
            yield b

    tstart = time.time()
    for step, batch in zip(range(steps), batches()):
        STEP[0] = step
        progress = max(step / steps, (time.time() - tstart) / limit if limit else 0.0)
        if progress >= 1:
            break
        lr = peak * min(1.0, (step + 1) / warm) * (0.5 * (1 + math.cos(math.pi * progress)) * 0.95 + 0.05)
        for g in opt.param_groups:
            g["lr"] = lr * g["mult"]
        stats = {}
        loss = loss_of(W, batch, heads, stats)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(W.values(), 1.0)
        opt.step()
        if step % int(os.environ.get("DEMO_LOG_EVERY", "25")) == 0 or step == steps - 1:
            print("step %d loss %.4f lr %.5f %.0fs %s" % (step, float(loss), lr, time.time() - t0,
                  " ".join("%s %.2f" % kv for kv in stats.items())), flush=True)
        if every and (step % every == every - 1 or step == steps - 1):
            quick_eval(W, train_recs, val)
        if step % 50 == 49 and device == "cpu":
            write_snapshot(W, out)
    if every and step % every != every - 1 and step != steps - 1:
        quick_eval(W, train_recs, val)
    if pool:
        pool.terminate()
    if device != "cpu":
        torch.set_default_device("cpu")
        _VROT = None
        W = {k: v.detach().cpu() for k, v in W.items()}
    diff = check_against_reference(W, random.Random(99))
    print("batched forward vs tools/qwen25vl_reference.py full_logits: max |diff| %.2e" % diff)
    write_snapshot(W, out)
    print("trained %d steps of %d prompts in %.0f s" % (step, B, time.time() - t0))
    if do_eval:  # optional: the Java tests (DemoVlmTest) measure the snapshot through the engine
        train, val = load_split(out, "train"), load_split(out, "val")
        res = evaluate(W, train, val)
        print(json.dumps(res, indent=1))


if __name__ == "__main__":
    args = sys.argv[1:] + [None] * 6
    main(args[0], int(args[1]) if args[1] else 380, args[2] == "eval", args[3], int(args[4] or 1), int(args[5] or 3))
