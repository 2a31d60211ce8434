#pragma once
// Every rule the targets compile. A new variant adds its header here and one
// line to INERTIA_FOR_EACH_RULE (the rule for float, double and the half-precision
// storage types bfloat16 and float16, which compute in float); a rule that allows streaming
// stores (streams_output, store_policy.hpp) is also listed in
// INERTIA_FOR_EACH_STREAMING_RULE, which compiles its streaming kernels.
#include "variants/adagrad.hpp"
#include "variants/ademamix.hpp"
#include "variants/adam.hpp"
#include "variants/adan.hpp"
#include "variants/aggmo.hpp"
#include "variants/convert.hpp"
#include "variants/ema.hpp"
#include "variants/heavy_ball.hpp"
#include "variants/lamb.hpp"
#include "variants/lars.hpp"
#include "variants/lion.hpp"
#include "variants/lookahead.hpp"
#include "variants/qhm.hpp"
#include "variants/rmsprop.hpp"
#include "variants/schedule_free.hpp"
#include "variants/simplified_ademamix.hpp"
#include "variants/stochastic_narrow_apply.hpp"
#include "variants/sutskever.hpp"
#include "variants/weight_ema.hpp"

// The fused mixed-storage modes (registry/fused_storage.hpp) are the six
// aliases on the last lines but one, declared with their rules.
#define INERTIA_FOR_EACH_RULE(X)                                                                                                                     \
  X(heavy_ball_rule<float>) X(heavy_ball_rule<double>) X(heavy_ball_rule<bfloat16>) X(heavy_ball_rule<float16>)                                      \
  X(sutskever_rule<float>) X(sutskever_rule<double>) X(sutskever_rule<bfloat16>) X(sutskever_rule<float16>)                                          \
  X(ema_rule<float>) X(ema_rule<double>) X(ema_rule<bfloat16>) X(ema_rule<float16>)                                                                  \
  X(adam_rule<float>) X(adam_rule<double>) X(adam_rule<bfloat16>) X(adam_rule<float16>)                                                              \
  X(nadam_rule<float>) X(nadam_rule<double>) X(nadam_rule<bfloat16>) X(nadam_rule<float16>)                                                          \
  X(lars_rule<float>) X(lars_rule<double>) X(lars_rule<bfloat16>) X(lars_rule<float16>)                                                              \
  X(qhm_rule<float>) X(qhm_rule<double>) X(qhm_rule<bfloat16>) X(qhm_rule<float16>)                                                                  \
  X(aggmo_rule<float>) X(aggmo_rule<double>) X(aggmo_rule<bfloat16>) X(aggmo_rule<float16>)                                                          \
  X(lion_rule<float>) X(lion_rule<double>) X(lion_rule<bfloat16>) X(lion_rule<float16>)                                                              \
  X(weight_ema_rule<float>) X(weight_ema_rule<double>) X(weight_ema_rule<bfloat16>) X(weight_ema_rule<float16>)                                      \
  X(lookahead_rule<float>) X(lookahead_rule<double>) X(lookahead_rule<bfloat16>) X(lookahead_rule<float16>)                                          \
  X(adagrad_rule<float>) X(adagrad_rule<double>) X(adagrad_rule<bfloat16>) X(adagrad_rule<float16>)                                                  \
  X(rmsprop_rule<float>) X(rmsprop_rule<double>) X(rmsprop_rule<bfloat16>) X(rmsprop_rule<float16>)                                                  \
  X(adan_rule<float>) X(adan_rule<double>) X(adan_rule<bfloat16>) X(adan_rule<float16>)                                                              \
  X(schedule_free_sgd_rule<float>) X(schedule_free_sgd_rule<double>) X(schedule_free_sgd_rule<bfloat16>) X(schedule_free_sgd_rule<float16>)          \
  X(schedule_free_adamw_rule<float>) X(schedule_free_adamw_rule<double>) X(schedule_free_adamw_rule<bfloat16>) X(schedule_free_adamw_rule<float16>)  \
  X(ademamix_rule<float>) X(ademamix_rule<double>) X(ademamix_rule<bfloat16>) X(ademamix_rule<float16>) \
  X(lamb_moments_rule<float>) X(lamb_moments_rule<double>) X(lamb_moments_rule<bfloat16>) X(lamb_moments_rule<float16>) \
  X(lamb_update_rule<float>) X(lamb_update_rule<double>) X(lamb_update_rule<bfloat16>) X(lamb_update_rule<float16>) \
  X(lamb_apply_rule<float>) X(lamb_apply_rule<double>) X(lamb_apply_rule<bfloat16>) X(lamb_apply_rule<float16>) \
  X(simplified_ademamix_rule<float>) X(simplified_ademamix_rule<double>) X(simplified_ademamix_rule<bfloat16>) \
  X(simplified_ademamix_rule<float16>) \
  X(narrow_rule<bfloat16>) X(narrow_rule<float16>) X(widen_rule<bfloat16>) X(widen_rule<float16>) X(join_split_rule) X(split_rule) \
  X(heavy_ball_bf16_master_rule) X(heavy_ball_split_bf16_rule) X(adam_bf16_moments_rule) \
  X(heavy_ball_bf16_stochastic_rule) X(adam_bf16_stochastic_rule) X(adam_bf16_moments_stochastic_rule) \
  X(stochastic_narrow_rule<bfloat16>) X(stochastic_narrow_rule<float16>)

#define INERTIA_FOR_EACH_STREAMING_RULE(X) X(lookahead_rule<float>) X(lookahead_rule<double>)
