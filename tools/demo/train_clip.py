#!/usr/bin/env python3
"""Trains the demo world's tiny CLIP: the `lever clip make-tiny --geometry b32` architecture (image 64, patch 32,
hidden 32, 2 layers per tower, projection 16, CLIP's byte-level tokenizer with a byte-only vocabulary), trained
contrastively on fresh scenes from demo_world's renderer (never the dataset's images) paired with short captions of
what they show (background, colour, shape, count, position) and, for a quarter of the pairs, one of the scene's
questions with its answer, so both the image tower (i2i) and the text tower on question texts (t2t) give features
that follow the scene.

How it was run (2026-12-04: torch 2.13 CPU, transformers 5.18; 2 shared cores, 168 s):
    bin/lever clip make-tiny --out /tmp/clip-template --geometry b32
    nice python tools/demo/train_clip.py /tmp/clip-template src/main/resources/org/leverplus/demo/clip 400
Writes OUT/{config.json, model.safetensors (F32, the template's key names and shapes), preprocessor_config.json,
tokenizer.json}: the template's JSON files unchanged, so org.leverplus.clip loads it like any make-tiny snapshot.
"""
import json
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from transformers import CLIPConfig, CLIPModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_world as world  # noqa: E402

torch.set_num_threads(2)
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
BANK = 6000
BG_WORD = {"white": "white", "lightblue": "light blue", "pink": "pink"}


def pixels(img, size):
    """CLIPImageProcessor: bicubic resize of the shortest edge to `size` (56 -> 64), centre crop, rescale, normalise."""
    from PIL import Image
    x = img.convert("RGB").resize((size, size), Image.BICUBIC)
    a = (np.asarray(x).astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(a.transpose(2, 0, 1).copy())


def caption(s, rng):
    n = world.NUM_WORD[s["n"]]
    shape = s["shape"] + ("s" if s["n"] > 1 else "")
    parts = ["%s %s %s" % (n, s["color"], shape), "on a %s background" % BG_WORD[s["bg"]]]
    if s["position"]:
        parts.append("at the %s" % s["position"])
    if rng.random() < 0.25:
        qt = rng.choice(world.QTYPES)
        if qt == "position" and s["n"] != 1:
            qt = "count"
        conv = world.CONVENTION_OF_BG[s["bg"]]
        q, a, _, _ = world.question(s, qt, rng, conv)
        return "%s %s" % (q, a) if rng.random() < 0.5 else "%s %s, %s" % (q, a, " ".join(parts))
    rng.shuffle(parts)
    return " ".join(parts)


def main(template, out, steps):
    t0 = time.time()
    cfg = json.load(open(os.path.join(template, "config.json")))
    model = CLIPModel(CLIPConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "torch_dtype")}))
    init = load_file(os.path.join(template, "model.safetensors"))
    missing, unexpected = model.load_state_dict(init, strict=False)
    assert not unexpected, unexpected
    tok = Tokenizer.from_file(os.path.join(template, "tokenizer.json"))
    bos, eos = tok.token_to_id("<|startoftext|>"), tok.token_to_id("<|endoftext|>")
    max_len = cfg["text_config"]["max_position_embeddings"]
    size = cfg["vision_config"]["image_size"]

    def encode_texts(texts):
        ids = [[bos] + tok.encode(t).ids[:max_len - 2] + [eos] for t in texts]
        L = max(len(x) for x in ids)
        t = torch.full((len(ids), L), eos, dtype=torch.long)
        m = torch.zeros((len(ids), L), dtype=torch.long)
        for i, x in enumerate(ids):
            t[i, :len(x)] = torch.tensor(x)
            m[i, :len(x)] = 1
        return t, m

    rng = random.Random(5)
    # a bank of rendered scenes (rendering is the slow part on 2 cores); captions are drawn fresh each step
    bank = [world.scene(rng) for _ in range(BANK)]
    bank_px = torch.stack([pixels(world.jpeg_roundtrip(world.render(s, rng)), size) for s in bank])
    print("rendered %d scenes in %.0f s" % (BANK, time.time() - t0), flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    B = 128
    for step in range(steps):
        lr = 3e-3 * min(1.0, (step + 1) / 50) * (0.5 * (1 + np.cos(np.pi * step / steps)) * 0.95 + 0.05)
        for g in opt.param_groups:
            g["lr"] = lr
        pick = rng.sample(range(BANK), B)
        scenes = [bank[i] for i in pick]
        px = bank_px[pick]
        ids, mask = encode_texts([caption(s, rng) for s in scenes])
        o = model(input_ids=ids, attention_mask=mask, pixel_values=px)
        labels = torch.arange(B)
        loss = (F.cross_entropy(o.logits_per_image, labels) + F.cross_entropy(o.logits_per_text, labels)) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            acc = float((o.logits_per_image.argmax(-1) == labels).float().mean())
            print("step %d loss %.3f i2t top-1 %.2f scale %.1f %.0fs" % (step, float(loss), acc,
                  float(model.logit_scale.exp()), time.time() - t0), flush=True)

    # how well image features group by background (the demo's convention cue): nearest-neighbour agreement
    model.eval()
    with torch.no_grad():
        scenes = [world.scene(rng) for _ in range(300)]
        px = torch.stack([pixels(world.jpeg_roundtrip(world.render(s, rng)), size) for s in scenes])
        f = F.normalize(model.visual_projection(model.vision_model(pixel_values=px).pooler_output), dim=-1)
        sim = f @ f.t() - 2 * torch.eye(len(scenes))
        nn = sim.argmax(-1).tolist()
        for key in ("bg", "color", "shape", "n"):
            print("image nearest neighbour shares %s: %.2f" % (key, np.mean([scenes[i][key] == scenes[j][key] for i, j in enumerate(nn)])))
    os.makedirs(out, exist_ok=True)
    sd = model.state_dict()
    w = {k: sd[k].detach().contiguous().to(torch.float32) for k in init}
    for k in init:
        assert tuple(w[k].shape) == tuple(init[k].shape), k
    save_file(w, os.path.join(out, "model.safetensors"), {"format": "pt"})
    for f in ("config.json", "preprocessor_config.json", "tokenizer.json"):
        shutil.copyfile(os.path.join(template, f), os.path.join(out, f))
    print("wrote %s (%d tensors) in %.0f s" % (out, len(w), time.time() - t0))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1500)
