#pragma once
// How a target is chosen, as pure functions of the set of targets that run
// here: include/inertia/arch.hpp's functions call them with the set this
// build and CPU have (supported_targets()), and the tests with any other, so
// that "avx512f unsupported" is tested on a machine that has it.
#include <string>
#include <string_view>
#include <vector>

#include "inertia/arch.hpp"

namespace inertia::detail {

/// A set of targets: bit static_cast<unsigned>(target) for each.
using target_set = unsigned;

constexpr target_set target_bit(arch target) { return target_set(1) << static_cast<unsigned>(target); }

/// The targets this build compiles and this CPU runs (xsimd's cpuid, read once).
target_set supported_targets() noexcept;

/// Every target of the list (lib/targets/list.hpp), slowest first.
std::vector<arch> all_targets();

/// The targets of `supported`, slowest first.
std::vector<arch> targets_in(target_set supported);

/// The best target of `supported`: the last one in the list.
arch best_target(target_set supported);

/// What INERTIA_ARCH=requested selects ("auto", empty or null: the best one),
/// and in `warning` why a value it cannot honour fell back to the best one.
arch target_from_environment(const char* requested, target_set supported, std::string& warning);

/// Throws invalid_argument unless `supported` has target; `function` names the caller.
void require_supported(arch target, target_set supported, std::string_view function);

}  // namespace inertia::detail
