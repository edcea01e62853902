#!/usr/bin/python3
"""PyTorch GPT-2 training-throughput peer for gptgo (issue 6).

For each configuration (T, M) it builds the model of torchgpt.py, trains on
random tokens with AdamW (betas 0.9/0.95, eps 1e-8, weight decay 0.1 on the
2-D weights only, fused=False where torch has that option), gradient clipping
at 1.0, fp32, torch.set_num_threads(--threads), runs --warmup untimed steps and
then --steps timed steps, and prints one JSON line per configuration:

  {"config": "T", "tok_per_s": <median>, "samples": [...], "peak_rss_mb": ...}

Throughput = B*T / (zero_grad + forward + backward + clip + AdamW step).
Each configuration runs in its own subprocess so peak_rss_mb is its own.

  /usr/bin/python3 scripts/bench/torch_train.py --config T --steps 10
  /usr/bin/python3 scripts/bench/torch_train.py --config T,M
"""

import argparse
import inspect
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchgpt  # noqa: E402


def make_optimizer(model, lr, wd, foreach):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]
    kw = dict(lr=lr, betas=(0.9, 0.95), eps=1e-8)
    sig = inspect.signature(torch.optim.AdamW.__init__).parameters
    if "fused" in sig:
        kw["fused"] = False
    if "foreach" in sig:
        kw["foreach"] = foreach
    return torch.optim.AdamW(groups, **kw)


def run_one(args, name):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cfg = dict(torchgpt.CONFIGS[name])
    B = args.batch or cfg["train_B"]
    T = args.context or cfg["train_T"]
    model = torchgpt.GPT(use_sdpa=args.sdpa, **cfg)
    model.train()
    opt = make_optimizer(model, args.lr, 0.1, args.foreach)
    params = list(model.parameters())
    gen = torch.Generator().manual_seed(args.seed + 1)

    def batch():
        xy = torch.randint(0, torchgpt.VOCAB, (B, T + 1), generator=gen)
        return xy[:, :-1].contiguous(), xy[:, 1:].contiguous()

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step(*batch())
    samples, step_s, losses = [], [], []
    for _ in range(args.steps):
        x, y = batch()  # data generation is outside the timed region
        t0 = time.perf_counter()
        losses.append(step(x, y))
        dt = time.perf_counter() - t0
        step_s.append(dt)
        samples.append(B * T / dt)
    n = model.num_params()
    L, C = cfg["n_layer"], cfg["n_embd"]
    flops_per_tok = 6 * n + 12 * L * C * T
    tps = torchgpt.median(samples)
    out = {
        "config": name,
        "tok_per_s": tps,
        "samples": samples,
        "peak_rss_mb": torchgpt.peak_rss_mb(),
        "step_ms_median": 1000 * torchgpt.median(step_s),
        "batch": B,
        "context": T,
        "params": n,
        "gflops": flops_per_tok * tps / 1e9,
        "loss_first_last": [losses[0], losses[-1]] if losses else None,
        "threads": torch.get_num_threads(),
        "attention": "sdpa" if (args.sdpa and torchgpt.HAS_SDPA) else "manual",
        "sdpa_available": torchgpt.HAS_SDPA,
        "torch": torch.__version__,
        "env": torchgpt.env_info(),
    }
    print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="T,M", help="comma-separated: T, M (default T,M)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps (default 10)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed warm-up steps (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--batch", type=int, default=0, help="override the config's batch")
    ap.add_argument("--context", type=int, default=0, help="override the config's train context")
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--sdpa", action="store_true",
                    help="use F.scaled_dot_product_attention if this torch has it (1.13 does not: manual)")
    ap.add_argument("--foreach", action="store_true", help="AdamW(foreach=True) (default: the per-tensor loop)")
    args = ap.parse_args()
    names = [c.strip().upper() for c in args.config.split(",") if c.strip()]
    for n in names:
        if n not in torchgpt.CONFIGS:
            ap.error("unknown config %r (have %s)" % (n, ", ".join(torchgpt.CONFIGS)))
    if args.sdpa and not torchgpt.HAS_SDPA:
        print("torch %s has no F.scaled_dot_product_attention: using manual attention" % torch.__version__,
              file=sys.stderr)
    if len(names) == 1:
        run_one(args, names[0])
        return
    # One subprocess per configuration: separate peak RSS, no shared allocator state.
    rc = 0
    for n in names:
        argv = [sys.executable, os.path.abspath(__file__)] + [a for a in sys.argv[1:]]
        i = argv.index("--config") if "--config" in argv else -1
        if i >= 0:
            argv[i + 1] = n
        else:
            argv = [a if not a.startswith("--config=") else "--config=" + n for a in argv]
            if not any(a.startswith("--config=") for a in argv):
                argv += ["--config", n]
        rc |= subprocess.call(argv)
    sys.exit(rc)


if __name__ == "__main__":
    main()
