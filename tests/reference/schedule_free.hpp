#pragma once
// Reference Schedule-Free SGD and AdamW (schedulefree's SGDScheduleFree and
// AdamWScheduleFree), one element at a time, straight from the equations in
// include/inertia/schedule_free*.hpp: the schedule as schedulefree's Python
// writes it, and each element line the torch op named beside it.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "inertia/schedule_free.hpp"
#include "inertia/schedule_free_adamw.hpp"
#include "inertia/schedule_free_sgd.hpp"

namespace inertia::reference {

/// One step's lr_t and ckp1 (schedulefree's step(), per group); advances scalars.
struct schedule_free_now {
  double lr, ckp1;
};
inline schedule_free_now schedule_free_advance(double lr, double warmup_steps, double r, double weight_lr_power,
                                               std::int64_t step, schedule_free_scalars& group) {
  const std::int64_t k = step - 1;
  const double sched = double(k) < warmup_steps ? double(k + 1) / warmup_steps : 1.0;
  const double scheduled_lr = lr * sched;
  group.lr_max = scheduled_lr > group.lr_max ? scheduled_lr : group.lr_max;  // max(lr, group['lr_max'])
  const double weight = std::pow(double(k + 1), r) * std::pow(group.lr_max, weight_lr_power);
  group.weight_sum = group.weight_sum + weight;
  const double ckp1 = group.weight_sum == 0.0 ? 0.0 : weight / group.weight_sum;  // ZeroDivisionError -> 0
  return {scheduled_lr, ckp1};
}

/// ATen's CPU lerp(start, end, weight) for a Python-float weight.
template <class T>
T torch_lerp(T start, T end, double weight) {
  const T w = T(weight);
  return std::abs(w) < T(0.5) ? std::fma(w, end - start, start) : std::fma(T(w - T(1)), end - start, end);
}

/// y.lerp_(z, ckp1); y.add_(g, alpha); z.sub_(g, alpha=lr)
template <class T>
void schedule_free_interpolate(T& y, T& z, T g, const schedule_free_now& now, double beta) {
  const T lerped = torch_lerp(y, z, now.ckp1);
  y = std::fma(T(now.lr * (beta * (1 - now.ckp1) - 1)), g, lerped);
  z = std::fma(T(-now.lr), g, z);
}

/// step: the 1-based number of this step; scalars: the group's, advanced.
template <class T>
void schedule_free_sgd(const schedule_free_sgd_tensor<T>& t, const schedule_free_sgd_options& o, std::int64_t step,
                       schedule_free_scalars& scalars) {
  const schedule_free_now now = schedule_free_advance(o.lr, o.warmup_steps, o.r, o.weight_lr_power, step, scalars);
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    T g = t.grad[i];
    if (o.weight_decay != 0) g = std::fma(T(o.weight_decay), t.param[i], g);  // grad.add_(y, alpha=wd)
    schedule_free_interpolate(t.param[i], t.z[i], g, now, o.momentum);
  }
}

template <class T>
void schedule_free_adamw(const schedule_free_adamw_tensor<T>& t, const schedule_free_adamw_options& o,
                         std::int64_t step, schedule_free_scalars& scalars) {
  const schedule_free_now now = schedule_free_advance(o.lr, o.warmup_steps, o.r, o.weight_lr_power, step, scalars);
  const double bias_correction2 = 1 - std::pow(o.beta2, double(step));  // 1 - beta2 ** (k+1)
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    const T g = t.grad[i];
    T& v = t.exp_avg_sq[i];
    v = std::fma(T(1 - o.beta2) * g, g, v * T(o.beta2));               // mul_(beta2).addcmul_(g, g, value=1-beta2)
    const T denom = std::sqrt(v / T(bias_correction2)) + T(o.eps);      // div(bc2).sqrt_().add_(eps)
    T normalised = g / denom;                                           // grad.div_(denom)
    if (o.weight_decay != 0) normalised = std::fma(T(o.weight_decay), t.param[i], normalised);
    schedule_free_interpolate(t.param[i], t.z[i], normalised, now, o.beta1);
  }
}

/// optimizer.eval() (to_eval) or .train(): p.lerp_(z, 1 - 1/beta) or p.lerp_(z, 1 - beta).
template <class T>
void schedule_free_swap(std::span<T> param, std::span<const T> z, double beta, bool to_eval) {
  for (std::size_t i = 0; i < param.size(); ++i) param[i] = torch_lerp(param[i], z[i], to_eval ? 1 - 1 / beta : 1 - beta);
}

}  // namespace inertia::reference
