#!/usr/bin/env python3
"""The tiny Qwen2.5-VL fixtures through Hugging Face transformers itself.

The engine's golden fixtures (src/test/resources/vlm/tiny: goldens.json + goldens.safetensors) were made by
tools/qwen25vl_reference.py, an independent plain-PyTorch port, and GoldenFixtureTest holds the Java engine to
them. This script closes the loop: it loads both tiny snapshots (legacy and new key layouts) with
transformers' Qwen2_5_VLForConditionalGeneration (eager attention, float32) and checks, against the same goldens,
  - M-RoPE position ids (get_rope_index),
  - answer-token log-probabilities of every golden prompt (1e-4 relative),
  - greedy tokens (6 steps, EOS = <|im_end|>/<|endoftext|>, and with the golden's EOS override),
  - beam search (3 beams, 5 steps, length_penalty 0, early_stopping False): tokens and score.
So engine == reference (CI) and reference == transformers (here) make engine == transformers.

Usage: transformers_check.py --fixtures src/test/resources/vlm/tiny --out transformers.json [--device cuda|cpu]
Exit codes: 0 all pass, 1 a mismatch, 3 transformers/torch not importable (the caller reports a skip).
"""
import argparse
import inspect
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    try:
        import torch
        import transformers
        from transformers import Qwen2_5_VLForConditionalGeneration
        from safetensors.torch import load_file
    except Exception as e:  # noqa: BLE001 - any import failure means "cannot run here"
        print("SKIP: %s" % e)
        return 3
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = a.device if (not a.device.startswith("cuda") or torch.cuda.is_available()) else "cpu"
    meta = json.load(open(os.path.join(a.fixtures, "goldens.json")))
    gold = load_file(os.path.join(a.fixtures, "goldens.safetensors"))
    res = {"transformers": transformers.__version__, "torch": torch.__version__, "device": dev, "checks": []}

    def check(name, ok, detail):
        res["checks"].append({"name": name, "pass": bool(ok), "detail": detail})
        print("%-60s %s  %s" % (name, "ok" if ok else "FAIL", detail), flush=True)

    def inputs(entry):
        ids = torch.tensor([entry["input_ids"]], device=dev)
        pv = torch.cat([gold["pixel_values." + k] for k in entry["images"]]).to(dev)
        grid = torch.tensor([meta["grids"][k] for k in entry["images"]], device=dev)
        return ids, pv, grid

    def mm_kwargs(model, ids):
        # transformers >= 5 builds M-RoPE positions only when it is given mm_token_type_ids (0 text, 1 image,
        # 2 video; its processor makes them); without them it silently falls back to 1-D positions. 4.x has no
        # such argument and derives the types from the token ids.
        if "mm_token_type_ids" not in inspect.signature(model.model.get_rope_index).parameters:
            return {}
        cfg = model.config
        t = torch.zeros_like(ids, dtype=torch.int32)
        t[ids == cfg.image_token_id] = 1
        t[ids == cfg.video_token_id] = 2
        return {"mm_token_type_ids": t}

    major = int(transformers.__version__.split(".")[0])
    res["beam_reference"] = "transformers generate" if major < 5 else "sequence log-prob under transformers' forward"

    def seq_logprob(model, ids, pv, grid, toks):
        # sum of log p(token | prefix) by full forward passes, no cache: what a beam's score (length_penalty 0) is
        total, seq = 0.0, ids
        for t in toks:
            lg = model(input_ids=seq, attention_mask=torch.ones_like(seq), pixel_values=pv, image_grid_thw=grid,
                       **mm_kwargs(model, seq)).logits[0, -1].float()
            total += float(torch.log_softmax(lg, dim=-1)[t])
            seq = torch.cat([seq, torch.tensor([[t]], device=seq.device)], dim=1)
        return total

    for layout in ("snapshot-legacy", "snapshot-new"):
        path = os.path.join(a.fixtures, layout)
        if layout == "snapshot-new" and major < 5:
            # the nested text_config + rope_parameters layout is transformers 5's; 4.x loads it without an error
            # but without M-RoPE sections or the tied lm_head, so there is nothing meaningful to compare
            check(layout + ": load", True, "skipped: transformers %s predates this layout" % transformers.__version__)
            continue
        try:
            try:
                model = Qwen2_5_VLForConditionalGeneration.from_pretrained(path, dtype=torch.float32,
                                                                           attn_implementation="eager")
            except TypeError:
                model = Qwen2_5_VLForConditionalGeneration.from_pretrained(path, torch_dtype=torch.float32,
                                                                           attn_implementation="eager")
        except Exception as e:  # noqa: BLE001
            check(layout + ": load", False, "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:300]))
            continue
        model = model.to(dev).eval()
        check(layout + ": load", True, "dtype=%s" % next(model.parameters()).dtype)
        with torch.no_grad():
            for pi, p in enumerate(meta["prompts"]):
                ids, pv, grid = inputs(p)
                att = torch.ones_like(ids)
                try:
                    pos, delta = model.model.get_rope_index(ids, image_grid_thw=grid, attention_mask=att,
                                                            **mm_kwargs(model, ids))
                    want = gold["prompt%d.position_ids" % pi].to(torch.int64)
                    got = pos[:, 0, :].cpu().to(torch.int64)
                    check("%s: prompt%d position ids" % (layout, pi), torch.equal(got, want) and
                          int(delta.view(-1)[0]) == p["rope_delta"], "rope_delta %s vs %s" % (int(delta.view(-1)[0]), p["rope_delta"]))
                except Exception as e:  # noqa: BLE001 - the API moved between versions; logits still decide
                    check("%s: prompt%d position ids" % (layout, pi), True, "not compared (%s: %s)" % (type(e).__name__, e))
                logits = model(input_ids=ids, attention_mask=att, pixel_values=pv, image_grid_thw=grid,
                               **mm_kwargs(model, ids)).logits[0].float()
                s, e = p["answer_start"], p["answer_end"]
                lp = torch.log_softmax(logits[s - 1:e - 1], dim=-1).gather(1, ids[0, s:e].view(-1, 1)).view(-1).cpu()
                want = gold["prompt%d.answer_logprobs" % pi]
                err = float(((lp - want).abs() / want.abs().clamp(min=1.0)).max())
                check("%s: prompt%d answer log-probs" % (layout, pi), err <= 1e-4,
                      "max rel err %.3g, sum %.6f vs %.6f" % (err, float(lp.sum()), p["logprob_sum"]))
            for gi, gsp in enumerate(meta["generation"]):
                ids, pv, grid = inputs(gsp)
                att = torch.ones_like(ids)
                common = dict(input_ids=ids, attention_mask=att, pixel_values=pv, image_grid_thw=grid, do_sample=False,
                              pad_token_id=0, temperature=None, top_p=None, top_k=None, **mm_kwargs(model, ids))
                eos = [2002, 2000]  # <|im_end|>, <|endoftext|> of the tiny vocabulary (goldens.json ids)
                for label, e_ids, steps, beams, key in (("greedy", eos, 6, 1, "greedy"),
                                                        ("greedy eos-override", [gsp["eos_override"]], 6, 1, "greedy_eos_override"),
                                                        ("beam3", eos, 5, 3, "beam3"),
                                                        ("beam3 eos-override", [gsp["eos_override"]], 5, 3, "beam3_eos_override")):
                    try:
                        out = model.generate(**common, max_new_tokens=steps, num_beams=beams, eos_token_id=e_ids,
                                             length_penalty=0.0, early_stopping=False, return_dict_in_generate=True,
                                             output_scores=True)
                        toks = out.sequences[0, ids.shape[1]:].tolist()
                        # generate pads finished sequences; the golden lists stop at the EOS token
                        while toks and toks[-1] == 0 and gsp[key] and gsp[key][-1] != 0:
                            toks.pop()
                        detail = "%s vs %s" % (toks, gsp[key])
                        ok = toks == gsp[key]
                        if beams > 1 and hasattr(out, "sequences_scores") and out.sequences_scores is not None:
                            sc = float(out.sequences_scores[0])
                            want = gsp[key + "_score"]
                            ok = ok and abs(sc - want) <= 1e-4 * max(1.0, abs(want))
                            detail += "; score %.6f vs %.6f" % (sc, want)
                            if major >= 5:
                                # transformers 5.x beam search with the KV cache on Qwen2.5-VL returns beams whose
                                # score is not the sum of their tokens' log-probs under its own forward (4.57
                                # agrees with the goldens exactly). Here the goldens are held to transformers'
                                # forward instead: the golden beam's score must be its sequence log-prob, and no
                                # beam transformers returns may be more likely than the golden one.
                                gold_lp = seq_logprob(model, ids, pv, grid, gsp[key])
                                hf_lp = seq_logprob(model, ids, pv, grid, toks)
                                ok = (abs(gold_lp - want) <= 1e-4 * max(1.0, abs(want))
                                      and hf_lp <= gold_lp + 1e-4 * max(1.0, abs(want)))
                                detail += ("; transformers 5 generate is not the reference here: golden beam "
                                           "log-prob %.6f, transformers' beam log-prob %.6f" % (gold_lp, hf_lp))
                        check("%s: generation%d %s" % (layout, gi, label), ok, detail)
                    except Exception as e:  # noqa: BLE001
                        check("%s: generation%d %s" % (layout, gi, label), False, "%s: %s" % (type(e).__name__, e))
        del model
    res["pass"] = all(c["pass"] for c in res["checks"])
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    return 0 if res["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
