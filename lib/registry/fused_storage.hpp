#pragma once
// The mixed-storage modes that have a fused kernel of their own
// (lib/variants/rules.hpp: the rule reads and writes each buffer in its type
// in one pass, master copy included). Every other mode of
// inertia_optimizer_step_storage is staged (lib/staged_storage.hpp). Both
// give the same bits: the float32 step on the widened values, each stored
// value rounded to its buffer's type. A fused mode is the speed of the modes
// the engines run (SGD with a float32 master or split bf16, Adam with
// bf16 moments, and all-bf16 SGD and Adam rounded stochastically as torchao
// does); staging moves the same bytes from DRAM but makes extra passes
// through cache, which cost 20-50% at DRAM sizes (1.4-1.9x for the
// stochastic modes, measured: README "Mixed storage").
//
// A variant that fuses some mode declares
//   static constexpr bool fuses(fused_mode mode);
//   template <fused_mode Mode>
//   static Rule make_fused_rule(const inertia_tensor&, void* master, const options_type&, std::int64_t steps_taken,
//                               const inertia_storage&);
// (the storage gives a stochastically rounding mode its seed: stochastic_key_of below).
#include <cstdint>

#include "inertia/inertia.h"
#include "storage_pointers.hpp"
#include "variants/stochastic_narrow.hpp"

namespace inertia::detail {

enum class fused_mode {
  none,
  bf16_master_f32,  ///< bf16 params and grads, float32 master and state
  split_bf16,       ///< bf16 params (top halves) and grads, bottom halves, float32 state
  bf16_moments,     ///< float32 params and grads, bf16 state
  /// Stochastic rounding (storage_pointers.hpp's stochastic_pointer): the
  /// draws of a block are filled just before its step (simd/range.hpp).
  bf16_stochastic,               ///< bf16 params, grads and state, all rounded stochastically
  bf16_moments_stochastic,       ///< float32 params and grads, bf16 state rounded stochastically
};

/// The draws' key of buffer `stream` (0 the parameter, 1 + j state j) at
/// step `step`: the one definition the fused and the staged paths
/// (lib/staged_storage.cpp) both key their draws with.
inline stochastic_key stochastic_key_of(const inertia_storage& s, long long step, std::uint32_t stream) {
  return {s.seed, static_cast<std::uint32_t>(step), stream};
}

/// A fused mode's bf16 buffer `stream` (values: NULL where the step does not
/// keep it), rounded stochastically at step `step`.
inline stochastic_pointer<bfloat16> stochastic_bfloat16_buffer(void* values, const inertia_storage& s, long long step,
                                                               std::uint32_t stream) {
  return {static_cast<bfloat16*>(values), 0, stochastic_key_of(s, step, stream)};
}

/// Split bf16 rounds nothing, whatever the rounding. Every other stochastic
/// mode (fp16, a float32 master's model copy, bf16 weights with float32
/// state) is staged.
inline fused_mode fused_mode_of(const inertia_storage& s) {
  const bool nearest = s.rounding == INERTIA_ROUND_NEAREST_EVEN;
  const bool bf16_params_grads = s.param_dtype == INERTIA_BFLOAT16 && s.grad_dtype == INERTIA_BFLOAT16;
  if (bf16_params_grads && s.state_dtype == INERTIA_BFLOAT16 && s.master_weights == INERTIA_MASTER_NONE && !nearest)
    return fused_mode::bf16_stochastic;
  const bool bf16_weights = bf16_params_grads && s.state_dtype == INERTIA_FLOAT32;
  if (bf16_weights && s.master_weights == INERTIA_MASTER_FLOAT32 && nearest) return fused_mode::bf16_master_f32;
  if (bf16_weights && s.master_weights == INERTIA_MASTER_SPLIT) return fused_mode::split_bf16;
  if (s.param_dtype == INERTIA_FLOAT32 && s.grad_dtype == INERTIA_FLOAT32 && s.state_dtype == INERTIA_BFLOAT16 &&
      s.master_weights == INERTIA_MASTER_NONE)
    return nearest ? fused_mode::bf16_moments : fused_mode::bf16_moments_stochastic;
  return fused_mode::none;
}

}  // namespace inertia::detail
