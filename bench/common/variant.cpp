#include "common/variant.hpp"

#include "reference/adam.hpp"

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
const qhm_options qhm_settings{.lr = 1e-3, .nu = 0.7, .beta = 0.999};
const aggmo_options aggmo_settings{.lr = 1e-3};  // the default betas {0, 0.9, 0.99}
const lion_options lion_settings{};              // Optax's defaults
const signum_options signum_settings{.lr = 0.01, .beta = 0.9};
const lars_options lars_settings{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4, .eta = 1e-3};
const weight_ema_options weight_ema_settings{.decay = 0.9999};
const std::int64_t weight_ema_update_count = 100;
const adam_options adam_settings{};
const adam_options adamw_settings{.weight_decay = 0.01, .decoupled_weight_decay = true};
const nadam_options nadam_settings{};
const std::int64_t adam_step_count = 10;
const float nadam_mu_product_before = reference::nadam_mu_product(nadam_settings, adam_step_count - 1);

std::string_view variant_name(variant v) {
  switch (v) {
    case variant::heavy_ball: return "heavy_ball";
    case variant::heavy_ball_nesterov_wd: return "heavy_ball_nesterov_wd";
    case variant::sutskever: return "sutskever";
    case variant::ema: return "ema";
    case variant::lookahead: return "lookahead";
    case variant::qhm: return "qhm";
    case variant::aggmo: return "aggmo";
    case variant::lion: return "lion";
    case variant::signum: return "signum";
    case variant::lars: return "lars";
    case variant::weight_ema: return "weight_ema";
    case variant::adam: return "adam";
    case variant::adamw: return "adamw";
    case variant::nadam: return "nadam";
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
    case variant::qhm: return "qhm_step: lr 1e-3, nu 0.7, beta 0.999";
    case variant::aggmo: return "aggmo_step: lr 1e-3, betas {0, 0.9, 0.99} (3 velocities)";
    case variant::lion: return "lion_step: lr 1e-4, beta1 0.9, beta2 0.99, weight_decay 1e-3";
    case variant::signum: return "signum_step: lr 0.01, beta 0.9";
    case variant::lars: return "lars_step: lr 0.1, momentum 0.9, weight_decay 1e-4, eta 1e-3";
    case variant::weight_ema: return "weight_ema_step: decay 0.9999, torch lerp";
    case variant::adam: return "adam_step: torch Adam lr 1e-3 (step 10)";
    case variant::adamw: return "adam_step: torch AdamW lr 1e-3, weight_decay 0.01 (step 10)";
    case variant::nadam: return "nadam_step: torch NAdam lr 2e-3 (step 10)";
  }
  return "";
}

access_pattern variant_pattern(variant v) {
  switch (v) {
    case variant::lookahead: return access_pattern::triad_2r1w;
    case variant::weight_ema: return access_pattern::update_2r1w;
    case variant::adam:
    case variant::adamw:
    case variant::nadam: return access_pattern::update_4r3w;
    case variant::aggmo: return access_pattern::update_5r4w;
    case variant::lars: return access_pattern::norms_update_5r2w;
    default: return access_pattern::update_3r2w;
  }
}

bool variant_takes_policy(variant v) {
  return v != variant::lookahead && v != variant::weight_ema && v != variant::lars;
}

}  // namespace inertia::bench
