#include "variant.hpp"

namespace inertia::bench {

const heavy_ball_options heavy_ball_settings{.lr = 0.01, .momentum = 0.9};
const heavy_ball_options heavy_ball_nesterov_wd_settings{
    .lr = 0.01, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true};
const sutskever_options sutskever_settings{.lr = 0.01, .momentum = 0.9};
const ema_options ema_settings{.lr = 0.01, .beta = 0.9, .bias_correction = true};
// Late enough to be a steady-state step, early enough that the bias
// correction (1 - 0.9^10 = 0.65) still divides every element.
const std::int64_t ema_step_count = 10;
const double lookahead_momentum = 0.9;

std::string_view variant_name(variant v) {
  switch (v) {
    case variant::heavy_ball: return "heavy_ball";
    case variant::heavy_ball_nesterov_wd: return "heavy_ball_nesterov_wd";
    case variant::sutskever: return "sutskever";
    case variant::ema: return "ema";
    case variant::lookahead: return "lookahead";
  }
  return "unknown";
}

std::optional<variant> parse_variant(std::string_view name) {
  for (variant v : all_variants)
    if (variant_name(v) == name) return v;
  return std::nullopt;
}

std::string_view variant_settings_text(variant v) {
  switch (v) {
    case variant::heavy_ball: return "heavy_ball_step: torch SGD lr 0.01, momentum 0.9";
    case variant::heavy_ball_nesterov_wd:
      return "heavy_ball_step: torch SGD lr 0.01, momentum 0.9, nesterov, weight_decay 0.01";
    case variant::sutskever: return "sutskever_step: Keras SGD lr 0.01, momentum 0.9";
    case variant::ema: return "ema_step: lr 0.01, beta 0.9, bias correction (step 10)";
    case variant::lookahead: return "nesterov_lookahead: w + 0.9 v";
  }
  return "";
}

access_pattern variant_pattern(variant v) {
  return v == variant::lookahead ? access_pattern::triad_2r1w : access_pattern::update_3r2w;
}

}  // namespace inertia::bench
