#!/usr/bin/env python3
"""Measured GPU cost of one RL-data query's work (docs/rl-data.md, "Throughput and GPU-hours"), with transformers.

No weights can be downloaded, so the model is Qwen2.5-VL-3B-Instruct's architecture with random weights (bf16,
sdpa): speed does not depend on the weights' values. Per query, with Lever's defaults' work counts:
  - vision: the distinct images of the query's 20 pairs (at most 41) through the vision tower, COCO 640x480
    (grid 1x34x46 = 1,564 patches, 391 LLM tokens), in batches of --vis-batch images (default 8);
  - generation: the 20 candidate prompts of P tokens (2 ICDs + query) as one batch, 3 beams, 5 new tokens, length
    penalty 0 (transformers' generate; text-only ids of the same length: position ids are 1-D, which changes no cost);
  - scoring: the answers' tokens on each prompt's cache are a few hundred tokens per query: measured as a teacher-forced
    forward over 20 x k rows of 2 tokens on a cache of P tokens is not available in transformers, so it is bounded
    above by one extra forward of 20 x k x 2 tokens without a cache (reported separately).
Prints one JSON object: seconds per query per part, achieved TFLOP/s (6 GFLOP per decoder token), and the
GPU-hours for 10,000 queries.

Usage: rl_throughput.py [--tiny] [--reps N] [--prompt P] [--out FILE]   (--tiny: a small config, for trying it on a CPU)
"""
import argparse
import json
import time

import torch


def config(tiny):
    from transformers import Qwen2_5_VLConfig
    if tiny:
        text = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                    vocab_size=1000, rope_theta=1e6, max_position_embeddings=4096, tie_word_embeddings=True,
                    rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]})
        vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64, patch_size=14,
                      spatial_merge_size=2, temporal_patch_size=2, window_size=112, fullatt_block_indexes=[1], in_chans=3)
    else:  # Qwen2.5-VL-3B-Instruct's config.json
        text = dict(hidden_size=2048, intermediate_size=11008, num_hidden_layers=36, num_attention_heads=16,
                    num_key_value_heads=2, vocab_size=151936, rope_theta=1e6, max_position_embeddings=128000,
                    tie_word_embeddings=True, rms_norm_eps=1e-6, rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]})
        vision = dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=2048, patch_size=14,
                      spatial_merge_size=2, temporal_patch_size=2, window_size=112, fullatt_block_indexes=[7, 15, 23, 31],
                      in_chans=3, hidden_act="silu")
    return Qwen2_5_VLConfig(text_config=text, vision_config=vision, **text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--prompt", type=int, default=1368)
    ap.add_argument("--answers", type=int, default=3, help="distinct answers per question (k)")
    ap.add_argument("--vis-batch", type=int, default=8, help="images per vision-tower call")
    ap.add_argument("--out")
    a = ap.parse_args()
    from transformers import Qwen2_5_VLForConditionalGeneration
    dev = "cuda" if torch.cuda.is_available() and not a.tiny else "cpu"
    dtype = torch.bfloat16 if dev == "cuda" else torch.float32
    cfg = config(a.tiny)
    cfg._attn_implementation = "sdpa"
    t0 = time.time()
    with torch.device(dev):
        model = Qwen2_5_VLForConditionalGeneration._from_config(cfg, dtype=dtype).eval()
    init_s = time.time() - t0
    vocab = cfg.text_config.vocab_size if hasattr(cfg, "text_config") else cfg.vocab_size
    gen = torch.Generator(device="cpu").manual_seed(0)
    P, pairs = (a.prompt if not a.tiny else 64), 20
    grid_h, grid_w = (34, 46) if not a.tiny else (4, 4)
    patches = grid_h * grid_w
    pix_dim = 3 * 2 * 14 * 14
    images_per_query, vis_batch = 41, a.vis_batch

    def sync():
        if dev == "cuda":
            torch.cuda.synchronize()

    def vision():
        done = 0
        while done < images_per_query:
            n = min(vis_batch, images_per_query - done)
            pv = torch.randn(n * patches, pix_dim, generator=gen).to(dev, dtype)
            thw = torch.tensor([[1, grid_h, grid_w]] * n, device=dev)
            model.visual(pv, grid_thw=thw) if not hasattr(model, "model") else model.model.visual(pv, grid_thw=thw)
            done += n

    ids = torch.randint(100, vocab - 100, (pairs, P), generator=gen).to(dev)
    mask = torch.ones_like(ids)

    def generation():
        model.generate(input_ids=ids, attention_mask=mask, num_beams=3, max_new_tokens=5, min_new_tokens=5, length_penalty=0.0,
                       do_sample=False, early_stopping=False, eos_token_id=None, pad_token_id=0)

    sc_ids = torch.randint(100, vocab - 100, (pairs * a.answers, 2), generator=gen).to(dev)

    def scoring_bound():
        model(input_ids=sc_ids, attention_mask=torch.ones_like(sc_ids))

    res = {"device": torch.cuda.get_device_name(0) if dev == "cuda" else "cpu", "torch": torch.__version__,
           "transformers": __import__("transformers").__version__, "dtype": str(dtype), "prompt_tokens": P,
           "pairs": pairs, "images_per_query": images_per_query, "vision_batch": vis_batch, "image_patches": patches, "answers_k": a.answers,
           "model_init_s": round(init_s, 1), "params_billion": round(sum(p.numel() for p in model.parameters()) / 1e9, 3)}
    with torch.inference_mode():
        for name, fn in (("vision", vision), ("generation", generation), ("scoring_upper_bound", scoring_bound)):
            fn()  # warm-up
            sync()
            ts = []
            for _ in range(a.reps):
                t = time.time()
                fn()
                sync()
                ts.append(time.time() - t)
            ts.sort()
            res[name + "_s"] = [round(x, 4) for x in ts]
            res[name + "_median_s"] = round(ts[len(ts) // 2], 4)
    per_query = res["vision_median_s"] + res["generation_median_s"] + res["scoring_upper_bound_median_s"]
    res["seconds_per_query"] = round(per_query, 4)
    res["gpu_hours_10000_queries"] = round(per_query * 10000 / 3600, 2)
    dec_tokens = pairs * P + pairs * 3 * 4
    res["generation_tflops_achieved"] = round(dec_tokens * 6e9 / res["generation_median_s"] / 1e12, 1)
    vis_tokens = images_per_query * patches // 4
    res["vision_tflops_achieved"] = round(vis_tokens * 0.91 * 6e9 / res["vision_median_s"] / 1e12, 1)
    if dev == "cuda":
        res["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 1)
    s = json.dumps(res, indent=1)
    print(s)
    if a.out:
        open(a.out, "w").write(s + "\n")


if __name__ == "__main__":
    main()
