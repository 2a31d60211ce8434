#pragma once
// The Nesterov look-ahead point for classic (Sutskever) NAG, where the gradient
// is taken at "an approximated next position":
//
//   lookahead = w + momentum * v                 (product rounded, then added)
//
// Evaluate the gradient at `lookahead`, then call sutskever_step(w, g, v,
// {lr, momentum, nesterov = false}): v = mu*v - lr*g(w + mu*v); w = w + v.
//
// When the call moves at least as many bytes as the last-level cache holds
// (execution::min_bytes_to_stream), `lookahead` is written with streaming
// stores: it goes to memory without first being read, and is not left in cache.
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"

namespace inertia {

INERTIA_API void nesterov_lookahead(std::span<const float> param, std::span<const float> velocity,
                        double momentum, std::span<float> lookahead, const execution& exec = {});
INERTIA_API void nesterov_lookahead(std::span<const double> param, std::span<const double> velocity,
                        double momentum, std::span<double> lookahead, const execution& exec = {});

}  // namespace inertia
