#!/usr/bin/env python3
"""Golden ICD prompts for Lever's IcdPromptBuilder.

Text: the Qwen2-VL / Qwen2.5-VL chat template (verbatim from transformers
tests/models/qwen2_vl/test_processor_qwen2_vl.py::prepare_processor_dict) rendered with jinja2 the way
transformers' apply_chat_template compiles it (trim_blocks, lstrip_blocks), on messages built as Lever-Plus's
Qwen2VLInterface builds them (system prompt string; one user turn: image, "Question:{q} Short answer:{a}", ...,
query image, "Question:{q} Short answer:"; text items strip(" ")-ed).
Ids: every <|image_pad|> expanded to t*h*w/4 copies (as Qwen2_5_VLProcessor does), then tokenised by the Hugging
Face tokenizers Rust library (tools/vlm/tokenizer-golden.js, @anush008/tokenizers), add_special_tokens=False.

Usage (needs python3 with jinja2, node, and the npm packages of tokenizer-golden.js):
  NODE_MODULES=/scratch/node_modules python3 tools/vlm/prompt-golden.py TOKENIZER.json OUT.json
"""
import json
import os
import subprocess
import sys
import tempfile

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE = "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

SYSTEM = ("In the upcoming task, you will see four sets of dialogues, each containing two roles: user and assistant. "
          "The user is the questioner, who provides an image and asks a question based on it; the assistant is the "
          "responder, who answers according to the image and question provided by the user. Afterward, you will receive "
          "an image and a question from the user. Please act as the assistant and answer based on the four previous "
          "dialogue sets and your own knowledge. Strictly follow the answering format: if the examples use only one or "
          "two keywords, your reply must also use only one or two keywords; if the examples contain no more than three "
          "tokens, your reply must not exceed three tokens either.")

ICDS = [
    {"grid": [1, 4, 6], "question": "What is on the plate?", "answer": "pizza"},
    {"grid": [1, 34, 46], "question": "How many giraffes are there?", "answer": "2"},
    {"grid": [1, 2, 2], "question": "What sport is being played? ", "answer": "tennis "},
    {"grid": [1, 8, 8], "question": "Is the man wearing a hat?", "answer": "yes"},
]
QUERY = {"grid": [1, 6, 4], "question": "What color is the bus?"}


def render(icds, query, answer):
    content = []
    for e in icds:
        content.append({"type": "image", "image": "img"})
        content.append({"type": "text", "text": ("Question:" + e["question"] + " Short answer:" + e["answer"]).strip(" ")})
    content.append({"type": "image", "image": "img"})
    qtext = "Question:" + query["question"] + " Short answer:" + (answer if answer is not None else "")
    content.append({"type": "text", "text": qtext.strip(" ")})
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE).render(messages=messages, add_generation_prompt=answer is None)


def expand(text, grids):
    parts = text.split("<|image_pad|>")
    assert len(parts) == len(grids) + 1
    out = parts[0]
    for g, p in zip(grids, parts[1:]):
        out += "<|image_pad|>" * (g[0] * g[1] * g[2] // 4) + p
    return out


def main(tok, out):
    cases = []
    for k in (0, 1, 2, 4):
        for answer in (None, "red", "pizza"):
            icds = ICDS[:k]
            text = render(icds, QUERY, answer)
            grids = [e["grid"] for e in icds] + [QUERY["grid"]]
            cases.append({"name": f"k{k}-" + ("generation" if answer is None else "answer-" + answer),
                          "icds": icds, "query": QUERY, "answer": answer, "text": text,
                          "expanded": expand(text, grids)})
    texts = [c["expanded"] for c in cases] + [c["answer"] for c in cases if c["answer"]] \
        + ["Question:" + QUERY["question"] + " Short answer:"]
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "corpus.json"), "w") as f:
            json.dump(texts, f)
        subprocess.run(["node", os.path.join(here, "tokenizer-golden.js"), tok, os.path.join(d, "corpus.json"),
                        os.path.join(d, "ids.json")], check=True)
        ids = {c["text"]: c["ids"] for c in json.load(open(os.path.join(d, "ids.json")))["cases"]}
    for c in cases:
        c["ids"] = ids[c["expanded"]]
        c["answer_alone_ids"] = ids[c["answer"]] if c["answer"] else None
        del c["expanded"]
    result = {"produced_by": "tools/vlm/prompt-golden.py",
              "reference": "transformers Qwen2-VL chat template rendered by jinja2 " + jinja2.__version__
                           + " (trim_blocks, lstrip_blocks); ids by HF tokenizers (Rust) via tools/vlm/tokenizer-golden.js",
              "chat_template": TEMPLATE, "system_prompt": SYSTEM, "query_text_ids": ids["Question:" + QUERY["question"] + " Short answer:"],
              "cases": cases}
    with open(out, "w") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    print(len(cases), "prompt cases written to", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
