#!/usr/bin/env bash
# compare.sh: gptgo `gpt bench` against the PyTorch peers of scripts/bench,
# alternating in one session, then markdown tables (see README.md here).
#
#   scripts/bench/compare.sh            # full: train T, train M, tg256/pp128/pp512 124M, GEMM
#   scripts/bench/compare.sh --quick    # smoke test: config T only, one round, short runs
#   GPT_BIN=/path/to/gpt scripts/bench/compare.sh   # use a prebuilt binary
#
# Options:
#   --quick          config T only (train T, tg128 T, pp128 T), 1 round, few reps, 2 GEMM shapes
#   --rounds N       alternation rounds (default 2; quick 1)
#   --threads N      threads for gptgo, torch.set_num_threads and OpenBLAS (default 2)
#   --skip-gemm      no GEMM table
#   --skip-gen       no generation / prompt-processing rows
#   --skip-train     no training rows
#   --all-envs       run PyTorch "as-is" even when OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
#                    are both unset already (then it is the same as "unset" and is skipped)
#   --results DIR    where raw outputs go (default: a new /tmp/gptgo-bench-* folder)
# Environment:
#   GPT_BIN          prebuilt gpt binary (otherwise built to /tmp/gpt-bench; if the
#                    working tree does not build, from `git archive HEAD` instead)
#   PYTHON           default /usr/bin/python3 (Debian's python3-torch and python3-numpy)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))"
PY="${PYTHON:-/usr/bin/python3}"

QUICK=0 ROUNDS="" THREADS=2 DO_GEMM=1 DO_GEN=1 DO_TRAIN=1 RES="" ALL_ENVS=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--rounds) ROUNDS="$2"; shift ;;
	--rounds=*) ROUNDS="${1#*=}" ;;
	--threads) THREADS="$2"; shift ;;
	--threads=*) THREADS="${1#*=}" ;;
	--skip-gemm) DO_GEMM=0 ;;
	--skip-gen) DO_GEN=0 ;;
	--skip-train) DO_TRAIN=0 ;;
	--all-envs) ALL_ENVS=1 ;;
	--results) RES="$2"; shift ;;
	--results=*) RES="${1#*=}" ;;
	-h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
	*) echo "compare.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ "$QUICK" = 1 ]; then
	ROUNDS="${ROUNDS:-1}"
	TRAIN_CONFIGS="T"
	GEN_CONFIG="T" GEN_NEW=128 GEN_PP="128"   # T's context is 256: no pp512 / 16+256
	GPT_TRAIN_REPS=2 TORCH_STEPS_T=2 TORCH_STEPS_M=2
	GPT_GEN_REPS=2 TORCH_GEN_RUNS=2
	GEMM_SHAPES="2048x768x2304,1024x1024x1024"
	GO_BENCH_ARGS=(-benchtime 300ms -count 1)
	NUMPY_MIN_TIME=0.3
else
	ROUNDS="${ROUNDS:-2}"
	TRAIN_CONFIGS="T M"
	GEN_CONFIG="M" GEN_NEW=256 GEN_PP="128,512"
	GPT_TRAIN_REPS=5 TORCH_STEPS_T=10 TORCH_STEPS_M=5
	GPT_GEN_REPS=3 TORCH_GEN_RUNS=3
	GEMM_SHAPES="2048x768x2304,2048x768x3072,2048x3072x768,2048x768x50257,1024x1024x1024"
	GO_BENCH_ARGS=(-benchtime 1s -count 3)
	NUMPY_MIN_TIME=1.5
fi

RES="${RES:-$(mktemp -d /tmp/gptgo-bench-XXXXXX)}"
mkdir -p "$RES"
LOG="$RES/log.txt"
say() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }

# ---------------------------------------------------------------- build gpt
# SRC: the source tree the binary (and the kernel benchmarks) come from.
SRC="$ROOT" SRC_DESC="working tree"
build_from_head() {
	local tmp
	tmp="$(mktemp -d /tmp/gptgo-head-XXXXXX)"
	git -C "$ROOT" archive HEAD | tar -x -C "$tmp" || return 1
	SRC="$tmp" SRC_DESC="HEAD $(git -C "$ROOT" rev-parse --short HEAD) (working tree did not build)"
	say "building from HEAD in $tmp"
	(cd "$tmp" && go build -o "$1" ./cmd/gpt) >>"$LOG" 2>&1
}
if [ -n "${GPT_BIN:-}" ]; then
	[ -x "$GPT_BIN" ] || { echo "compare.sh: GPT_BIN=$GPT_BIN is not executable" >&2; exit 1; }
	BIN="$GPT_BIN" SRC_DESC="prebuilt $GPT_BIN"
	say "using prebuilt $BIN"
else
	BIN=/tmp/gpt-bench
	say "building $BIN from $ROOT"
	if ! (cd "$ROOT" && go build -o "$BIN" ./cmd/gpt) >>"$LOG" 2>&1; then
		say "working tree does not build (see $LOG)"
		build_from_head "$BIN" || { say "HEAD does not build either"; exit 1; }
	fi
fi

# --------------------------------------------------------------- environments
# Every PyTorch / numpy run pins OpenBLAS's pool to $THREADS unless the caller set it.
OBT="${OPENBLAS_NUM_THREADS:-$THREADS}"
env_cmd() { # env_cmd ENV -> prefix words
	case "$1" in
	asis) echo "env OPENBLAS_NUM_THREADS=$OBT" ;;
	unset) echo "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$OBT" ;;
	passive) echo "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$OBT OMP_WAIT_POLICY=passive" ;;
	esac
}
ENVS="asis unset passive" GEMM_ENVS="asis unset"
if [ "$ALL_ENVS" = 0 ] && [ -z "${OPENBLAS_CORETYPE+x}" ] && [ -z "${OPENBLAS_L2_SIZE+x}" ]; then
	# Nothing to unset: "as-is" would be the very same run as "unset".
	ENVS="unset passive" GEMM_ENVS="unset"
fi

# gpt under a wrapper that records its peak RSS (KiB) next to its output.
run_gpt() { # run_gpt OUTBASE args...
	local base="$1"; shift
	"$PY" - "$base" "$BIN" "$@" <<-'EOF'
	import resource, subprocess, sys
	base = sys.argv[1]
	with open(base + ".json", "w") as out, open(base + ".err", "w") as err:
	    rc = subprocess.call(sys.argv[2:], stdout=out, stderr=err)
	with open(base + ".rss", "w") as f:
	    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
	sys.exit(rc)
	EOF
	local rc=$?
	[ $rc = 0 ] || say "gpt $* failed (rc $rc): $(tail -3 "$base.err" | tr '\n' ' ')"
	return 0
}
run_torch() { # run_torch OUTFILE ENV script args...
	local out="$1" env="$2"; shift 2
	# shellcheck disable=SC2046
	$(env_cmd "$env") "$PY" "$@" >"$out" 2>"${out%.jsonl}.err" ||
		say "torch $* ($env) failed: $(tail -3 "${out%.jsonl}.err" | tr '\n' ' ')"
}

"$PY" - "$RES/meta.json" <<EOF
import json, os, subprocess, sys
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
meta = {
    "date": sh("date -u +%Y-%m-%dT%H:%MZ"),
    "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip(),
    "nproc": sh("nproc"),
    "threads": "$THREADS",
    "gptgo": "$SRC_DESC, commit " + sh("git -C '$ROOT' rev-parse --short HEAD"),
    "torch": sh("$PY -c 'import torch; print(torch.__version__)'"),
    "blas": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
    "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
    "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)"),
    "load at start": sh("cat /proc/loadavg | cut -d' ' -f1-3"),
    "mode": "quick" if $QUICK else "full",
    "pytorch envs": "$ENVS",
    "rounds": $ROUNDS,
}
json.dump(meta, open(sys.argv[1], "w"))
EOF
case "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null)" in
*openblas*) ;;
*) say "warning: libblas.so.3 is not OpenBLAS ($(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)): PyTorch/numpy will be slow (apt-get install libopenblas0-pthread)" ;;
esac
say "results in $RES ($([ "$QUICK" = 1 ] && echo quick || echo full), $ROUNDS round(s), $THREADS threads)"

# ----------------------------------------------------- alternating benchmark
for r in $(seq 1 "$ROUNDS"); do
	if [ "$DO_TRAIN" = 1 ]; then
		for c in $TRAIN_CONFIGS; do
			preset=tiny steps=$TORCH_STEPS_T
			[ "$c" = M ] && preset=gpt2 steps=$TORCH_STEPS_M
			say "round $r: gptgo train $c"
			run_gpt "$RES/gpt_train${c}_r$r" bench --preset "$preset" --tests train \
				-r "$GPT_TRAIN_REPS" --threads "$THREADS" -o json
			for e in $ENVS; do
				say "round $r: PyTorch train $c ($e)"
				run_torch "$RES/torch_train${c}_${e}_r$r.jsonl" "$e" "$HERE/torch_train.py" \
					--config "$c" --steps "$steps" --threads "$THREADS"
			done
		done
	fi
	if [ "$DO_GEN" = 1 ]; then
		c=$GEN_CONFIG preset=tiny
		[ "$c" = M ] && preset=gpt2
		say "round $r: gptgo tg$GEN_NEW pp$GEN_PP ($c)"
		run_gpt "$RES/gpt_gen${c}_r$r" bench --preset "$preset" --tests pp,tg -n "$GEN_NEW" \
			-p "$GEN_PP" -r "$GPT_GEN_REPS" --threads "$THREADS" -o json
		for e in $ENVS; do
			say "round $r: PyTorch tg$GEN_NEW pp$GEN_PP ($c, $e)"
			run_torch "$RES/torch_gen${c}_${e}_r$r.jsonl" "$e" "$HERE/torch_generate.py" \
				--config "$c" --new "$GEN_NEW" --pp "$GEN_PP" --runs "$TORCH_GEN_RUNS" --threads "$THREADS"
		done
	fi
done

# --------------------------------------------------------------------- GEMM
if [ "$DO_GEMM" = 1 ]; then
	for e in $GEMM_ENVS; do
		say "numpy GEMM ($e)"
		# shellcheck disable=SC2046
		$(env_cmd "$e") "$PY" "$HERE/numpy_gemm.py" --shapes "$GEMM_SHAPES" --min-time "$NUMPY_MIN_TIME" \
			>"$RES/numpy_gemm_$e.jsonl" 2>>"$LOG" || say "numpy GEMM ($e) failed"
	done
	# kernels.BenchmarkGemm sub-benchmarks are named NN_M<m>_K<k>_N<n>/ours (and /gonum).
	names=""
	for s in ${GEMM_SHAPES//,/ }; do
		IFS=x read -r m k n <<<"$s"
		names="${names:+$names|}M${m}_K${k}_N${n}"
	done
	if grep -q 'func BenchmarkGemm(' "$SRC"/kernels/*_test.go 2>/dev/null; then
		say "gptgo GEMM (go test -bench, kernels from $SRC_DESC)"
		run_go_bench() {
			(cd "$1" && GOMAXPROCS="$THREADS" go test -run XXX -bench "^BenchmarkGemm\$/^NN_($names)\$/^ours\$" \
				"${GO_BENCH_ARGS[@]}" ./kernels/) >"$RES/go_gemm.txt" 2>&1
		}
		if ! run_go_bench "$SRC"; then
			if [ "$SRC" = "$ROOT" ]; then
				say "kernels do not build in the working tree: benchmarking HEAD"
				tmp="$(mktemp -d /tmp/gptgo-head-XXXXXX)"
				git -C "$ROOT" archive HEAD | tar -x -C "$tmp"
				run_go_bench "$tmp" || say "go test -bench failed: $(tail -3 "$RES/go_gemm.txt" | tr '\n' ' ')"
			else
				say "go test -bench failed: $(tail -3 "$RES/go_gemm.txt" | tr '\n' ' ')"
			fi
		fi
	else
		say "no BenchmarkGemm in kernels/*_test.go: GEMM table has numpy only"
	fi
fi

"$PY" - "$RES/meta.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["load at end"] = " ".join(open("/proc/loadavg").read().split()[:3])
json.dump(m, open(sys.argv[1], "w"))
EOF
say "done"
echo
"$PY" "$HERE/summarize.py" "$RES" | tee "$RES/summary.md"
