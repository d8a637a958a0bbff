#!/usr/bin/python3
"""Goldens for Lever's CLIPImageProcessor port, made with PIL + numpy exactly as transformers' CLIPImageProcessor
(PIL backend) computes them: convert("RGB"), resize the shortest edge to SIZE with Image.BICUBIC (long edge
int(SIZE * long / short)), centre crop CROP with offsets (in - crop) // 2, then float32(u8 * (1/255)) with the product
in float64 (transformers' rescale), then (x - float32(mean)) / float32(std) in float32 (normalize), channels first.
A small SIZE keeps the fixture small; the arithmetic is the same at 224.

Run: /usr/bin/python3 tools/clip_preprocess_golden.py > src/test/resources/org/leverplus/clip/preprocess-golden.json
"""
import json
import sys

import numpy as np
from PIL import Image

IMAGES = "src/test/resources/org/leverplus/vlm/image/"
SIZE, CROP = 32, 32
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

out = {"size": SIZE, "crop": CROP, "mean": MEAN, "std": STD, "images": {}}
for name in ["rgb-84x56.png", "coco-640x480.jpg", "exif6-84x56.jpg", "cmyk-56x56.jpg"]:
    im = Image.open(IMAGES + name).convert("RGB")
    w, h = im.size
    short, long_ = (w, h) if w <= h else (h, w)
    ns, nl = SIZE, int(SIZE * long_ / short)
    nw, nh = (ns, nl) if w <= h else (nl, ns)
    r = im.resize((nw, nh), resample=Image.BICUBIC)
    top, left = (nh - CROP) // 2, (nw - CROP) // 2
    c = np.asarray(r)[top:top + CROP, left:left + CROP]
    x = (c.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    out["images"][name] = {"resized": [nw, nh], "pixel_values": x.transpose(2, 0, 1).flatten().tolist()}
json.dump(out, sys.stdout)
