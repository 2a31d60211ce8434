#include "replay.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <type_traits>

#include "inertia/ema.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/sutskever.hpp"
#include "ulp.hpp"

namespace inertia::check {

namespace {

template <class T>
double relative_difference(T a, T b) {
  if (a == b || (std::isnan(a) && std::isnan(b))) return 0.0;
  if (!std::isfinite(a) || !std::isfinite(b)) return std::numeric_limits<double>::infinity();
  const long double x = a, y = b;
  return static_cast<double>(std::fabs(x - y) / std::max(std::fabs(x), std::fabs(y)));
}

template <class T>
comparison compare(const std::vector<T>& library, const std::vector<double>& recorded, const tolerance& tol) {
  comparison out;
  out.compared = true;
  for (std::size_t i = 0; i < library.size(); ++i) {
    const T expected = static_cast<T>(recorded[i]);
    const std::uint64_t ulp = ulp_distance(library[i], expected);
    const double rel = relative_difference(library[i], expected);
    if (i == 0 || ulp > out.max_ulp) {
      out.max_ulp = ulp;
      out.worst_index = i;
      out.library_value = library[i];
      out.recorded_value = expected;
    }
    out.max_rel = std::max(out.max_rel, rel);
    const bool within = ulp <= tol.max_ulp || (tol.max_rel > 0 && rel <= tol.max_rel);
    if (!within) ++out.out_of_tolerance;
  }
  return out;
}

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <class T>
case_report replay_typed(const trajectory_case& c, const replay_options& o) {
  const std::size_t n = c.initial_param.size();
  std::vector<T> param = as<T>(c.initial_param);
  const bool has_state = c.variant == "ema" || c.hp.momentum != 0.0;
  std::vector<T> state;
  bool first_step = false;  // heavy_ball: the buffer does not exist yet
  if (has_state) {
    if (c.initial_state) {
      state = as<T>(*c.initial_state);
    } else if (c.variant == "heavy_ball") {
      state.assign(n, std::numeric_limits<T>::quiet_NaN());
      first_step = true;
    } else {
      state.assign(n, T(0));
    }
  }

  case_report report;
  for (std::size_t s = 0; s < c.steps.size(); ++s) {
    const recorded_step& rec = c.steps[s];
    const std::vector<T> grad = as<T>(rec.grad);
    const double lr = c.lr[s];
    const std::span<T> p(param), st(state);
    const std::span<const T> g(grad);
    if (c.variant == "heavy_ball") {
      heavy_ball_options h{lr, c.hp.momentum, c.hp.dampening, c.hp.weight_decay, c.hp.nesterov, c.hp.maximize,
                           c.numerics == "pytorch_fused" ? heavy_ball_numerics::pytorch_fused
                                                         : heavy_ball_numerics::pytorch_loop};
      heavy_ball_step(p, g, st, h, first_step ? 1 : 2, {}, o.exec);
      first_step = false;
    } else if (c.variant == "sutskever") {
      sutskever_step(p, g, st, sutskever_options{lr, c.hp.momentum, c.hp.nesterov}, 1, {}, o.exec);
    } else {
      ema_step(p, g, st, ema_options{lr, c.hp.beta, c.hp.bias_correction},
               c.initial_step + static_cast<std::int64_t>(s) + 1, {}, o.exec);
    }

    step_report r;
    r.step = s + 1;
    r.param = compare(param, rec.param, o.tol);
    if (has_state && rec.state) r.state = compare(state, *rec.state, o.tol);
    r.passed = r.param.out_of_tolerance == 0 && r.state.out_of_tolerance == 0;
    report.max_ulp = std::max({report.max_ulp, r.param.max_ulp, r.state.max_ulp});
    report.max_rel = std::max({report.max_rel, r.param.max_rel, r.state.max_rel});
    if (!r.passed && report.passed) {
      report.passed = false;
      report.first_failing_step = r.step;
    }
    report.steps.push_back(r);

    if (o.resync) {
      param = as<T>(rec.param);
      if (has_state && rec.state) state = as<T>(*rec.state);
    }
  }
  return report;
}

}  // namespace

case_report replay(const trajectory_case& c, const replay_options& options) {
  return c.dtype == "float32" ? replay_typed<float>(c, options) : replay_typed<double>(c, options);
}

}  // namespace inertia::check
