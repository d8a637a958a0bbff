#!/usr/bin/python3
"""Model FLOPs per prompt for Qwen2.5-VL-3B (config of spec qwen25vl-engine.md 1.1) in the InfoScore and vqa_gt_prob
workloads: the original approach (every prompt recomputed, every image through the vision tower, full-vocabulary
logits at every position) vs the engine with image-embedding and shared-prefix caches. Computed, not measured:
2 FLOPs per multiply-add of every linear, causal attention 2*2*heads*head_dim*L*S/2 per layer."""
H, I, LAYERS, HEADS, KV, V = 2048, 11008, 36, 16, 2, 151936
HD = H // HEADS
VH, VI, DEPTH = 1280, 3420, 32
TOK_IMG, SYS, ICD_TEXT, Q_TEXT, ANS = 391, 133, 17, 15, 2          # a 480x640 COCO image = 391 LLM tokens
lin_tok = 2 * LAYERS * (H * H * 2 + H * HD * KV * 2 + 3 * H * I)     # decoder linears per token
head_tok = 2 * H * V                                                 # lm_head per row
patch = 2 * (DEPTH * (4 * VH * VH + 3 * VH * VI) + 1176 * VH)       # vision tower per patch (window attention ignored)
merger = 2 * (4 * VH * 4 * VH + 4 * VH * H)                          # per merged token
vit_img = TOK_IMG * (4 * patch + merger)

def attn(new, total):  # new tokens attending causally to `total` (the last `new` of them are the new ones)
    past = total - new
    return 4 * HEADS * HD * LAYERS * (new * past + new * (new + 1) / 2)

def prompt_len(n_icds):
    return SYS + n_icds * (TOK_IMG + 2 + ICD_TEXT) + (TOK_IMG + 2 + Q_TEXT) + ANS + 2

def original(n_icds):
    L = prompt_len(n_icds)
    return L * (lin_tok + head_tok) + attn(L, L) + (n_icds + 1) * vit_img

def engine(new, total, images_amortized):
    return new * lin_tok + ANS * head_tok + attn(new, total) + images_amortized * vit_img

print(f"per LLM token: decoder {lin_tok/1e9:.2f} GFLOP, lm_head {head_tok/1e9:.2f} GFLOP; vision per image {vit_img/1e12:.2f} TFLOP")
# one query's beam search: 64 candidates + 1 baseline per beam, 1 + 5 beams per shot... images encoded once per query:
prompts_per_query = 65 * (1 + 5)
images_per_query = 64 + 1
amort = images_per_query / prompts_per_query
icd = TOK_IMG + 2 + ICD_TEXT
for k in (1, 2):
    n = k + 1                      # chosen ICDs + the candidate
    L = prompt_len(n)
    o = original(n)
    left = engine(L - SYS, L, amort)                        # one beam: only the system prompt is shared
    left5 = engine(L - SYS - icd, L, amort) + icd * lin_tok / 5   # 5 beams: system prompt + candidate shared by the beams
    right = engine(L - SYS - k * icd, L, amort)             # system prompt + chosen ICDs shared
    print(f"InfoScore, {k} chosen: original {o/1e12:.1f} TFLOP/prompt; engine left 1 beam {left/1e12:.1f} ({o/left:.1f}x), "
          f"left 5 beams {left5/1e12:.1f} ({o/left5:.1f}x), right {right/1e12:.1f} ({o/right:.1f}x)")
L = prompt_len(2)
answers = 6
o = original(2)
e = (engine(L - ANS - 2, L, 0) + answers * engine(ANS + 2, L, 0)) / answers + 3 * vit_img / 64  # ICD images reused across pairs
print(f"vqa_gt_prob, 2 ICDs, {answers} answers: original {o/1e12:.1f} TFLOP/prompt; engine {e/1e12:.2f} ({o/e:.1f}x)")

# one whole query of Lever-Plus' SFT beam search (beam_size 5, few_shot_num 2, 64 candidates, "left" order):
# shot 1 scores 64 candidates + the baseline with S empty; shot 2 scores 63 candidates + 1 baseline for each of 5 beams.
o_q = 65 * original(1) + 5 * 64 * original(2)
L1, L2 = prompt_len(1), prompt_len(2)
e_q = (65 * engine(L1 - SYS, L1, 0) + 5 * 64 * (engine(L2 - SYS - icd, L2, 0) + icd * lin_tok / 5)
       + 66 * vit_img)                                      # every image through the vision tower once
print(f"whole beam search of one query (left order): original {o_q/1e15:.2f} PFLOP, engine {e_q/1e15:.2f} PFLOP ({o_q/e_q:.1f}x)")
