#!/usr/bin/env python3
"""Goldens for Lever's CLIP made by the REAL Hugging Face transformers (not by a port of it).

Three parts, each writing under src/test/resources/org/leverplus/clip/hf/ (run from the repository root):

  tokenizer   The real OpenAI CLIP BPE vocabulary (open_clip's bpe_simple_vocab_16e6.txt.gz, 49,408 tokens, the one
              openai/clip-vit-*-patch* use) converted to vocab.json + merges.txt exactly as OpenAI's / transformers'
              code does; checked against open_clip's SimpleTokenizer (the OpenAI reference) on the corpus; then
              transformers' CLIPTokenizer (the tokenizers-backed "fast" one; transformers 5 has no slow CLIP
              tokenizer any more) called as CLIPProcessor calls it (truncation=True, max_length=77) writes the ids.
              Writes tokenizer.json.gz (what save_pretrained writes, gzipped) and tokenizer-golden.json.gz
              ({"texts": [...], "ids": [[...]], "padded": {...}}).
  model       Small random CLIPModel / CLIPTextModelWithProjection / CLIPVisionModelWithProjection configs
              (quick_gelu and gelu, eos_token_id 2 and the real 49407, several image/patch sizes), saved with
              save_pretrained (safetensors; one sharded), and get_text_features / get_image_features / pooled outputs
              for fixed inputs in model-golden.json.
  preprocess  transformers' CLIPImageProcessorPil (the PIL backend, what transformers 4's CLIPImageProcessor was)
              on images of odd sizes and modes written by PIL into hf/images/, outputs in preprocess-golden.json.gz.

Needs: torch, transformers (5.x), safetensors, numpy, pillow; for `tokenizer` also open_clip's tokenizer.py and its
BPE file (unzip them from the open_clip_torch wheel: pip download open_clip_torch --no-deps) and ftfy + regex.

Run:  python tools/clip_transformers_goldens.py tokenizer --open-clip DIR_WITH_open_clip_PACKAGE
      python tools/clip_transformers_goldens.py model
      python tools/clip_transformers_goldens.py preprocess
"""
import argparse
import gzip
import io
import json
import os
import random
import sys
import tempfile

OUT = "src/test/resources/org/leverplus/clip/hf"


def bytes_to_unicode():
    """OpenAI CLIP's / GPT-2's byte-to-unicode map (copied from OpenAI's simple_tokenizer.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(n) for n in cs]))


def openai_vocab_and_merges(bpe_path):
    """Exactly OpenAI's SimpleTokenizer.__init__: merges = lines[1:49152-256-2+1]; vocab = byte chars, the same + '</w>',
    the merges joined, then <|startoftext|>, <|endoftext|>."""
    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    for m in merges:
        vocab.append("".join(m))
    vocab.extend(["<|startoftext|>", "<|endoftext|>"])
    return {v: i for i, v in enumerate(vocab)}, merges


# ---------------------------------------------------------------------------------------------------- the corpus
QUESTION_TEMPLATES = [
    "what is the {n} doing?", "what color is the {n}?", "how many {n}s are there?", "is the {n} {a}?",
    "what's on the {n}?", "where is the {n}?", "why is the {n} {a}?", "which {n} is {a}?", "who is holding the {n}?",
    "what kind of {n} is this?", "does the {n} look {a}?", "don't you think the {n} is {a}?", "what brand is the {n}?",
    "What sport is being played?", "Is this a {a} {n}?", "What is the man holding in his hand?",
    "what year was this {n} made?", "How many people are in the picture?", "What's the {n}'s name?",
    "Can you see the {n}?", "what are they eating?", "is it raining?", "what room is this?", "Are there {n}s here?",
    "what time is on the clock?", "what does the sign say?", "Is the {n} made of {m}?", "WHAT IS THE {N}?",
]
NOUNS = ["dog", "cat", "man", "woman", "bus", "train", "pizza", "giraffe", "zebra", "elephant", "umbrella", "surfboard",
         "skateboard", "kite", "frisbee", "laptop", "toilet", "sandwich", "banana", "clock", "vase", "teddy bear",
         "fire hydrant", "stop sign", "parking meter", "motorcycle", "airplane", "boat", "horse", "sheep", "cow",
         "donut", "broccoli", "hot dog", "refrigerator", "microwave", "tennis racket", "baseball bat", "cell phone"]
ADJS = ["red", "blue", "green", "white", "black", "wooden", "old", "new", "wet", "empty", "full", "open", "closed",
        "broken", "tall", "short", "happy", "sad", "asleep", "moving", "parked", "edible", "vegetarian", "outdoors"]
MATERIALS = ["wood", "metal", "plastic", "glass", "stone", "paper", "cloth", "steel", "concrete"]
ANSWERS = ["yes", "no", "2", "3", "10", "100", "1990s", "red", "white and blue", "tennis", "baseball", "surfing",
           "frisbee", "kitchen", "bathroom", "living room", "pizza", "giraffe", "left", "right", "nothing", "0",
           "12:30", "1:45", "stop", "nike", "adidas", "t-shirt", "o'clock", "mcdonald's", "st. patrick's day",
           "vanilla", "black & white", "50%", "$5.00", "#1", "n/a", "new york", "u.s.", "e.g.", "n't", "i'm"]
CONTRACTIONS = ["what's", "don't", "it's", "I'm", "they're", "we've", "you'll", "he'd", "can't", "won't", "shouldn't",
                "y'all", "ma'am", "rock'n'roll", "o'neil", "WHAT'S", "DON'T", "It'S", "it’s", "don’t", "'s", "'t",
                "''", "'''s", "s'", "'re'", "'ve'm", "'LL", "'D", "i'd've", "dogs'"]
PUNCT = [".", ",", "?", "!", "...", "?!", "--", "-", "(", ")", "[", "]", "{", "}", "\"", "'", ":", ";", "/", "\\",
         "@", "#", "$", "%", "^", "&", "*", "+", "=", "<", ">", "|", "~", "`", "_", "«", "»", "¿", "¡", "…", "—", "–",
         "·", "•", "©", "®", "™", "°", "±", "×", "÷", "€", "£", "¥", "§", "¶"]
UNICODE = ["café", "cafe\u0301", "naïve", "nai\u0308ve", "Zürich", "São Paulo", "straße", "STRASSE", "İstanbul",
           "ıi", "Ελληνικά", "ΣΟΦΟΣ", "οδός", "Москва", "привет мир", "日本語のテキスト", "中文问题是什么", "한국어",
           "العربية", "עברית", "हिन्दी", "ไทย", "Ångström", "ﬁne ﬂower", "Ⅻ", "①②③", "½ ¼", "²³", "x²+y²",
           "Æsir", "œuvre", "ǅ", "ǈ", "ẞ", "K\u212a", "Å\u212b", "ﬀ", "ſ", "ﾊﾝｶｸ", "ＦＵＬＬＷＩＤＴＨ", "𝒽𝑒𝓁𝓁𝑜",
           "𝟘𝟙𝟚", "١٢٣", "۴۵۶", "०१२", "a\u0300\u0301\u0302", "\u0301abc", "Ⓐⓑ", "ℌℍ", "ǰ", "ΐ", "ŉ"]
EMOJI = ["😀", "🐶", "🍕", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸", "🇯🇵", "❤️", "☺", "✔", "🤷‍♀️", "🧑🏿‍🚀", "🦒🦓",
         "🚌🚍🚎", "⌚", "🕐", "🔟", "#️⃣", "🅰", "™️", "😀😀😀😀😀"]
WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2029", "\u200b", "\u200d",
              "\u2009", "\u202f", "\u205f", "\x0b", "\x0c", "\x1c", "\x85", "\ufeff", "\u180e", "\x00", "\x07"]


def corpus(vocab):
    rnd = random.Random(20261204)
    texts = ["", " ", "  ", "\n", "\t \n", "a", "A", "?", "'", "0", "<|endoftext|>", "<|startoftext|>",
             "a <|startoftext|> b <|endoftext|> c", "<|ENDOFTEXT|>", "<|endoftext", "</w>", "a</w>b", "Ġhello",
             "âĢĶ", "what's", "don't", "what 's", "what' s"]

    def q():
        t = rnd.choice(QUESTION_TEMPLATES)
        n = rnd.choice(NOUNS)
        return t.format(n=n, N=n.upper(), a=rnd.choice(ADJS), m=rnd.choice(MATERIALS))

    texts += [q() for _ in range(900)]
    texts += [rnd.choice(ANSWERS) for _ in range(150)] + ANSWERS
    texts += CONTRACTIONS + PUNCT + UNICODE + EMOJI + WHITESPACE
    texts += [" ".join(rnd.choice(CONTRACTIONS + NOUNS) for _ in range(rnd.randint(1, 6))) for _ in range(150)]
    texts += ["".join(rnd.choice(PUNCT) for _ in range(rnd.randint(1, 8))) for _ in range(150)]
    texts += [q().replace(" ", rnd.choice(PUNCT), 1) + rnd.choice(PUNCT) for _ in range(150)]
    # digits: CLIP splits every digit
    texts += [str(rnd.randint(0, 10 ** rnd.randint(1, 12))) for _ in range(80)]
    texts += ["3.14", "1,000", "1,000,000", "2nd", "21st", "1990s", "10:30pm", "$5", "50%", "-7", "+1", "1e10", "0x1F",
              "v2.0", "4x4", "16:9", "3/4", "covid-19", "b2b", "mp3", "4k"]
    texts += [f"{rnd.choice(NOUNS)} {rnd.randint(0, 9999)} {rnd.choice(ADJS)}" for _ in range(80)]
    # unicode, emoji and whitespace mixed into questions
    for _ in range(300):
        w = q().split(" ")
        i = rnd.randrange(len(w) + 1)
        w.insert(i, rnd.choice(UNICODE + EMOJI))
        texts.append(rnd.choice(WHITESPACE).join(w) if rnd.random() < 0.5 else " ".join(w))
    for _ in range(150):
        w = q().split(" ")
        texts.append("".join(x + rnd.choice(WHITESPACE) * rnd.randint(1, 3) for x in w))
    texts += [rnd.choice(WHITESPACE) * 3 + q() + rnd.choice(WHITESPACE) * 2 for _ in range(60)]
    texts += ["".join(rnd.choice(WHITESPACE) for _ in range(rnd.randint(1, 6))) for _ in range(40)]
    # random code points from many blocks (no surrogates)
    blocks = [(0x20, 0x7e), (0xa0, 0x2ff), (0x300, 0x36f), (0x370, 0x52f), (0x590, 0x6ff), (0x900, 0x97f),
              (0xe00, 0xe7f), (0x1e00, 0x1fff), (0x2000, 0x2bff), (0x3000, 0x30ff), (0x4e00, 0x4fff), (0xac00, 0xad00),
              (0xfb00, 0xfb4f), (0xfe00, 0xfe0f), (0xff00, 0xffef), (0x1d400, 0x1d7ff), (0x1f300, 0x1faff),
              (0x20000, 0x2000f), (0xe0000, 0xe007f), (0x0, 0x1f)]
    for _ in range(300):
        s = []
        for _ in range(rnd.randint(1, 12)):
            lo, hi = rnd.choice(blocks)
            s.append(chr(rnd.randint(lo, hi)))
            if rnd.random() < 0.3:
                s.append(" ")
        texts.append("".join(s))
    # strings assembled from real vocabulary entries (decoded back to text)
    byte_dec = {v: k for k, v in bytes_to_unicode().items()}
    entries = [e for e in vocab if not e.startswith("<|")]
    for _ in range(400):
        parts = []
        for _ in range(rnd.randint(1, 8)):
            e = rnd.choice(entries)
            word = e[:-4] if e.endswith("</w>") else e
            parts.append(bytearray(byte_dec[c] for c in word).decode("utf-8", errors="replace"))
            if e.endswith("</w>") or rnd.random() < 0.3:
                parts.append(" ")
        texts.append("".join(parts))
    # long strings: truncation at 77 (75 tokens + start + end)
    for n in [70, 74, 75, 76, 77, 78, 100, 300]:
        texts.append(" ".join(["dog"] * n))
        texts.append("1" * n)
    texts += [" ".join(q() for _ in range(rnd.randint(5, 15))) for _ in range(40)]
    texts += ["a" * 500, "ab" * 300, "supercalifragilisticexpialidocious " * 20, "🐶" * 100, "日本" * 80,
              "the " * 74 + "end", "the " * 75 + "end", "!" * 200, ("what's " * 40).strip()]
    seen, out = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def tokenizer_part(args):
    sys.path.insert(0, args.open_clip)
    from open_clip.tokenizer import SimpleTokenizer   # OpenAI's reference tokenizer (ftfy + html.unescape + its regex)
    import transformers
    from transformers import CLIPTokenizer, CLIPProcessor, CLIPImageProcessorPil
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import BPE

    bpe = os.path.join(args.open_clip, "open_clip", "bpe_simple_vocab_16e6.txt.gz")
    vocab, merges = openai_vocab_and_merges(bpe)
    assert len(vocab) == 49408, len(vocab)
    st = SimpleTokenizer(bpe)
    # open_clip names the two special tokens <start_of_text>/<end_of_text>; OpenAI and the hub <|startoftext|>/<|endoftext|>
    oc = {{"<start_of_text>": "<|startoftext|>", "<end_of_text>": "<|endoftext|>"}.get(k, k): v for k, v in st.encoder.items()}
    assert oc == vocab, "our vocab.json differs from open_clip's encoder"
    assert list(st.bpe_ranks) == merges, "our merges differ from open_clip's"
    tmp = tempfile.mkdtemp()
    with open(os.path.join(tmp, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(tmp, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for m in merges:
            f.write(" ".join(m) + "\n")
    tok = CLIPTokenizer.from_pretrained(tmp, model_max_length=77)
    assert tok.convert_tokens_to_ids("<|endoftext|>") == 49407 and tok.convert_tokens_to_ids("<|startoftext|>") == 49406
    # the hub's tokenizer.json (openai/clip-vit-*) was written by transformers 4's CLIPConverter: the same pipeline
    # except that its split pattern lacks the two special-token alternatives. Build it too and require equal ids.
    hub = Tokenizer(BPE(vocab=vocab, merges=merges, dropout=None, continuing_subword_prefix="", end_of_word_suffix="</w>",
                        fuse_unk=False, unk_token="<|endoftext|>"))
    hub.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    hub.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False)])
    hub.decoder = decoders.ByteLevel()
    from tokenizers import AddedToken
    hub.add_special_tokens([AddedToken("<|startoftext|>", normalized=False, special=True),
                            AddedToken("<|endoftext|>", normalized=False, special=True)])
    hub.post_processor = processors.RobertaProcessing(("<|endoftext|>", 49407), ("<|startoftext|>", 49406), False, False)

    texts = corpus(vocab)
    proc = CLIPProcessor(image_processor=CLIPImageProcessorPil(), tokenizer=tok)
    ids = proc(text=texts, truncation=True, max_length=77)["input_ids"]
    # the reference comparisons (printed; the goldens are transformers' ids)
    # open_clip's SimpleTokenizer (= OpenAI's) first runs ftfy.fix_text and html.unescape (curly quotes to straight,
    # ligatures and full-width forms folded, control characters dropped), which transformers' fast tokenizer never
    # did; it also lower-cases with Python's str.lower (final sigma). So the vocabulary/merges conversion is judged on
    # the texts those steps leave alone (and without the special-token spellings, which open_clip names differently).
    import ftfy, html
    diff_oc, diff_hub, cut, judged = [], 0, 0, 0
    for t, row in zip(texts, ids):
        full = hub.encode(t).ids
        if row != (full if len(full) <= 77 else full[:76] + [49407]):
            diff_hub += 1
            print("  hub-style differs:", ascii(t), row, full, file=sys.stderr)
        cut += len(row) == 77
        if "<|" in t or ftfy.fix_text(t) != t or html.unescape(t) != t or t.lower() != "".join(c.lower() for c in t):
            continue
        judged += 1
        ref = [49406] + st.encode(t)[:75] + [49407]
        if ref != row:
            diff_oc.append(t)
    print(f"transformers {transformers.__version__}: {len(texts)} texts, {cut} cut to 77 tokens; "
          f"hub-style tokenizer.json differs on {diff_hub}; open_clip SimpleTokenizer differs on {len(diff_oc)} of the "
          f"{judged} texts ftfy/html/lower leave alone", file=sys.stderr)
    for t in diff_oc[:40]:
        print("  open_clip differs:", ascii(t)[:100], file=sys.stderr)
    assert diff_hub == 0
    # padding as CLIPProcessor(padding=True) pads a batch: with <|endoftext|>
    batch = ["a dog", "what's the man holding in his left hand?", "", "🐶🐶"]
    padded = proc(text=batch, padding=True, truncation=True, max_length=77)
    os.makedirs(OUT, exist_ok=True)
    save = tempfile.mkdtemp()
    tok.save_pretrained(save)
    with open(os.path.join(save, "tokenizer.json"), "rb") as f, gzip.GzipFile(os.path.join(OUT, "tokenizer.json.gz"), "wb", mtime=0) as g:
        g.write(f.read())
    golden = {"generator": f"transformers {transformers.__version__} CLIPProcessor(truncation=True, max_length=77), "
                           f"open_clip bpe_simple_vocab_16e6.txt.gz",
              "texts": texts, "ids": ids,
              "padded": {"texts": batch, "input_ids": padded["input_ids"], "attention_mask": padded["attention_mask"]},
              "open_clip_differs": diff_oc}
    with gzip.GzipFile(os.path.join(OUT, "tokenizer-golden.json.gz"), "wb", mtime=0) as g:
        g.write(json.dumps(golden, ensure_ascii=True).encode())


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="part", required=True)
    t = sub.add_parser("tokenizer")
    t.add_argument("--open-clip", required=True, help="directory holding the open_clip package (tokenizer.py + BPE file)")
    sub.add_parser("model")
    sub.add_parser("preprocess")
    args = ap.parse_args()
    {"tokenizer": tokenizer_part, "model": model_part, "preprocess": preprocess_part}[args.part](args)


TINY = "src/test/resources/org/leverplus/clip/tiny"
TEXT = dict(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=16, layer_norm_eps=1e-5, bos_token_id=0, eos_token_id=2, pad_token_id=1)
VISION = dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2, image_size=32,
              patch_size=8, num_channels=3, layer_norm_eps=1e-5)
# three rows of 16 ids: the pooled position differs between the rules (argmax: 5, 15, 2; first 98: 3, 1, 14)
IDS = [[0, 5, 17, 98, 42, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99],
       [0, 98, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 99],
       [0, 33, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 98, 99]]


def quantize_(model, gen):
    """Overwrite every parameter with values k / 2^b, |k| <= 255 (at most 8 significant bits), so the F32, BF16 and F16
    files of one model hold the same numbers and share the goldens; scales keep activations O(1)."""
    import torch
    for name, p in model.named_parameters():
        def q(bits, k=255):
            return torch.clamp(torch.round(torch.randn(p.shape, generator=gen) * 60), -k, k) / (2 ** bits)
        with torch.no_grad():
            if name.endswith("logit_scale"):
                continue
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + torch.clamp(torch.round(torch.randn(p.shape, generator=gen) * 6), -15, 15) / 128)
            elif name.endswith("bias"):
                p.copy_(q(9))
            elif "embedding" in name:
                p.copy_(q(7))
            else:
                p.copy_(q(8))


def model_part(args):
    import shutil
    import torch
    import transformers
    from transformers import (CLIPConfig, CLIPModel, CLIPTextConfig, CLIPTextModelWithProjection, CLIPVisionConfig,
                              CLIPVisionModelWithProjection)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20261204)
    ids = torch.tensor(IDS)

    def pixels(size):
        return torch.round(torch.randn((2, 3, size, size), generator=gen) * 64) / 64   # exact in float32 and JSON

    def rows(t):
        return t.detach().float().tolist()

    def eos_positions(text_model, input_ids):
        # where transformers' pooler_output came from: the position whose final hidden state equals it
        o = text_model(input_ids=input_ids)
        d = (o.last_hidden_state - o.pooler_output[:, None, :]).abs().amax(-1)
        assert (d.amin(-1) == 0).all()
        return d.argmin(-1).tolist()

    def norm(x):
        return torch.nn.functional.normalize(x, dim=-1)

    def save(model, name, dtype=torch.float32, shard=None):
        d = os.path.join(TINY, name)
        shutil.rmtree(d, ignore_errors=True)
        m = model.to(dtype)
        m.save_pretrained(d, safe_serialization=True, **({"max_shard_size": shard} if shard else {}))
        model.to(torch.float32)
        return d

    def full_outputs(m, px):
        with torch.no_grad():
            img = m.get_image_features(pixel_values=px).pooler_output
            txt = m.get_text_features(input_ids=ids).pooler_output
            return {"vision_pooled": rows(m.vision_model(pixel_values=px).pooler_output), "image_embeds": rows(img),
                    "text_pooled": rows(m.text_model(input_ids=ids).pooler_output), "text_embeds": rows(txt),
                    "selector": rows(norm((norm(img) + norm(txt[:2])) / 2)), "eos_positions": eos_positions(m.text_model, ids)}

    def reload_check(cls, d, want, px=None):
        """Reload the saved files with transformers (as float32) and require the same outputs."""
        m = cls.from_pretrained(d, dtype=torch.float32).eval()
        with torch.no_grad():
            if cls is CLIPModel:
                got = full_outputs(m, px)
            elif cls is CLIPTextModelWithProjection:
                o = m(input_ids=ids)
                got = {"text_pooled": rows(o.last_hidden_state[torch.arange(3), torch.tensor(want["eos_positions"])]),
                       "text_embeds": rows(o.text_embeds)}
            else:
                o = m(pixel_values=px)
                got = {"image_embeds": rows(o.image_embeds)}
        for k in got:
            if k in want:
                assert got[k] == want[k], (d, k)

    os.makedirs(TINY, exist_ok=True)
    golden = {"generator": f"transformers {transformers.__version__}, torch {torch.__version__} "
                           f"(tools/clip_transformers_goldens.py model)", "input_ids": IDS}
    # 1. CLIPModel, quick_gelu, eos_token_id 2 (the OpenAI configs: argmax rule); F32, BF16 in shards, vision-only F16
    cfg = CLIPConfig(text_config=dict(TEXT, hidden_act="quick_gelu"), vision_config=dict(VISION, hidden_act="quick_gelu"),
                     projection_dim=24)
    m = CLIPModel(cfg).eval()
    quantize_(m, gen)
    px = pixels(32)
    golden["pixel_shape"], golden["pixel_values"] = list(px.shape), px.flatten().tolist()
    golden["quick"] = full_outputs(m, px)
    # CLIPProcessor(padding=True) also passes an attention mask (0 after the first end token); Lever passes none, as the
    # causal mask already keeps later positions out of the pooled state. Same numbers with the mask:
    mask = torch.tensor([[1 if j <= (row.index(99) if 99 in row else len(row) - 1) else 0 for j in range(len(row))] for row in IDS])
    with torch.no_grad():
        masked = m.get_text_features(input_ids=ids, attention_mask=mask).pooler_output
    golden["quick"]["attention_mask"] = mask.tolist()
    golden["quick"]["text_embeds_with_attention_mask"] = rows(masked)
    assert torch.allclose(masked, torch.tensor(golden["quick"]["text_embeds"]), rtol=0, atol=1e-6)
    reload_check(CLIPModel, save(m, "full-f32"), golden["quick"], px)
    reload_check(CLIPModel, save(m, "full-bf16", torch.bfloat16, "60KB"), golden["quick"], px)
    v = CLIPVisionModelWithProjection(CLIPVisionConfig(**VISION, hidden_act="quick_gelu", projection_dim=24)).eval()
    v.load_state_dict({k: t for k, t in m.state_dict().items() if k.startswith(("vision_model.", "visual_projection."))}, strict=True)
    reload_check(CLIPVisionModelWithProjection, save(v, "vision-f16", torch.float16), golden["quick"], px)
    # 2. CLIPTextModelWithProjection, gelu, eos_token_id 98: the first-match rule (argmax would pick 99)
    t = CLIPTextModelWithProjection(CLIPTextConfig(**dict(TEXT, eos_token_id=98), hidden_act="gelu", projection_dim=24)).eval()
    quantize_(t, gen)
    with torch.no_grad():
        o = t(input_ids=ids)
        pos = eos_positions(t.text_model, ids)
        golden["text_gelu"] = {"text_pooled": rows(t.text_model(input_ids=ids).pooler_output), "text_embeds": rows(o.text_embeds),
                               "eos_positions": pos}
    reload_check(CLIPTextModelWithProjection, save(t, "text-gelu"), golden["text_gelu"])
    # 3. more geometries, all F32, each checked by a reload
    golden["models"] = {}
    # 3a. gelu everywhere, the real end-of-text id as eos_token_id (vocab's last id, like 49407), patch 14 on 28 pixels
    #     (ViT-L/14's shape of a 2x2 grid), hidden 48 / 3 heads, sharded F32
    cfg = CLIPConfig(text_config=dict(TEXT, hidden_act="gelu", eos_token_id=99, hidden_size=48, num_attention_heads=3,
                                      intermediate_size=80, num_hidden_layers=3),
                     vision_config=dict(VISION, hidden_act="gelu", image_size=28, patch_size=14, hidden_size=48,
                                        num_attention_heads=3, intermediate_size=64, num_hidden_layers=3),
                     projection_dim=16)
    m = CLIPModel(cfg).eval()
    quantize_(m, gen)
    px = pixels(28)
    g = full_outputs(m, px)
    g["pixel_shape"], g["pixel_values"] = list(px.shape), px.flatten().tolist()
    golden["models"]["full-gelu-p14-sharded"] = g
    reload_check(CLIPModel, save(m, "full-gelu-p14-sharded", shard="100KB"), g, px)
    # 3b. vision-only, quick_gelu, 20 pixels in patches of 4 (25 patches + class), layer_norm_eps 1e-6, 4 heads
    v = CLIPVisionModelWithProjection(CLIPVisionConfig(**dict(VISION, image_size=20, patch_size=4, layer_norm_eps=1e-6,
                                                              num_attention_heads=4), hidden_act="quick_gelu",
                                                       projection_dim=8)).eval()
    quantize_(v, gen)
    px = pixels(20)
    with torch.no_grad():
        o = v(pixel_values=px)
        g = {"pixel_shape": list(px.shape), "pixel_values": px.flatten().tolist(), "image_embeds": rows(o.image_embeds),
             "vision_pooled": rows(v.vision_model(pixel_values=px).pooler_output)}
    golden["models"]["vision-p4-eps6"] = g
    reload_check(CLIPVisionModelWithProjection, save(v, "vision-p4-eps6"), g, px)
    # 3c. text-only whose config.json has no eos_token_id: transformers' default 49407 applies (first-match rule;
    #     with a 100-token vocabulary no position holds it, so position 0 is pooled)
    t = CLIPTextModelWithProjection(CLIPTextConfig(**TEXT, hidden_act="quick_gelu", projection_dim=8)).eval()
    t.config.eos_token_id = 49407
    t.text_model.eos_token_id = 49407
    quantize_(t, gen)
    d = save(t, "text-eos-default")
    with open(os.path.join(d, "config.json")) as f:
        c = json.load(f)
    c.pop("eos_token_id", None)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
    t = CLIPTextModelWithProjection.from_pretrained(d, dtype=torch.float32).eval()
    assert t.config.eos_token_id == 49407
    with torch.no_grad():
        o = t(input_ids=ids)
        g = {"text_pooled": rows(t.text_model(input_ids=ids).pooler_output), "text_embeds": rows(o.text_embeds),
             "eos_positions": eos_positions(t.text_model, ids)}
    golden["models"]["text-eos-default"] = g
    with open(os.path.join(TINY, "goldens.json"), "w") as f:
        json.dump(golden, f)


VLM_IMAGES = "src/test/resources/org/leverplus/vlm/image"
REUSED = ["coco-640x480.jpg", "cmyk-56x56.jpg", "gray-56x56.jpg", "bilevel-56x56.png", "gray16-56x56.png",
          "palette-84x56.png"]


def make_images(d):
    """Small PNG/JPEG files of odd sizes and every PIL mode CLIP meets, smooth enough to keep the fixture small."""
    import numpy as np
    from PIL import Image
    rnd = np.random.default_rng(20261204)

    def smooth(w, h, c, block=1):
        y, x = np.mgrid[0:h, 0:w]
        y, x = y // block * block, x // block * block  # blocks of equal pixels keep the big files small
        base = [127 + 120 * np.sin(x / (3 + 2 * k) + y / (5 + k)) * np.cos(y / (7 + 3 * k)) for k in range(c)]
        a = np.stack(base, -1)
        a[(x // 9) % 5 == 0] = 255                 # hard 0/255 edges: bicubic overshoot must clip as PIL clips
        a[(y // 7) % 6 == 0] = 0
        a[(x + y) % 23 == 0] += rnd.normal(0, 40, a[(x + y) % 23 == 0].shape)
        return np.clip(np.round(a), 0, 255).astype(np.uint8)

    os.makedirs(d, exist_ok=True)
    Image.fromarray(smooth(301, 199, 3, 3)).save(f"{d}/rgb-301x199.png")
    Image.fromarray(smooth(1200, 181, 3, 8)).save(f"{d}/rgb-1200x181.png")          # long edge int(224*1200/181) = 1485
    Image.fromarray(smooth(37, 401, 3)).save(f"{d}/rgb-37x401.png")
    Image.fromarray(np.array([[[200, 30, 90]]], dtype=np.uint8)).save(f"{d}/rgb-1x1.png")
    Image.fromarray(smooth(3, 2, 3)).save(f"{d}/rgb-3x2.png")
    Image.fromarray(smooth(97, 61, 4)).save(f"{d}/rgba-97x61.png")               # alpha varies over the image
    Image.fromarray(smooth(50, 77, 1)[:, :, 0]).save(f"{d}/l-50x77.png")
    Image.fromarray(smooth(33, 21, 2), mode="LA").save(f"{d}/la-33x21.png")
    Image.fromarray(smooth(64, 40, 3)).quantize(37).save(f"{d}/p-64x40.png")
    p = Image.fromarray(smooth(48, 48, 3)).quantize(16)
    p.save(f"{d}/p-trns-48x48.png", transparency=3)                              # palette entry 3 transparent
    rgb = smooth(40, 30, 3)
    rgb[5:10, 5:10] = (10, 20, 30)
    Image.fromarray(rgb).save(f"{d}/rgb-trns-40x30.png", transparency=(10, 20, 30))   # RGB + tRNS chunk
    Image.fromarray(smooth(257, 181, 3)).save(f"{d}/rgb-257x181.jpg", quality=90)
    return sorted(os.listdir(d))


def preprocess_part(args):
    import base64
    import numpy as np
    import transformers
    from PIL import Image
    from transformers import CLIPImageProcessorPil
    d = os.path.join(OUT, "images")
    names = make_images(d)
    proc = CLIPImageProcessorPil()   # openai/clip-vit-*'s preprocessor_config.json values are the class defaults
    # transformers' own rescale + normalise of every 8-bit level (no resize, no crop): the value table
    levels = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    table = proc(images=Image.fromarray(levels), do_resize=False, do_center_crop=False, return_tensors="np")["pixel_values"][0]
    table = table[:, 0, :]                                              # [3, 256]
    assert np.all(np.diff(table, axis=1) > 0)
    out = {"generator": f"transformers {transformers.__version__} CLIPImageProcessorPil(), Pillow {Image.__version__}",
           "table": table.tolist(), "images": {}}
    for path in [os.path.join(d, n) for n in names] + [os.path.join(VLM_IMAGES, n) for n in REUSED]:
        im = Image.open(path)
        pv = proc(images=im, return_tensors="np")["pixel_values"][0]     # [3, 224, 224] float32
        lv = np.zeros(pv.shape, dtype=np.uint8)
        for c in range(3):
            idx = np.searchsorted(table[c], pv[c])
            assert np.array_equal(table[c][np.minimum(idx, 255)], pv[c]), path   # every value is a table entry
            lv[c] = idx
        # stored as differences along each row (mod 256, the first of a row absolute), gzipped: small for smooth images
        delta = lv.astype(np.int16)
        delta[:, :, 1:] -= lv[:, :, :-1]
        lv = (delta % 256).astype(np.uint8)
        out["images"][os.path.relpath(path, "src/test/resources/org/leverplus/clip")] = {
            "mode": im.mode, "size": list(im.size),
            "row_deltas_gz_b64": base64.b64encode(gzip.compress(lv.tobytes(), mtime=0)).decode()}
        print(path, im.mode, im.size, file=sys.stderr)
    with gzip.GzipFile(os.path.join(OUT, "preprocess-golden.json.gz"), "wb", mtime=0) as g:
        g.write(json.dumps(out).encode())
    # the small-size golden ClipToolsTest reads (a non-default size/crop from preprocessor_config.json): 32 / 32
    small = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    out = {"generator": f"transformers {transformers.__version__} CLIPImageProcessorPil(size 32, crop 32)", "size": 32,
           "crop": 32, "images": {}}
    for name in ["rgb-84x56.png", "coco-640x480.jpg", "exif6-84x56.jpg", "cmyk-56x56.jpg"]:
        pv = small(images=Image.open(os.path.join(VLM_IMAGES, name)), return_tensors="np")["pixel_values"][0]
        out["images"][name] = {"pixel_values": pv.flatten().tolist()}
    with open("src/test/resources/org/leverplus/clip/preprocess-golden.json", "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
