#!/usr/bin/python3
"""Goldens for org.leverplus.rlgen.BalancedPairs (lever generate rl --balanced, spec 8.7(b)).

Re-implements the candidate-pair construction of Lever-Plus's generate_balanced_rl_data.py with plain Python
`random` (random.seed, random.sample, random.shuffle): cosine similarity to every item (self = -1), descending
sort (ties: lower id first, Python's stable sorted(reverse=True)), N // intervals sized intervals (the remainder is
never drawn), random.sample(interval, min(per_interval, len)) from intervals of >= 2 items, random.shuffle, then
consecutive ids paired (sorted), at most max_pairs pairs. random.seed(seed) before the first query and again every
reseed_every queries (0 = never). Similarities in double precision, summed in index order, exactly as the Java code.

The embeddings are a formula both sides compute identically (float32 of an integer expression); rows repeat
modulo `repeat_mod` so that many similarities tie exactly.

Run with Debian's /usr/bin/python3 (3.11): writes src/test/resources/rlgen/balanced-pairs-goldens.json.
"""
import json
import math
import os
import random
import struct


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def embeddings(n, dim, repeat_mod):
    rows = []
    for i in range(n):
        r = i % repeat_mod
        rows.append([f32(((r * 7919 + k * 104729 + 13) % 1009) / 1009.0 - 0.5) for k in range(dim)])
    return rows


def cosine(a, b):
    dot = na = nb = 0.0
    for x, y in zip(a, b):
        dot += x * y
        na += x * x
        nb += y * y
    if na == 0 or nb == 0:
        return 0.0
    return dot / (math.sqrt(na) * math.sqrt(nb))


def pairs_for(q, emb, intervals, per_interval, max_pairs):
    sims = [cosine(emb[q], e) for e in emb]
    sims[q] = -1.0
    order = sorted(range(len(emb)), key=lambda i: sims[i], reverse=True)   # stable: ties keep ascending ids
    n = len(order)
    size = n // intervals
    ids = []
    for i in range(intervals):
        start, end = i * size, min((i + 1) * size, n)
        interval = order[start:end]
        if len(interval) >= 2:
            ids.extend(random.sample(interval, min(per_interval, len(interval))))
    random.shuffle(ids)
    pairs = []
    for i in range(0, len(ids) - 1, 2):
        if len(pairs) >= max_pairs:
            break
        pairs.append(sorted([ids[i], ids[i + 1]]))
    return pairs


CASES = [
    dict(name="vqav2-defaults", n=1003, dim=8, repeat_mod=211, intervals=10, per_interval=4, max_pairs=20, seed=42, reseed_every=0, start=3, end=40),
    dict(name="reseed-every-10", n=1003, dim=8, repeat_mod=211, intervals=10, per_interval=4, max_pairs=20, seed=42, reseed_every=10, start=0, end=25),
    dict(name="small-intervals", n=25, dim=5, repeat_mod=25, intervals=10, per_interval=4, max_pairs=20, seed=7, reseed_every=0, start=0, end=25),
    dict(name="one-item-intervals", n=19, dim=5, repeat_mod=19, intervals=10, per_interval=4, max_pairs=20, seed=42, reseed_every=0, start=0, end=3),
    dict(name="nine-per-interval", n=1003, dim=8, repeat_mod=1003, intervals=3, per_interval=9, max_pairs=5, seed=123, reseed_every=0, start=100, end=110),
]


def main():
    out = []
    for c in CASES:
        emb = embeddings(c["n"], c["dim"], c["repeat_mod"])
        res = {}
        for pos, q in enumerate(range(c["start"], c["end"])):
            if pos == 0 or (c["reseed_every"] > 0 and pos % c["reseed_every"] == 0):
                random.seed(c["seed"])
            res[str(q)] = pairs_for(q, emb, c["intervals"], c["per_interval"], c["max_pairs"])
        out.append(dict(c, pairs=res))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "rlgen", "balanced-pairs-goldens.json")
    with open(path, "w") as f:
        json.dump({"python": "%d.%d.%d" % tuple(__import__("sys").version_info[:3]), "cases": out}, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
