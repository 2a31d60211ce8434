#!/usr/bin/env bash
# Builds and runs every test: the Release build (all ISA targets this CPU
# runs), then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
# Installs missing Debian packages first. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
# Open MPI: examples/mpi's sharded step runs in ctest when mpirun exists.
ensure_packages "${INERTIA_BUILD_PACKAGES[@]}" libopenmpi-dev openmpi-bin
jobs=$(nproc)
# ctest runs test programs side by side: idle OpenMP workers must sleep, not
# spin against each other on a 2-core machine.
export OMP_WAIT_POLICY=passive

echo "==> Release build (build/release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$jobs"
echo "==> Tests, Release; ISA targets on this CPU: $(build/release/tests/inertia-arch-from-env)"
ctest --test-dir build/release -j"$jobs" --output-on-failure

echo "==> Python package: pip install . into a venv, pytest python/tests (scripts/test_python.sh)"
bash scripts/test_python.sh

echo "==> AddressSanitizer + UndefinedBehaviorSanitizer build (build/sanitize)"
cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINERTIA_SANITIZE=ON -DINERTIA_BUILD_BENCHMARKS=OFF \
  -DINERTIA_BUILD_EXAMPLES=OFF  # Open MPI's own allocations would fail LeakSanitizer; Release runs the example
cmake --build build/sanitize -j"$jobs"
echo "==> Tests under sanitizers"
# consumer.add_subdirectory builds its own plain Release copy of the library:
# the Release stage has run it already. INERTIA_TEST_QUICK=1 shrinks the
# sweeps' largest span from 2^20 to 2^16 elements (tests/support.hpp): every
# path and boundary is still crossed, and the stage keeps CI inside its budget.
INERTIA_TEST_QUICK=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/sanitize -j"$jobs" --output-on-failure -E '^consumer[.]add_subdirectory$'

echo "==> libFuzzer on the C ABI, 60 s from the committed corpus (build/fuzz, clang + ASan + UBSan)"
ensure_packages clang libclang-rt-14-dev libomp-14-dev
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINERTIA_SANITIZE=ON \
  -DINERTIA_FUZZ=ON -DINERTIA_BUILD_TESTS=OFF -DINERTIA_BUILD_BENCHMARKS=OFF
cmake --build build/fuzz -j"$jobs" --target inertia-fuzz-c-abi
mkdir -p build/fuzz/corpus
build/fuzz/tests/fuzz/inertia-fuzz-c-abi -max_total_time=60 -print_final_stats=1 build/fuzz/corpus tests/fuzz/corpus
echo "fuzz: 1 passed, 0 failed"
