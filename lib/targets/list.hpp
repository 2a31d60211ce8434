#pragma once
// The one list of ISA targets. Everything per target comes from it:
//   - lib/CMakeLists.txt reads the X(...) lines below (name, processors,
//     -m flags) and compiles lib/targets/instantiate.hpp once per target the
//     processor has, with that target's flags and nothing else;
//   - the C++ side expands INERTIA_FOR_EACH_TARGET: the dispatch switch and
//     each target's entry points (lib/dispatch.hpp), the names (lib/arch.cpp),
//     the order and the CPU checks (lib/target_selection.cpp) and the xsimd
//     arch each target's loops are written for (instantiate.hpp);
//   - the test "target objects share no symbols" takes the names and the
//     xsimd archs from CMake's reading.
// A target's code lives in its own namespace, inertia::detail::target_<name>
// (INERTIA_TARGET_NAMESPACE), so that nothing compiled with one target's
// flags can share a symbol with code compiled with other flags.
//
// X(name, processors, flags, xsimd_arch, kernels_from, cpu_runs_it)
//   name        the inertia::arch enumerator (include/inertia/arch.hpp, in the
//               same order) and the name arch_name() prints and INERTIA_ARCH takes
//   processors  portable: every build; x86: x86-64 builds only (INERTIA_X86_TARGETS);
//               INERTIA_TARGETS may name a subset (lib/CMakeLists.txt)
//   flags       the compiler flags of the target's translation unit, one string,
//               space-separated (CMake reads it: keep it a literal on one line)
//   xsimd_arch  the xsimd architecture of its loops
//   kernels_from its own name, for a target that compiles every rule; or the
//               target whose kernels it runs for the rules its flags do not
//               change (lib/dispatch.hpp, compiles_rule): avx512bf16 adds
//               only the bfloat16 conversion instructions to avx512f, so it
//               compiles the rules that round to bfloat16 and runs the rest
//               on avx512f's kernels, the same code. That target is compiled
//               with it (lib/CMakeLists.txt).
//   cpu_runs_it whether this CPU runs it, from `cpu`, xsimd::available_architectures()
//
// Slowest first: the best supported target is the last one that runs.
// (avx2 also converts float16 with F16C, which every AVX2 + FMA processor has;
// xsimd 8.1 does not report it, nor AVX512-BF16: cpu_has_f16c() and
// cpu_has_avx512_bf16(), lib/target_selection.cpp. avx512bf16's loops are
// written for xsimd::avx512bw, an arch type of their own, so that none of its
// instantiations can be merged with avx512f's; BW and DQ come with BF16 on
// every processor that has it.)
#define INERTIA_FOR_EACH_TARGET(X)                                                                           \
  X(scalar, portable, "", ::inertia::detail::scalar_arch, scalar, true)                                     \
  X(sse2, x86, "-msse2", ::xsimd::sse2, sse2, cpu.sse2)                                                      \
  X(avx2, x86, "-mavx2 -mfma -mf16c", ::xsimd::fma3<::xsimd::avx2>, avx2, cpu.fma3_avx2 && cpu_has_f16c())    \
  X(avx512f, x86, "-mavx512f -mfma", ::xsimd::avx512f, avx512f, cpu.avx512f && cpu.fma3_avx2)                \
  X(avx512bf16, x86, "-mavx512f -mavx512bw -mavx512dq -mavx512bf16 -mfma", ::xsimd::avx512bw, avx512f, cpu.avx512f && cpu.avx512bw && cpu.avx512dq && cpu.fma3_avx2 && cpu_has_avx512_bf16())

/// inertia::detail::INERTIA_TARGET_NAMESPACE(avx2) is the avx2 target's namespace.
#define INERTIA_TARGET_NAMESPACE(name) INERTIA_TARGET_NAMESPACE_PASTE(name)
#define INERTIA_TARGET_NAMESPACE_PASTE(name) target_##name

/// INERTIA_IF_COMPILED(name, code...): the code when this build compiles the
/// target `name` (lib/CMakeLists.txt: the processor's targets, or those of
/// INERTIA_TARGETS), nothing otherwise.
#include "compiled_targets.hpp"
#define INERTIA_IF_COMPILED(name, ...) INERTIA_IF_COMPILED_##name(__VA_ARGS__)
