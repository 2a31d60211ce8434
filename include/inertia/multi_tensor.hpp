#pragma once
// Multi-tensor steps: one call updates every parameter tensor of a model, the
// way torch's foreach/fused paths do, with one parallel region per call.
//
// Tensors are grouped as an optimizer's param_groups are: a group shares its
// options and its step counter. The work of all tensors is cut into
// cache-sized blocks in one index space (so a block may run from the end of
// one tensor into the next, and small tensors are batched together), and the
// blocks are dealt to threads the same way every step. Every element is
// computed exactly as the single-span call computes it, so the results are
// bit-identical to stepping each tensor alone.
//
// step counter: `step` is the number of steps the group has taken, so the
// call takes step t = step + 1 (heavy_ball: t == 1 is PyTorch's first step,
// the buffer is then initialised; ema: bias correction uses t) and, after a
// successful call, increments it: afterwards it is t, as torch's
// state["step"] is after an update. A failed call throws before writing anything, counters
// included; the message names the group and tensor, e.g. "group 0, tensor 57".
#include <cstdint>
#include <span>

#include "inertia/ema.hpp"
#include "inertia/execution.hpp"
#include "inertia/export.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/step_policy.hpp"
#include "inertia/sutskever.hpp"

namespace inertia {

template <class T>
struct heavy_ball_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> momentum_buffer;  ///< may be empty when the group's momentum is 0
};

/// One tensor of a variant whose state is one velocity (sutskever, ema).
template <class T>
struct velocity_tensor {
  std::span<T> param;
  std::span<const T> grad;
  std::span<T> velocity;
};

template <class Options, class Tensor>
struct param_group {
  Options options;
  std::span<const Tensor> tensors;
  std::int64_t step = 0;  ///< steps taken so far; incremented by each successful call
};

template <class T> using heavy_ball_group = param_group<heavy_ball_options, heavy_ball_tensor<T>>;
template <class T> using sutskever_group = param_group<sutskever_options, velocity_tensor<T>>;
template <class T> using ema_group = param_group<ema_options, velocity_tensor<T>>;

/// The multi-tensor steps of the first three variants; the others declare
/// theirs in their own headers, the same way.
INERTIA_API step_report heavy_ball_step(std::span<heavy_ball_group<float>> groups, const step_policy& policy = {},
                         const execution& exec = {});
INERTIA_API step_report heavy_ball_step(std::span<heavy_ball_group<double>> groups, const step_policy& policy = {},
                         const execution& exec = {});
INERTIA_API step_report sutskever_step(std::span<sutskever_group<float>> groups, const step_policy& policy = {},
                         const execution& exec = {});
INERTIA_API step_report sutskever_step(std::span<sutskever_group<double>> groups, const step_policy& policy = {},
                         const execution& exec = {});
INERTIA_API step_report ema_step(std::span<ema_group<float>> groups, const step_policy& policy = {},
                         const execution& exec = {});
INERTIA_API step_report ema_step(std::span<ema_group<double>> groups, const step_policy& policy = {},
                         const execution& exec = {});

}  // namespace inertia
