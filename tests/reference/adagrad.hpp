#pragma once
// Reference Adagrad (torch.optim.Adagrad, 2.x loop, foreach and fused, and 1.13), one element at a time,
// straight from the equations in include/inertia/adagrad.hpp: each line is the
// torch op named beside it.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "inertia/adagrad.hpp"

namespace inertia::reference {

/// step: the 1-based number of this step.
template <class T>
void adagrad(const adagrad_tensor<T>& t, const adagrad_options& o, std::int64_t step) {
  const double clr = o.numerics == adagrad_numerics::pytorch_fused
                         ? o.lr / std::fma(double(step - 1), o.lr_decay, 1.0)  // the fused kernel's C++, contracted
                         : o.lr / (1.0 + double(step - 1) * o.lr_decay);       // a Python float
  const T weight_decay = T(o.weight_decay), eps = T(o.eps), neg_clr = T(-clr);
  for (std::size_t i = 0; i < t.param.size(); ++i) {
    const T w = t.param[i];
    T g = o.maximize ? -t.grad[i] : t.grad[i];
    if (o.weight_decay != 0.0) g = std::fma(weight_decay, w, g);  // grad.add(param, alpha=wd)
    const T s = t.sum[i] = std::fma(g, g, t.sum[i]);                // sum.addcmul_(g, g, value=1)
    t.param[i] = w + (neg_clr * g) / (std::sqrt(s) + eps);          // addcdiv_(g, sum.sqrt().add_(eps), value=-clr)
  }
}

}  // namespace inertia::reference
