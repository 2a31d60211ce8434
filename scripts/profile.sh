#!/usr/bin/env bash
# The main job: builds in Release and runs inertia-profile on its embedded
# default workload (one GPT-2-small optimizer step, every variant, float32, all
# threads) against the naive scalar baseline and the machine's measured
# roofline. Installs missing Debian packages first. Extra arguments go to
# inertia-profile (e.g. --workload bert_base_uncased --dtype f64 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${INERTIA_BUILD_PACKAGES[@]}"
jobs=$(nproc)
echo "==> Release build (build/release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$jobs" --target inertia-profile
echo "==> inertia-profile $*"
build/release/bench/inertia-profile "$@"
