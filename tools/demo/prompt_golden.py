#!/usr/bin/python3
"""Writes src/test/resources/org/leverplus/demo/prompt-golden.json: token ids of a few demo prompts as
train_vlm.py renders them in Python (generation and teacher-forced layouts, 0-3 ICDs), so DemoWorldTest can check
that org.leverplus.vlm.text.IcdPromptBuilder gives the same ids with the demo tokenizer.

Run: /usr/bin/python3 tools/demo/prompt_golden.py src/test/resources/org/leverplus/demo/prompt-golden.json (< 5 s)
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_vlm as t  # noqa: E402
import demo_world as world  # noqa: E402


def main(out):
    rng = random.Random(7)
    cases = []
    for n, k in enumerate([0, 1, 2, 3, 2, 1]):
        items = []
        for _ in range(k + 1):
            s = world.scene(rng)
            qt = rng.choice(["ambiguous", "color", "shape", "count", "yesno"])
            q, a, _, _ = world.question(s, qt, rng, rng.choice(world.CONVENTIONS))
            items.append((q, a))
        q, a = items[-1]
        answer = a if n % 2 else None
        ids, _, span = t.prompt_ids(items[:-1], q, answer)
        cases.append({"icds": [{"question": x, "answer": y} for x, y in items[:-1]], "query": q, "answer": answer,
                      "ids": ids, "answer_span": list(span) if span else None})
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"image_tokens": t.IMG_TOKENS, "grid": list(t.GRID), "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
