#!/usr/bin/python3
"""Goldens for org.leverplus.rlgen.SequenceMatcher and Relevance (spec 8.3 step 5), made with Debian's python3.

Writes src/test/resources/org/leverplus/rlgen/difflib-goldens.jsonl.gz: one JSON object per line,
{"a", "b", "ratio": difflib.SequenceMatcher(None, a, b).ratio(), "f1": token F1, "pred", "gts", "rel": [...]}.
The pairs cover short answers, near-duplicates, long strings (len(b) >= 200, where difflib's autojunk heuristic
drops "popular" characters), few-letter alphabets (many equal-length matches, so tie-breaking matters) and
non-ASCII text including characters outside the BMP. Deterministic: random.seed(12).

Run from the repository root: /usr/bin/python3 tools/make_difflib_goldens.py
"""
import difflib, gzip, json, random, re, sys
from collections import Counter

random.seed(12)
ALPHABETS = ["ab", "abc", "abcd ", "abcdefghijklmnopqrstuvwxyz ", "xy z0123456789", "aé中\U0001F600 b", "ab\u00a0 \t"]
WORDS = ["red", "blue", "two", "2", "yes", "no", "a dog", "dogs", "the cat", "pizza", "tennis racket", "white and red",
         "", " ", "Yes", "NO ", "3:00", "fire hydrant", "frisbee", "kite", "surfing", "surf board", "surfboard"]


def rand_str(alpha, n):
    return "".join(random.choice(alpha) for _ in range(n))


def mutate(s, alpha, k):
    s = list(s)
    for _ in range(k):
        op = random.random()
        pos = random.randrange(len(s) + 1)
        if op < 0.4 and s and pos < len(s):
            s[pos] = random.choice(alpha)
        elif op < 0.7:
            s.insert(pos, random.choice(alpha))
        elif s and pos < len(s):
            del s[pos]
    return "".join(s)


def tokens(s):
    return re.findall("[a-z0-9]+", s.lower())


def token_f1(pred, gt):
    p, g = tokens(pred), tokens(gt)
    if not p or not g:
        return 0.0
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def relevance(pred, gts):
    """compute_relevance of the original (spec 8.3 step 5)."""
    if not pred or not pred.strip():
        return [0.0, 0.0, 0.0]
    f1 = max((token_f1(pred, g) for g in gts), default=0.0)
    ed = max((difflib.SequenceMatcher(None, pred.strip().lower(), g.strip().lower()).ratio() for g in gts), default=0.0)
    return [f1, ed, max(f1, ed)]


pairs = []
for _ in range(1500):
    alpha = random.choice(ALPHABETS)
    n = random.choice([0, 1, 2, 3, 5, 8, 13, 30, 60])
    a = rand_str(alpha, n)
    b = mutate(a, alpha, random.randrange(0, 6)) if random.random() < 0.6 else rand_str(alpha, random.choice([0, 1, 4, 9, 25, 50]))
    pairs.append((a, b))
for _ in range(500):                                         # autojunk territory: len(b) >= 200
    alpha = random.choice(ALPHABETS)
    a = rand_str(alpha, random.choice([50, 199, 200, 260, 400]))
    b = mutate(a, alpha, random.randrange(0, 40)) if random.random() < 0.7 else rand_str(alpha, random.choice([199, 200, 201, 300]))
    if random.random() < 0.5:
        a, b = b, a
    pairs.append((a, b))
for _ in range(1000):
    a = random.choice(WORDS) + random.choice(["", " ", "s", " " + random.choice(WORDS)])
    b = random.choice(WORDS)
    pairs.append((a, b))

with gzip.open("src/test/resources/org/leverplus/rlgen/difflib-goldens.jsonl.gz", "wt", encoding="utf-8") as out:
    for a, b in pairs:
        gts = [b, random.choice(WORDS), mutate(b, "abc ", 1)]
        rec = {"a": a, "b": b, "ratio": difflib.SequenceMatcher(None, a, b).ratio(), "f1": token_f1(a, b),
               "gts": gts, "rel": relevance(a, gts)}
        out.write(json.dumps(rec, ensure_ascii=True) + "\n")
print(len(pairs), "pairs,", sys.version.split()[0], file=sys.stderr)
