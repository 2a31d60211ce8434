// Eigen array expressions, written the way a C++ engine on Eigen writes an
// optimizer step: one statement per tensor assignment. Eigen fuses each
// statement into one loop but not two statements, so a step that assigns the
// velocity and then the parameter walks memory twice; that cost is the point
// of this peer. Numerics follow the equations, not libinertia's rounding.
#include <cmath>
#include <cstddef>

#include <Eigen/Core>

#include "peers/peers.hpp"

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
    case variant::qhm: {
      const qhm_options o = qhm_settings;
      velocity = T(o.beta) * velocity + T(1.0 - o.beta) * g;
      w -= T(o.lr) * (T(1.0 - o.nu) * g + T(o.nu) * velocity);
      return;
    }
    case variant::aggmo: {
      const aggmo_options o = aggmo_settings;
      Eigen::Map<array> velocity1(b.extra_state[0] + begin, n), velocity2(b.extra_state[1] + begin, n);
      velocity = T(o.betas[0]) * velocity - g;
      velocity1 = T(o.betas[1]) * velocity1 - g;
      velocity2 = T(o.betas[2]) * velocity2 - g;
      w += T(o.lr / 3.0) * (velocity + velocity1 + velocity2);
      return;
    }
    case variant::lion: {
      const lion_options o = lion_settings;
      w -= T(o.lr) * ((T(o.beta1) * velocity + T(1.0 - o.beta1) * g).sign() + T(o.weight_decay) * w);
      velocity = T(o.beta2) * velocity + T(1.0 - o.beta2) * g;
      return;
    }
    case variant::signum: {
      const signum_options o = signum_settings;
      velocity = T(o.beta) * velocity + T(1.0 - o.beta) * g;
      w -= T(o.lr) * velocity.sign();
      return;
    }
    case variant::lars: {
      // Each chunk takes its own norms (as the naive peer): the same passes
      // over the same bytes as one tensor's LARS.
      const lars_options o = lars_settings;
      const T param_norm = w.matrix().norm(), grad_norm = g.matrix().norm();
      const T local_lr = param_norm > 0 && grad_norm > 0
                             ? T(o.eta) * param_norm / (grad_norm + T(o.weight_decay) * param_norm)
                             : T(1);
      velocity = T(o.momentum) * velocity + T(o.lr) * local_lr * (g + T(o.weight_decay) * w);
      w -= velocity;
      return;
    }
    case variant::weight_ema: {
      const T decay = T(weight_ema_settings.decay);
      w = decay * w + (T(1) - decay) * g;  // the average in param's slot, the weights in grad's
      return;
    }
    case variant::adam:
    case variant::adamw: {
      const adam_options o = v == variant::adam ? adam_settings : adamw_settings;
      Eigen::Map<array> second_moment(b.extra_state[0] + begin, n);
      const double step = double(adam_step_count);
      const T step_size = T(o.lr / (1.0 - std::pow(o.beta1, step)));
      const T bias_correction2_sqrt = T(std::sqrt(1.0 - std::pow(o.beta2, step)));
      if (o.decoupled_weight_decay) w *= T(1.0 - o.lr * o.weight_decay);
      velocity = T(o.beta1) * velocity + T(1.0 - o.beta1) * g;
      second_moment = T(o.beta2) * second_moment + T(1.0 - o.beta2) * g.square();
      w -= step_size * velocity / (second_moment.sqrt() / bias_correction2_sqrt + T(o.eps));
      return;
    }
    case variant::nadam: {
      const nadam_options o = nadam_settings;
      Eigen::Map<array> second_moment(b.extra_state[0] + begin, n);
      const double step = double(adam_step_count);
      const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, step * o.momentum_decay));
      const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (step + 1) * o.momentum_decay));
      const double mu_product = double(nadam_mu_product_before) * mu;
      const T grad_step = T(o.lr * (1.0 - mu) / (1.0 - mu_product));
      const T momentum_step = T(o.lr * mu_next / (1.0 - mu_product * mu_next));
      const T bias_correction2 = T(1.0 - std::pow(o.beta2, step));
      velocity = T(o.beta1) * velocity + T(1.0 - o.beta1) * g;
      second_moment = T(o.beta2) * second_moment + T(1.0 - o.beta2) * g.square();
      w -= (grad_step * g + momentum_step * velocity) / ((second_moment / bias_correction2).sqrt() + T(o.eps));
      return;
    }
  }
}

template void step_range<float>(variant, const step_buffers<float>&, std::size_t, std::size_t);
template void step_range<double>(variant, const step_buffers<double>&, std::size_t, std::size_t);

}  // namespace inertia::bench::eigen
