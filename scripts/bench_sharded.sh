#!/usr/bin/env bash
# One GPT-2-small-sized step (124,439,808 float parameters) as 1 process x 2 threads and as 2 processes x
# 1 thread sharded (examples/mpi/sharded_step.c), in interleaved rounds, with the reduce-scatter, the step
# and the all-gather timed apart (medians of --steps steps per run; rank 0's clock).
# Usage: bash scripts/bench_sharded.sh [build dir, default build/release] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
rounds=${2:-3}
binary="$build/examples/sharded_step"
[ -x "$binary" ] || { echo "bench_sharded.sh: $binary not built (needs libopenmpi-dev)"; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
elements=124439808
for round in $(seq "$rounds"); do
  for variant in "heavy_ball --set momentum=0.9" "adamw"; do
    # shellcheck disable=SC2086
    mpirun -np 1 --bind-to none "$binary" --variant $variant --elements $elements --threads 2 --steps 5 --time
    # shellcheck disable=SC2086
    mpirun -np 2 --oversubscribe --bind-to none "$binary" --variant $variant --elements $elements --threads 1 \
      --steps 5 --time
  done
done
