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
# ctest runs one more test than there are cores: many tests wait on processes, sockets or a consumer
# project's configure step, and a core left idle meanwhile is CI time lost.
test_jobs=$((jobs + 1))
# ctest runs test programs side by side: idle OpenMP workers must sleep, not
# spin against each other on a 2-core machine.
export OMP_WAIT_POLICY=passive

echo "==> [${SECONDS} s] Release build (build/release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j"$jobs"
echo "==> [${SECONDS} s] Tests, Release; ISA targets on this CPU: $(build/release/tests/inertia-arch-from-env)"
ctest --test-dir build/release -j"$test_jobs" --output-on-failure

echo "==> [${SECONDS} s] Python package: pip install . into a venv, pytest python/tests (scripts/test_python.sh)"
bash scripts/test_python.sh

echo "==> [${SECONDS} s] AddressSanitizer + UndefinedBehaviorSanitizer build (build/sanitize)"
# -g1: line tables for the sanitizers' reports, lighter to build than -g's full debug info.
# Two ISA targets, the portable one and avx2 (every CI machine runs it): the Release stage ran every target
# the CPU has against the references; here the driver's and the kernels' memory accesses and UB are what is
# checked, and a vector width more adds compile time and sweep time, not paths. The tests' own code and the
# library's glue (everything but the kernels, which keep -O2) at -O0: each compiles in half the time.
# inertia-check (a tool over the C ABI, with its own tests) is built and run by the Release stage only.
cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
  -DINERTIA_SANITIZE=ON -DINERTIA_BUILD_BENCHMARKS=OFF "-DINERTIA_TARGETS=scalar;avx2" -DINERTIA_TEST_OPTIMIZATION=-O0 \
  -DINERTIA_GLUE_OPTIMIZATION=-O0 -DINERTIA_BUILD_TOOLS=OFF \
  -DINERTIA_BUILD_EXAMPLES=OFF  # Open MPI's own allocations would fail LeakSanitizer; Release runs the example
cmake --build build/sanitize -j"$jobs"
echo "==> [${SECONDS} s] Tests under sanitizers"
# consumer.add_subdirectory builds its own plain Release copy of the library:
# the Release stage has run it already. INERTIA_TEST_QUICK=1 shrinks the
# sweeps' largest span from 2^20 to 2^16 elements (tests/support.hpp): every
# path and boundary is still crossed, and the stage keeps CI inside its budget.
# The 100-step trajectory tests are left to the Release stage: a hundred repeats of the calls the sweeps
# make, numerics rather than memory. So are the two equivalence sweeps (the generic call against every
# variant's own, every C entry point against the C++ API: 100 s of the stage's CPU): bits, which Release
# checks; the fuzzer below drives the same entry points under the same sanitizers. INERTIA_TEST_QUICK=1 as above.
INERTIA_TEST_QUICK=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/sanitize -j"$test_jobs" --output-on-failure \
  -E '^consumer[.]add_subdirectory$|trajector|is bit-identical to every variant|every C entry point gives'

echo "==> [${SECONDS} s] libFuzzer on the C ABI, 45 s from the committed corpus (build/fuzz, clang + ASan + UBSan)"
ensure_packages clang libclang-rt-14-dev libomp-14-dev
# The fuzzer looks for holes in the C ABI's checks, which no ISA target changes: the portable target alone
# (INERTIA_X86_TARGETS=OFF) keeps this third build of the library short; the sanitizer stage above ran the
# SIMD targets' kernels under ASan + UBSan. -O1 -g1, the glue at -O0: a shorter build, and still line
# numbers in a report.
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DINERTIA_SANITIZE=ON -DINERTIA_GLUE_OPTIMIZATION=-O0 \
  -DINERTIA_FUZZ=ON -DINERTIA_BUILD_TESTS=OFF -DINERTIA_BUILD_BENCHMARKS=OFF -DINERTIA_BUILD_EXAMPLES=OFF \
  -DINERTIA_X86_TARGETS=OFF
cmake --build build/fuzz -j"$jobs" --target inertia-fuzz-c-abi
mkdir -p build/fuzz/corpus
build/fuzz/tests/fuzz/inertia-fuzz-c-abi -max_total_time=45 -print_final_stats=1 build/fuzz/corpus tests/fuzz/corpus
echo "fuzz: 1 passed, 0 failed"
echo "==> [${SECONDS} s] every stage passed"
