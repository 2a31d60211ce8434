#include "profile/report.hpp"

#include <cstdio>
#include <string>

#include "profile/storage_mode.hpp"

namespace inertia::bench {
namespace {

std::string format(const char* pattern, auto... values) {
  char buffer[512];
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

std::string percent_cell(const spread& s) { return format("%5.1f%% (%.1f-%.1f)", s.median, s.q1, s.q3); }
std::string speedup_cell(const spread& s) { return format("%5.2fx (%.2f-%.2f)", s.median, s.q1, s.q3); }

nlohmann::ordered_json iqr_json(const spread& s) { return nlohmann::ordered_json::array({s.q1, s.q3}); }

// The storage modes' table: bytes per element instead of the baseline (the
// naive peer has no half types), every stream's type in the storage column.
void print_storage_table(std::ostream& out, const std::vector<profile_result>& results) {
  const profile_result& first = results.front();
  out << "workload " << first.workload << ": " << grouped(first.elements) << " parameters in " << first.tensors
      << (first.tensors == 1 ? " tensor; " : " tensors; ") << first.threads << (first.threads == 1 ? " thread" : " threads")
      << ", arch " << first.arch << ", " << first.strategy << " calls, " << first.rounds
      << " interleaved rounds (median, IQR in parentheses)\n\n";
  out << format("%-24s %-26s %6s %9s %9s %8s %9s %-20s %8s  %-12s\n", "variant", "storage", "B/elem", "MB/step", "ms/step",
                "GB/s", "roof GB/s", "% roof (IQR)", "roof IQR", "roofline kernel");
  bool any_noisy = false;
  for (const profile_result& r : results) {
    any_noisy |= r.roofline_noisy;
    out << format("%-24s %-26s %6zu %9.1f %9.3f %8.2f %9.2f %-20s %7.1f%%%s %-12s\n", r.variant.c_str(),
                  r.storage_label.c_str(), r.elements ? r.bytes_per_step / r.elements : std::size_t{0},
                  static_cast<double>(r.bytes_per_step) / 1e6, r.ms_per_step, r.gbps, r.roofline_gbps,
                  percent_cell(r.pct_of_roofline).c_str(), r.roofline_spread_pct, r.roofline_noisy ? "!" : " ",
                  r.roofline_kernel.c_str());
  }
  out << "\nstreams (r read, w written, bytes per element):\n";
  for (const profile_result& r : results) out << format("  %-24s %s\n", r.variant.c_str(), r.pattern.c_str());
  out << "\nB/elem counts every stream in its own type, once per read and once per write (a float32 master's\n"
         "bf16/fp16 model copy: written only); GB/s = B/elem x parameters / time.\n"
         "Each round takes one sample of the roofline and the library (in an order that rotates from round\n"
         "to round); % roof is the median of the per-round ratios; ms/step and GB/s are median times.\n"
         "roof: per round, the fastest of the mixed-width roofline kernel (plain and prefetching loops, on 1\n"
         "thread and on the whole budget) over flat buffers of the same streams, widths and total size\n"
         "(roofline/mixed_roofline.hpp); roofline kernel: the one fastest in most rounds.\n"
         "roof IQR: the spread of the roofline's own samples in this configuration (IQR / median).\n";
  if (any_noisy)
    out << format("!: above %.0f%%: the machine's bandwidth moved during this configuration; the paired ratio\n"
                  "   is still valid, but read the absolute GB/s as noisy.\n",
                  noisy_roofline_spread_pct);
}

}  // namespace

void print_table(std::ostream& out, const std::vector<profile_result>& results) {
  if (results.empty()) return;
  if (results.front().storage) return print_storage_table(out, results);
  const profile_result& first = results.front();
  out << "workload " << first.workload << ": " << grouped(first.elements) << " parameters in " << first.tensors
      << (first.tensors == 1 ? " tensor; " : " tensors; ") << first.threads << (first.threads == 1 ? " thread" : " threads")
      << ", arch " << first.arch << ", " << first.strategy << " calls, " << first.rounds
      << " interleaved rounds (median, IQR in parentheses)\n\n";
  out << format("%-24s %-5s %9s %9s %8s %9s %-20s %9s %-19s %8s  %-12s\n", "variant", "dtype", "MB/step", "ms/step", "GB/s",
                "roof GB/s", "% roof (IQR)", "base GB/s", "speedup (IQR)", "roof IQR", "roofline kernel");
  bool any_noisy = false;
  for (const profile_result& r : results) {
    any_noisy |= r.roofline_noisy;
    out << format("%-24s %-5s %9.1f %9.3f %8.2f %9.2f %-20s %9.2f %-19s %7.1f%%%s %-12s\n", r.variant.c_str(),
                  r.dtype.c_str(), static_cast<double>(r.bytes_per_step) / 1e6, r.ms_per_step, r.gbps, r.roofline_gbps,
                  percent_cell(r.pct_of_roofline).c_str(), r.baseline_gbps, speedup_cell(r.speedup_vs_baseline).c_str(),
                  r.roofline_spread_pct, r.roofline_noisy ? "!" : " ", r.roofline_kernel.c_str());
  }
  bool any_peer = false;
  for (const profile_result& r : results) any_peer |= !r.peers.empty();
  if (any_peer) {
    out << "\nexternal peers, sampled in the same rounds (speedup: inertia over the peer)\n";
    out << format("%-24s %-5s %-16s %9s %8s %-19s\n", "variant", "dtype", "peer", "ms/step", "GB/s", "speedup (IQR)");
    for (const profile_result& r : results)
      for (const peer_result& p : r.peers)
        out << format("%-24s %-5s %-16s %9.3f %8.2f %-19s\n", r.variant.c_str(), r.dtype.c_str(), p.name.c_str(),
                      p.ms_per_step, p.gbps, speedup_cell(p.speedup).c_str());
  }
  out << "\nGB/s counts the bytes the algorithm must move: elements read + written per parameter, 5 for the\n"
         "momentum steps, 3 for lookahead and weight_ema, 7 for Adam/AdamW/NAdam and LARS (its norm pass\n"
         "reads w and g once more), 9 for AggMo with 3 velocities.\n"
         "Each round takes one sample of the roofline, the library and the baseline (in an order that rotates\n"
         "from round to round); % roof and speedup are the median of the per-round ratios, so both sides of\n"
         "a ratio were measured side by side; ms/step and the GB/s columns are median times.\n"
         "roof: per round, the fastest of the calibrated same-pattern kernels (on 1 thread and on the whole\n"
         "budget: the best, and any within 10% of it) over flat buffers of the same total size; roofline\n"
         "kernel: the one fastest in most rounds;\n"
         "base: the naive scalar loop (tests/reference, vectorizer off) on the same tensors.\n"
         "roof IQR: the spread of the roofline's own samples in this configuration (IQR / median).\n";
  if (any_noisy)
    out << format("!: above %.0f%%: the machine's bandwidth moved during this configuration; the paired ratio\n"
                  "   is still valid, but read the absolute GB/s as noisy.\n",
                  noisy_roofline_spread_pct);
}

nlohmann::ordered_json to_json(const std::vector<profile_result>& results) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const profile_result& r : results) {
    nlohmann::ordered_json peers = nlohmann::ordered_json::array();
    for (const peer_result& p : r.peers)
      peers.push_back({{"name", p.name},
                       {"ms_per_step", p.ms_per_step},
                       {"gbps", p.gbps},
                       {"speedup", p.speedup.median},
                       {"speedup_iqr", iqr_json(p.speedup)}});
    nlohmann::ordered_json samples = nlohmann::ordered_json::object();
    for (const contestant_samples& c : r.samples) {
      nlohmann::ordered_json ms = nlohmann::ordered_json::array();
      for (double s : c.seconds) ms.push_back(s * 1e3);
      samples[c.name] = ms;
    }
    nlohmann::ordered_json candidates = nlohmann::ordered_json::object();
    for (const contestant_samples& c : r.roofline_candidates) {
      nlohmann::ordered_json ms = nlohmann::ordered_json::array();
      for (double s : c.seconds) ms.push_back(s * 1e3);
      candidates[c.name] = ms;
    }
    all.push_back({{"workload", r.workload},
                   {"variant", r.variant},
                   {"dtype", r.dtype},
                   {"threads", r.threads},
                   {"arch", r.arch},
                   {"strategy", r.strategy},
                   {"elements", r.elements},
                   {"tensors", r.tensors},
                   {"rounds", r.rounds},
                   {"pattern", r.pattern},
                   {"bytes_per_element", r.elements ? r.bytes_per_step / r.elements : 0},
                   {"bytes_per_step", r.bytes_per_step},
                   {"ms_per_step", r.ms_per_step},
                   {"gbps", r.gbps},
                   {"roofline_kernel", r.roofline_kernel},
                   {"roofline_ms_per_step", r.roofline_ms_per_step},
                   {"roofline_gbps", r.roofline_gbps},
                   {"roofline_spread_pct", r.roofline_spread_pct},
                   {"roofline_noisy", r.roofline_noisy},
                   {"pct_of_roofline", r.pct_of_roofline.median},
                   {"pct_of_roofline_iqr", iqr_json(r.pct_of_roofline)},
                   {"baseline_ms_per_step", r.baseline_ms_per_step},
                   {"baseline_gbps", r.baseline_gbps},
                   {"speedup_vs_baseline", r.speedup_vs_baseline.median},
                   {"speedup_vs_baseline_iqr", iqr_json(r.speedup_vs_baseline)},
                   {"peers", peers},
                   {"samples_ms", samples},
                   {"roofline_candidates_ms", candidates},
                   {"round_order", r.round_order},
                   {"round_first", r.round_first}});
    if (r.storage) {  // the storage modes only: the fixed-type rows keep their keys
      const inertia_storage& s = *r.storage;
      all.back()["storage"] = {{"label", r.storage_label},
                               {"param_dtype", storage_dtype_name(s.param_dtype)},
                               {"grad_dtype", storage_dtype_name(s.grad_dtype)},
                               {"state_dtype", storage_dtype_name(s.state_dtype)},
                               {"master_weights", s.master_weights == INERTIA_MASTER_FLOAT32 ? "f32"
                                                  : s.master_weights == INERTIA_MASTER_SPLIT ? "split"
                                                                                             : "none"},
                               {"rounding", s.rounding == INERTIA_ROUND_STOCHASTIC ? "stochastic" : "nearest"}};
    }
  }
  return all;
}

}  // namespace inertia::bench
