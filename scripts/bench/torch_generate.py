#!/usr/bin/python3
"""PyTorch batch-1 generation peer for gptgo (issue 6), with a KV cache.

The model is torchgpt.GPT with random fp32 weights, 124M-shaped by default
(config M: 12 layers, 12 heads, 768 wide, context 1024, vocab 50257).

  tg: a --prompt-token (16) random prompt is prefilled into the KV cache
      (not timed), then --new (256) tokens are decoded greedily one at a time
      (argmax of the last logits, fed back); tok/s = new / decode time.
  ppN: N random tokens are run through the model in one forward pass from
      position 0 (filling the cache; logits only for the last position, as a
      prompt needs); tok/s = N / time.

Each test runs once untimed (warm-up) and then --runs times; the median is
reported. One JSON line per test:

  {"config": "M", "test": "tg256", "tok_per_s": <median>, "samples": [...], ...}

  /usr/bin/python3 scripts/bench/torch_generate.py            # tg256, pp128, pp512
  /usr/bin/python3 scripts/bench/torch_generate.py --config T --new 128 --pp 128
"""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchgpt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="M", help="T or M (default M, the 124M shape)")
    ap.add_argument("--prompt-tokens", type=int, default=16)
    ap.add_argument("--new", type=int, default=256, help="tokens to generate (0: skip tg)")
    ap.add_argument("--pp", default="128,512", help="prompt-processing sizes (empty: none)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per test (default 3)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--sdpa", action="store_true",
                    help="use F.scaled_dot_product_attention if this torch has it (1.13 does not)")
    ap.add_argument("--check", action="store_true",
                    help="also check that cached greedy decoding matches uncached decoding (slow)")
    args = ap.parse_args()
    name = args.config.strip().upper()
    if name not in torchgpt.CONFIGS:
        ap.error("unknown config %r" % args.config)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cfg = torchgpt.CONFIGS[name]
    model = torchgpt.GPT(use_sdpa=args.sdpa, **cfg).eval()
    maxT = cfg["block_size"]
    pps = [int(s) for s in args.pp.split(",") if s.strip()]
    for n in pps:
        if n > maxT:
            ap.error("pp%d exceeds the model context %d" % (n, maxT))
    if args.new and args.prompt_tokens + args.new > maxT:
        ap.error("prompt + new tokens exceed the model context %d" % maxT)
    gen = torch.Generator().manual_seed(args.seed + 1)
    caches = model.new_caches(1, maxT)  # allocated once, reused by every run
    common = dict(config=name, threads=torch.get_num_threads(), params=model.num_params(),
                  attention="sdpa" if (args.sdpa and torchgpt.HAS_SDPA) else "manual",
                  torch=torch.__version__, env=torchgpt.env_info())

    def generate(prompt, n_new):
        logits, _ = model(prompt, caches=caches, pos=0, last_only=True)
        pos = prompt.shape[1]
        out = []
        t0 = time.perf_counter()
        for _ in range(n_new):
            nxt = torch.argmax(logits[:, -1, :], dim=-1, keepdim=True)
            out.append(int(nxt))
            logits, _ = model(nxt, caches=caches, pos=pos)
            pos += 1
        return time.perf_counter() - t0, out

    with torch.inference_mode():
        if args.check:
            prompt = torch.randint(0, torchgpt.VOCAB, (1, args.prompt_tokens), generator=gen)
            _, cached = generate(prompt, 32)
            seq = prompt
            plain = []
            for _ in range(32):
                logits, _ = model(seq)
                nxt = torch.argmax(logits[:, -1, :], dim=-1, keepdim=True)
                plain.append(int(nxt))
                seq = torch.cat([seq, nxt], dim=1)
            print(json.dumps(dict(common, test="check", kv_cache_matches_uncached=cached == plain)), flush=True)

        if args.new:
            samples = []
            for r in range(args.runs + 1):
                prompt = torch.randint(0, torchgpt.VOCAB, (1, args.prompt_tokens), generator=gen)
                dt, _ = generate(prompt, args.new)
                if r > 0:  # run 0 is the warm-up
                    samples.append(args.new / dt)
            print(json.dumps(dict(common, test="tg%d" % args.new, tok_per_s=torchgpt.median(samples),
                                  samples=samples, prompt_tokens=args.prompt_tokens,
                                  peak_rss_mb=torchgpt.peak_rss_mb())), flush=True)

        for n in pps:
            samples = []
            for r in range(args.runs + 1):
                prompt = torch.randint(0, torchgpt.VOCAB, (1, n), generator=gen)
                t0 = time.perf_counter()
                model(prompt, caches=caches, pos=0, last_only=True)
                dt = time.perf_counter() - t0
                if r > 0:
                    samples.append(n / dt)
            print(json.dumps(dict(common, test="pp%d" % n, tok_per_s=torchgpt.median(samples),
                                  samples=samples, peak_rss_mb=torchgpt.peak_rss_mb())), flush=True)


if __name__ == "__main__":
    main()
