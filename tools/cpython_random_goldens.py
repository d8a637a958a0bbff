#!/usr/bin/python3
"""Goldens for Lever's CPython-exact `random` port and `lever sample --sampler rand`.

The reference is CPython's own `random` module (this script imports nothing else that matters). It reproduces what
Lever-Plus's samplers do with it (spec 3.1, 3.3, 3.5):

  anchors: random.seed(seed); random.sample(range(train_len), anchor_num)
  pools:   random.seed(seed) again; for each anchor in anchor order:
           cand = random.sample(range(train_len), k); while anchor in cand: redraw
  files:   json.dump(anchors) and json.dump({anchor: cand}) exactly as the original writes its caches

Each case stores the SHA-256 of both files' bytes plus a few rows, so the VQAv2-sized case (443,757 items, 5,000
anchors) stays a few hundred bytes. Low-level cases pin getrandbits/_randbelow/sample on both of sample()'s
algorithms (pool list for small populations, selected-set otherwise) and on unusual seeds.

Run: /usr/bin/python3 tools/cpython_random_goldens.py > src/test/resources/org/leverplus/sampler/cpython-random-goldens.json
"""
import hashlib
import json
import platform
import random
import sys


def rand_case(name, train_len, anchor_num, k, seed):
    random.seed(seed)
    anchors = random.sample(range(0, train_len), anchor_num)
    random.seed(seed)
    pools = {}
    redraws = 0
    for a in anchors:
        cand = random.sample(range(0, train_len), k)
        while a in cand:
            redraws += 1
            cand = random.sample(list(range(0, train_len)), k)
        pools[a] = cand
    anchors_json = json.dumps(anchors).encode()
    pools_json = json.dumps(pools).encode()
    return {
        "name": name, "train_len": train_len, "anchors": anchor_num, "candidates": k, "seed": seed,
        "anchors_sha256": hashlib.sha256(anchors_json).hexdigest(),
        "pools_sha256": hashlib.sha256(pools_json).hexdigest(),
        "redraws": redraws,
        "first_anchors": anchors[:5], "last_anchor": anchors[-1],
        "first_pool": pools[anchors[0]], "last_pool": pools[anchors[-1]],
    }


def low_level():
    out = []
    for seed in [42, 0, 1, -5, 2 ** 40 + 7, 2 ** 70 + 3]:
        random.seed(seed)
        bits = [random.getrandbits(32) for _ in range(4)] + [random.getrandbits(k) for k in (1, 5, 17, 31)]
        random.seed(seed)
        below = [random._inst._randbelow(n) for n in (1, 2, 3, 7, 1000, 9009, 443757, 2 ** 31 - 1)]
        out.append({"seed": seed, "getrandbits": bits, "randbelow": below})
    samples = []
    for n, k, seed in [(30, 10, 42), (100, 64, 42), (277, 64, 3), (278, 64, 3), (10, 10, 7), (5, 0, 1),
                       (9009, 800, 42), (1000, 1, 9)]:
        random.seed(seed)
        samples.append({"n": n, "k": k, "seed": seed, "sample": random.sample(range(n), k)})
    return out, samples


def main():
    words, samples = low_level()
    cases = [
        rand_case("okvqa", 9009, 800, 64, 42),
        rand_case("okvqa-mix-rand-part", 9009, 800, 32, 42),
        rand_case("vqav2", 443757, 5000, 64, 42),
        rand_case("small-pool-algorithm", 100, 10, 64, 42),
        rand_case("redraw-heavy", 70, 20, 64, 5),
    ]
    json.dump({"python": platform.python_version(), "words": words, "samples": samples, "cases": cases},
              sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
