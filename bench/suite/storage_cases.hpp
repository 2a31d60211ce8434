#pragma once
// inertia-bench's half-precision and mixed-storage rows: which storage modes
// it measures, what --inertia_dtypes selects, and, per working set and thread
// count, the rows it registers. A row's streams (each with its own width and
// access) are inertia-profile's (profile/storage_mode.hpp, storage_streams):
// one description of a mode's traffic for both tools. Kept apart from the
// registration with Google Benchmark so the tests can check the rows' names,
// bytes and patterns without running any of them.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/variant.hpp"
#include "inertia/inertia.h"
#include "profile/storage_mode.hpp"

namespace inertia::bench {

/// A storage mode as inertia-bench names it in its rows.
struct storage_mode {
  std::string name;  ///< storage_mode_name(storage)
  inertia_storage storage{};
};

/// What a row calls a storage mode, in a form a --benchmark_filter regex can
/// take as it is: the param's type, then "+grad_<t>" when the gradient's
/// differs, "+state_<t>" when the state's differs from the default
/// (inertia-profile's and inertia.torch's: the param's, float32 beside a
/// master), "+master_f32" or "+master_split", then "+stochastic" for stochastic
/// rounding. "bf16": the plain bf16 step; "bf16+master_f32": bf16 params and
/// grads, float32 master and state.
std::string storage_mode_name(const inertia_storage& storage);

/// The modes inertia-bench measures, in report order: "bf16", "f16" (every
/// buffer in that type: the plain half step), "bf16+master_f32",
/// "f16+master_f32", "bf16+master_split", "bf16+state_f32", "f32+state_bf16",
/// all with nearest rounding, as inertia-profile steps them by default; and
/// "bf16+stochastic", the plain bf16 step stochastically rounded (seed 2026).
const std::vector<storage_mode>& storage_modes();
/// nullptr when no mode has that name.
const storage_mode* find_storage_mode(std::string_view name);

/// What --inertia_dtypes selects.
struct dtype_selection {
  bool f32 = true;
  bool f64 = true;
  std::vector<const storage_mode*> modes;  ///< in storage_modes() order, each once
};

/// --inertia_dtypes's value: comma-separated names among f32, f64 and the
/// storage modes, or "all" (every one of them). Throws std::invalid_argument
/// whose message names the entry it cannot read (an empty list, an empty
/// entry, an unknown name).
dtype_selection parse_dtype_selection(std::string_view list);

/// "param:rw2 grad:r2 state0:rw2" (storage_pattern_name) with '_' for the
/// spaces: one component of a benchmark name.
std::string stream_pattern_name(const std::vector<storage_stream>& streams);

/// One row of the storage family.
struct storage_case {
  std::string name;
  /// A library row: the variant stepped. A roofline row: the last library
  /// row's variant (and mode) of the pattern, whose layout its buffers take.
  const variant* v = nullptr;
  storage_mode mode;
  std::vector<storage_stream> streams;
  std::string pattern;        ///< stream_pattern_name(streams)
  bool roofline_row = false;  ///< the mixed roofline kernel itself, not the library
  bool prefetch = false;      ///< a roofline row: the software-prefetching loop
  std::size_t size = 0;       ///< elements per stream
  std::size_t working_set_bytes = 0;  ///< nominal: the workspace the row was sized for
  int threads = 1;

  /// Bytes one element moves: every stream's width once per read and once per write.
  std::size_t bytes_per_element() const;
  /// Bytes one element occupies: every stream's width once.
  std::size_t footprint_per_element() const;
};

/// The rows of one working set and thread count: per stream pattern, in the
/// order the patterns first appear (modes in `modes` order, variants in
/// all_variants() order), the library rows of every (mode, variant) with that
/// pattern, `<variant>/<mode>/inertia/<suffix>`, then the pattern's own
/// roofline rows, `<pattern>/mixed/{loop,prefetch}/<suffix>`. Grouped so that
/// rows sharing buffers run one after the other. Spans: working_set /
/// footprint_per_element(). A (mode, variant) the profiler does not measure
/// (storage_unsupported) or the library refuses (check_storage) has no row;
/// `refused`, when given, hears why, one line per such pair.
std::vector<storage_case> storage_cases(std::span<const storage_mode* const> modes, std::size_t working_set,
                                        const std::string& suffix, int threads,
                                        std::vector<std::string>* refused = nullptr);

}  // namespace inertia::bench
