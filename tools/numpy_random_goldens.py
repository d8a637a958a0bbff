#!/usr/bin/python3
"""Goldens for NumpyRandomStateTest: the original's random ICD baseline (open_mmicl RandRetriever).

For each (n_train, k, questions): np.random.seed(42), then np.random.choice(n_train, k, replace=False) once per question.
Also the first raw MT19937 outputs after seed(42), seed(0) and seed(2**32-1).
Run with Debian's interpreter and python3-numpy:
    /usr/bin/python3 tools/numpy_random_goldens.py > src/test/resources/org/leverplus/eval/numpy-random-goldens.json
"""
import json
import numpy as np

out = {"numpy_version": np.__version__, "raw": {}, "choice": []}
for seed in (42, 0, 2**32 - 1):
    # raw 32-bit outputs: random_raw is not on RandomState, so read them through randint on the full uint32 range
    rs = np.random.RandomState(seed)
    out["raw"][str(seed)] = [int(x) for x in rs.randint(0, 2**32, size=8, dtype=np.uint32)]
for n_train, k, questions in [(1, 1, 3), (2, 2, 4), (10, 4, 5), (100, 1, 6), (100, 4, 6), (9009, 1, 5), (9009, 4, 5),
                              (65536, 3, 3), (70000, 2, 3), (443757, 4, 3)]:
    np.random.seed(42)
    picks = [[int(x) for x in np.random.choice(n_train, k, replace=False)] for _ in range(questions)]
    out["choice"].append({"n_train": n_train, "k": k, "picks": picks})
print(json.dumps(out))
