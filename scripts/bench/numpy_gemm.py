#!/usr/bin/python3
"""fp32 GEMM throughput of numpy's BLAS (OpenBLAS on this machine), for issue 6.

For each shape C[M,N] = A[M,K] @ B[K,N] (row-major, no transposes, output
buffer allocated once and reused) it times np.matmul(a, b, out=c) until at
least --min-time seconds and --min-reps calls have passed, after one warm-up
call, and prints one JSON line:

  {"shape": "M2048_K768_N2304", "gflops": <median>, "gflops_cpu": ..., ...}

gflops is 2*M*N*K / wall time (median over calls); gflops_cpu divides by the
process's CPU time instead (user+sys over all threads), which is what gptgo's
`GFLOP/cpu-s` benchmark metric reports, and moves less on a busy machine.
The BLAS thread count comes from OPENBLAS_NUM_THREADS (compare.sh sets it).

  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 scripts/bench/numpy_gemm.py
  /usr/bin/python3 scripts/bench/numpy_gemm.py --shapes 2048x768x2304,1024x1024x1024
"""

import argparse
import json
import os
import time

import numpy as np

DEFAULT = "2048x768x2304,2048x768x3072,2048x3072x768,2048x768x50257,1024x1024x1024"


def blas_name():
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if ".so" in line}
        for key in ("openblas", "mkl", "blis", "libblas"):
            for lib in sorted(libs):
                if key in os.path.basename(lib).lower() or key in lib.lower():
                    return os.path.realpath(lib)
    except OSError:
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default=DEFAULT, help="comma-separated MxKxN (default: %(default)s)")
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds per shape (default 1)")
    ap.add_argument("--min-reps", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    for spec in args.shapes.split(","):
        m, k, n = (int(x) for x in spec.lower().split("x"))
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.zeros((m, n), dtype=np.float32)
        np.matmul(a, b, out=c)  # warm-up: page in c, start the BLAS threads
        flops = 2.0 * m * n * k
        times = []
        wall0, cpu0 = time.perf_counter(), time.process_time()
        while len(times) < args.min_reps or time.perf_counter() - wall0 < args.min_time:
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            times.append(time.perf_counter() - t0)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        times.sort()
        med = times[len(times) // 2]
        print(json.dumps({
            "shape": "M%d_K%d_N%d" % (m, k, n),
            "m": m, "k": k, "n": n,
            "gflops": flops / med / 1e9,
            "gflops_best": flops / times[0] / 1e9,
            "gflops_cpu": flops * len(times) / cpu / 1e9 if cpu > 0 else None,
            "reps": len(times),
            "wall_s": wall,
            "blas": blas_name(),
            "env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_") or k.startswith("OMP_")},
        }), flush=True)


if __name__ == "__main__":
    main()
