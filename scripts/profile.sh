#!/usr/bin/env bash
# The main job: builds in Release and runs inertia-profile on its embedded
# default workload (one GPT-2-small optimizer step, every variant, float32, all
# threads) against the naive scalar baseline and the machine's measured
# roofline, all sampled in the same interleaved rounds (bench/README.md).
# Installs missing Debian packages first. Extra arguments go to
# inertia-profile (e.g. --workload bert_base_uncased --dtype f64 --rounds 20).
#
# Optional, each skipped with one line saying why when /usr/bin/python3 lacks it:
#   torch (Debian python3-torch): torch.optim's loop and foreach paths (and
#     fused=True on torch >= 2.4) as external peers in the same rounds, via
#     scripts/compare_pytorch.py;
#   matplotlib (python3-matplotlib): a plot of every variant's GB/s against its
#     roofline, with the spread, as PNG and SVG.
# Writes build/profile/profile.json (the table's JSON) and, with matplotlib,
# build/profile/profile.png and .svg. INERTIA_PROFILE_OUT=DIR writes there instead.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${INERTIA_BUILD_PACKAGES[@]}"
jobs=$(nproc)
echo "==> Release build (build/release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$jobs" --target inertia-profile
out=${INERTIA_PROFILE_OUT:-build/profile}
mkdir -p "$out"
json="$out/profile.json"
rm -f "$json"
profile=(build/release/bench/inertia-profile --json-file "$json" "$@")
python=/usr/bin/python3
echo "==> load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (another busy process skews two-thread timings)"
if torch_error=$("$python" -c 'import torch' 2>&1); then
  echo "==> inertia-profile $* (with torch.optim peers, scripts/compare_pytorch.py)"
  "$python" scripts/compare_pytorch.py "${profile[@]}"
else
  echo "==> torch.optim comparison skipped: $python cannot import torch ($(tail -n1 <<<"$torch_error"); Debian: python3-torch)"
  echo "==> inertia-profile $*"
  "${profile[@]}"
fi
echo "==> JSON: $json"
if plot_error=$("$python" -c 'import matplotlib' 2>&1); then
  "$python" scripts/plot_bench.py --profile "$json" --out "$out/profile" | sed 's/^/==> plot: /'
else
  echo "==> plot skipped: $python cannot import matplotlib ($(tail -n1 <<<"$plot_error"); Debian: python3-matplotlib)"
fi
