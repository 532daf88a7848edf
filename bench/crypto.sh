#!/bin/bash
# Chat encryption cost (see bench/README): protocol 1's per-message RSA
# (bench/seal-v1.c) beside protocol 2's sender keys, measured the same
# way in the same run by bench/crypto.c. Prints a markdown table.
#
# usage: bench/crypto.sh [build-dir]      (or BUILD=dir)
# Environment: REPS=n (repetitions per figure, default 200), CPU (pin to
# this CPU when taskset is there), KEEP=1, CC.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-$top/build-bench}}
. "$top/bench/lib.sh"
bench_init crypto
build_generator crypto seal-v1.c
pinning
pin "${CPU:-1}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs;" \
    "libgcrypt $(pkg-config --modversion libgcrypt 2>/dev/null || echo ?)"
"${PIN[@]}" "$GENERATOR" -n "${REPS:-200}" || die "the benchmark failed"
