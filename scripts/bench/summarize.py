#!/usr/bin/python3
"""Turns the raw outputs of compare.sh (one results folder) into markdown tables.

File names in the folder (written by compare.sh):
  gpt_<run>_r<round>.json          `gpt bench -o json` output (a JSON array)
  gpt_<run>_r<round>.rss           peak RSS of that gpt process, KiB
  torch_<run>_<env>_r<round>.jsonl torch_train.py / torch_generate.py JSON lines
  numpy_gemm_<env>.jsonl           numpy_gemm.py JSON lines
  go_gemm.txt                      `go test -bench` output of kernels.BenchmarkGemm
  meta.json                        what/where/when (uptime, git, env)
<run> is trainT, trainM, genT or genM. <env> is asis, unset or passive.

For every (row, implementation, env) the value is the median over rounds of
each run's own median tok/s; PyTorch's column is its best environment.

  /usr/bin/python3 scripts/bench/summarize.py /tmp/gptgo-bench-XXXX
"""

import glob
import json
import os
import re
import sys

ENVS = ["asis", "unset", "passive"]
ENV_DESC = {
    "asis": "as-is",
    "unset": "OPENBLAS_CORETYPE/L2_SIZE unset",
    "passive": "unset + OMP_WAIT_POLICY=passive",
}
CONFIG_LABEL = {"T": "T", "M": "124M"}
PRESET_CONFIG = {"tiny": "T", "gpt2": "M"}


def median(xs):
    s = sorted(x for x in xs if x is not None)
    if not s:
        return None
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def row_key(run, test):
    """(sort key, label) of a table row."""
    cfg = run[-1]  # trainT -> T
    lab = CONFIG_LABEL.get(cfg, cfg)
    if run.startswith("train"):
        return (0, 0 if cfg == "T" else 1, 0), "train %s" % lab
    kind = re.match(r"[a-z]+", test).group(0)
    n = int(re.search(r"\d+", test).group(0))
    return (1 if kind == "tg" else 2, 0 if cfg == "M" else 1, n), "%s%d %s" % (kind, n, lab)


def load(folder):
    """records: dict[(sortkey, label)] -> dict[(impl, env)] -> list of (tok/s, rss MB)."""
    rows = {}

    def add(key, impl, env, tps, rss=None):
        rows.setdefault(key, {}).setdefault((impl, env), []).append((tps, rss))

    for path in sorted(glob.glob(os.path.join(folder, "gpt_*_r*.json"))):
        m = re.match(r"gpt_(\w+?)_r(\d+)\.json$", os.path.basename(path))
        if not m:
            continue
        run = m.group(1)
        rss = None
        try:
            with open(path[:-5] + ".rss") as f:
                rss = int(f.read().strip()) / 1024.0
        except (OSError, ValueError):
            pass
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print("warning: %s: %s" % (path, e), file=sys.stderr)
            continue
        for model in data:
            for res in model.get("results", []):
                test = res.get("test", "")
                if run.startswith("train") != test.startswith("train"):
                    continue
                add(row_key(run, test), "gptgo", "", res.get("median_tps"),
                    rss if run.startswith("train") else None)
    for path in sorted(glob.glob(os.path.join(folder, "torch_*_r*.jsonl"))):
        m = re.match(r"torch_(\w+?)_(asis|unset|passive)_r(\d+)\.jsonl$", os.path.basename(path))
        if not m:
            continue
        run, env = m.group(1), m.group(2)
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                if "tok_per_s" not in d:
                    continue
                test = d.get("test", "train")
                add(row_key(run, test), "pytorch", env, d["tok_per_s"],
                    d.get("peak_rss_mb") if run.startswith("train") else None)
    return rows


def fmt(x, digits=0):
    if x is None:
        return "-"
    if digits == 0:
        return "{:,.0f}".format(x) if x >= 100 else "{:,.1f}".format(x)
    return "{:.{}f}".format(x, digits)


def throughput_table(rows, asis_same=False):
    out = []
    out.append("| config | gptgo tok/s | PyTorch tok/s (best env) | ratio | PyTorch best env | "
               "PyTorch as-is / unset / passive | peak RSS MB gptgo / PyTorch |")
    out.append("|---|---:|---:|---:|---|---|---|")
    for key in sorted(rows):
        cell = rows[key]
        g = cell.get(("gptgo", ""), [])
        g_tps = median(t for t, _ in g)
        g_rss = median(r for _, r in g)
        per_env = {}
        for env in ENVS:
            vals = cell.get(("pytorch", env))
            if vals:
                per_env[env] = (median(t for t, _ in vals), median(r for _, r in vals))
        best_env = max(per_env, key=lambda e: per_env[e][0] or 0) if per_env else None
        p_tps = per_env[best_env][0] if best_env else None
        p_rss = per_env[best_env][1] if best_env else None
        ratio = "%.2fx" % (g_tps / p_tps) if g_tps and p_tps else "-"
        envs = " / ".join(fmt(per_env[e][0]) if e in per_env else
                          ("=unset" if e == "asis" and asis_same else "-") for e in ENVS)
        rss = "-"
        if g_rss or p_rss:
            rss = "%s / %s" % (fmt(g_rss), fmt(p_rss))
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            key[1], fmt(g_tps), fmt(p_tps), ratio, ENV_DESC.get(best_env, "-"), envs, rss))
    return "\n".join(out)


def gemm_table(folder, asis_same=False):
    numpy = {}
    for env in ("asis", "unset"):
        path = os.path.join(folder, "numpy_gemm_%s.jsonl" % env)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                numpy.setdefault(d["shape"], {})[env] = d
    ours = {}
    path = os.path.join(folder, "go_gemm.txt")
    if os.path.exists(path):
        pat = re.compile(r"^BenchmarkGemm/(\w+?)_(M\d+_K\d+_N\d+)/ours(?:-\d+)?\s+\d+\s+(.*)$")
        with open(path) as f:
            for line in f:
                m = pat.match(line.strip())
                if not m:
                    continue
                trans, shape, rest = m.groups()
                metrics = dict((u, float(v)) for v, u in re.findall(r"([\d.eE+-]+) (\S+)", rest))
                ours.setdefault((trans, shape), []).append(metrics)
    if not numpy and not ours:
        return None
    shapes = list(numpy)
    for (trans, shape) in ours:
        if trans == "NN" and shape not in shapes:
            shapes.append(shape)
    out = []
    out.append("| shape (C[M,N] = A[M,K] B[K,N]) | gptgo GFLOP/s | numpy as-is | numpy unset | "
               "gptgo / numpy best | gptgo GFLOP/cpu-s | numpy GFLOP/cpu-s (best env) | ratio per cpu-s |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape in shapes:
        o = ours.get(("NN", shape), [])
        g = median(x.get("GFLOP/s") for x in o)
        gc = median(x.get("GFLOP/cpu-s") for x in o)
        n = numpy.get(shape, {})
        na = n.get("asis", {}).get("gflops")
        nu = n.get("unset", {}).get("gflops")
        best = max([x for x in (na, nu) if x is not None], default=None)
        best_env = "asis" if best is not None and best == na else "unset"
        nc = n.get(best_env, {}).get("gflops_cpu")
        ratio = "%.2f" % (g / best) if g and best else "-"
        ratio_c = "%.2f" % (gc / nc) if gc and nc else "-"
        na_s = fmt(na, 1) if na is not None else ("=unset" if asis_same and nu is not None else "-")
        out.append("| NN %s | %s | %s | %s | %s | %s | %s | %s |" % (
            shape, fmt(g, 1), na_s, fmt(nu, 1), ratio, fmt(gc, 1), fmt(nc, 1), ratio_c))
    extra = sorted(k for k in ours if k[0] != "NN")
    if extra:
        out.append("")
        out.append("Other gptgo GEMM benchmarks in this run (median GFLOP/s):")
        out.append("")
        out.append("| case | GFLOP/s | GFLOP/cpu-s |")
        out.append("|---|---:|---:|")
        for k in extra:
            o = ours[k]
            out.append("| %s %s | %s | %s |" % (k[0], k[1], fmt(median(x.get("GFLOP/s") for x in o), 1),
                                                fmt(median(x.get("GFLOP/cpu-s") for x in o), 1)))
    return "\n".join(out)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    folder = sys.argv[1]
    meta = {}
    try:
        with open(os.path.join(folder, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        pass
    if meta:
        print("Run: %s" % ", ".join("%s: %s" % (k, v) for k, v in meta.items()))
        print()
    rows = load(folder)
    if rows:
        print("### Throughput (tok/s, medians; ratio = gptgo / PyTorch best env)")
        print()
        asis_same = (meta.get("OPENBLAS_CORETYPE") == "(unset)" and meta.get("OPENBLAS_L2_SIZE") == "(unset)")
        print(throughput_table(rows, asis_same))
        print()
    g = gemm_table(folder, meta.get("OPENBLAS_CORETYPE") == "(unset)" and meta.get("OPENBLAS_L2_SIZE") == "(unset)")
    if g:
        print("### fp32 GEMM, %s threads (GFLOP/s, medians)" % meta.get("threads", "?"))
        print()
        print(g)
        print()


if __name__ == "__main__":
    main()
