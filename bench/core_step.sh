#!/usr/bin/env bash
# Benchmark of one full-batch training step (CE + gradient + update), Swift vs NumPy/scipy,
# in the same run on the same data:
#   * dense gaussian features (file:H.npy, the very H numpy uses), V=2000, d=256, m=20000,
#     Float64 — target: Swift ≤ 0.7 × NumPy; GFLOP/s vs the measured dgemm 2048³ peak;
#   * onehot (streamed, never V × m) and positional-onehot — target: ≥ 5 × faster than scipy.sparse.
# Also cross-checks W after 2 GD steps from 0 against the Python implementations (≤ 1e-10).
# Usage: bench/core_step.sh [WORKDIR]  (builds ntpsep in release; THREADS=2 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=${1:-$(mktemp -d)}
threads=${THREADS:-2}
steps=${STEPS:-5}
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
mkdir -p "$work"
(cd "$root" && swift build -c release --product ntpsep >/dev/null)
bin="$root/.build/release/ntpsep"
[ -f "$work/data.npz" ] || python3 "$here/core_step_numpy.py" make-data "$work"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
# The system OpenBLAS called from Python runs the kernel ntpsep runs (ntpsep doctor: its choice by CPU features).
kernel=$("$bin" doctor | sed -n 's/^blas kernel: *//p')
echo "ntpsep BLAS kernel: $kernel ($("$bin" doctor | sed -n 's/^kernel reason: *//p'))"
# numpy's bundled OpenBLAS must pick its own kernel (see .library/env/README.md): unset both here.
(unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; python3 "$here/core_step_numpy.py" dgemm --system-coretype "$kernel")

rss() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }

echo "== dense gaussian (d=256), float64"
"$bin" train "$work/data.npz" --embedding "file:$work/H.npy" --steps "$steps" --benchmark --threads "$threads" --lr 1e-3 2>/dev/null
(unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; python3 "$here/core_step_numpy.py" time "$work" --steps "$steps")
OPENBLAS_CORETYPE=$kernel python3 "$here/core_step_numpy.py" full-gemms
"$bin" train "$work/data.npz" --embedding "file:$work/H.npy" --precision float32 --steps "$steps" --benchmark --threads "$threads" --lr 1e-3 2>/dev/null
"$bin" train "$work/data.npz" --embedding "file:$work/H.npy" --steps 2 --lr 50 --init zero -o "$work/W_dense.npy" --threads "$threads" 2>/dev/null
(unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; python3 "$here/core_step_numpy.py" time "$work" --steps 1 --check "$work/W_dense.npy" --lr 50 | tail -1)

for emb in onehot positional-onehot; do
  echo "== $emb"
  "$bin" train "$work/data.npz" --embedding "$emb" --steps "$steps" --benchmark --threads "$threads" --lr 1 2>/dev/null
  (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; python3 "$here/core_step_scipy.py" "$work" --embedding "$emb" --steps "$steps")
  "$bin" train "$work/data.npz" --embedding "$emb" --steps 2 --lr 50 -o "$work/W_$emb.npy" --threads "$threads" 2>/dev/null
  (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; python3 "$here/core_step_scipy.py" "$work" --embedding "$emb" --steps 1 --check "$work/W_$emb.npy" --lr 50 | tail -1)
  if [ -x /usr/bin/time ]; then
    echo "peak RSS Swift $emb, $steps steps: $(rss "$bin" train "$work/data.npz" --embedding "$emb" --steps "$steps" --lr 1 --threads "$threads") KiB (dense V×m float64 would be $((2000*20000*8/1024)) KiB)"
  fi
done
