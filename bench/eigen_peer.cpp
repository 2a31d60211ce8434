// Eigen array expressions, written the way a C++ engine on Eigen writes an
// optimizer step: one statement per tensor assignment. Eigen fuses each
// statement into one loop but not two statements, so a step that assigns the
// velocity and then the parameter walks memory twice; that cost is the point
// of this peer. Numerics follow the equations, not libinertia's rounding.
#include <cmath>
#include <cstddef>

#include <Eigen/Core>

#include "peers.hpp"

namespace inertia::bench::eigen {

template <class T>
void step_range(variant v, const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  using array = Eigen::Array<T, Eigen::Dynamic, 1>;
  const Eigen::Index n = static_cast<Eigen::Index>(end - begin);
  Eigen::Map<array> w(b.param + begin, n), velocity(b.state + begin, n);
  Eigen::Map<const array> g(b.grad + begin, n);
  switch (v) {
    case variant::heavy_ball:
    case variant::heavy_ball_nesterov_wd: {
      const heavy_ball_options o = v == variant::heavy_ball ? heavy_ball_settings : heavy_ball_nesterov_wd_settings;
      const T lr = T(o.lr), mu = T(o.momentum), one_minus_dampening = T(1.0 - o.dampening), wd = T(o.weight_decay);
      const auto update = [&](const auto& d) {
        velocity = mu * velocity + one_minus_dampening * d;
        if (o.nesterov)
          w -= lr * (d + mu * velocity);
        else
          w -= lr * velocity;
      };
      if (o.weight_decay != 0.0)
        update(g + wd * w);
      else
        update(g);
      return;
    }
    case variant::sutskever: {
      const sutskever_options o = sutskever_settings;
      const T lr = T(o.lr), mu = T(o.momentum);
      velocity = mu * velocity - lr * g;
      if (o.nesterov)
        w += mu * velocity - lr * g;
      else
        w += velocity;
      return;
    }
    case variant::ema: {
      const ema_options o = ema_settings;
      const T beta = T(o.beta), neg_lr = T(-o.lr);
      velocity = (T(1) - beta) * g + beta * velocity;
      if (o.bias_correction)
        w += neg_lr * (velocity / T(1.0 - std::pow(o.beta, double(ema_step_count))));
      else
        w += neg_lr * velocity;
      return;
    }
    case variant::lookahead: {
      Eigen::Map<array> lookahead(b.grad + begin, n);
      lookahead = w + T(lookahead_momentum) * velocity;
      return;
    }
  }
}

template void step_range<float>(variant, const step_buffers<float>&, std::size_t, std::size_t);
template void step_range<double>(variant, const step_buffers<double>&, std::size_t, std::size_t);

}  // namespace inertia::bench::eigen
