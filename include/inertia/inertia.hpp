#pragma once
// inertia: SIMD-vectorized, OpenMP-parallel momentum optimizer steps.
// One header per variant; this one includes them all.
#include "inertia/arch.hpp"
#include "inertia/ema.hpp"
#include "inertia/error.hpp"
#include "inertia/execution.hpp"
#include "inertia/flat_buffer.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/lars.hpp"
#include "inertia/lookahead.hpp"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"
#include "inertia/sutskever.hpp"
#include "inertia/version.hpp"
