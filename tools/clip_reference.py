#!/usr/bin/python3
"""Independent plain-PyTorch reference for Hugging Face CLIPModel, used to make Lever's CLIP golden fixtures.

Written from scratch for torch 1.13 (Debian python3-torch) after huggingface/transformers
src/transformers/models/clip/modeling_clip.py, operation by operation, float32, CPU:
  text:   token + position embeddings; pre-LN encoder layers (layer_norm1 -> attention -> residual,
          layer_norm2 -> fc1 -> act -> fc2 -> residual) with a causal mask; final_layer_norm; pooled output at
          the end-of-text position; text_projection (no bias)
  vision: patch conv (stride = patch, no bias) -> class token + positions -> pre_layrnorm -> encoder (no mask);
          pooled = post_layernorm(class token); visual_projection (no bias)
  act:    quick_gelu x*sigmoid(1.702x) or gelu (erf)
  pooling rule (transformers): when text_config.eos_token_id == 2 (the value in the OpenAI checkpoints' configs) the
          end-of-text position is argmax(input_ids) (the first occurrence of the largest id, which is <|endoftext|>
          for the real vocabulary); otherwise the first position whose id equals eos_token_id.

Every weight is a multiple of a power of two with at most 8 significant bits, so the F32, BF16 and F16 files hold the
same values and share one set of goldens.

Writes into OUT_DIR:
  full-f32/     config.json (model_type clip, quick_gelu, eos 2) + model.safetensors (F32)
  full-bf16/    the same weights in BF16, two shards + model.safetensors.index.json
  vision-f16/   CLIPVisionModelWithProjection layout (vision_model.*, visual_projection) + flat vision config, F16
  text-gelu/    CLIPTextModelWithProjection layout (text_model.*, text_projection), gelu, eos_token_id 98 (the
                first-match rule), F32
  goldens.json  inputs (pixel_values, input_ids) and expected outputs per snapshot

Run: /usr/bin/python3 tools/clip_reference.py src/test/resources/org/leverplus/clip/tiny
"""
import json
import math
import os
import struct
import sys

import torch

torch.manual_seed(20261204)
torch.set_num_threads(1)

TEXT = dict(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=16, layer_norm_eps=1e-5, bos_token_id=0, eos_token_id=2, pad_token_id=1)
VISION = dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2, image_size=32,
              patch_size=8, num_channels=3, layer_norm_eps=1e-5)
PROJ = 24


def q(shape, scale_bits, k=255):
    """Values k/2^scale_bits with |k| <= 255: exact in F32, BF16 and F16."""
    return torch.clamp(torch.round(torch.randn(shape) * 60), -k, k) / (2 ** scale_bits)


def ln_weight(n):
    return 1 + torch.clamp(torch.round(torch.randn(n) * 6), -15, 15) / 128


def make_weights():
    w = {}
    th, ti, vh, vi = TEXT["hidden_size"], TEXT["intermediate_size"], VISION["hidden_size"], VISION["intermediate_size"]

    def layers(prefix, h, inter, n):
        for i in range(n):
            p = f"{prefix}.encoder.layers.{i}."
            for m in ("q_proj", "k_proj", "v_proj", "out_proj"):
                w[p + f"self_attn.{m}.weight"] = q((h, h), 10)
                w[p + f"self_attn.{m}.bias"] = q((h,), 11)
            w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"] = ln_weight(h), q((h,), 11)
            w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"] = ln_weight(h), q((h,), 11)
            w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"] = q((inter, h), 8), q((inter,), 9)
            w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"] = q((h, inter), 9), q((h,), 11)

    w["text_model.embeddings.token_embedding.weight"] = q((TEXT["vocab_size"], th), 8)
    w["text_model.embeddings.position_embedding.weight"] = q((TEXT["max_position_embeddings"], th), 8)
    layers("text_model", th, ti, TEXT["num_hidden_layers"])
    w["text_model.final_layer_norm.weight"], w["text_model.final_layer_norm.bias"] = ln_weight(th), q((th,), 11)
    P = VISION["patch_size"]
    npos = (VISION["image_size"] // P) ** 2 + 1
    w["vision_model.embeddings.class_embedding"] = q((vh,), 8)
    w["vision_model.embeddings.patch_embedding.weight"] = q((vh, 3, P, P), 10)
    w["vision_model.embeddings.position_embedding.weight"] = q((npos, vh), 8)
    w["vision_model.pre_layrnorm.weight"], w["vision_model.pre_layrnorm.bias"] = ln_weight(vh), q((vh,), 11)
    layers("vision_model", vh, vi, VISION["num_hidden_layers"])
    w["vision_model.post_layernorm.weight"], w["vision_model.post_layernorm.bias"] = ln_weight(vh), q((vh,), 11)
    w["visual_projection.weight"] = q((PROJ, vh), 9)
    w["text_projection.weight"] = q((PROJ, th), 9)
    w["logit_scale"] = torch.tensor(2.65625)   # exact in all three dtypes (close to ln(1/0.07) = 2.6593)
    return w


# ---------------------------------------------------------------------------------------------------------------
def act(x, name):
    if name == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    raise ValueError(name)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def encoder(w, prefix, x, n_layers, heads, act_name, eps, causal):
    B, L, H = x.shape
    hd = H // heads
    mask = None
    if causal:
        mask = torch.full((L, L), float("-inf")).triu(1)
    for i in range(n_layers):
        p = f"{prefix}.encoder.layers.{i}."
        r = x
        h = layer_norm(x, w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"], eps)

        def proj(m):
            return (h @ w[p + f"self_attn.{m}.weight"].T + w[p + f"self_attn.{m}.bias"]).view(B, L, heads, hd).transpose(1, 2)

        qq, kk, vv = proj("q_proj"), proj("k_proj"), proj("v_proj")
        s = (qq @ kk.transpose(-1, -2)) * hd ** -0.5
        if mask is not None:
            s = s + mask
        a = torch.softmax(s, dim=-1) @ vv
        a = a.transpose(1, 2).reshape(B, L, H)
        x = r + (a @ w[p + "self_attn.out_proj.weight"].T + w[p + "self_attn.out_proj.bias"])
        r = x
        h = layer_norm(x, w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"], eps)
        h = act(h @ w[p + "mlp.fc1.weight"].T + w[p + "mlp.fc1.bias"], act_name)
        x = r + (h @ w[p + "mlp.fc2.weight"].T + w[p + "mlp.fc2.bias"])
    return x


def text_forward(w, ids, act_name, eos_token_id, causal=True, rule=None):
    B, L = ids.shape
    x = w["text_model.embeddings.token_embedding.weight"][ids] + w["text_model.embeddings.position_embedding.weight"][:L]
    x = encoder(w, "text_model", x, TEXT["num_hidden_layers"], TEXT["num_attention_heads"], act_name,
                TEXT["layer_norm_eps"], causal)
    x = layer_norm(x, w["text_model.final_layer_norm.weight"], w["text_model.final_layer_norm.bias"], TEXT["layer_norm_eps"])
    if eos_token_id == 2:
        pos = ids.argmax(dim=-1)
    else:
        pos = (ids == eos_token_id).int().argmax(dim=-1)
    pooled = x[torch.arange(B), pos]
    return pooled, pooled @ w["text_projection.weight"].T


def vision_forward(w, pixels, act_name):
    B = pixels.shape[0]
    P = VISION["patch_size"]
    patches = torch.nn.functional.conv2d(pixels, w["vision_model.embeddings.patch_embedding.weight"], stride=P)
    patches = patches.flatten(2).transpose(1, 2)
    cls = w["vision_model.embeddings.class_embedding"].expand(B, 1, -1)
    x = torch.cat([cls, patches], dim=1) + w["vision_model.embeddings.position_embedding.weight"]
    eps = VISION["layer_norm_eps"]
    x = layer_norm(x, w["vision_model.pre_layrnorm.weight"], w["vision_model.pre_layrnorm.bias"], eps)
    x = encoder(w, "vision_model", x, VISION["num_hidden_layers"], VISION["num_attention_heads"], act_name, eps, False)
    pooled = layer_norm(x[:, 0], w["vision_model.post_layernorm.weight"], w["vision_model.post_layernorm.bias"], eps)
    return pooled, pooled @ w["visual_projection.weight"].T


def normalize(x):
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


# ---------------------------------------------------------------------------------------------------------------
def write_safetensors(path, tensors, dt):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if dt == "BF16":
            b = t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
        elif dt == "F16":
            b = t.to(torch.float16).numpy().astype("<f2").tobytes()
        else:
            b = t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def full_config(act_name, eos):
    return {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": PROJ, "logit_scale_init_value": 2.6592,
            "text_config": dict(TEXT, hidden_act=act_name, eos_token_id=eos, projection_dim=PROJ, model_type="clip_text_model"),
            "vision_config": dict(VISION, hidden_act=act_name, projection_dim=PROJ, model_type="clip_vision_model"),
            "torch_dtype": "float32"}


def main(out):
    os.makedirs(out, exist_ok=True)
    w = make_weights()
    for k, v in w.items():   # the claim the fixture rests on: every value is exact in BF16 and F16
        assert torch.equal(v.to(torch.bfloat16).float(), v) and torch.equal(v.to(torch.float16).float(), v), k

    d = os.path.join(out, "full-f32"); os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), full_config("quick_gelu", 2))
    write_safetensors(os.path.join(d, "model.safetensors"), w, "F32")

    d = os.path.join(out, "full-bf16"); os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), full_config("quick_gelu", 2))
    names = sorted(w)
    parts = {"model-00001-of-00002.safetensors": [n for n in names if n.startswith("text_model.")],
             "model-00002-of-00002.safetensors": [n for n in names if not n.startswith("text_model.")]}
    for f, ns in parts.items():
        write_safetensors(os.path.join(d, f), {n: w[n] for n in ns}, "BF16")
    write_json(os.path.join(d, "model.safetensors.index.json"),
               {"metadata": {}, "weight_map": {n: f for f, ns in parts.items() for n in ns}})

    d = os.path.join(out, "vision-f16"); os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), dict(VISION, hidden_act="quick_gelu", projection_dim=PROJ,
                                                    model_type="clip_vision_model",
                                                    architectures=["CLIPVisionModelWithProjection"]))
    write_safetensors(os.path.join(d, "model.safetensors"),
                      {n: v for n, v in w.items() if n.startswith("vision_model.") or n == "visual_projection.weight"}, "F16")

    d = os.path.join(out, "text-gelu"); os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), dict(TEXT, hidden_act="gelu", eos_token_id=98, projection_dim=PROJ,
                                                    model_type="clip_text_model",
                                                    architectures=["CLIPTextModelWithProjection"]))
    write_safetensors(os.path.join(d, "model.safetensors"),
                      {n: v for n, v in w.items() if n.startswith("text_model.") or n == "text_projection.weight"}, "F32")

    pixels = torch.clamp(torch.round(torch.randn(2, 3, VISION["image_size"], VISION["image_size"]) * 64), -127, 127) / 64
    # eos (the largest id, 99 = <|endoftext|> here) at different positions, padded with it as CLIP's tokenizer pads;
    # id 98 appears too, so the two pooling rules pick different positions
    ids = torch.tensor([
        [0, 5, 17, 98, 42, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99],
        [0, 98, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 99],
        [0, 33, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 98, 99],
    ])
    golden = {"pixel_values": pixels.flatten().tolist(), "pixel_shape": list(pixels.shape),
              "input_ids": ids.tolist()}
    with torch.no_grad():
        vp, ve = vision_forward(w, pixels, "quick_gelu")
        tp, te = text_forward(w, ids, "quick_gelu", 2)
        golden["quick"] = {"vision_pooled": vp.tolist(), "image_embeds": ve.tolist(),
                           "text_pooled": tp.tolist(), "text_embeds": te.tolist(),
                           # selector rows (spec 3.6) for the pairs (image i, text i), i = 0, 1
                           "selector": normalize((normalize(ve) + normalize(te[:2])) / 2).tolist()}
        gp, ge = text_forward(w, ids, "gelu", 98)
        golden["text_gelu"] = {"text_pooled": gp.tolist(), "text_embeds": ge.tolist()}
    write_json(os.path.join(out, "goldens.json"), golden)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/org/leverplus/clip/tiny")
