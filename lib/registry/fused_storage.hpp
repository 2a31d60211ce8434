#pragma once
// The mixed-storage modes that have a fused kernel of their own
// (lib/variants/rules.hpp: the rule reads and writes each buffer in its type
// in one pass, master copy included). Every other mode of
// inertia_optimizer_step_storage is staged (lib/staged_storage.hpp). Both
// give the same bits: the float32 step on the widened values, each stored
// value rounded to its buffer's type. A fused mode is the speed of the modes
// the engines run (SGD with a float32 master or split bf16, Adam with
// bf16 moments); staging moves the same bytes from DRAM but makes extra
// passes through cache, which cost 20-50% at DRAM sizes.
//
// A variant that fuses some mode declares
//   static constexpr bool fuses(fused_mode mode);
//   template <fused_mode Mode>
//   static Rule make_fused_rule(const inertia_tensor&, void* master, const options_type&, std::int64_t steps_taken);
#include "inertia/inertia.h"

namespace inertia::detail {

enum class fused_mode {
  none,
  bf16_master_f32,  ///< bf16 params and grads, float32 master and state
  split_bf16,       ///< bf16 params (top halves) and grads, bottom halves, float32 state
  bf16_moments,     ///< float32 params and grads, bf16 state
};

/// Stochastic rounding is staged (the fused rules round to nearest even);
/// split bf16 rounds nothing, and stays fused.
inline fused_mode fused_mode_of(const inertia_storage& s) {
  const bool nearest = s.rounding == INERTIA_ROUND_NEAREST_EVEN;
  const bool bf16_weights = s.param_dtype == INERTIA_BFLOAT16 && s.grad_dtype == INERTIA_BFLOAT16 &&
                            s.state_dtype == INERTIA_FLOAT32;
  if (bf16_weights && s.master_weights == INERTIA_MASTER_FLOAT32 && nearest) return fused_mode::bf16_master_f32;
  if (bf16_weights && s.master_weights == INERTIA_MASTER_SPLIT) return fused_mode::split_bf16;
  if (s.param_dtype == INERTIA_FLOAT32 && s.grad_dtype == INERTIA_FLOAT32 && s.state_dtype == INERTIA_BFLOAT16 &&
      s.master_weights == INERTIA_MASTER_NONE && nearest)
    return fused_mode::bf16_moments;
  return fused_mode::none;
}

}  // namespace inertia::detail
