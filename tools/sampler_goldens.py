#!/usr/bin/python3
"""Goldens for Lever's samplers from CPython's own `random` (run with Debian's /usr/bin/python3):
the original's anchor set (random.seed(s); random.sample(range(N), n)) and RandSampler pools
(random.seed(s); per anchor random.sample(range(N), K), redrawn while the anchor is in it), for OK-VQA and VQAv2
sizes and for small populations (CPython's pool algorithm). Large outputs are stored as the SHA-256 of the JSON
the original writes (json.dump defaults) plus their first entries.

Run: /usr/bin/python3 tools/sampler_goldens.py src/test/resources/org/leverplus/sampler/rand-goldens.json
"""
import hashlib
import json
import random
import sys


def anchors(n, k, seed):
    random.seed(seed)
    return random.sample(range(n), k)


def rand_pools(anchor_list, n, k, seed):
    random.seed(seed)
    out = {}
    for a in anchor_list:
        c = random.sample(range(n), k)
        while a in c:
            c = random.sample(range(n), k)
        out[str(a)] = c
    return out


def sha(obj):
    return hashlib.sha256(json.dumps(obj).encode()).hexdigest()


cases = []
for name, n, na, k, seed in (("okvqa", 9009, 800, 64, 42), ("vqav2", 443757, 5000, 64, 42), ("okvqa-seed7", 9009, 100, 32, 7),
                             ("small", 50, 10, 8, 42), ("tiny", 30, 29, 5, 3), ("pool-path", 200, 40, 20, 42)):
    an = anchors(n, na, seed)
    pools = rand_pools(an, n, k, seed)
    cases.append({"name": name, "train_size": n, "anchors": na, "candidates": k, "seed": seed,
                  "anchors_sha256": sha(an), "anchors_head": an[:20], "pools_sha256": sha(pools),
                  "pools_head": {a: pools[a] for a in list(pools)[:3]}})
raw = []
random.seed(42)
raw = [random.getrandbits(32) for _ in range(5)] + [random.getrandbits(19) for _ in range(5)]
random.seed(2 ** 40 + 5)
raw += [random.getrandbits(32) for _ in range(3)]
json.dump({"python": sys.version.split()[0], "cases": cases, "getrandbits": raw}, open(sys.argv[1], "w"), indent=1)
print("wrote", sys.argv[1])
