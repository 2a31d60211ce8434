#pragma once
// Two vectors stepped as one: the lanes that range.hpp runs a rule's full
// vectors with when the rule asks for it (Rule::pairs_vectors) and its loads
// and stores convert half-precision storage.
//
// Why: such a step is compute-bound, and Adam's element is a long chain (a
// square root, two divisions, then the rounding of the new weight) with
// conversions on both sides. Out of order, the dependent rounding of one
// vector filled Zen 2's floating-point scheduler before the next vector's
// square root could enter it. With a pair, every line of the rule issues its
// operation on both vectors: both square roots and divisions are under way
// before either vector's weight waits for them. And a pair of bf16 stores
// packs once (store_narrowed_pair). Measured on Zen 2, GPT-2 small, 2
// threads (scripts/bench_storage.py): all-bf16 Adam 1.07x -> 1.26x torch's
// fused bf16 Adam, all-bf16 SGD 1.52x -> 1.63x torch's fused bf16 SGD.
//
// Every operation is the one simd_lanes does, on each vector: the lanes give
// the same bits, and the tests of the rule on every target cover them.
#include <cstddef>
#include <type_traits>

#include "simd/lanes.hpp"
#include "simd/ops.hpp"
#include "storage_pointers.hpp"

namespace inertia::detail {

/// first: the elements at i, second: those at i + the vector's width.
template <class V>
struct lane_pair {
  V first, second;
  lane_pair() = default;
  lane_pair(const V& a, const V& b) : first(a), second(b) {}
  /// A broadcast, as V(scalar) is.
  template <class S>
    requires std::is_arithmetic_v<S>
  explicit lane_pair(S s) : first(s), second(s) {}
};

template <class V>
lane_pair<V> operator+(const lane_pair<V>& a, const lane_pair<V>& b) {
  return {a.first + b.first, a.second + b.second};
}
template <class V>
lane_pair<V> operator-(const lane_pair<V>& a, const lane_pair<V>& b) {
  return {a.first - b.first, a.second - b.second};
}
template <class V>
lane_pair<V> operator*(const lane_pair<V>& a, const lane_pair<V>& b) {
  return {a.first * b.first, a.second * b.second};
}
template <class V>
lane_pair<V> operator/(const lane_pair<V>& a, const lane_pair<V>& b) {
  return {a.first / b.first, a.second / b.second};
}

// The rounding-exact operations of simd/ops.hpp, on each vector.
template <class V>
lane_pair<V> fused_multiply_add(const lane_pair<V>& a, const lane_pair<V>& b, const lane_pair<V>& c) {
  return {fused_multiply_add(a.first, b.first, c.first), fused_multiply_add(a.second, b.second, c.second)};
}
template <class V>
lane_pair<V> square_root(const lane_pair<V>& x) {
  return {square_root(x.first), square_root(x.second)};
}
template <class V>
lane_pair<V> negate(const lane_pair<V>& x) {
  return {negate(x.first), negate(x.second)};
}
template <class V>
lane_pair<V> maximum(const lane_pair<V>& a, const lane_pair<V>& b) {
  return {maximum(a.first, b.first), maximum(a.second, b.second)};
}
template <class V>
lane_pair<V> clamp_to(const lane_pair<V>& x, const lane_pair<V>& low, const lane_pair<V>& high) {
  return {clamp_to(x.first, low.first, high.first), clamp_to(x.second, low.second, high.second)};
}

/// Lanes: simd_lanes of the target; each load and store is two of its own.
template <class Lanes>
struct paired_lanes {
  using value_type = typename Lanes::value_type;
  using arch_type = typename Lanes::arch_type;
  using vec = lane_pair<typename Lanes::vec>;
  static constexpr std::size_t width = 2 * Lanes::width;
  /// p: whatever the rule passes simd_lanes (T*, a half pointer, a master or split pointer).
  template <class Pointer>
  [[gnu::always_inline]] static vec load(const Pointer& p) {
    return {Lanes::load(p), Lanes::load(p + Lanes::width)};
  }
  /// A half array's values, and a float32 master's model copy, are rounded
  /// and stored for both vectors at once (store_narrowed_pair). Always
  /// inlined, as every load and store here: GCC 12 called the master store
  /// out of line, and heavy_ball's bf16 step with a float32 master ran at
  /// half its speed in L2.
  template <class Pointer>
  [[gnu::always_inline]] static void store(const Pointer& p, const vec& v) {
    if constexpr (is_half_pointer<Pointer>) {
      store_narrowed_pair<arch_type>(p, v.first, v.second);
    } else if constexpr (is_master_pointer<Pointer>) {
      v.first.store_unaligned(p.master);
      v.second.store_unaligned(p.master + Lanes::width);
      store_narrowed_pair<arch_type>(p.model, v.first, v.second);
    } else {
      Lanes::store(p, v.first);
      Lanes::store(p + Lanes::width, v.second);
    }
  }
  template <class Pointer>
  [[gnu::always_inline]] static void store_output(const Pointer& p, const vec& v) {
    if constexpr (is_half_pointer<Pointer> || is_master_pointer<Pointer>) {
      store(p, v);  // as simd_lanes: half outputs are never streamed
    } else {
      Lanes::store_output(p, v.first);
      Lanes::store_output(p + Lanes::width, v.second);
    }
  }

 private:
  template <class Pointer>
  static constexpr bool is_half_pointer =
      std::is_pointer_v<Pointer> && is_half_v<std::remove_cv_t<std::remove_pointer_t<Pointer>>>;
  template <class Pointer>
  static constexpr bool is_master_pointer = is_master_pointer_v<Pointer>;
};

}  // namespace inertia::detail
