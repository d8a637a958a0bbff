#!/usr/bin/env python3
"""The plain PyTorch eager loop `lever embed` is measured against (benchmarks/results/clip.md).

Same items file, same snapshot, same selector embedding as `lever embed --kind selector`:
normalize(mean(normalize(image_embeds), normalize(text_embeds))), batches of 32, with transformers' CLIPModel and
CLIPTokenizer/CLIP image processor (PIL backend: resize shortest edge bicubic, center crop, normalise), decoding
in the same thread as the model (the simple loop a user writes). Writes the embeddings as .npy so the two outputs
can be compared.

Usage: embed_reference.py --snapshot DIR --items items.jsonl --out ref.npy [--threads 1] [--batch 32]
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--items", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from transformers import CLIPModel, CLIPTokenizerFast
    try:
        from transformers import CLIPImageProcessorPil as Proc   # transformers 5: the PIL backend
    except ImportError:
        from transformers import CLIPImageProcessor as Proc      # transformers 4: PIL already
    model = CLIPModel.from_pretrained(a.snapshot, dtype=torch.float32).eval()
    tok = CLIPTokenizerFast.from_pretrained(a.snapshot)
    proc = Proc.from_pretrained(a.snapshot)
    base = os.path.dirname(os.path.abspath(a.items))
    items = [json.loads(l) for l in open(a.items) if l.strip()]
    out = np.zeros((len(items), model.config.projection_dim), dtype=np.float32)
    t0 = time.perf_counter()
    model_s = 0.0
    with torch.no_grad():
        for s in range(0, len(items), a.batch):
            part = items[s:s + a.batch]
            imgs = [Image.open(os.path.join(base, it["image"])).convert("RGB") for it in part]
            px = proc(images=imgs, return_tensors="pt")["pixel_values"]
            t = tok([it["question"] for it in part], padding=True, truncation=True, max_length=77, return_tensors="pt")
            m0 = time.perf_counter()
            ie = model.get_image_features(pixel_values=px)
            te = model.get_text_features(input_ids=t["input_ids"], attention_mask=t["attention_mask"])
            ie = getattr(ie, "pooler_output", ie)
            te = getattr(te, "pooler_output", te)
            e = torch.nn.functional.normalize((torch.nn.functional.normalize(ie, dim=-1) + torch.nn.functional.normalize(te, dim=-1)) / 2, dim=-1)
            model_s += time.perf_counter() - m0
            out[s:s + len(part)] = e.numpy()
    sec = time.perf_counter() - t0
    np.save(a.out, out)
    print(json.dumps({"items": len(items), "seconds": round(sec, 3), "items_per_s": round(len(items) / sec, 2),
                      "model_seconds": round(model_s, 3), "input_share": round(1 - model_s / sec, 3),
                      "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
