#pragma once
// The roofline: the best bandwidth this machine reaches for an access
// pattern, measured (never assumed) with the roofline kernels. It is measured
// in two steps, and only the second gives numbers a ratio may use:
//
//  1. calibrate_roofline: a short trial of every kernel of the pattern
//     (plain loop, software prefetch, streaming stores, memcpy), each on one
//     thread and on the whole budget, keeps for each of the two thread counts
//     its fastest kernel by the median, and any other within 10% of it (too
//     close for a short trial to rank). Only the choice is kept.
//  2. The caller then times every kept kernel (run_roofline) in the same
//     rounds as the kernels it is compared with, interleaved with them, and
//     takes the fastest in each round as that round's roofline, so
//     that both sides of a ratio see the same machine: on a VM whose memory
//     bandwidth moves by tens of percent from minute to minute, a roofline
//     measured once, minutes before, says nothing about a kernel timed now.
//     Both thread counts stay in the rounds because which one wins depends
//     on the moment: a core busy with another process during the calibration
//     would otherwise leave a one-thread roofline that two threads beat.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/access_pattern.hpp"
#include "roofline/roofline_kernels.hpp"
#include "common/step_buffers.hpp"

namespace inertia::bench {

/// The roofline kernel and thread count a calibration chose for one pattern,
/// element type, span and thread budget.
template <class T>
struct roofline_choice {
  access_pattern pattern = access_pattern::copy_1r1w;
  std::string_view kernel;        ///< e.g. "loop", "prefetch"
  range_function<T> run = nullptr;
  int threads = 1;
  /// The winner's median in the calibration: informative only, never a ratio's denominator.
  double calibration_bytes_per_second = 0.0;
  /// "loop x2": what reports print.
  std::string label() const { return std::string(kernel) + " x" + std::to_string(threads); }
};

/// `starting`, when given, hears of each kernel and thread count before it runs
/// (the profiler shows it as progress).
using roofline_listener = std::function<void(std::string_view kernel, int threads)>;

/// Times every kernel of `pattern` on 1 and on `max_threads` threads, 3
/// interleaved samples of at least `min_sample_seconds` each, and returns, for
/// 1 thread then `max_threads`, the kernel with the best median and those within
/// 10% of it. Overwrites the buffers' contents.
template <class T>
std::vector<roofline_choice<T>> calibrate_roofline(access_pattern pattern, const step_buffers<T>& buffers, int max_threads,
                                      double min_sample_seconds = 2e-3, const roofline_listener& starting = {});

/// One call of the chosen kernel over all of `buffers`, on its thread count.
template <class T>
void run_roofline(const roofline_choice<T>& choice, const step_buffers<T>& buffers);

extern template std::vector<roofline_choice<float>> calibrate_roofline<float>(access_pattern, const step_buffers<float>&,
                                                                              int, double, const roofline_listener&);
extern template std::vector<roofline_choice<double>> calibrate_roofline<double>(access_pattern,
                                                                                const step_buffers<double>&, int, double,
                                                                                const roofline_listener&);
extern template void run_roofline<float>(const roofline_choice<float>&, const step_buffers<float>&);
extern template void run_roofline<double>(const roofline_choice<double>&, const step_buffers<double>&);

}  // namespace inertia::bench
