#pragma once
// How a rule's vector stores to its output reach memory.
//
// An ordinary store first reads the line it writes (read-for-ownership), so a
// rule that writes a separate, write-only output (nesterov_lookahead: two
// streams in, a fresh one out) moves 4 lines per 3 it needs. A non-temporal
// ("streaming") store writes whole lines without reading them and without
// keeping them in cache. That pays only when the call's data cannot stay in
// the last-level cache anyway: below it the output is best left in cache for
// whoever reads it next. In-place rules never stream: they read every line
// they write, so there is no read to save, and the update would leave the cache.
//
// A rule opts in with `static constexpr bool streams_output = true;`, writes
// its output with Lanes::store_output (an ordinary store unless the policy
// says stream), and its anchor() must be that output: the range loop aligns
// the anchor, so every full-vector store_output is an aligned one. The driver
// picks the policy per call (stream_outputs below), and runs _mm_sfence on
// every thread that streamed before the parallel region ends: streaming
// stores are weakly ordered. Stores never change a value: results are the
// same bits under either policy.
#include <cstddef>

#include "inertia/execution.hpp"

namespace inertia::detail {

enum class store_policy { cached, streaming };

/// Whether Rule allows its output to be written with streaming stores.
template <class Rule>
inline constexpr bool streams_output = requires { requires Rule::streams_output; };

/// The largest data or unified cache of cpu0, read once: /sys first, then
/// sysconf(_SC_LEVEL3/2_CACHE_SIZE), then 32 MiB. /sys comes first because
/// glibc's sysconf can report the whole package's L3 (384 MiB on the 2-core
/// reference VM, whose cores see a 32 MiB L3).
std::size_t last_level_cache_bytes();

/// Whether a call moving bytes_moved should stream the outputs of the rules
/// that allow it: execution::min_bytes_to_stream, or the last-level cache size.
inline bool stream_outputs(std::size_t bytes_moved, const execution& exec) {
  const std::size_t threshold = exec.min_bytes_to_stream ? exec.min_bytes_to_stream : last_level_cache_bytes();
  return bytes_moved >= threshold;
}

}  // namespace inertia::detail
