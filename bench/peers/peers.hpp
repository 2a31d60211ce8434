#pragma once
// The peers the library is measured against. Each computes one variant over
// elements [begin, end) of the buffers on the calling thread; threads are
// added by the caller (common/parallel_chunks.hpp).
//   naive:   tests/reference/<variant>.hpp, vectorizer off (the baseline)
//   autovec: the same loops at -O3 -march=native
//   eigen:   Eigen array expressions (only when Eigen3 was found)
// A peer is code written for each variant by hand (that is its point), found
// by the variant's registry name in the peer's table; a variant the table
// does not name has no peer of that kind, and the suite no row for it.
// Settings are read from the variant's handle (variant::option) when the step
// is made, so the peers measure what the library is given.
#include <cstddef>
#include <functional>
#include <span>
#include <string_view>

#include "common/step_buffers.hpp"
#include "common/variant.hpp"

namespace inertia::bench {

/// One variant's step over elements [begin, end) of the buffers.
template <class T>
using range_step = std::function<void(const step_buffers<T>&, std::size_t begin, std::size_t end)>;

/// One row of a peer's table: the step of one variant, by its registry name
/// ("lookahead" for the look-ahead).
struct peer_entry {
  std::string_view name;
  range_step<float> (*f32)(const variant&);
  range_step<double> (*f64)(const variant&);
};

/// The table's step for v; empty when it has none.
template <class T>
range_step<T> find_peer_step(std::span<const peer_entry> table, const variant& v) {
  const std::string_view key = v.is_lookahead() ? std::string_view("lookahead") : std::string_view(v.registry_name);
  for (const peer_entry& entry : table)
    if (entry.name == key) {
      if constexpr (sizeof(T) == 4)
        return entry.f32(v);
      else
        return entry.f64(v);
    }
  return {};
}

}  // namespace inertia::bench

#define INERTIA_BENCH_DECLARE_PEER(NAME)                                                   \
  namespace inertia::bench::NAME {                                                         \
  /** v's step with its settings, or empty: this peer has no code for v. */                \
  template <class T>                                                                       \
  range_step<T> step_for(const variant& v);                                                \
  extern template range_step<float> step_for<float>(const variant&);                       \
  extern template range_step<double> step_for<double>(const variant&);                     \
  }

INERTIA_BENCH_DECLARE_PEER(naive)
INERTIA_BENCH_DECLARE_PEER(autovec)
#if defined(INERTIA_BENCH_HAVE_EIGEN)
INERTIA_BENCH_DECLARE_PEER(eigen)
#endif

#undef INERTIA_BENCH_DECLARE_PEER
