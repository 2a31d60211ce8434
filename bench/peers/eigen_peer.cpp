// Eigen array expressions, written the way a C++ engine on Eigen writes an
// optimizer step: one statement per tensor assignment. Eigen fuses each
// statement into one loop but not two statements, so a step that assigns the
// velocity and then the parameter walks memory twice; that cost is the point
// of this peer. Numerics follow the equations, not libinertia's rounding.
// One function per variant, found by registry name in `steps` below; the
// buffers in the generic handle's order (param, grad when read, state).
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include <Eigen/Core>

#include "peers/peers.hpp"

namespace inertia::bench::eigen {
namespace {

template <class T>
using array = Eigen::Array<T, Eigen::Dynamic, 1>;

// The buffers of [begin, end): w = param, g = grad, s(k) = state slot k.
template <class T>
struct views {
  Eigen::Index n;
  Eigen::Map<array<T>> w;
  Eigen::Map<const array<T>> g;
  const step_buffers<T>& b;
  std::size_t begin;
  views(const step_buffers<T>& buffers, std::size_t first, std::size_t end)
      : n(static_cast<Eigen::Index>(end - first)),
        w(buffers.param + first, n),
        g(buffers.grad + first, n),
        b(buffers),
        begin(first) {}
  Eigen::Map<array<T>> s(std::size_t k) const {
    T* const slots[] = {b.state, b.extra_state[0], b.extra_state[1]};
    return Eigen::Map<array<T>>(slots[k] + begin, n);
  }
};

bool flag(const variant& v, const char* key) { return v.option(key) != 0.0; }

template <class T>
range_step<T> heavy_ball(const variant& v) {
  const T lr = T(v.option("lr")), mu = T(v.option("momentum")), one_minus_dampening = T(1.0 - v.option("dampening")),
          wd = T(v.option("weight_decay"));
  const bool nesterov = flag(v, "nesterov");
  if (flag(v, "maximize")) return {};  // not written here
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    const auto update = [&](const auto& d) {
      velocity = mu * velocity + one_minus_dampening * d;
      if (nesterov)
        x.w -= lr * (d + mu * velocity);
      else
        x.w -= lr * velocity;
    };
    if (wd != T(0))
      update(x.g + wd * x.w);
    else
      update(x.g);
  };
}

template <class T>
range_step<T> sutskever(const variant& v) {
  const T lr = T(v.option("lr")), mu = T(v.option("momentum"));
  const bool nesterov = flag(v, "nesterov");
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    velocity = mu * velocity - lr * x.g;
    if (nesterov)
      x.w += mu * velocity - lr * x.g;
    else
      x.w += velocity;
  };
}

template <class T>
range_step<T> ema(const variant& v) {
  const double beta_d = v.option("beta");
  const T beta = T(beta_d), neg_lr = T(-v.option("lr"));
  const T correction = flag(v, "bias_correction") ? T(1.0 - std::pow(beta_d, double(v.step))) : T(1);
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    velocity = (T(1) - beta) * x.g + beta * velocity;
    x.w += neg_lr * (velocity / correction);
  };
}

template <class T>
range_step<T> lookahead(const variant& v) {
  const T momentum = T(v.option("momentum"));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const Eigen::Index n = static_cast<Eigen::Index>(end - begin);
    Eigen::Map<array<T>> point(b.grad + begin, n);
    point = Eigen::Map<const array<T>>(b.param + begin, n) + momentum * Eigen::Map<const array<T>>(b.state + begin, n);
  };
}

template <class T>
range_step<T> qhm(const variant& v) {
  const double beta = v.option("beta"), nu = v.option("nu");
  const T lr = T(v.option("lr")), wd = T(v.option("weight_decay"));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    const auto update = [&](const auto& d) {
      velocity = T(beta) * velocity + T(1.0 - beta) * d;
      x.w -= lr * (T(1.0 - nu) * d + T(nu) * velocity);
    };
    if (wd != T(0))
      update(x.g + wd * x.w);
    else
      update(x.g);
  };
}

template <class T>
range_step<T> aggmo(const variant& v) {
  const std::vector<double> betas = v.array_option("betas");
  if (betas.size() > 3) return {};  // step_buffers holds three velocities
  const double lr = v.option("lr");
  const T wd = T(v.option("weight_decay"));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    const T scale = T(lr / double(betas.size()));
    const auto update = [&](const auto& d) {
      for (std::size_t k = 0; k < betas.size(); ++k) x.s(k) = T(betas[k]) * x.s(k) - d;
      switch (betas.size()) {  // one statement over every velocity, as an engine would write it
        case 1: x.w += scale * x.s(0); break;
        case 2: x.w += scale * (x.s(0) + x.s(1)); break;
        default: x.w += scale * (x.s(0) + x.s(1) + x.s(2)); break;
      }
    };
    if (wd != T(0))
      update(x.g + wd * x.w);
    else
      update(x.g);
  };
}

template <class T>
range_step<T> lion(const variant& v) {
  const double beta1 = v.option("betas[0]"), beta2 = v.option("betas[1]");
  const T lr = T(v.option("lr")), wd = T(v.option("weight_decay"));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    x.w -= lr * ((T(beta1) * velocity + T(1.0 - beta1) * x.g).sign() + wd * x.w);
    velocity = T(beta2) * velocity + T(1.0 - beta2) * x.g;
  };
}

template <class T>
range_step<T> signum(const variant& v) {
  const double beta = v.option("beta");
  const T lr = T(v.option("lr"));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    velocity = T(beta) * velocity + T(1.0 - beta) * x.g;
    x.w -= lr * velocity.sign();
  };
}

// Each chunk takes its own norms (as the naive peer): the same passes over
// the same bytes as one tensor's LARS.
template <class T>
range_step<T> lars(const variant& v) {
  const T lr = T(v.option("lr")), momentum = T(v.option("momentum")), wd = T(v.option("weight_decay")),
          eta = T(v.option("eta"));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    const T param_norm = x.w.matrix().norm(), grad_norm = x.g.matrix().norm();
    const T local_lr = param_norm > 0 && grad_norm > 0 ? eta * param_norm / (grad_norm + wd * param_norm) : T(1);
    velocity = momentum * velocity + lr * local_lr * (x.g + wd * x.w);
    x.w -= velocity;
  };
}

// The weights in param's slot (read), the average in grad's (no gradient is read).
template <class T>
range_step<T> weight_ema(const variant& v) {
  if (flag(v, "warmup")) return {};  // not written here
  const T decay = T(v.option("decay"));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const Eigen::Index n = static_cast<Eigen::Index>(end - begin);
    Eigen::Map<array<T>> average(b.grad + begin, n);
    average = decay * average + (T(1) - decay) * Eigen::Map<const array<T>>(b.param + begin, n);
  };
}

template <class T>
range_step<T> adam_with(const variant& v, bool decoupled) {
  if (flag(v, "amsgrad") || flag(v, "maximize")) return {};  // not written here
  const double lr = v.option("lr"), beta1 = v.option("betas[0]"), beta2 = v.option("betas[1]");
  const double wd = v.option("weight_decay"), step = double(v.step);
  const T eps = T(v.option("eps"));
  const T step_size = T(lr / (1.0 - std::pow(beta1, step)));
  const T bias_correction2_sqrt = T(std::sqrt(1.0 - std::pow(beta2, step)));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    auto second_moment = x.s(1);
    if (decoupled && wd != 0.0) x.w *= T(1.0 - lr * wd);
    const auto update = [&](const auto& d) {
      velocity = T(beta1) * velocity + T(1.0 - beta1) * d;
      second_moment = T(beta2) * second_moment + T(1.0 - beta2) * d.square();
      x.w -= step_size * velocity / (second_moment.sqrt() / bias_correction2_sqrt + eps);
    };
    if (!decoupled && wd != 0.0)
      update(x.g + T(wd) * x.w);
    else
      update(x.g);
  };
}
template <class T>
range_step<T> adam(const variant& v) {
  return adam_with<T>(v, flag(v, "decoupled_weight_decay"));
}
template <class T>
range_step<T> adamw(const variant& v) {
  return adam_with<T>(v, true);
}

template <class T>
range_step<T> nadam(const variant& v) {
  const double lr = v.option("lr"), beta1 = v.option("betas[0]"), beta2 = v.option("betas[1]");
  const double psi = v.option("momentum_decay"), step = double(v.step);
  const T eps = T(v.option("eps")), wd = T(v.option("weight_decay"));
  const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, step * psi));
  const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (step + 1) * psi));
  const double mu_product = double(float(v.option("mu_product"))) * mu;
  const T grad_step = T(lr * (1.0 - mu) / (1.0 - mu_product));
  const T momentum_step = T(lr * mu_next / (1.0 - mu_product * mu_next));
  const T bias_correction2 = T(1.0 - std::pow(beta2, step));
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto velocity = x.s(0);
    auto second_moment = x.s(1);
    const auto update = [&](const auto& d) {
      velocity = T(beta1) * velocity + T(1.0 - beta1) * d;
      second_moment = T(beta2) * second_moment + T(1.0 - beta2) * d.square();
      x.w -= (grad_step * d + momentum_step * velocity) / ((second_moment / bias_correction2).sqrt() + eps);
    };
    if (wd != T(0))
      update(x.g + wd * x.w);
    else
      update(x.g);
  };
}

// torch.optim.Adagrad: clr = lr / (1 + (t - 1) lr_decay); sum += g^2; w -= clr g / (sqrt(sum) + eps).
template <class T>
range_step<T> adagrad(const variant& v) {
  const T clr = T(v.option("lr") / (1.0 + double(v.step - 1) * v.option("lr_decay")));
  const T wd = T(v.option("weight_decay")), eps = T(v.option("eps"));
  if (flag(v, "maximize")) return {};  // not written here
  return [=](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    views<T> x(b, begin, end);
    auto sum = x.s(0);
    const auto update = [&](const auto& d) {
      sum += d.square();
      x.w -= clr * d / (sum.sqrt() + eps);
    };
    if (wd != T(0))
      update(x.g + wd * x.w);
    else
      update(x.g);
  };
}

#define INERTIA_PEER_STEP(NAME) peer_entry{#NAME, &NAME<float>, &NAME<double>}
constexpr std::array steps{
    INERTIA_PEER_STEP(heavy_ball), INERTIA_PEER_STEP(sutskever),  INERTIA_PEER_STEP(ema),
    INERTIA_PEER_STEP(lookahead),  INERTIA_PEER_STEP(qhm),        INERTIA_PEER_STEP(aggmo),
    INERTIA_PEER_STEP(lion),       INERTIA_PEER_STEP(signum),     INERTIA_PEER_STEP(lars),
    INERTIA_PEER_STEP(weight_ema), INERTIA_PEER_STEP(adam),       INERTIA_PEER_STEP(adamw),
    INERTIA_PEER_STEP(nadam),      INERTIA_PEER_STEP(adagrad)};
#undef INERTIA_PEER_STEP

}  // namespace

template <class T>
range_step<T> step_for(const variant& v) {
  return find_peer_step<T>(steps, v);
}

template range_step<float> step_for<float>(const variant&);
template range_step<double> step_for<double>(const variant&);

}  // namespace inertia::bench::eigen
