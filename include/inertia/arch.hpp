#pragma once
// Runtime ISA dispatch. Every kernel is compiled once per target and the best
// target the CPU supports is chosen at first use, unless the environment
// variable INERTIA_ARCH (scalar|sse2|avx2|avx512f|avx512bf16|auto) or set_arch() says
// otherwise. All targets give bit-identical results.
#include <string_view>

#include "inertia/export.hpp"
#include <vector>

namespace inertia {

enum class arch {
  scalar,   ///< portable C++ (std::fma for fused multiply-adds)
  sse2,     ///< 128-bit SSE2; fused multiply-adds lane by lane with std::fma
  avx2,     ///< 256-bit AVX2 with FMA3 (xsimd::fma3<xsimd::avx2>)
  avx512f,  ///< 512-bit AVX-512F
  /// avx512f's kernels, but for the steps that round to bfloat16, which use
  /// AVX512-BF16's conversions (with AVX-512BW/DQ): the same bits
  avx512bf16,
};

/// "scalar", "sse2", "avx2", "avx512f", "avx512bf16".
INERTIA_API std::string_view arch_name(arch target) noexcept;

/// Parses a name as arch_name() prints it; throws std::invalid_argument otherwise.
INERTIA_API arch parse_arch(std::string_view name);

/// Every target the library knows, supported here or not, slowest first.
INERTIA_API std::vector<arch> all_archs();

/// Whether this build has the target and this CPU can run it.
INERTIA_API bool arch_supported(arch target) noexcept;

/// Every supported target, slowest first.
INERTIA_API std::vector<arch> supported_archs();

/// The best supported target.
INERTIA_API arch best_arch() noexcept;

/// The target calls use now.
INERTIA_API arch active_arch() noexcept;

/// Forces a target for every later call in the process; throws
/// std::invalid_argument if it is not supported here.
INERTIA_API void set_arch(arch target);

/// Back to the automatic choice (best_arch(), or INERTIA_ARCH when set).
INERTIA_API void reset_arch();

}  // namespace inertia
