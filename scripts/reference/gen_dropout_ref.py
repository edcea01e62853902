#!/usr/bin/env python3
"""Generate model/testdata/ref_dropout.bin: the PyTorch float64 reference for
training with dropout.

The model, weights, batch and optimizer are gen_model_ref.py's (gelu). Dropout
at rate P sits where nanoGPT puts it: on the embedding sum, on the attention
probabilities, and on the outputs of the attention and MLP projections. The
masks are explicit tensors, drawn with gptgo's keyed hash (kernels/dropout.go,
re-implemented below in numpy), and applied as torch code: x * mask / (1 - P).
So the fixture checks gptgo's forward and backward with dropout against
autograd, and its masks (stored in the file) against gptgo's.

Every one of the 5 AdamW steps uses the same masks (the same key): the file's
final/ tensors are for that run, and the loss still falls with them.

    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 scripts/reference/gen_dropout_ref.py
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_model_ref as ref  # noqa: E402

P = 0.2
KEY = 0x5EED2024
ACT = "gelu"

U64 = np.uint64


def drop_hash(key, idx):
    """kernels.dropHash: key + (i+1)*golden, then SplitMix64's finaliser."""
    with np.errstate(over="ignore"):
        z = U64(key) + (idx.astype(U64) + U64(1)) * U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
        return z ^ (z >> U64(31))


def sub(key, n):
    """kernels.Dropout.Sub: the key of sub-layer n."""
    return int(drop_hash(key, np.array([n ^ 0xD1B54A32D192ED03], dtype=U64))[0])


def threshold(p):
    """P (as a float32) times 2^64, rounded down: below it an element drops."""
    return int(float(np.float32(p)) * 2.0 ** 64)


def mask(key, shape):
    n = int(np.prod(shape))
    keep = drop_hash(key, np.arange(n, dtype=U64)) >= U64(threshold(P))
    return torch.from_numpy(keep.reshape(shape).astype(np.float64))


def masks(cfg):
    """The pass's masks by name: model.blockDropout's layout of sub-keys."""
    B, T, C, NH = ref.BATCH, ref.SEQ, cfg["embd"], cfg["heads"]
    out = {"mask/embd": mask(sub(KEY, 0), (B, T, C))}
    for l in range(cfg["layers"]):
        k = 1 + 3 * l
        out["mask/h.%d.attn" % l] = mask(sub(KEY, k), (B, NH, T, T))
        out["mask/h.%d.attn_proj" % l] = mask(sub(KEY, k + 1), (B, T, C))
        out["mask/h.%d.mlp_proj" % l] = mask(sub(KEY, k + 2), (B, T, C))
    return out


def drop(x, m):
    return x * m.to(x.dtype) / (1.0 - float(np.float32(P)))


def attention(x, Pm, p, n_head, m_att, m_proj):
    B, T, C = x.shape
    hs = C // n_head
    qkv = x @ Pm[p + "attn.c_attn.weight"] + Pm[p + "attn.c_attn.bias"]
    q, k, v = qkv.split(C, dim=2)
    q = q.view(B, T, n_head, hs).transpose(1, 2)
    k = k.view(B, T, n_head, hs).transpose(1, 2)
    v = v.view(B, T, n_head, hs).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    att = torch.softmax(att.masked_fill(~causal, float("-inf")), dim=-1)
    att = drop(att, m_att)
    y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
    return drop(y @ Pm[p + "attn.c_proj.weight"] + Pm[p + "attn.c_proj.bias"], m_proj)


def mlp(x, Pm, p, m_proj):
    h = ref.ACT_FN[ACT](x @ Pm[p + "mlp.c_fc.weight"] + Pm[p + "mlp.c_fc.bias"])
    return drop(h @ Pm[p + "mlp.c_proj.weight"] + Pm[p + "mlp.c_proj.bias"], m_proj)


def forward(Pm, tokens, cfg, M):
    T = tokens.shape[1]
    x = drop(Pm["wte"][tokens] + Pm["wpe"][torch.arange(T)], M["mask/embd"])
    for l in range(cfg["layers"]):
        p = "h.%d." % l
        x = x + attention(ref.layer_norm(x, Pm[p + "ln_1.weight"], Pm[p + "ln_1.bias"]), Pm, p, cfg["heads"],
                          M["mask/h.%d.attn" % l], M["mask/h.%d.attn_proj" % l])
        x = x + mlp(ref.layer_norm(x, Pm[p + "ln_2.weight"], Pm[p + "ln_2.bias"]), Pm, p,
                    M["mask/h.%d.mlp_proj" % l])
    x = ref.layer_norm(x, Pm["ln_f.weight"], Pm["ln_f.bias"])
    return x @ Pm["wte"].t()


def main():
    torch.set_num_threads(1)
    repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    path = os.path.join(repo, "model", "testdata", "ref_dropout.bin")
    cfg = ref.CONFIG
    gen = torch.Generator().manual_seed(ref.SEED)
    init = ref.init_params(cfg, gen)
    tokens, targets = ref.make_batch(cfg, gen)
    M = masks(cfg)
    # run() calls ref.forward(P, tokens, cfg, act): route it through ours.
    ref.forward = lambda Pm, tok, c, act: forward(Pm, tok, c, M)
    res = ref.run(init, tokens, targets, cfg, ACT, torch.float64)
    tensors = ref.ordered_tensors(cfg, init, tokens, targets, res)
    tensors += [(name, t.double().contiguous()) for name, t in M.items()]

    header, total = ref.build_header(ACT, tensors)
    header["dropout"] = {"p": float(np.float32(P)), "key": KEY}
    header["generator"] = "scripts/reference/gen_dropout_ref.py, torch %s, float64" % torch.__version__
    ref.build_header = lambda act, ts: (header, total)
    ref.write_fixture(path, ACT, tensors)
    ref.self_check(path, ACT, tensors)

    ok = True
    l = res["losses"].tolist()
    print("ref_dropout.bin  %d bytes, p %g, key %#x" % (os.path.getsize(path), P, KEY))
    print("  losses     " + " ".join("%.10f" % v for v in l))
    for name, m in M.items():
        share = 1 - float(m.mean())
        print("  %-22s dropped %.3f" % (name, share))
        if abs(share - P) > 0.1:
            ok = False
    if not all(b < a for a, b in zip(l, l[1:])):
        print("  WARNING: losses do not decrease monotonically")
        ok = False
    rep = ref.float32_check(cfg, init, tokens, targets, ACT, res)
    print("  float32 torch vs float64, worst |diff|/tolerance (<=1 passes): "
          + ", ".join("%s %.3g" % kv for kv in rep.items()))
    if max(rep.values()) > 0.7:
        print("  WARNING: float32 torch is within 30% of (or over) a tolerance")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
