#!/usr/bin/env python3
"""Comparisons and the report of tools/gpu-check.sh. Standard library only, so it runs wherever python3 does.

  report.py compare-scores CPU.jsonl OTHER.jsonl --tol T [--relative]   answer log-probs of `lever vlm score`
  report.py compare-tokens A.jsonl B.jsonl                              generated tokens of `lever vlm generate`
  report.py compare-losses A/metrics.jsonl B/metrics.jsonl --tol T      per-epoch losses of `lever train`
  report.py step DIR NAME STATUS DETAIL [--json FILE] [--seconds S]     record one step (pass|fail|skip)
  report.py write DIR                                                   DIR/report.json + DIR/report.md; exit 1 on any fail
Each compare prints one line and exits 0 (match) or 1 (mismatch, with the worst record named).
"""
import json
import math
import os
import sys
import time


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def by_id(rows, path):
    out = {}
    for i, r in enumerate(rows):
        if "id" not in r:
            raise SystemExit("%s: line %d has no \"id\"" % (path, i + 1))
        out[r["id"]] = r
    return out


def compare_scores(a_path, b_path, tol, relative):
    a, b = by_id(read_jsonl(a_path), a_path), by_id(read_jsonl(b_path), b_path)
    if set(a) != set(b):
        print("MISMATCH: ids differ: %s" % sorted(set(a) ^ set(b))[:5])
        return 1
    worst, where = 0.0, None
    for k in a:
        x, y = a[k]["token_logprobs"], b[k]["token_logprobs"]
        if len(x) != len(y):
            print("MISMATCH: %s: %d vs %d answer tokens" % (k, len(x), len(y)))
            return 1
        if relative:  # relative error of the mean log-prob (the engine guide's bf16 criterion)
            mx, my = a[k]["logprob_mean"], b[k]["logprob_mean"]
            e = abs(mx - my) / max(abs(mx), 1e-12)
        else:
            e = max((abs(p - q) / max(1.0, abs(p)) for p, q in zip(x, y)), default=0.0)
        if not math.isfinite(e) or e > worst:
            worst, where = (e if math.isfinite(e) else float("inf")), k
    ok = worst <= tol
    print("%s: %d prompts, worst %s error %.3g at %s (tol %.3g)" % ("ok" if ok else "MISMATCH", len(a),
          "relative mean log-prob" if relative else "per-token", worst, where, tol))
    return 0 if ok else 1


def compare_tokens(a_path, b_path):
    a, b = by_id(read_jsonl(a_path), a_path), by_id(read_jsonl(b_path), b_path)
    bad = [k for k in a if k not in b or a[k]["tokens"] != b[k]["tokens"]]
    if bad or set(a) != set(b):
        k = bad[0] if bad else sorted(set(a) ^ set(b))[0]
        print("MISMATCH: %d of %d differ, first %s: %s vs %s" % (len(bad), len(a), k, a.get(k, {}).get("tokens"),
                                                                 b.get(k, {}).get("tokens")))
        return 1
    print("ok: %d generations, identical tokens" % len(a))
    return 0


def compare_losses(a_path, b_path, tol):
    def losses(p):
        rows = [r for r in read_jsonl(p) if "loss" in r or "train_loss" in r]
        return [(r.get("phase", ""), r.get("epoch"), r.get("step"), r.get("train_loss", r.get("loss"))) for r in rows]
    a, b = losses(a_path), losses(b_path)
    if not a or len(a) != len(b):
        print("MISMATCH: %d vs %d loss records" % (len(a), len(b)))
        return 1
    worst, where = 0.0, None
    for x, y in zip(a, b):
        e = abs(x[3] - y[3]) / max(1.0, abs(x[3]))
        if not math.isfinite(e) or e > worst:
            worst, where = (e if math.isfinite(e) else float("inf")), x[:3]
    ok = worst <= tol
    print("%s: %d loss records, worst relative difference %.3g at %s (tol %.3g)" % ("ok" if ok else "MISMATCH", len(a),
                                                                                   worst, where, tol))
    return 0 if ok else 1


def step(d, name, status, detail, json_file=None, seconds=None):
    if status not in ("pass", "fail", "skip"):
        raise SystemExit("status must be pass, fail or skip, not %r" % status)
    os.makedirs(d, exist_ok=True)
    rec = {"name": name, "status": status, "detail": detail, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if seconds is not None:
        rec["seconds"] = float(seconds)
    if json_file and os.path.exists(json_file):
        with open(json_file) as f:
            rec["data"] = json.load(f)
    with open(os.path.join(d, "steps.jsonl"), "a") as f:
        f.write(json.dumps(rec) + "\n")
    print("[%s] %s: %s" % (status.upper(), name, detail), flush=True)
    return 0


def fmt_bytes(n):
    return "-" if n is None else "%.1f MiB" % (n / 2**20)


def write(d):
    steps = read_jsonl(os.path.join(d, "steps.jsonl")) if os.path.exists(os.path.join(d, "steps.jsonl")) else []
    env = {}
    if os.path.exists(os.path.join(d, "env.json")):
        with open(os.path.join(d, "env.json")) as f:
            env = json.load(f)
    failed = [s["name"] for s in steps if s["status"] == "fail"]
    report = {"env": env, "steps": steps, "pass": not failed and bool(steps), "failed": failed}
    tmp = os.path.join(d, ".report.json.tmp")
    with open(tmp, "w") as f:
        json.dump(report, f, indent=1)
    os.replace(tmp, os.path.join(d, "report.json"))
    md = ["# Lever GPU check", ""]
    for k in ("date", "host", "gpu", "driver", "nvcc", "java", "torch", "transformers", "mode"):
        if k in env:
            md.append("- %s: %s" % (k, env[k]))
    md += ["", "| step | status | seconds | detail |", "|---|---|---|---|"]
    for s in steps:
        md.append("| %s | %s | %s | %s |" % (s["name"], s["status"], "%.1f" % s["seconds"] if "seconds" in s else "",
                                             s["detail"].replace("|", "/")))
    for s in steps:
        data = s.get("data") or {}
        if data.get("timings"):
            how = "CUDA events" if data.get("device") == "cuda" else "wall clock, CPU"
            md += ["", "## %s: timings on %s (median of timed runs after warm-up, %s)" % (s["name"], data.get("gpu", data.get("device")), how), "",
                   "| kernel | Lever ms | composite ms | speed-up | Lever extra memory | composite extra memory |",
                   "|---|---|---|---|---|---|"]
            for t in data["timings"]:
                comp = t.get("composite_f32_ms", t.get("composite_ms"))
                sp = t.get("speedup_vs_composite_f32", t.get("speedup_vs_composite"))
                md.append("| %s | %.3f | %.3f | %.2fx | %s | %s |" % (
                    t["name"], t["lever_ms"], comp, sp, fmt_bytes(t.get("lever_workspace_bytes")),
                    fmt_bytes(t.get("composite_f32_peak_extra_bytes"))))
                if "composite_bf16_matmul_ms" in t:
                    md.append("| (same, composite with a bf16 matmul) | | %.3f | %.2fx | | %s |" % (
                        t["composite_bf16_matmul_ms"], t["composite_bf16_matmul_ms"] / t["lever_ms"],
                        fmt_bytes(t.get("composite_bf16_matmul_peak_extra_bytes"))))
        if data.get("checks"):
            md += ["", "## %s: checks" % s["name"], ""]
            for c in data["checks"]:
                extra = c.get("detail") or ("max rel err %.3g (tol %.1g)" % (c["max_rel_err"], c["tol"]))
                md.append("- %s %s: %s" % ("ok" if c["pass"] else "FAIL", c["name"], extra))
    md += ["", "Result: **%s**" % ("PASS" if report["pass"] else "FAIL: " + ", ".join(failed) if failed else "NO STEPS"), ""]
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write("\n".join(md))
    print("report: %s (%s)" % (os.path.join(d, "report.md"), "PASS" if report["pass"] else "FAIL"))
    return 0 if report["pass"] else 1


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    cmd, rest = argv[0], argv[1:]

    def opt(name, default=None):
        if name in rest:
            i = rest.index(name)
            v = rest[i + 1]
            del rest[i:i + 2]
            return v
        return default

    def flag(name):
        if name in rest:
            rest.remove(name)
            return True
        return False
    if cmd == "compare-scores":
        tol, rel = float(opt("--tol", "1e-4")), flag("--relative")
        return compare_scores(rest[0], rest[1], tol, rel)
    if cmd == "compare-tokens":
        return compare_tokens(rest[0], rest[1])
    if cmd == "compare-losses":
        tol = float(opt("--tol", "1e-4"))
        return compare_losses(rest[0], rest[1], tol)
    if cmd == "step":
        jf, sec = opt("--json"), opt("--seconds")
        return step(rest[0], rest[1], rest[2], rest[3] if len(rest) > 3 else "", jf, sec)
    if cmd == "write":
        return write(rest[0])
    print("unknown command %r\n%s" % (cmd, __doc__))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
