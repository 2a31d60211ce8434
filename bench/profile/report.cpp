#include "profile/report.hpp"

#include <cstdio>
#include <string>

namespace inertia::bench {
namespace {

std::string format(const char* pattern, auto... values) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, values...);
  return buffer;
}

// 124439808 -> "124,439,808"
std::string grouped(std::size_t value) {
  std::string digits = std::to_string(value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

void print_table(std::ostream& out, const std::vector<profile_result>& results) {
  if (results.empty()) return;
  const profile_result& first = results.front();
  out << "workload " << first.workload << ": " << grouped(first.elements) << " parameters in " << first.tensors
      << (first.tensors == 1 ? " tensor; " : " tensors; ") << first.threads << (first.threads == 1 ? " thread" : " threads") << ", arch " << first.arch
      << ", " << first.strategy << " calls, median of " << first.steps << " steps\n\n";
  out << format("%-24s %-5s %10s %9s %8s %9s %7s %9s %8s %-14s\n", "variant", "dtype", "MB/step", "ms/step", "GB/s",
                "roof GB/s", "% roof", "base GB/s", "speedup", "roofline kernel");
  for (const profile_result& r : results)
    out << format("%-24s %-5s %10.1f %9.3f %8.2f %9.2f %6.1f%% %9.2f %7.2fx %-14s\n", r.variant.c_str(),
                  r.dtype.c_str(), static_cast<double>(r.bytes_per_step) / 1e6, r.ms_per_step, r.gbps,
                  r.roofline_gbps, r.pct_of_roofline, r.baseline_gbps, r.speedup_vs_baseline,
                  r.roofline_kernel.c_str());
  out << "\nGB/s counts the bytes the algorithm must move: elements read + written per parameter, 5 for the\n"
         "momentum steps, 3 for lookahead and weight_ema, 7 for Adam/AdamW/NAdam and LARS (its norm pass\n"
         "reads w and g once more), 9 for AggMo with 3 velocities.\n"
         "roof: the best same-pattern kernel over buffers of the same total size and thread budget, measured\n"
         "in this run; base: the naive scalar loop (tests/reference, vectorizer off) on the same tensors.\n";
}

nlohmann::ordered_json to_json(const std::vector<profile_result>& results) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const profile_result& r : results)
    all.push_back({{"workload", r.workload},
                   {"variant", r.variant},
                   {"dtype", r.dtype},
                   {"threads", r.threads},
                   {"arch", r.arch},
                   {"strategy", r.strategy},
                   {"elements", r.elements},
                   {"tensors", r.tensors},
                   {"steps", r.steps},
                   {"pattern", r.pattern},
                   {"bytes_per_element", r.elements ? r.bytes_per_step / r.elements : 0},
                   {"bytes_per_step", r.bytes_per_step},
                   {"ms_per_step", r.ms_per_step},
                   {"gbps", r.gbps},
                   {"roofline_gbps", r.roofline_gbps},
                   {"roofline_kernel", r.roofline_kernel},
                   {"pct_of_roofline", r.pct_of_roofline},
                   {"baseline_ms_per_step", r.baseline_ms_per_step},
                   {"baseline_gbps", r.baseline_gbps},
                   {"speedup_vs_baseline", r.speedup_vs_baseline}});
  return all;
}

}  // namespace inertia::bench
