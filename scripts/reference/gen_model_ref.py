#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures that the Go model tests compare against.

A small GPT-2 is written out by hand in plain torch (no transformers) and run in
float64, so the fixtures are the mathematical truth up to float64 rounding rather
than torch's own float32 rounding. For each MLP activation (gelu, relu, tanh,
sigmoid) the script writes model/testdata/ref_<activation>.bin holding the initial
weights, the batch, the logits, the loss, every parameter gradient, and the losses,
gradient norms and parameters of 5 AdamW steps (torch.optim.AdamW, global-norm
clipping 1.0, weight decay on 2-D tensors only).

File format (all little-endian):
    bytes 0..7   ASCII "GPTGOREF"
    uint32       version = 1
    uint32       n = byte length of the JSON header
    n bytes      UTF-8 JSON header (see build_header)
    rest         float64 values, tensors concatenated row-major; each tensor's
                 "offset" in the header counts float64 elements from the start
                 of this data section.

Run with Debian's torch:
    apt-get install -y python3-torch && /usr/bin/python3 scripts/reference/gen_model_ref.py
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

MAGIC = b"GPTGOREF"
VERSION = 1

CONFIG = dict(vocab=64, context=16, layers=2, heads=2, embd=32)
BATCH = 2
SEQ = 16
N_IGNORED = 3  # target positions set to -1

SEED = 20240611
# Init std for embeddings and matmul weights. GPT-2's 0.02 makes this tiny model
# nearly uniform (loss within 0.01 of ln 64 = 4.159). 0.15 gives a loss ~0.1-0.3
# above ln 64 and pre-clip gradient norms of 2-3.6, so clipping is active in every
# step. Larger stds (0.2) push logits to ~4 and float32 logit errors to ~0.8 of the
# 1e-6 + 1e-4*|ref| tolerance; 0.15 keeps float32 torch at <= ~0.5 of it.
WEIGHT_STD = 0.15
BIAS_STD = 0.02
LN_WEIGHT_STD = 0.1  # LayerNorm weight = 1 + N(0, 0.1)
LN_BIAS_STD = 0.02

# eps is 1e-5, not nanoGPT's 1e-8, on purpose. The key block of every
# attn.c_attn.bias has a gradient that is exactly zero in exact arithmetic (softmax
# is invariant to adding q.b_k to every score of a row), so a real implementation
# gets pure rounding noise there: ~1e-18 in float64 but ~1e-8 in float32. Adam
# divides by sqrt(v_hat)+eps, so with eps=1e-8 float32 noise becomes an update of
# ~0.3*lr per step and float32 torch misses the float64 parameters by ~5e-4 (46x
# the 1e-5 tolerance); the same happens for relu units whose gradient is tiny. With
# eps=1e-5 such noise moves a parameter by < 1e-6 over 5 steps, while the eps term
# is large enough that misplacing it (inside the sqrt, before bias correction)
# changes the parameters by ~1e-3 and fails the comparison.
ADAMW = dict(lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-5, weight_decay=0.1,
             grad_clip=1.0, steps=5)

ACTIVATIONS = ["gelu", "relu", "tanh", "sigmoid"]
LN_EPS = 1e-5

# Tolerances from issue 2, used for the float32 sanity check printed at the end.
TOL_ABS, TOL_REL = 1e-6, 1e-4      # logits, loss, gradients: |d| <= abs + rel*|ref|
TOL_LOSS_REL = 1e-5                # loss after each AdamW step, relative
TOL_PARAM_ABS = 1e-5               # parameters after the 5 steps, absolute


# ---------------------------------------------------------------- parameters

def param_specs(cfg):
    """(name, shape, kind) for every parameter, in fixture order (HF GPT-2 names,
    HF Conv1D [in, out] layout). kind picks the init distribution."""
    V, C, T = cfg["vocab"], cfg["embd"], cfg["context"]
    specs = [("wte", (V, C), "matrix"), ("wpe", (T, C), "matrix")]
    for l in range(cfg["layers"]):
        p = "h.%d." % l
        specs += [
            (p + "ln_1.weight", (C,), "ln_w"),
            (p + "ln_1.bias", (C,), "ln_b"),
            (p + "attn.c_attn.weight", (C, 3 * C), "matrix"),
            (p + "attn.c_attn.bias", (3 * C,), "bias"),
            (p + "attn.c_proj.weight", (C, C), "matrix"),
            (p + "attn.c_proj.bias", (C,), "bias"),
            (p + "ln_2.weight", (C,), "ln_w"),
            (p + "ln_2.bias", (C,), "ln_b"),
            (p + "mlp.c_fc.weight", (C, 4 * C), "matrix"),
            (p + "mlp.c_fc.bias", (4 * C,), "bias"),
            (p + "mlp.c_proj.weight", (4 * C, C), "matrix"),
            (p + "mlp.c_proj.bias", (C,), "bias"),
        ]
    specs += [("ln_f.weight", (C,), "ln_w"), ("ln_f.bias", (C,), "ln_b")]
    return specs


def init_params(cfg, gen):
    params = {}
    for name, shape, kind in param_specs(cfg):
        z = torch.randn(shape, generator=gen, dtype=torch.float64)
        if kind == "matrix":
            t = z * WEIGHT_STD
        elif kind == "bias":
            t = z * BIAS_STD
        elif kind == "ln_w":
            t = 1.0 + z * LN_WEIGHT_STD
        elif kind == "ln_b":
            t = z * LN_BIAS_STD
        else:
            raise ValueError(kind)
        params[name] = t
    return params


# ---------------------------------------------------------------- model

def gelu_new(x):
    # GPT-2's tanh approximation ("gelu_new").
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


ACT_FN = {
    "gelu": gelu_new,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def layer_norm(x, w, b):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # biased: divide by C
    return (x - mean) / torch.sqrt(var + LN_EPS) * w + b


def attention(x, P, p, n_head):
    B, T, C = x.shape
    hs = C // n_head
    qkv = x @ P[p + "attn.c_attn.weight"] + P[p + "attn.c_attn.bias"]  # [B,T,3C]
    q, k, v = qkv.split(C, dim=2)  # column blocks [q | k | v]
    # head h = columns h*hs .. h*hs+hs-1 of each block
    q = q.view(B, T, n_head, hs).transpose(1, 2)  # [B,NH,T,hs]
    k = k.view(B, T, n_head, hs).transpose(1, 2)
    v = v.view(B, T, n_head, hs).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # [B,NH,T,T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    att = att.masked_fill(~mask, float("-inf"))
    att = torch.softmax(att, dim=-1)  # subtracts the row max
    y = att @ v  # [B,NH,T,hs]
    y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads concatenated in order
    return y @ P[p + "attn.c_proj.weight"] + P[p + "attn.c_proj.bias"]


# When a list, mlp() appends min |pre-activation| of every call: for relu it is the
# distance to the kink, which must be far above float32 rounding (~1e-7..1e-6), or
# a float32 model takes the other branch there and one gradient term flips.
PREACT_PROBE = None


def mlp(x, P, p, act):
    h = x @ P[p + "mlp.c_fc.weight"] + P[p + "mlp.c_fc.bias"]
    if PREACT_PROBE is not None:
        PREACT_PROBE.append(float(h.detach().abs().min()))
    h = ACT_FN[act](h)
    return h @ P[p + "mlp.c_proj.weight"] + P[p + "mlp.c_proj.bias"]


def forward(P, tokens, cfg, act):
    B, T = tokens.shape
    pos = torch.arange(T)
    x = P["wte"][tokens] + P["wpe"][pos]
    for l in range(cfg["layers"]):
        p = "h.%d." % l
        x = x + attention(layer_norm(x, P[p + "ln_1.weight"], P[p + "ln_1.bias"]), P, p, cfg["heads"])
        x = x + mlp(layer_norm(x, P[p + "ln_2.weight"], P[p + "ln_2.bias"]), P, p, act)
    x = layer_norm(x, P["ln_f.weight"], P["ln_f.bias"])
    return x @ P["wte"].t()  # tied head: [B,T,V]


def loss_fn(logits, targets):
    V = logits.shape[-1]
    # mean over the non-ignored positions
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1)


# ---------------------------------------------------------------- run

def make_batch(cfg, gen):
    V = cfg["vocab"]
    tokens = torch.randint(0, V, (BATCH, SEQ), generator=gen)
    targets = torch.randint(0, V, (BATCH, SEQ), generator=gen)
    flat = targets.view(-1)
    ignored = torch.randperm(BATCH * SEQ, generator=gen)[:N_IGNORED]
    flat[ignored] = -1
    return tokens, targets


def run(init, tokens, targets, cfg, act, dtype):
    """Forward/backward at the initial weights, then ADAMW['steps'] AdamW steps on
    the same batch. Returns a dict of float64 tensors."""
    names = [n for n, _, _ in param_specs(cfg)]
    P = {n: init[n].to(dtype).clone().requires_grad_(True) for n in names}
    decay = [P[n] for n in names if P[n].dim() >= 2]
    no_decay = [P[n] for n in names if P[n].dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": ADAMW["weight_decay"]},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]), eps=ADAMW["eps"],
        weight_decay=ADAMW["weight_decay"], foreach=False)
    params = [P[n] for n in names]

    out = {}
    losses, norms = [], []
    for step in range(ADAMW["steps"]):
        opt.zero_grad(set_to_none=True)
        logits = forward(P, tokens, cfg, act)
        loss = loss_fn(logits, targets)
        loss.backward()
        if step == 0:
            out["logits"] = logits.detach().double().clone()
            out["loss"] = loss.detach().double().reshape(1).clone()
            for n in names:
                out["grad/" + n] = P[n].grad.detach().double().clone()  # before clipping
        losses.append(loss.item())
        norm = torch.nn.utils.clip_grad_norm_(params, ADAMW["grad_clip"])
        norms.append(float(norm))
        opt.step()
    with torch.no_grad():
        losses.append(loss_fn(forward(P, tokens, cfg, act), targets).item())
    out["losses"] = torch.tensor(losses, dtype=torch.float64)
    out["grad_norms"] = torch.tensor(norms, dtype=torch.float64)
    for n in names:
        out["final/" + n] = P[n].detach().double().clone()
    return out


# ---------------------------------------------------------------- file I/O

def ordered_tensors(cfg, init, tokens, targets, res):
    names = [n for n, _, _ in param_specs(cfg)]
    items = [
        ("tokens", tokens.double()),
        ("targets", targets.double()),
        ("logits", res["logits"]),
        ("loss", res["loss"]),
        ("losses", res["losses"]),
        ("grad_norms", res["grad_norms"]),
    ]
    items += [("param/" + n, init[n]) for n in names]
    items += [("grad/" + n, res["grad/" + n]) for n in names]
    items += [("final/" + n, res["final/" + n]) for n in names]
    return [(name, t.detach().cpu().double().contiguous()) for name, t in items]


def build_header(act, tensors):
    entries, off = [], 0
    for name, t in tensors:
        entries.append({"name": name, "shape": list(t.shape), "offset": off})
        off += t.numel()
    header = {
        "config": dict(CONFIG, activation=act),
        "batch": BATCH,
        "seq": SEQ,
        "adamw": dict(ADAMW),
        # Informational keys (the Go loader ignores them):
        "loss_reduction": "mean over non-ignored target positions (ignore_index=-1)",
        "generator": "scripts/reference/gen_model_ref.py, torch %s, float64" % torch.__version__,
        "seed": SEED,
        "init_std": {"matrix": WEIGHT_STD, "bias": BIAS_STD,
                     "ln_weight": "1 + N(0, %g)" % LN_WEIGHT_STD, "ln_bias": LN_BIAS_STD},
        "tensors": entries,
    }
    return header, off


def write_fixture(path, act, tensors):
    header, total = build_header(act, tensors)
    hbytes = json.dumps(header, indent=1).encode("utf-8")
    data = b"".join(np.ascontiguousarray(t.numpy(), dtype="<f8").tobytes() for _, t in tensors)
    assert len(data) == 8 * total
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<II", VERSION, len(hbytes)))
        f.write(hbytes)
        f.write(data)
    os.replace(tmp, path)


def read_fixture(path):
    """Independent reader used for the self-check."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:8] != MAGIC:
        raise ValueError("%s: bad magic %r" % (path, buf[:8]))
    version, n = struct.unpack_from("<II", buf, 8)
    if version != VERSION:
        raise ValueError("%s: version %d" % (path, version))
    header = json.loads(buf[16:16 + n].decode("utf-8"))
    raw = buf[16 + n:]
    if len(raw) % 8:
        raise ValueError("%s: data section is %d bytes, not a multiple of 8" % (path, len(raw)))
    data = np.frombuffer(raw, dtype="<f8")
    out = {}
    for e in header["tensors"]:
        cnt = int(np.prod(e["shape"])) if e["shape"] else 1
        if e["offset"] < 0 or e["offset"] + cnt > data.size:
            raise ValueError("%s: tensor %s out of range" % (path, e["name"]))
        out[e["name"]] = data[e["offset"]:e["offset"] + cnt].reshape(e["shape"])
    return header, out, data.size


def self_check(path, act, tensors):
    header, got, size = read_fixture(path)
    assert header["config"] == dict(CONFIG, activation=act), header["config"]
    assert header["batch"] == BATCH and header["seq"] == SEQ
    assert header["adamw"] == ADAMW, header["adamw"]
    assert size == sum(t.numel() for _, t in tensors), "data size mismatch"
    assert [e["name"] for e in header["tensors"]] == [n for n, _ in tensors]
    for name, t in tensors:
        want = t.numpy()
        g = got[name]
        assert g.shape == want.shape, (name, g.shape, want.shape)
        # bit-exact: compare the raw float64 bytes
        assert g.astype("<f8").tobytes() == want.astype("<f8").tobytes(), name


# ---------------------------------------------------------------- float32 sanity

def worst(ref, got, abs_tol, rel_tol):
    """max over elements of |got-ref| / (abs_tol + rel_tol*|ref|); <= 1 passes."""
    ref = ref.double()
    got = got.double()
    d = (got - ref).abs() / (abs_tol + rel_tol * ref.abs())
    return float(d.max())


def float32_check(cfg, init, tokens, targets, act, ref):
    """Run the same computation in float32 torch and report how close it lands to the
    float64 truth under the issue's tolerances. A float32 Go model cannot be expected
    to pass if float32 torch does not."""
    r32 = run(init, tokens, targets, cfg, act, torch.float32)
    names = [n for n, _, _ in param_specs(cfg)]
    rep = {
        "logits": worst(ref["logits"], r32["logits"], TOL_ABS, TOL_REL),
        "loss": worst(ref["loss"], r32["loss"], TOL_ABS, TOL_REL),
        "grads": max(worst(ref["grad/" + n], r32["grad/" + n], TOL_ABS, TOL_REL) for n in names),
        "losses": worst(ref["losses"], r32["losses"], 0.0, TOL_LOSS_REL),
        "final": max(worst(ref["final/" + n], r32["final/" + n], TOL_PARAM_ABS, 0.0) for n in names),
    }
    return rep


# ---------------------------------------------------------------- main

def main():
    torch.set_num_threads(1)  # reproducible reductions
    repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    outdir = os.path.join(repo, "model", "testdata")
    os.makedirs(outdir, exist_ok=True)
    cfg = CONFIG
    ok = True
    for act in ACTIVATIONS:
        gen = torch.Generator().manual_seed(SEED)
        init = init_params(cfg, gen)
        tokens, targets = make_batch(cfg, gen)
        global PREACT_PROBE
        PREACT_PROBE = []
        res = run(init, tokens, targets, cfg, act, torch.float64)
        min_preact, PREACT_PROBE = min(PREACT_PROBE), None
        tensors = ordered_tensors(cfg, init, tokens, targets, res)
        path = os.path.join(outdir, "ref_%s.bin" % act)
        write_fixture(path, act, tensors)
        self_check(path, act, tensors)

        gnorm_rms = math.sqrt(sum(float((res["grad/" + n] ** 2).sum()) for n, _, _ in param_specs(cfg)))
        print("%-8s %s  %d bytes" % (act, os.path.relpath(path, repo), os.path.getsize(path)))
        print("  losses     " + " ".join("%.10f" % v for v in res["losses"].tolist()))
        print("  grad norms " + " ".join("%.10f" % v for v in res["grad_norms"].tolist())
              + "  (clipped in %d of %d steps)" % (sum(v > ADAMW["grad_clip"] for v in res["grad_norms"].tolist()),
                                                  ADAMW["steps"]))
        assert abs(gnorm_rms - res["grad_norms"][0].item()) < 1e-12 * gnorm_rms
        l = res["losses"].tolist()
        if not all(b < a for a, b in zip(l, l[1:])):
            print("  WARNING: losses do not decrease monotonically")
            ok = False
        if not any(v > ADAMW["grad_clip"] for v in res["grad_norms"].tolist()):
            print("  WARNING: clipping never active")
            ok = False
        C = cfg["embd"]
        kb = max(float(res["grad/h.%d.attn.c_attn.bias" % l][C:2 * C].abs().max()) for l in range(cfg["layers"]))
        print("  max |grad| of key biases (exactly 0 in exact arithmetic): %.3g" % kb)
        print("  min |MLP pre-activation| over all forward passes: %.3g" % min_preact)
        # float32 error of a pre-activation here is ~1e-7..1e-6; keep 10x margin.
        if act == "relu" and min_preact < 1e-5:
            print("  WARNING: a relu input is within 1e-5 of the kink; float32 may take the other branch")
            ok = False
        rep = float32_check(cfg, init, tokens, targets, act, res)
        print("  float32 torch vs float64, worst |diff|/tolerance (<=1 passes): "
              + ", ".join("%s %.3g" % kv for kv in rep.items()))
        if max(rep.values()) > 0.7:
            print("  WARNING: float32 torch is within 30% of (or over) a tolerance")
            ok = False
        print("  self-check: re-read OK, bit-exact")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
