#!/usr/bin/env python3
"""Independent Hugging Face transformers reference for `lever generate sft` (spec 4, 5) and for the RL labelling
generation (spec 4 "Generation", 8.3 step 1).

Everything model-side is transformers itself, the way the original Lever-Plus computed it: the snapshot loaded with
Qwen2_5_VLForConditionalGeneration (float32, eager attention, CPU), prompts built from the original's messages with
Qwen2_5_VLProcessor.apply_chat_template and the processor (Qwen2VLImageProcessor, slow path, as the spec's reference),
teacher-forced full-vocabulary log-softmax, and model.generate for the RL generations. No Lever code is used, except
that the caller makes the tiny snapshot with `bin/lever vlm make-tiny` (random weights, the real Qwen tokenizer).

What the snapshot lacks and this script adds to ITS COPY of the snapshot (never to the original directory):
  tokenizer_config.json  the Qwen2.5-VL tokenizer settings (eos <|im_end|>, pad <|endoftext|>, Qwen2Tokenizer) and
                         the Qwen2-VL/Qwen2.5-VL chat template as the 3B checkpoint ships it (make-tiny writes only
                         tokenizer.json).
qwen_vl_utils is not installed: fetch_image/smart_resize/to_rgb are re-implemented below with the qwen-vl-utils
defaults (IMAGE_FACTOR 28, MIN_PIXELS 4*28*28 = 3136, MAX_PIXELS 16384*28*28 = 12845056, MAX_RATIO 200, PIL
BICUBIC, RGBA pasted on white), which equal the snapshot's preprocessor_config min/max pixels, so the processor's own
smart_resize is then a no-op (docs/vlm-inputs.md "One resize, not two").

P(y | S, x) = exp(-mean CE) over a mask chosen by --tokenization/--mask:
  --tokenization separate (Lever's default): the prompt up to "Short answer:" through the processor, then the
      answer tokenised on its own, then "<|im_end|>\n"; the mask is exactly the answer's tokens.
  --tokenization joined (the original processor): the whole rendered text (answer included) through the processor;
      with --mask answer the mask is the tokens that differ from the same prompt without the answer (the answer's
      tokens, possibly with the colon BPE merged into them, e.g. ":p" "izza"), <|im_end|>\n not scored.
  --mask as-implemented (the original's Qwen bug, spec 5.1; joined only): mask_length = #tokens of the plain string
      concat_prompt(S) + "<image>Question:{q} Short answer:", loss over labels at positions >= mask_length,
      divided by (#tokens - mask_length). Lever has no switch for it; reported for information only.

Beam search: spec 5.2 (left order, 5 beams, 2 shots, candidates in sorted id order, per-beam top-k largest by default
or --per-beam-topk smallest, global filter largest; stable ties). Output: spec 5.3 JSON.

Usage:
  tools/sft_transformers_reference.py sft --snapshot DIR --items ITEMS.jsonl --pools POOLS.json --out OUT.json \
      [--tokenization separate|joined] [--mask answer|as-implemented] [--per-beam-topk largest|smallest]
      [--prompts-out PROMPTS.json]  (token ids, answer mask and per-image pixel_values digests of a few prompts)
  tools/sft_transformers_reference.py generate --snapshot DIR --items ITEMS.jsonl --requests REQ.json --out OUT.json
      (REQ.json: [{"id": .., "icds": [ids in prompt order], "query": id}, ...]; max_new_tokens 5, 3 beams,
       length_penalty 0, do_sample False, eos = tokenizer.eos_token_id, pad = tokenizer.pad_token_id)
transformers 4.57.6 warns that the tokenizer has "an incorrect regex pattern" (its Mistral check fires for any
config.json without "transformers_version"); it applies no change, and the ids equal Lever's (TransformersReferenceTest).
Run with a Python that has torch (CPU is enough), Pillow, numpy and transformers 4.57.6 (the goldens' version).
"""
import argparse
import hashlib
import json
import math
import os
import re
import shutil
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

SYSTEM_PROMPT = (
    "In the upcoming task, you will see four sets of dialogues, each containing two roles: user and assistant. The user "
    "is the questioner, who provides an image and asks a question based on it; the assistant is the responder, who "
    "answers according to the image and question provided by the user. Afterward, you will receive an image and a "
    "question from the user. Please act as the assistant and answer based on the four previous dialogue sets and your "
    "own knowledge. Strictly follow the answering format: if the examples use only one or two keywords, your reply must "
    "also use only one or two keywords; if the examples contain no more than three tokens, your reply must not exceed "
    "three tokens either.")

# The chat template of Qwen/Qwen2-VL-*-Instruct and Qwen/Qwen2.5-VL-*-Instruct (tokenizer_config.json / chat_template.json).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content"
    " or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture "
    "{{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' "
    "or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video "
    "{{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}"
    "{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}"
    "<|im_start|>assistant\n{% endif %}")

TOKENIZER_CONFIG = {
    "add_prefix_space": False, "bos_token": None, "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
    "eos_token": "<|im_end|>", "errors": "replace", "model_max_length": 131072, "pad_token": "<|endoftext|>",
    "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer", "unk_token": None}

# ---- qwen_vl_utils (vision_process.py) defaults, re-implemented: the package is not installed here ----------------
IMAGE_FACTOR, MIN_PIXELS, MAX_PIXELS, MAX_RATIO = 28, 4 * 28 * 28, 16384 * 28 * 28, 200


def round_by_factor(n, f): return round(n / f) * f
def ceil_by_factor(n, f): return math.ceil(n / f) * f
def floor_by_factor(n, f): return math.floor(n / f) * f


def smart_resize(height, width, factor=IMAGE_FACTOR, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS):
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError("absolute aspect ratio must be smaller than %d" % MAX_RATIO)
    h_bar = max(factor, round_by_factor(height, factor))
    w_bar = max(factor, round_by_factor(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = floor_by_factor(height / beta, factor)
        w_bar = floor_by_factor(width / beta, factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = ceil_by_factor(height * beta, factor)
        w_bar = ceil_by_factor(width * beta, factor)
    return h_bar, w_bar


def to_rgb(img):
    if img.mode == "RGBA":
        white = Image.new("RGB", img.size, (255, 255, 255))
        white.paste(img, mask=img.split()[3])
        return white
    return img.convert("RGB")


def fetch_image(path):
    img = to_rgb(Image.open(path))
    w, h = img.size
    rh, rw = smart_resize(h, w)
    return img.resize((rw, rh), resample=Image.BICUBIC)


def process_vision_info(messages):
    out = []
    for m in messages:
        if isinstance(m["content"], list):
            for c in m["content"]:
                if c.get("type") == "image":
                    out.append(fetch_image(c["image"]))
    return out or None


# ---- data ------------------------------------------------------------------------------------------------------
def read_items(path):
    base = os.path.dirname(os.path.abspath(path))
    items, n = {}, 0
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        r = json.loads(line)
        iid = r.get("id", n)
        n += 1
        if "answer" in r:
            ans = r["answer"]
        else:  # most frequent answer, ties to the first (spec 2)
            al = [a["answer"] if isinstance(a, dict) else a for a in r["answers"]]
            counts = {}
            for a in al:
                counts[a] = counts.get(a, 0) + 1
            ans = max(al, key=lambda a: (counts[a], -al.index(a)))
        items[iid] = {"image": os.path.normpath(os.path.join(base, r["image"])), "question": r["question"], "answer": ans}
    return items


# ---- prompts ----------------------------------------------------------------------------------------------------
class Prompts:
    def __init__(self, snapshot):
        from transformers import AutoTokenizer, Qwen2VLImageProcessor, Qwen2_5_VLProcessor
        self.dir = tempfile.mkdtemp(prefix="hfref-snap-")
        for f in os.listdir(snapshot):
            shutil.copy(os.path.join(snapshot, f), self.dir)
        with open(os.path.join(self.dir, "tokenizer_config.json"), "w") as f:
            json.dump(TOKENIZER_CONFIG, f)
        self.tokenizer = AutoTokenizer.from_pretrained(self.dir)
        self.image_processor = Qwen2VLImageProcessor.from_pretrained(self.dir)  # slow path, as the spec's reference
        # Qwen2VLVideoProcessor needs torchvision, which is not installed here (and the type check then fails even
        # for a BaseVideoProcessor); the video processor is never called without videos, so its check is skipped.
        from transformers.video_processing_utils import BaseVideoProcessor

        class NoVideoCheck(Qwen2_5_VLProcessor):
            def check_argument_for_proper_class(self, name, arg):
                return None if name == "video_processor" else super().check_argument_for_proper_class(name, arg)

        self.processor = NoVideoCheck(image_processor=self.image_processor, tokenizer=self.tokenizer,
                                      video_processor=BaseVideoProcessor(), chat_template=CHAT_TEMPLATE)

    @staticmethod
    def messages(icds, query, answer):
        """Qwen2VLInterface.transfer_prompts + prepare_input: ICD items with answers, the query with or without."""
        content = []
        for e in icds:
            content.append({"type": "image", "image": e["image"]})
            content.append({"type": "text", "text": ("Question:" + e["question"] + " Short answer:" + e["answer"]).strip(" ")})
        content.append({"type": "image", "image": query["image"]})
        qt = "Question:" + query["question"] + " Short answer:" + (answer if answer is not None else "")
        content.append({"type": "text", "text": qt.strip(" ")})
        content = [c for c in content if c["type"] != "text" or c["text"] != ""]
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]

    def encode(self, icds, query, answer, generation=False):
        msgs = self.messages(icds, query, answer)
        text = self.processor.apply_chat_template(msgs, tokenize=False, add_generation_prompt=generation)
        images = process_vision_info(msgs)
        inputs = self.processor(text=[text], images=images, padding=True, return_tensors="pt")
        return text, inputs

    def teacher_forced(self, icds, query, answer, tokenization):
        """(inputs, mask start, mask end) with the answer-only mask of the chosen tokenization."""
        if tokenization == "joined":
            _, full = self.encode(icds, query, answer)
            _, alone = self.encode(icds, query, None)
            a, b = full["input_ids"][0].tolist(), alone["input_ids"][0].tolist()
            s = 0
            while s < min(len(a), len(b)) and a[s] == b[s]:
                s += 1
            tail = self.tokenizer("<|im_end|>\n", add_special_tokens=False)["input_ids"]
            assert a[-len(tail):] == tail and b[-len(tail):] == tail and s < len(a) - len(tail)
            return full, s, len(a) - len(tail)
        # separate: the processor's prompt up to "Short answer:", then the answer tokenised alone, then <|im_end|>\n
        text, pre = self.encode(icds, query, None)
        assert text.endswith("<|im_end|>\n")
        cut = self.processor(text=[text[:-len("<|im_end|>\n")]], images=process_vision_info(self.messages(icds, query, None)),
                             padding=True, return_tensors="pt")
        ids = cut["input_ids"][0].tolist()
        ans = self.tokenizer(answer.rstrip(" "), add_special_tokens=False)["input_ids"]
        tail = self.tokenizer("<|im_end|>\n", add_special_tokens=False)["input_ids"]
        assert ids + tail == pre["input_ids"][0].tolist()
        out = dict(cut)
        out["input_ids"] = torch.tensor([ids + ans + tail])
        out["attention_mask"] = torch.ones_like(out["input_ids"])
        return out, len(ids), len(ids) + len(ans)

    def as_implemented_mask_length(self, icds, query):
        """Spec 5.1: len(tokenizer(concat_prompt(S) + query text until "Short answer:")) on the plain string prompt."""
        s = "".join(("<image>" + "Question:" + e["question"] + " Short answer:" + e["answer"]).strip(" ") + "<|endofchunk|>"
                    for e in icds)
        s += "<image>Question:" + query["question"] + " Short answer:"
        return len(self.tokenizer(s, add_special_tokens=False)["input_ids"])


def load_model(snapshot_copy, dtype=torch.float32):
    from transformers import Qwen2_5_VLForConditionalGeneration
    try:
        m = Qwen2_5_VLForConditionalGeneration.from_pretrained(snapshot_copy, dtype=dtype, attn_implementation="eager")
    except TypeError:
        m = Qwen2_5_VLForConditionalGeneration.from_pretrained(snapshot_copy, torch_dtype=dtype, attn_implementation="eager")
    return m.to(dtype).eval()


def forward_logits(model, inputs):
    kw = dict(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
              pixel_values=inputs["pixel_values"].to(model.dtype), image_grid_thw=inputs["image_grid_thw"])
    if "mm_token_type_ids" in inputs:  # transformers 5 needs it for M-RoPE positions; 4.57's processor does not make it
        kw["mm_token_type_ids"] = inputs["mm_token_type_ids"]
    logits = model(**kw).logits[0]
    return logits if logits.dtype == torch.float64 else logits.float()   # float64 runs (--dtype) stay float64


class Scorer:
    def __init__(self, prompts, model, tokenization, mask):
        self.p, self.model, self.tok, self.mask = prompts, model, tokenization, mask
        self.memo = {}
        self.n = 0

    def prob(self, icds, query, answer):
        key = (tuple((e["image"], e["question"], e["answer"]) for e in icds), query["image"], query["question"], answer)
        if key in self.memo:
            return self.memo[key]
        self.n += 1
        if self.mask == "as-implemented":
            inputs, _, _ = self.p.teacher_forced(icds, query, answer, "joined")
            ids = inputs["input_ids"][0]
            L = len(ids)
            ml = self.p.as_implemented_mask_length(icds, query)
            s, e, denom = ml, L, L - ml
        else:
            inputs, s, e = self.p.teacher_forced(icds, query, answer, self.tok)
            ids = inputs["input_ids"][0]
            denom = e - s
        with torch.no_grad():
            logits = forward_logits(self.model, inputs)
        lp = torch.log_softmax(logits[s - 1:e - 1], dim=-1).gather(1, ids[s:e].view(-1, 1)).view(-1).double()
        p = math.exp(float(lp.sum()) / denom)
        self.memo[key] = p
        return p


def beam_search(scorer, items, anchor, pool, beam_size, shots, largest, right=False):
    """Spec 5.2: left order (the original's): each sequence is [newest ICD, ..., oldest ICD, q]; right order: the new
    ICD goes just before the query, [oldest, ..., newest, q]; per-beam top-k then the global filter."""
    x = items[anchor]
    cands = sorted(set(pool))
    beams = [([], [])]  # (chosen chronologically, scores)
    for _ in range(shots):
        exps = []
        for chosen, scs in beams:
            S = [items[c] for c in (chosen if right else reversed(chosen))]  # prompt order
            base = scorer.prob(S, x, x["answer"])
            free = [c for c in cands if c not in chosen]
            info = [scorer.prob(S + [items[c]] if right else [items[c]] + S, x, x["answer"]) - base for c in free]
            order = sorted(range(len(free)), key=lambda j: -info[j] if largest else info[j])  # stable
            for j in order[:beam_size]:
                exps.append((chosen + [free[j]], scs + [info[j]]))
        exps = sorted(exps, key=lambda b: -b[1][-1])  # beam_filter: largest, stable
        beams = exps[:beam_size]
    entry = {"beams": [], "few_shot_num": shots, "id_list": [], "score_list": [], "shot_scores": []}
    for chosen, scs in beams:
        full = (list(chosen) if right else list(reversed(chosen))) + [anchor]
        entry["beams"].append({"shots": [{"id": c, "score": s} for c, s in zip(chosen, scs)], "final_score": scs[-1],
                               "full_sequence": full})
        entry["id_list"].append(full)
        entry["score_list"].append(scs[-1])
        entry["shot_scores"].append(scs)
    return entry


def digest(t):
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    return {"shape": list(a.shape), "sha256": hashlib.sha256(a.tobytes()).hexdigest(), "sum": float(a.astype(np.float64).sum()),
            "abs_sum": float(np.abs(a.astype(np.float64)).sum())}


def prompt_records(prompts, items, pools):
    """A few prompts: HF ids and mask for both tokenizations, and per-image pixel_values digests (processor output)."""
    import transformers
    recs = []
    anchors = list(pools)
    cases = [(anchors[0], []), (anchors[0], [pools[anchors[0]][0]]), (anchors[1], pools[anchors[1]][:2]),
             (anchors[2], pools[anchors[2]][1:3])]
    for a, icd_ids in cases:
        icds, q = [items[c] for c in icd_ids], items[a]
        r = {"anchor": a, "icds": icd_ids}
        for tok in ("separate", "joined"):
            inputs, s, e = prompts.teacher_forced(icds, q, q["answer"], tok)
            r[tok] = {"input_ids": inputs["input_ids"][0].tolist(), "answer_start": s, "answer_end": e}
        text, gen = prompts.encode(icds, q, None, generation=True)
        r["generation"] = {"input_ids": gen["input_ids"][0].tolist(), "text": text}
        r["as_implemented_mask_length"] = prompts.as_implemented_mask_length(icds, q)
        recs.append(r)
    images = {}
    for iid in sorted(items):
        pv = prompts.image_processor(images=[fetch_image(items[iid]["image"])], return_tensors="pt")
        d = digest(pv["pixel_values"])
        d["grid"] = pv["image_grid_thw"][0].tolist()
        images[str(iid)] = d
    return {"transformers": transformers.__version__, "torch": torch.__version__, "prompts": recs, "images": images}


def snapshot_digest(snapshot):
    return {f: hashlib.sha256(open(os.path.join(snapshot, f), "rb").read()).hexdigest()
            for f in sorted(os.listdir(snapshot)) if f in ("model.safetensors", "config.json", "tokenizer.json", "preprocessor_config.json")}


def cmd_sft(a):
    import transformers
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    items = read_items(a.items)
    pools = {int(k): v for k, v in json.load(open(a.pools)).items()}
    prompts = Prompts(a.snapshot)
    model = load_model(prompts.dir, torch.float64 if a.dtype == "float64" else torch.float32)
    scorer = Scorer(prompts, model, a.tokenization, a.mask)
    out = {}
    for anchor, pool in pools.items():
        out[str(anchor)] = beam_search(scorer, items, anchor, pool, a.beam_size, a.shots, a.per_beam_topk == "largest",
                                       a.order == "right")
        print("anchor %d: %s" % (anchor, out[str(anchor)]["id_list"]), file=sys.stderr, flush=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    meta = {"transformers": transformers.__version__, "torch": torch.__version__, "tokenization": a.tokenization,
            "mask": a.mask, "per_beam_topk": a.per_beam_topk, "order": a.order, "beam_size": a.beam_size, "shots": a.shots,
            "prompts_scored": scorer.n, "snapshot_sha256": snapshot_digest(a.snapshot)}
    with open(os.path.splitext(a.out)[0] + ".meta.json", "w") as f:
        json.dump(meta, f, indent=2)
    if a.prompts_out:
        rec = prompt_records(prompts, items, pools)
        rec["snapshot_sha256"] = snapshot_digest(a.snapshot)
        with open(a.prompts_out, "w") as f:
            json.dump(rec, f)
    shutil.rmtree(prompts.dir)


def postprocess(text):
    """utils.vqa_postprocess -> postprocess_vqa_generation (spec 4)."""
    if text is None:
        return ""
    ans = re.split("Question|Answer|Short", text, maxsplit=1)[0]
    return re.split(", ", ans, maxsplit=1)[0]


def cmd_generate(a):
    import transformers
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    items = read_items(a.items)
    prompts = Prompts(a.snapshot)
    model = load_model(prompts.dir)
    tok = prompts.tokenizer
    res = []
    for r in json.load(open(a.requests)):
        icds, q = [items[c] for c in r["icds"]], items[r["query"]]
        _, inputs = prompts.encode(icds, q, None, generation=True)
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=5, num_beams=3, length_penalty=0.0, min_new_tokens=0,
                                 do_sample=False, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                 temperature=None, top_p=None, top_k=None, return_dict_in_generate=True, output_scores=True)
        new = out.sequences[0, inputs["input_ids"].shape[1]:].tolist()
        raw = tok.decode(new, skip_special_tokens=True)
        res.append({"id": r["id"], "icds": r["icds"], "query": r["query"], "tokens": new,
                    "score": float(out.sequences_scores[0]), "raw_generation": raw, "answer": postprocess(raw)})
        print(res[-1], file=sys.stderr, flush=True)
    with open(a.out, "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__,
                   "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id,
                   "snapshot_sha256": snapshot_digest(a.snapshot), "generations": res}, f, indent=2)
    shutil.rmtree(prompts.dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sft")
    s.add_argument("--snapshot", required=True)
    s.add_argument("--items", required=True)
    s.add_argument("--pools", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--tokenization", choices=["separate", "joined"], default="separate")
    s.add_argument("--mask", choices=["answer", "as-implemented"], default="answer")
    s.add_argument("--per-beam-topk", choices=["largest", "smallest"], default="largest")
    s.add_argument("--order", choices=["left", "right"], default="left")
    s.add_argument("--beam-size", type=int, default=5)
    s.add_argument("--shots", type=int, default=2)
    s.add_argument("--prompts-out")
    s.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="float64: the whole model in double precision (the float32-vs-float64 study of docs/sft-data.md)")
    g = sub.add_parser("generate")
    g.add_argument("--snapshot", required=True)
    g.add_argument("--items", required=True)
    g.add_argument("--requests", required=True)
    g.add_argument("--out", required=True)
    a = ap.parse_args()
    (cmd_sft if a.cmd == "sft" else cmd_generate)(a)


if __name__ == "__main__":
    main()
