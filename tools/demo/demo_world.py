#!/usr/bin/python3
"""Lever demo world: a synthetic VQA dataset (rendered shapes) in the official VQAv2 file format, plus the compact
word-level tokenizer the demo VLM uses. Deterministic (fixed seeds, no timestamps).

How it was run (Debian /usr/bin/python3, PIL 9.4, numpy 1.24; < 10 s on 2 cores):
    /usr/bin/python3 tools/demo/demo_world.py src/main/resources/org/leverplus/demo

Writes into OUT/dataset/: v2_OpenEnded_mscoco_{train,val}2014_questions.json, v2_mscoco_{train,val}2014_annotations.json
and images/COCO_{train,val}2014_{image_id:012d}.jpg (56x56 JPEG, quality 95, 4:4:4) -- the names
org.leverplus.data.VqaDataset and VqaRecord.imageFile resolve. Writes OUT/vlm/tokenizer.json (Hugging Face
WordLevel tokenizer with Qwen's special tokens; the ids match config.json written by train_vlm.py).

The world. Each image shows 1-3 copies of one shape (circle/square/triangle) in one colour (6 colours) on one of
three light backgrounds (white, light blue, light pink). Question types: colour, shape, count, position (single
shape: left/right/top/bottom), yes/no, and an ambiguous "What is in the picture?" whose annotators answer by a
convention (the colour, the shape or the count). Each image is asked the ambiguous question and one other (train:
210 images, 420 questions; val: 90 images, 180 questions). In the dataset the convention follows the background for
85% of items (white -> colour, blue -> shape, pink -> count) and is random otherwise; the VLM is trained on a corpus where
it is random, so only in-context demonstrations (ICDs) reveal it: an ICD with the same question shows the
convention to copy. Ten annotator answers per question with synonyms ("2"/"two", "violet"), and occasional errors.
"""
import io
import json
import os
import random
import re
import sys

from PIL import Image, ImageDraw

SIZE = 56
COLORS = {"red": (220, 30, 30), "green": (30, 170, 40), "blue": (30, 60, 220), "yellow": (235, 200, 20),
          "purple": (140, 40, 170), "orange": (245, 130, 20)}
SHAPES = ["circle", "square", "triangle"]
BACKGROUNDS = {"white": (250, 250, 250), "lightblue": (200, 220, 250), "pink": (250, 205, 220)}
CONVENTION_OF_BG = {"white": "color", "lightblue": "shape", "pink": "count"}
CONVENTIONS = ["color", "shape", "count"]
NUM_WORD = {1: "one", 2: "two", 3: "three"}
POSITIONS = ["left", "right", "top", "bottom"]
SYNONYMS = {"purple": ["violet"], "circle": ["round"], "square": ["box"], "2": ["two"], "3": ["three"],
            "1": ["one"], "top": ["up"], "bottom": ["down"]}
AMBIGUOUS_Q = "What is in the picture?"
TEXT_SPLIT = re.compile(r"\w+|[^\w\s]+")  # Hugging Face pre_tokenizers.Whitespace


def scene(rng, bg=None, n=None, position=None):
    """A random scene: dict(bg, color, shape, n, position (n == 1 only), boxes)."""
    bg = bg or rng.choice(list(BACKGROUNDS))
    color = rng.choice(list(COLORS))
    shape = rng.choice(SHAPES)
    n = n or rng.choice([1, 2, 3])
    size = rng.randint(12, 16)
    boxes = []
    if n == 1:
        position = position or rng.choice(POSITIONS)
        c = SIZE // 2
        off = rng.randint(-4, 4)
        lo, hi = 4 + size // 2, SIZE - 4 - size // 2
        cx, cy = {"left": (lo, c + off), "right": (hi, c + off), "top": (c + off, lo), "bottom": (c + off, hi)}[position]
        boxes.append((cx, cy))
    else:
        position = None
        while len(boxes) < n:
            cx, cy = rng.randint(size // 2 + 2, SIZE - size // 2 - 2), rng.randint(size // 2 + 2, SIZE - size // 2 - 2)
            if all(abs(cx - x) > size + 1 or abs(cy - y) > size + 1 for x, y in boxes):
                boxes.append((cx, cy))
    return dict(bg=bg, color=color, shape=shape, n=n, position=position, size=size, boxes=boxes)


def render(s, rng):
    img = Image.new("RGB", (SIZE, SIZE), BACKGROUNDS[s["bg"]])
    d = ImageDraw.Draw(img)
    col = tuple(max(0, min(255, v + rng.randint(-15, 15))) for v in COLORS[s["color"]])
    h = s["size"] // 2
    for cx, cy in s["boxes"]:
        if s["shape"] == "circle":
            d.ellipse([cx - h, cy - h, cx + h, cy + h], fill=col)
        elif s["shape"] == "square":
            d.rectangle([cx - h, cy - h, cx + h, cy + h], fill=col)
        else:
            d.polygon([(cx, cy - h), (cx - h, cy + h), (cx + h, cy + h)], fill=col)
    return img


def jpeg_bytes(img):
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95, subsampling=0)
    return buf.getvalue()


def jpeg_roundtrip(img):
    return Image.open(io.BytesIO(jpeg_bytes(img))).convert("RGB")


def convention_answer(s, conv):
    return {"color": s["color"], "shape": s["shape"], "count": str(s["n"])}[conv]


def question(s, qtype, rng, convention=None):
    """(question, answer, answer_type, question_type)."""
    if qtype == "color":
        q = "What color is the %s?" % s["shape"] if s["n"] == 1 else "What color are the shapes?"
        return q, s["color"], "other", "what color is the"
    if qtype == "shape":
        return rng.choice(["What shape is shown?", "What shape are the objects?"]), s["shape"], "other", "what shape is"
    if qtype == "count":
        return rng.choice(["How many shapes are there?", "How many objects are in the image?"]), str(s["n"]), "number", "how many"
    if qtype == "position":
        return "Where is the %s?" % s["shape"], s["position"], "other", "where is the"
    if qtype == "yesno":
        if rng.random() < 0.5:
            color = s["color"] if rng.random() < 0.5 else rng.choice(list(COLORS))
            shape = s["shape"] if rng.random() < 0.5 else rng.choice(SHAPES)
            return "Is there a %s %s?" % (color, shape), "yes" if (color, shape) == (s["color"], s["shape"]) else "no", "yes/no", "is there a"
        k = rng.choice([1, 2, 3])
        return "Are there %s shapes?" % NUM_WORD[k], "yes" if k == s["n"] else "no", "yes/no", "are there"
    if qtype == "ambiguous":
        return AMBIGUOUS_Q, convention_answer(s, convention), "other", "what is in the"
    raise ValueError(qtype)


def wrong_answer(ans, rng):
    pool = {a for a in list(COLORS) + SHAPES + ["1", "2", "3"] + POSITIONS + ["yes", "no"]}
    for group in (list(COLORS), SHAPES, ["1", "2", "3"], POSITIONS, ["yes", "no"]):
        if ans in group:
            pool = [g for g in group if g != ans]
            break
    return rng.choice(sorted(pool))


def annotators(s, ans, qtype, rng, convention=None):
    out = []
    for _ in range(10):
        r = rng.random()
        if qtype == "ambiguous" and r < 0.03:
            out.append(convention_answer(s, rng.choice([c for c in CONVENTIONS if c != convention])))
        elif r < 0.06:
            out.append(wrong_answer(ans, rng))
        elif ans in SYNONYMS and r < 0.25:
            out.append(rng.choice(SYNONYMS[ans]))
        else:
            out.append(ans)
    return out


QTYPES = ["ambiguous", "color", "shape", "count", "position", "yesno"]
QWEIGHTS = [0.30, 0.14, 0.14, 0.14, 0.12, 0.16]  # the VLM's training corpus (train_vlm.py), the dataset's second question
# Every dataset image is asked the ambiguous question (the one whose right answer depends on the ICDs shown) and one
# other question, so the ambiguous question is half the dataset. With three different question types per image it was
# at most a third (25% at the weights above), and only 25% of lever demo's RL-data queries were ICD-sensitive.
QUESTIONS_PER_IMAGE = 2


def make_split(split, n_images, first_image_id, seed):
    rng = random.Random(seed)
    questions, annotations, images = [], [], {}
    for i in range(n_images):
        image_id = first_image_id + i
        s = scene(rng)
        images[image_id] = render(s, rng)
        types = ["ambiguous"]
        while len(types) < QUESTIONS_PER_IMAGE:  # different question types per image, as VQAv2 asks different questions
            qt = rng.choices(QTYPES, QWEIGHTS)[0]
            if qt == "position" and s["n"] != 1:
                qt = "count"
            if qt not in types:
                types.append(qt)
        for k, qt in enumerate(types):
            conv = None
            if qt == "ambiguous":
                conv = CONVENTION_OF_BG[s["bg"]] if rng.random() < 0.85 else rng.choice(CONVENTIONS)
            q, a, at, qtype = question(s, qt, rng, conv)
            qid = image_id * 1000 + k
            answers = annotators(s, a, qt, rng, conv)
            questions.append({"image_id": image_id, "question": q, "question_id": qid})
            annotations.append({"question_id": qid, "image_id": image_id, "question_type": qtype, "answer_type": at,
                                "multiple_choice_answer": a,
                                "answers": [{"answer": x, "answer_confidence": "yes", "answer_id": j + 1}
                                            for j, x in enumerate(answers)]})
    return questions, annotations, images


# --------------------------------------------------------------------------------------------------------------
# Tokenizer (shared with train_vlm.py)
SYSTEM_PROMPT = ("In the upcoming task, you will see four sets of dialogues, each containing two roles: "
                 "user and assistant. The user is the questioner, who provides an image and asks a question based on it; the "
                 "assistant is the responder, who answers according to the image and question provided by the user. Afterward, "
                 "you will receive an image and a question from the user. Please act as the assistant and answer based on the "
                 "four previous dialogue sets and your own knowledge. Strictly follow the answering format: if the examples use "
                 "only one or two keywords, your reply must also use only one or two keywords; if the examples contain no more "
                 "than three tokens, your reply must not exceed three tokens either.")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
            "<|image_pad|>", "<|video_pad|>"]
VOCAB_SIZE = 256
SPECIAL_BASE = VOCAB_SIZE - len(SPECIALS)  # 248..255


def vocabulary():
    words = set()
    texts = [SYSTEM_PROMPT, "system user assistant Question: Short answer:", AMBIGUOUS_Q,
             "What color is the shape? What color are the shapes? What shape is shown? What shape are the objects?",
             "How many shapes are there? How many objects are in the image? Where is the shape? Is there a",
             "Are there shapes?"]
    texts += list(COLORS) + SHAPES + POSITIONS + ["yes", "no", "1", "2", "3"] + list(NUM_WORD.values())
    texts += [x for v in SYNONYMS.values() for x in v]
    for t in texts:
        words.update(TEXT_SPLIT.findall(t))
    words = ["<unk>"] + sorted(words)
    assert len(words) <= SPECIAL_BASE, len(words)
    return {w: i for i, w in enumerate(words)}


def tokenizer_json():
    vocab = vocabulary()
    full = dict(vocab)
    for i, sp in enumerate(SPECIALS):
        full[sp] = SPECIAL_BASE + i
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": SPECIAL_BASE + i, "content": sp, "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True} for i, sp in enumerate(SPECIALS)],
            "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": full, "unk_token": "<unk>"}}


class Tokenizer:
    """Python twin of the Hugging Face tokenizer above: added tokens split first, then Whitespace + WordLevel."""
    SPLIT = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")

    def __init__(self):
        self.vocab = vocabulary()
        self.special = {sp: SPECIAL_BASE + i for i, sp in enumerate(SPECIALS)}
        self.inv = {i: w for w, i in self.vocab.items()}
        self.inv.update({i: w for w, i in self.special.items()})

    def encode(self, text):
        out = []
        for piece in self.SPLIT.split(text):
            if piece in self.special:
                out.append(self.special[piece])
            elif piece:
                out.extend(self.vocab.get(w, 0) for w in TEXT_SPLIT.findall(piece))
        return out

    def decode(self, ids):
        return " ".join(self.inv[i] for i in ids if i < SPECIAL_BASE)


def main(out):
    ds = os.path.join(out, "dataset")
    os.makedirs(os.path.join(ds, "images"), exist_ok=True)
    for split, n, first, seed in (("train", 210, 1, 11), ("val", 90, 500001, 22)):
        qs, anns, imgs = make_split(split, n, first, seed)
        with open(os.path.join(ds, "v2_OpenEnded_mscoco_%s2014_questions.json" % split), "w") as f:
            json.dump({"info": {"description": "Lever demo world (synthetic)"}, "task_type": "Open-Ended",
                       "data_type": "mscoco", "data_subtype": split + "2014", "questions": qs}, f, indent=0)
        with open(os.path.join(ds, "v2_mscoco_%s2014_annotations.json" % split), "w") as f:
            json.dump({"info": {"description": "Lever demo world (synthetic)"}, "data_type": "mscoco",
                       "data_subtype": split + "2014", "annotations": anns}, f, indent=0)
        for image_id, img in imgs.items():
            with open(os.path.join(ds, "images", "COCO_%s2014_%012d.jpg" % (split, image_id)), "wb") as f:
                f.write(jpeg_bytes(img))
        print(split, len(qs), "questions", len(imgs), "images")
    os.makedirs(os.path.join(out, "vlm"), exist_ok=True)
    with open(os.path.join(out, "vlm", "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(), f, indent=1, ensure_ascii=False)
    print("vocabulary", len(vocabulary()), "words +", len(SPECIALS), "special tokens")


if __name__ == "__main__":
    main(sys.argv[1])
