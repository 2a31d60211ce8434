#pragma once
// The profiler's two outputs: a table for people, JSON for scripts.
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "profile/profiler.hpp"

namespace inertia::bench {

void print_table(std::ostream& out, const std::vector<profile_result>& results);

/// One object per result, with every field of profile_result.
nlohmann::ordered_json to_json(const std::vector<profile_result>& results);

}  // namespace inertia::bench
