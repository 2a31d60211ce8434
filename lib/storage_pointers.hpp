#pragma once
// Where a fused mixed-storage rule keeps its weights (inertia.h,
// inertia_optimizer_step_storage): a parameter "pointer" that is two arrays.
// A rule written against `Param param` loads `param + i` and stores to it as
// it would a float*, and the Lanes overloads (simd/lanes.hpp) do the rest:
//   master_pointer<Half>: loads the float32 master; stores the master and its
//     rounding to the bf16/fp16 model copy, in the same pass;
//   split_pointer: IPEX's split bf16, the float32 master as its top 16 bits
//     (the model's bf16 weights, a truncation) and its bottom 16 bits;
//   stochastic_pointer<Half>: a bf16/fp16 buffer (parameter or state) whose
//     stores round stochastically, each value with its element's draw
//     (simd/stochastic_draws.hpp), which the range loop has filled in for the
//     block it is stepping (simd/range.hpp, run_range_with_draws).
// Everything else about the step is the float32 rule's: the bits of the
// float32 master are the float32 step's.
#include <cstddef>
#include <cstdint>

#include "half_conversion.hpp"
#include "variants/stochastic_narrow.hpp"

namespace inertia::detail {

template <class Half>
struct master_pointer {
  float* master;
  Half* model;
  master_pointer operator+(std::size_t i) const { return {master + i, model + i}; }
};

template <class Pointer>
inline constexpr bool is_master_pointer_v = false;
template <class Half>
inline constexpr bool is_master_pointer_v<master_pointer<Half>> = true;

struct split_pointer {
  std::uint16_t* top;     ///< the model's bfloat16 weights
  std::uint16_t* bottom;  ///< the low halves
  split_pointer operator+(std::size_t i) const { return {top + i, bottom + i}; }
};

template <class Half>
struct stochastic_pointer {
  Half* values;
  /// The address of element 0's draw: the range loop's draw buffer minus the
  /// index of the block's first element, so that draws + 4 i is element i's
  /// draw for every i of that block. An integer, as it lies before the buffer.
  std::uintptr_t draws;
  stochastic_key key;  ///< the seed, the step and this buffer's stream
  stochastic_pointer operator+(std::size_t i) const { return {values + i, draws + i * sizeof(std::uint32_t), key}; }
  const std::uint32_t* draw() const { return reinterpret_cast<const std::uint32_t*>(draws); }
};

template <class Pointer>
inline constexpr bool is_stochastic_pointer_v = false;
template <class Half>
inline constexpr bool is_stochastic_pointer_v<stochastic_pointer<Half>> = true;

/// The stream the range loop aligns and the driver snaps blocks to.
template <class T>
const T* anchor_of(T* p) { return p; }
template <class Half>
const float* anchor_of(const master_pointer<Half>& p) { return p.master; }
inline const std::uint16_t* anchor_of(const split_pointer& p) { return p.top; }
template <class Half>
const Half* anchor_of(const stochastic_pointer<Half>& p) { return p.values; }

/// Bytes per element of a parameter stream, read and written (a model copy: written only).
template <class T>
constexpr std::size_t param_bytes(T*) { return 2 * sizeof(T); }
template <class Half>
constexpr std::size_t param_bytes(const master_pointer<Half>&) { return 2 * sizeof(float) + sizeof(Half); }
constexpr std::size_t param_bytes(const split_pointer&) { return 2 * sizeof(float); }
template <class Half>
constexpr std::size_t param_bytes(const stochastic_pointer<Half>&) { return 2 * sizeof(Half); }

/// Bytes of one element of a state stream (read or written once).
template <class T>
constexpr std::size_t element_bytes(T*) { return sizeof(T); }
template <class Half>
constexpr std::size_t element_bytes(const stochastic_pointer<Half>&) { return sizeof(Half); }

}  // namespace inertia::detail
