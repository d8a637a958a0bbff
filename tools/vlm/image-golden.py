#!/usr/bin/python3
"""Fixtures for Lever's Qwen2.5-VL image preprocessing, made with PIL (Debian python3-pil 9.4) and numpy.

Reference pipeline = what Lever-Plus runs: qwen-vl-utils `fetch_image` (PIL open, `to_rgb` with RGBA pasted on
white, `smart_resize(factor=28, min_pixels, max_pixels)`, `image.resize((w, h))` with PIL's default BICUBIC), then
transformers' `Qwen2VLImageProcessor` (slow path), whose numpy steps are re-implemented here because transformers is
not installed on this machine: its own smart_resize (a no-op on an already conforming size), `rescale`
(float64 multiply then float32), `normalize` ((x - mean) / std in float32), repeat to temporal_patch_size frames,
reshape/transpose into [grid_t*grid_h*grid_w, C*T*P*P] in merge-block order. The transformers source read for
these steps: src/transformers/models/qwen2_vl/image_processing_qwen2_vl.py (`_preprocess`) and
src/transformers/image_transforms.py (`rescale`, `normalize`).

Writes into OUT_DIR: the input images, `<name>.decoded.png` (PIL's RGB decode), `<name>.resized.png` (after the
bicubic resize), `<name>.pv.f32.gz` (pixel_values, little-endian float32, for some cases) and manifest.json.
Deterministic: fixed seeds, no timestamps (PNG files carry no time chunk).

Usage: /usr/bin/python3 tools/vlm/image-golden.py src/test/resources/org/leverplus/vlm/image
"""
import gzip
import io
import json
import math
import os
import sys

import numpy as np
import PIL
from PIL import Image

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
RESCALE = 0.00392156862745098
PATCH, MERGE, TPS = 14, 2, 2
FACTOR = PATCH * MERGE
MIN_PIXELS, MAX_PIXELS = 3136, 12845056


def smart_resize(height, width, factor=FACTOR, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS):
    # qwen-vl-utils (the Qwen2.5-VL era copy)
    if max(height, width) / min(height, width) > 200:
        raise ValueError("aspect ratio")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def to_rgb(img):
    if img.mode == 'RGBA':
        white = Image.new("RGB", img.size, (255, 255, 255))
        white.paste(img, mask=img.split()[3])
        return white
    return img.convert("RGB")


def pixel_values(rgb):
    """Qwen2VLImageProcessor._preprocess numpy steps on an HWC uint8 array whose size already conforms."""
    image = rgb.astype(np.float64) * RESCALE
    image = image.astype(np.float32)
    mean = np.array(MEAN, dtype=image.dtype)
    std = np.array(STD, dtype=image.dtype)
    image = (image - mean) / std
    image = image.transpose(2, 0, 1)  # CHW
    patches = np.array([image])
    if patches.shape[0] % TPS != 0:
        repeats = np.repeat(patches[-1][np.newaxis], TPS - 1, axis=0)
        patches = np.concatenate([patches, repeats], axis=0)
    channel = patches.shape[1]
    grid_t = patches.shape[0] // TPS
    grid_h, grid_w = rgb.shape[0] // PATCH, rgb.shape[1] // PATCH
    patches = patches.reshape(grid_t, TPS, channel, grid_h // MERGE, MERGE, PATCH, grid_w // MERGE, MERGE, PATCH)
    patches = patches.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    flat = patches.reshape(grid_t * grid_h * grid_w, channel * TPS * PATCH * PATCH)
    return flat.astype(np.float32), (grid_t, grid_h, grid_w)


def scene(w, h, seed, noise=12.0):
    """A smooth, photo-like RGB test pattern with edges and mild noise (JPEG-friendly, resize-sensitive)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / (3 + seed % 5)) * np.cos(y / 7.0)
    g = 255 * x / max(w - 1, 1)
    b = 255 * ((x // 9 + y // 9) % 2)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, noise, (h, w, 3))
    cx, cy = w * 0.6, h * 0.4
    disk = (x - cx) ** 2 + (y - cy) ** 2 < (min(w, h) * 0.25) ** 2
    img[disk] = [250, 30, 40]
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def save(img, path, **kw):
    img.save(path, **kw)


def main(out):
    os.makedirs(out, exist_ok=True)
    cases = []

    def case(name, make, pv=False, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, note="", keep_decoded=True):
        path = os.path.join(out, name)
        make(path)
        with Image.open(path) as im:
            mode = im.mode
            im.load()
            rgb = to_rgb(im)
        stem = name  # keep the extension: x.png and x.jpg must not share outputs
        if keep_decoded:
            rgb.save(os.path.join(out, stem + ".decoded.png"))
        h, w = smart_resize(rgb.height, rgb.width, min_pixels=min_pixels, max_pixels=max_pixels)
        resized = rgb.resize((w, h))  # qwen-vl-utils: PIL default filter (BICUBIC for RGB)
        resized.save(os.path.join(out, stem + ".resized.png"))
        entry = {"file": name, "mode": mode, "width": rgb.width, "height": rgb.height,
                 "resized_height": h, "resized_width": w, "min_pixels": min_pixels, "max_pixels": max_pixels,
                 "decoded": stem + ".decoded.png" if keep_decoded else None, "resized": stem + ".resized.png", "note": note}
        arr = np.asarray(resized)
        flat, grid = pixel_values(arr)
        entry["grid_thw"] = list(grid)
        if pv:
            with gzip.GzipFile(os.path.join(out, stem + ".pv.f32.gz"), "wb", mtime=0) as f:
                f.write(flat.astype('<f4').tobytes())
            entry["pixel_values"] = stem + ".pv.f32.gz"
        cases.append(entry)

    def png(arr, mode=None, **kw):
        return lambda p: Image.fromarray(arr, mode).save(p, **kw) if mode else Image.fromarray(arr).save(p, **kw)

    rgb84 = scene(84, 56, 1)
    case("rgb-84x56.png", png(rgb84), pv=True, note="RGB, no resize")
    case("rgb-112x84.png", png(scene(112, 84, 2)), pv=True, note="RGB, no resize, 2x3 merge blocks")
    gray = scene(56, 56, 3)[:, :, 1]
    case("gray-56x56.png", png(gray), pv=True, note="L")
    def palette(p):
        Image.fromarray(scene(84, 56, 4)).quantize(colors=37, method=Image.Quantize.MEDIANCUT).save(p, transparency=5)
    case("palette-84x56.png", palette, pv=True, note="P with tRNS: transparency ignored by convert('RGB')")
    rgba = np.dstack([scene(84, 56, 5), np.linspace(0, 255, 84 * 56).reshape(56, 84).astype(np.uint8)])
    case("rgba-84x56.png", png(rgba), pv=True, note="RGBA pasted on white")
    la = np.dstack([scene(56, 84, 6)[:, :, 0], np.full((84, 56), 77, np.uint8)])
    case("la-56x84.png", lambda p: Image.fromarray(la, "LA").save(p), pv=True, note="LA: alpha dropped")
    g16 = (np.arange(56 * 56, dtype=np.uint16).reshape(56, 56) * 7) % 600
    case("gray16-56x56.png", lambda p: Image.fromarray(g16.astype(np.uint16), "I;16").save(p), note="16-bit L: clipped at 255")
    bw = (scene(56, 56, 7)[:, :, 0] > 128)
    case("bilevel-56x56.png", lambda p: Image.fromarray(bw).convert("1").save(p), note="1-bit")
    case("rgb-70x50.png", png(scene(70, 50, 8)), pv=True, note="round-half-even: 70/28=2.5 -> 56; 50 -> 56")
    case("rgb-100x75.png", png(scene(100, 75, 9)), note="upsample to 112x84")
    case("rgb-20x300.png", png(scene(20, 300, 10)), note="thin: 28x308")
    case("rgb-10x10.png", png(scene(10, 10, 11)), note="min_pixels branch, float edge: 84x84")
    case("rgb-41x97.png", png(scene(41, 97, 12)), note="min_pixels branch, 56x112")
    case("rgb-200x150-max.png", png(scene(200, 150, 13)), max_pixels=12544, note="max_pixels branch: downsample to 112x84")
    case("rgb-300x40-max.png", png(scene(300, 40, 14)), max_pixels=6272, note="strong horizontal downsample")
    # JPEGs: decoder differences would show up here.
    case("rgb-84x56.jpg", lambda p: Image.fromarray(rgb84).save(p, quality=90), pv=True, note="JPEG 4:2:0 q90, no resize")
    case("rgb444-112x84.jpg", lambda p: Image.fromarray(scene(112, 84, 15)).save(p, quality=95, subsampling=0), note="JPEG 4:4:4")
    case("prog-100x75.jpg", lambda p: Image.fromarray(scene(100, 75, 16)).save(p, quality=85, progressive=True), note="progressive JPEG, resized")
    case("gray-56x56.jpg", lambda p: Image.fromarray(gray).save(p, quality=90), note="grayscale JPEG")
    case("cmyk-56x56.jpg", lambda p: Image.fromarray(scene(56, 56, 17)).convert("CMYK").save(p, quality=95), note="CMYK JPEG (Adobe)")
    def exif(p):
        im = Image.fromarray(scene(84, 56, 18))
        ex = Image.Exif()
        ex[0x0112] = 6
        im.save(p, quality=90, exif=ex.tobytes())
    case("exif6-84x56.jpg", exif, note="EXIF orientation 6: not applied (PIL open does not)")
    case("coco-640x480.jpg", lambda p: Image.fromarray(scene(640, 480, 19, noise=2.0)).save(p, quality=90), note="COCO-sized: 644x476",
         keep_decoded=False)

    manifest = {"produced_by": "tools/vlm/image-golden.py", "pillow": PIL.__version__, "numpy": np.__version__,
                "reference": "qwen-vl-utils fetch_image (PIL) + Qwen2VLImageProcessor numpy steps (slow path), reimplemented",
                "mean": MEAN, "std": STD, "rescale_factor": RESCALE, "cases": cases}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(len(cases), "cases written to", out)


if __name__ == "__main__":
    main(sys.argv[1])
