"""A plain-PyTorch GPT-2 (fp32) shared by torch_train.py and torch_generate.py.

It is the benchmark peer for gptgo (issue 6), written with ordinary torch
modules so that it runs on Debian's python3-torch 1.13 (CPU):

  - token + position embeddings, pre-LayerNorm blocks, ln_f, head tied to wte;
  - fused c_attn projection stored as [C, 3C] (Hugging Face Conv1D layout,
    y = x @ W + b, output columns [q | k | v]);
  - causal softmax attention written out by hand (scores, mask, softmax, @ v);
    --sdpa selects F.scaled_dot_product_attention where torch has it (>= 2.0);
  - GELU in its tanh form ("gelu_new");
  - GPT-2 init: N(0, 0.02), residual projections N(0, 0.02/sqrt(2L)), biases 0.

Configurations (scripts/bench/README.md and ../shared/REFERENCE.md):
  T: 4 layers, 4 heads, 256 wide, context 256, train batch 8
  M: 12 layers, 12 heads, 768 wide, context 1024 (trained at 256), batch 4
"""

import math
import os
import resource

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    # name: (layers, heads, embd, model context, train context, train batch)
    "T": dict(n_layer=4, n_head=4, n_embd=256, block_size=256, train_T=256, train_B=8),
    "M": dict(n_layer=12, n_head=12, n_embd=768, block_size=1024, train_T=256, train_B=4),
}
VOCAB = 50257

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def gelu_tanh(x):
    try:
        return F.gelu(x, approximate="tanh")  # torch >= 1.12
    except TypeError:
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class Conv1D(nn.Module):
    """y = x @ W + b with W stored [in, out] (GPT-2's layout)."""

    def __init__(self, n_in, n_out, std=0.02):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out).normal_(0.0, std))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        shape = x.shape[:-1] + (self.weight.shape[1],)
        y = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight)
        return y.view(shape)


class Attention(nn.Module):
    def __init__(self, n_embd, n_head, n_layer, block_size, use_sdpa=False):
        super().__init__()
        self.n_head = n_head
        self.n_embd = n_embd
        self.c_attn = Conv1D(n_embd, 3 * n_embd)
        self.c_proj = Conv1D(n_embd, n_embd, std=0.02 / math.sqrt(2 * n_layer))
        self.use_sdpa = use_sdpa and HAS_SDPA
        mask = torch.tril(torch.ones(block_size, block_size, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, block_size, block_size), persistent=False)

    def attend(self, q, k, v, q_start):
        """q: [B, nh, Tq, hs] at absolute positions q_start..; k, v: [B, nh, Tk, hs]
        at positions 0..Tk-1. Causal: query i sees keys 0..q_start+i."""
        Tq, Tk = q.shape[2], k.shape[2]
        if self.use_sdpa:
            if Tq == Tk:
                return F.scaled_dot_product_attention(q, k, v, is_causal=True)
            if Tq == 1:
                return F.scaled_dot_product_attention(q, k, v)
            m = self.mask[:, :, q_start:q_start + Tq, :Tk]
            return F.scaled_dot_product_attention(q, k, v, attn_mask=m)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
        if Tq > 1:  # one new token sees every cached key: no mask needed
            att = att.masked_fill(~self.mask[:, :, q_start:q_start + Tq, :Tk], float("-inf"))
        att = F.softmax(att, dim=-1)  # subtracts the row max internally
        return att @ v

    def split_heads(self, x, B, T):
        return x.view(B, T, self.n_head, self.n_embd // self.n_head).transpose(1, 2)

    def forward(self, x, cache=None, pos=0):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = self.split_heads(q, B, T), self.split_heads(k, B, T), self.split_heads(v, B, T)
        if cache is not None:  # KV cache: [B, nh, maxT, hs] tensors, filled up to pos
            kc, vc = cache
            kc[:, :, pos:pos + T] = k
            vc[:, :, pos:pos + T] = v
            k, v = kc[:, :, :pos + T], vc[:, :, :pos + T]
        y = self.attend(q, k, v, pos)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, n_embd, n_layer):
        super().__init__()
        self.c_fc = Conv1D(n_embd, 4 * n_embd)
        self.c_proj = Conv1D(4 * n_embd, n_embd, std=0.02 / math.sqrt(2 * n_layer))

    def forward(self, x):
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, n_layer, block_size, use_sdpa=False):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, eps=1e-5)
        self.attn = Attention(n_embd, n_head, n_layer, block_size, use_sdpa)
        self.ln_2 = nn.LayerNorm(n_embd, eps=1e-5)
        self.mlp = MLP(n_embd, n_layer)

    def forward(self, x, cache=None, pos=0):
        x = x + self.attn(self.ln_1(x), cache, pos)
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, n_layer, n_head, n_embd, block_size, vocab_size=VOCAB, use_sdpa=False, **_):
        super().__init__()
        self.n_layer, self.n_head, self.n_embd = n_layer, n_head, n_embd
        self.block_size, self.vocab_size = block_size, vocab_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        nn.init.normal_(self.wte.weight, 0.0, 0.02)
        nn.init.normal_(self.wpe.weight, 0.0, 0.02)
        self.h = nn.ModuleList(Block(n_embd, n_head, n_layer, block_size, use_sdpa) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())  # wte counted once (tied head)

    def forward(self, idx, targets=None, caches=None, pos=0, last_only=False):
        B, T = idx.shape
        p = torch.arange(pos, pos + T, dtype=torch.long, device=idx.device)
        x = self.wte(idx) + self.wpe(p)
        for i, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[i], pos)
        if last_only:
            x = x[:, -1:, :]
        x = self.ln_f(x)
        logits = F.linear(x, self.wte.weight)  # tied head: x @ wte^T
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def new_caches(self, batch, max_len):
        hs = self.n_embd // self.n_head
        return [
            (torch.zeros(batch, self.n_head, max_len, hs), torch.zeros(batch, self.n_head, max_len, hs))
            for _ in range(self.n_layer)
        ]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def env_info():
    keys = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"]
    return {k: os.environ.get(k) for k in keys if k in os.environ}


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
