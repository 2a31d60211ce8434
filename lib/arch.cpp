// Target selection: what the CPU supports (xsimd's cpuid), what this build
// compiled, and what the user forced (INERTIA_ARCH or set_arch).
#include "inertia/arch.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <xsimd/config/xsimd_config.hpp>
#include <xsimd/config/xsimd_cpuid.hpp>

#include "inertia/error.hpp"

namespace inertia {
namespace {

constexpr int automatic = -1;
std::atomic<int> forced{automatic};

arch automatic_arch() noexcept {
  static const arch chosen = [] {
    const char* requested = std::getenv("INERTIA_ARCH");
    if (requested == nullptr || *requested == '\0' || std::string_view(requested) == "auto") return best_arch();
    try {
      const arch target = parse_arch(requested);
      if (arch_supported(target)) return target;
      std::fprintf(stderr, "inertia: INERTIA_ARCH=%s is not supported on this CPU/build; using %s\n", requested,
                   arch_name(best_arch()).data());
    } catch (const std::invalid_argument&) {
      std::fprintf(stderr, "inertia: INERTIA_ARCH=%s is not one of scalar|sse2|avx2|avx512f|auto; using %s\n",
                   requested, arch_name(best_arch()).data());
    }
    return best_arch();
  }();
  return chosen;
}

}  // namespace

std::string_view arch_name(arch target) noexcept {
  switch (target) {
    case arch::scalar: return "scalar";
    case arch::sse2: return "sse2";
    case arch::avx2: return "avx2";
    case arch::avx512f: return "avx512f";
  }
  return "unknown";
}

arch parse_arch(std::string_view name) {
  for (arch target : {arch::scalar, arch::sse2, arch::avx2, arch::avx512f})
    if (name == arch_name(target)) return target;
  throw invalid_argument(error_kind::hyperparameter, "arch",
                         "inertia::parse_arch: '" + std::string(name) + "' is not one of scalar, sse2, avx2, avx512f");
}

bool arch_supported(arch target) noexcept {
  if (target == arch::scalar) return true;
#if defined(INERTIA_X86_TARGETS)
  static const auto cpu = xsimd::available_architectures();
  switch (target) {
    case arch::sse2: return cpu.sse2;
    case arch::avx2: return cpu.fma3_avx2;
    case arch::avx512f: return cpu.avx512f && cpu.fma3_avx2;
    default: return false;
  }
#else
  return false;
#endif
}

std::vector<arch> supported_archs() {
  std::vector<arch> out;
  for (arch target : {arch::scalar, arch::sse2, arch::avx2, arch::avx512f})
    if (arch_supported(target)) out.push_back(target);
  return out;
}

arch best_arch() noexcept { return supported_archs().back(); }

arch active_arch() noexcept {
  const int value = forced.load(std::memory_order_relaxed);
  return value == automatic ? automatic_arch() : static_cast<arch>(value);
}

void set_arch(arch target) {
  if (!arch_supported(target))
    throw invalid_argument(error_kind::hyperparameter, "arch",
                           "inertia::set_arch: " + std::string(arch_name(target)) + " is not supported on this CPU/build");
  forced.store(static_cast<int>(target), std::memory_order_relaxed);
}

void reset_arch() { forced.store(automatic, std::memory_order_relaxed); }

}  // namespace inertia
