#pragma once
// The optimizer steps the suite and the profiler measure, and the one set of
// hyperparameters each is measured with.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "access_pattern.hpp"
#include "inertia/ema.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/sutskever.hpp"

namespace inertia::bench {

enum class variant {
  heavy_ball,              ///< torch.optim.SGD(lr=0.01, momentum=0.9), other flags at their defaults
  heavy_ball_nesterov_wd,  ///< the same with nesterov=True, weight_decay=0.01
  sutskever,               ///< Keras SGD(learning_rate=0.01, momentum=0.9)
  ema,                     ///< Optax ema(0.9, debias=True) + scale(-0.01), at step 10
  lookahead,               ///< w + 0.9 * v
};

inline constexpr std::array<variant, 5> all_variants = {variant::heavy_ball, variant::heavy_ball_nesterov_wd,
                                                        variant::sutskever, variant::ema, variant::lookahead};

std::string_view variant_name(variant v);
std::optional<variant> parse_variant(std::string_view name);
/// One line saying which call and settings the name stands for.
std::string_view variant_settings_text(variant v);
access_pattern variant_pattern(variant v);

// Defined out of line on purpose: the library receives its options at run
// time, so the peers must too (a peer that sees them as constants would get
// its branches folded away for free).
extern const heavy_ball_options heavy_ball_settings;
extern const heavy_ball_options heavy_ball_nesterov_wd_settings;
extern const sutskever_options sutskever_settings;
extern const ema_options ema_settings;
extern const std::int64_t ema_step_count;
extern const double lookahead_momentum;

}  // namespace inertia::bench
