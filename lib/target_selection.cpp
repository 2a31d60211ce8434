#include "target_selection.hpp"

#include <iterator>

#include <xsimd/config/xsimd_config.hpp>
#include <xsimd/config/xsimd_cpuid.hpp>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "inertia/error.hpp"
#include "targets/list.hpp"

namespace inertia::detail {
namespace {

#define INERTIA_TARGET_ENUMERATOR(name, processors, flags, xsimd_arch, kernels_from, cpu_runs_it) arch::name,
constexpr arch listed_targets[] = {INERTIA_FOR_EACH_TARGET(INERTIA_TARGET_ENUMERATOR)};
#undef INERTIA_TARGET_ENUMERATOR

// The list and include/inertia/arch.hpp's enum name the targets in the same
// order, so that a target's enumerator is its place in the list.
static_assert([] {
  for (unsigned i = 0; i < std::size(listed_targets); ++i)
    if (static_cast<unsigned>(listed_targets[i]) != i) return false;
  return true;
}());

/// "scalar<separator>sse2<separator>..." in list order.
std::string joined_names(std::string_view separator) {
  std::string out;
  for (arch target : all_targets()) {
    if (!out.empty()) out += separator;
    out += arch_name(target);
  }
  return out;
}

#if defined(__x86_64__) || defined(__i386__)
// F16C (the avx2 target's float16 conversions): CPUID leaf 1, ECX bit 29.
// (__builtin_cpu_supports("f16c") is GCC's; clang 14 does not know the name.)
[[maybe_unused]] bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

// AVX512-BF16 (the avx512bf16 target's vcvtne(2)ps2bf16): CPUID leaf 7, sub-leaf 1, EAX bit 5.
[[maybe_unused]] bool cpu_has_avx512_bf16() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0 && (eax & (1u << 5)) != 0;
}
#endif

}  // namespace

target_set supported_targets() noexcept {
  static const target_set supported = [] {
    [[maybe_unused]] const auto cpu = xsimd::available_architectures();
    target_set set = 0;
#define INERTIA_ADD_IF_RUNS(name, processors, flags, xsimd_arch, kernels_from, cpu_runs_it) \
  INERTIA_IF_COMPILED(name, if (cpu_runs_it) set |= target_bit(arch::name);)
    INERTIA_FOR_EACH_TARGET(INERTIA_ADD_IF_RUNS)
#undef INERTIA_ADD_IF_RUNS
    return set;
  }();
  return supported;
}

std::vector<arch> all_targets() { return {std::begin(listed_targets), std::end(listed_targets)}; }

std::vector<arch> targets_in(target_set supported) {
  std::vector<arch> out;
  for (arch target : all_targets())
    if (supported & target_bit(target)) out.push_back(target);
  return out;
}

arch best_target(target_set supported) {
  const std::vector<arch> targets = targets_in(supported | target_bit(arch::scalar));
  return targets.back();
}

arch target_from_environment(const char* requested, target_set supported, std::string& warning) {
  warning.clear();
  const arch best = best_target(supported);
  if (requested == nullptr || *requested == '\0' || std::string_view(requested) == "auto") return best;
  try {
    const arch target = parse_arch(requested);
    if (supported & target_bit(target)) return target;
    warning = "INERTIA_ARCH=" + std::string(requested) + " is not supported on this CPU/build; using " +
              std::string(arch_name(best));
  } catch (const std::invalid_argument&) {
    warning = "INERTIA_ARCH=" + std::string(requested) + " is not one of " + joined_names("|") + "|auto; using " +
              std::string(arch_name(best));
  }
  return best;
}

void require_supported(arch target, target_set supported, std::string_view function) {
  if (!(supported & target_bit(target)))
    throw invalid_argument(error_kind::hyperparameter, "arch",
                           std::string(function) + ": " + std::string(arch_name(target)) +
                               " is not supported on this CPU/build");
}

}  // namespace inertia::detail
