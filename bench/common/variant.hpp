#pragma once
// The optimizer steps the suite and the profiler measure, and the one set of
// hyperparameters each is measured with.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/access_pattern.hpp"
#include "inertia/adam.hpp"
#include "inertia/aggmo.hpp"
#include "inertia/ema.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/lars.hpp"
#include "inertia/lion.hpp"
#include "inertia/qhm.hpp"
#include "inertia/signum.hpp"
#include "inertia/sutskever.hpp"
#include "inertia/weight_ema.hpp"

namespace inertia::bench {

enum class variant {
  heavy_ball,              ///< torch.optim.SGD(lr=0.01, momentum=0.9), other flags at their defaults
  heavy_ball_nesterov_wd,  ///< the same with nesterov=True, weight_decay=0.01
  sutskever,               ///< Keras SGD(learning_rate=0.01, momentum=0.9)
  ema,                     ///< Optax ema(0.9, debias=True) + scale(-0.01), at step 10
  lookahead,               ///< w + 0.9 * v
  qhm,                     ///< qhoptim QHM(lr=1e-3, nu=0.7, beta=0.999)
  aggmo,                   ///< AggMo(lr=1e-3, betas=[0, 0.9, 0.99]): three velocities
  lion,                    ///< optax.lion(1e-4, b1=0.9, b2=0.99, weight_decay=1e-3)
  signum,                  ///< Signum(lr=0.01, momentum=0.9)
  lars,                    ///< LARS(lr=0.1, momentum=0.9, weight_decay=1e-4, eta=1e-3)
  weight_ema,              ///< timm ModelEmaV3(decay=0.9999): average.lerp_(param, 1 - decay)
  adam,                    ///< torch.optim.Adam(lr=1e-3), at step 10
  adamw,                   ///< torch.optim.AdamW(lr=1e-3, weight_decay=0.01), at step 10
  nadam,                   ///< torch.optim.NAdam(lr=2e-3), at step 10
};

inline constexpr std::array<variant, 14> all_variants = {
    variant::heavy_ball, variant::heavy_ball_nesterov_wd, variant::sutskever, variant::ema,
    variant::lookahead,  variant::qhm,                    variant::aggmo,     variant::lion,
    variant::signum,     variant::lars,                   variant::weight_ema, variant::adam,
    variant::adamw,      variant::nadam};

std::string_view variant_name(variant v);
std::optional<variant> parse_variant(std::string_view name);
/// One line saying which call and settings the name stands for.
std::string_view variant_settings_text(variant v);
access_pattern variant_pattern(variant v);
/// Whether the variant has a multi-tensor call under a step_policy (lars and
/// weight_ema have none; the look-ahead reads no gradient).
bool variant_takes_policy(variant v);

// Defined out of line on purpose: the library receives its options at run
// time, so the peers must too (a peer that sees them as constants would get
// its branches folded away for free).
extern const heavy_ball_options heavy_ball_settings;
extern const heavy_ball_options heavy_ball_nesterov_wd_settings;
extern const sutskever_options sutskever_settings;
extern const ema_options ema_settings;
extern const std::int64_t ema_step_count;
extern const double lookahead_momentum;
extern const qhm_options qhm_settings;
extern const aggmo_options aggmo_settings;  ///< three betas: the pattern is update_5r4w
extern const lion_options lion_settings;
extern const signum_options signum_settings;
extern const lars_options lars_settings;
extern const weight_ema_options weight_ema_settings;
extern const std::int64_t weight_ema_update_count;
extern const adam_options adam_settings;
extern const adam_options adamw_settings;
extern const nadam_options nadam_settings;
/// The 1-based step Adam, AdamW and NAdam are measured at (bias corrections still active).
extern const std::int64_t adam_step_count;
/// NAdam's mu_product before that step, as torch 1.13 would hold it.
extern const float nadam_mu_product_before;

}  // namespace inertia::bench
