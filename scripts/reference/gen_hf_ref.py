#!/usr/bin/python3
"""Hugging Face GPT-2 interop fixtures for gptgo's checkpoints package.

1. Builds a small random GPT-2 in Hugging Face's layout and names (Conv1D
   weights [in, out], causal-mask buffers h.N.attn.bias / masked_bias, no
   lm_head), writes checkpoints/testdata/hf_tiny/model.safetensors and
   config.json, and records the float64 logits and loss on a fixed token
   sequence in checkpoints/testdata/hf_tiny/ref.json.
2. Loads checkpoints/testdata/gptgo_tiny/ (exported by gptgo's test, see
   TestGptgoTinyFixture), evaluates it here and checks that the loss equals
   the one gptgo recorded (prints OK or FAIL; exit status 1 on FAIL).

Plain torch, struct and json: no transformers, no safetensors package.
Usage: /usr/bin/python3 scripts/reference/gen_hf_ref.py [--check-only]
"""

import json
import math
import os
import struct
import sys

import torch

torch.set_num_threads(1)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HF_DIR = os.path.join(ROOT, "checkpoints", "testdata", "hf_tiny")
GPTGO_DIR = os.path.join(ROOT, "checkpoints", "testdata", "gptgo_tiny")

CONFIG = dict(vocab_size=96, n_positions=32, n_layer=2, n_head=2, n_embd=32)
SEED = 20240707
SEQ = 32  # tokens evaluated (one sequence, the full context)


# --- safetensors, written and read by hand ---------------------------------

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.uint8: "U8", torch.bool: "BOOL"}


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, torch tensor); written in order, little-endian."""
    header = {"__metadata__": metadata}
    blobs, off = [], 0
    for name, t in tensors:
        t = t.contiguous()
        b = t.numpy().tobytes()  # little-endian on this machine
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Returns ({name: float64 tensor}, metadata); checks the layout rules."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n <= 100_000_000 and 8 + n <= len(raw), "bad header length"
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    pos, out = 0, {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, en = e["data_offsets"]
        assert b == pos, "gap or overlap at %s" % name
        assert e["dtype"] == "F32", "%s: dtype %s" % (name, e["dtype"])
        count = math.prod(e["shape"])
        assert en - b == 4 * count, "%s: size" % name
        vals = struct.unpack("<%df" % count, data[b:en])
        out[name] = torch.tensor(vals, dtype=torch.float64).reshape(e["shape"])
        pos = en
    assert pos == len(data), "trailing data"
    return out, meta


# --- GPT-2 in float64, Hugging Face names and layout -----------------------

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


ACTS = {"gelu_new": gelu_new, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased, as GPT-2
    return (x - mean) / torch.sqrt(var + 1e-5) * w + b


def forward(p, cfg, tokens):
    """p: {hf name: float64 tensor}; tokens: [B, T] long. Returns logits [B, T, V]."""
    B, T = tokens.shape
    C, NH = cfg["n_embd"], cfg["n_head"]
    hs = C // NH
    act = ACTS[cfg.get("activation_function", "gelu_new")]
    x = p["wte.weight"][tokens] + p["wpe.weight"][:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        h = "h.%d." % l
        a = layer_norm(x, p[h + "ln_1.weight"], p[h + "ln_1.bias"])
        qkv = a @ p[h + "attn.c_attn.weight"] + p[h + "attn.c_attn.bias"]  # Conv1D: x @ W + b
        q, k, v = qkv.split(C, dim=-1)
        q = q.view(B, T, NH, hs).transpose(1, 2)
        k = k.view(B, T, NH, hs).transpose(1, 2)
        v = v.view(B, T, NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ p[h + "attn.c_proj.weight"] + p[h + "attn.c_proj.bias"]
        m = layer_norm(x, p[h + "ln_2.weight"], p[h + "ln_2.bias"])
        m = act(m @ p[h + "mlp.c_fc.weight"] + p[h + "mlp.c_fc.bias"])
        x = x + m @ p[h + "mlp.c_proj.weight"] + p[h + "mlp.c_proj.bias"]
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"])
    return x @ p["wte.weight"].T  # tied head


def loss_of(logits, targets):
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)).item()


# --- 1. the Hugging Face fixture --------------------------------------------

def make_hf_fixture():
    g = torch.Generator().manual_seed(SEED)
    V, T, L, C = CONFIG["vocab_size"], CONFIG["n_positions"], CONFIG["n_layer"], CONFIG["n_embd"]

    def normal(std, *shape):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * std).float()

    # std 0.15 rather than GPT-2's 0.02 so the logits are far from uniform
    # and a misplaced tensor shows; LayerNorm and biases are not trivial.
    params = [("wte.weight", normal(0.15, V, C)), ("wpe.weight", normal(0.15, T, C))]
    buffers = []
    for l in range(L):
        h = "h.%d." % l
        params += [
            (h + "ln_1.weight", 1 + normal(0.1, C)), (h + "ln_1.bias", normal(0.02, C)),
            (h + "attn.c_attn.weight", normal(0.15, C, 3 * C)), (h + "attn.c_attn.bias", normal(0.02, 3 * C)),
            (h + "attn.c_proj.weight", normal(0.15, C, C)), (h + "attn.c_proj.bias", normal(0.02, C)),
            (h + "ln_2.weight", 1 + normal(0.1, C)), (h + "ln_2.bias", normal(0.02, C)),
            (h + "mlp.c_fc.weight", normal(0.15, C, 4 * C)), (h + "mlp.c_fc.bias", normal(0.02, 4 * C)),
            (h + "mlp.c_proj.weight", normal(0.15, 4 * C, C)), (h + "mlp.c_proj.bias", normal(0.02, C)),
        ]
        # The causal-mask buffers old Hugging Face exports carry; gptgo skips them.
        buffers += [(h + "attn.bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T)),
                     (h + "attn.masked_bias", torch.tensor(-1e4))]
    params += [("ln_f.weight", 1 + normal(0.1, C)), ("ln_f.bias", normal(0.02, C))]
    # Interleave the buffers after each layer's tensors, alphabetical like HF.
    tensors = sorted(params + buffers, key=lambda kv: kv[0])

    seq = torch.randint(0, V, (SEQ + 1,), generator=g)
    tokens, targets = seq[:SEQ].view(1, SEQ), seq[1:].view(1, SEQ)
    p64 = {n: t.double() for n, t in params}  # float32 weights, float64 arithmetic
    logits = forward(p64, CONFIG, tokens)
    loss = loss_of(logits, targets)

    os.makedirs(HF_DIR, exist_ok=True)
    write_safetensors(os.path.join(HF_DIR, "model.safetensors"), tensors, {"format": "pt"})
    cfg = dict(CONFIG, architectures=["GPT2LMHeadModel"], model_type="gpt2", n_ctx=T,
               activation_function="gelu_new", layer_norm_epsilon=1e-5)
    with open(os.path.join(HF_DIR, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    ref = {"batch": 1, "seq": SEQ, "tokens": tokens.flatten().tolist(), "targets": targets.flatten().tolist(),
           "loss": loss, "logits": [float("%.12g" % v) for v in logits.flatten().tolist()]}
    with open(os.path.join(HF_DIR, "ref.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")

    # Re-read what was written and check it evaluates the same.
    back, _ = read_safetensors(os.path.join(HF_DIR, "model.safetensors"))
    back = {n: t for n, t in back.items() if not n.endswith((".attn.bias", ".attn.masked_bias"))}
    again = loss_of(forward(back, CONFIG, tokens), targets)
    assert again == loss, (again, loss)
    print("wrote %s: loss %.6f (ln V = %.6f), logits std %.3f" % (os.path.relpath(HF_DIR), loss, math.log(V), logits.std().item()))


# --- 2. check the fixture gptgo exported -------------------------------------

def check_gptgo_fixture():
    p, meta = read_safetensors(os.path.join(GPTGO_DIR, "model.safetensors"))
    with open(os.path.join(GPTGO_DIR, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(GPTGO_DIR, "ref.json")) as f:
        ref = json.load(f)
    B, T = ref["batch"], ref["seq"]
    tokens = torch.tensor(ref["tokens"]).view(B, T)
    targets = torch.tensor(ref["targets"]).view(B, T)
    loss = loss_of(forward(p, cfg, tokens), targets)
    rel = abs(loss - ref["loss"]) / abs(ref["loss"])
    ok = rel <= 1e-5
    print("gptgo_tiny (%s, V %d, L %d, NH %d, C %d): torch float64 loss %.9f, gptgo float32 loss %.9f, rel diff %.2e: %s"
          % (meta.get("gptgo.version", "?"), cfg["vocab_size"], cfg["n_layer"], cfg["n_head"], cfg["n_embd"],
             loss, ref["loss"], rel, "OK" if ok else "FAIL"))
    return ok


if __name__ == "__main__":
    if "--check-only" not in sys.argv[1:]:
        make_hf_fixture()
    if not os.path.exists(os.path.join(GPTGO_DIR, "ref.json")):
        print("no %s yet: run go test ./checkpoints/ -run TestGptgoTinyFixture -update" % GPTGO_DIR)
        sys.exit(1)
    sys.exit(0 if check_gptgo_fixture() else 1)
