// Target selection: what the CPU supports (xsimd's cpuid), what this build
// compiled, and what the user forced (INERTIA_ARCH or set_arch). The choices
// themselves are target_selection.hpp's, as functions of the supported set.
#include "inertia/arch.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "inertia/error.hpp"
#include "target_selection.hpp"
#include "targets/list.hpp"

namespace inertia {
namespace {

constexpr int automatic = -1;
std::atomic<int> forced{automatic};

arch automatic_arch() noexcept {
  static const arch chosen = [] {
    std::string warning;
    const arch target =
        detail::target_from_environment(std::getenv("INERTIA_ARCH"), detail::supported_targets(), warning);
    if (!warning.empty()) std::fprintf(stderr, "inertia: %s\n", warning.c_str());
    return target;
  }();
  return chosen;
}

}  // namespace

std::string_view arch_name(arch target) noexcept {
  switch (target) {
#define INERTIA_TARGET_NAME_CASE(name, processors, flags, xsimd_arch, kernels_from, cpu_runs_it) \
  case arch::name: return #name;
    INERTIA_FOR_EACH_TARGET(INERTIA_TARGET_NAME_CASE)
#undef INERTIA_TARGET_NAME_CASE
  }
  return "unknown";
}

arch parse_arch(std::string_view name) {
  std::string names;
  for (arch target : detail::all_targets()) {
    if (name == arch_name(target)) return target;
    names += (names.empty() ? "" : ", ") + std::string(arch_name(target));
  }
  throw invalid_argument(error_kind::hyperparameter, "arch",
                         "inertia::parse_arch: '" + std::string(name) + "' is not one of " + names);
}

bool arch_supported(arch target) noexcept { return detail::supported_targets() & detail::target_bit(target); }

std::vector<arch> all_archs() { return detail::all_targets(); }

std::vector<arch> supported_archs() { return detail::targets_in(detail::supported_targets()); }

arch best_arch() noexcept { return detail::best_target(detail::supported_targets()); }

arch active_arch() noexcept {
  const int value = forced.load(std::memory_order_relaxed);
  return value == automatic ? automatic_arch() : static_cast<arch>(value);
}

void set_arch(arch target) {
  detail::require_supported(target, detail::supported_targets(), "inertia::set_arch");
  forced.store(static_cast<int>(target), std::memory_order_relaxed);
}

void reset_arch() { forced.store(automatic, std::memory_order_relaxed); }

}  // namespace inertia
