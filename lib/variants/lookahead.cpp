#include "variants/lookahead.hpp"

#include "driver.hpp"
#include "validate.hpp"

namespace inertia {
namespace {

template <class T>
void compute(std::span<const T> param, std::span<const T> velocity, double momentum, std::span<T> lookahead,
             const execution& exec) {
  const detail::argument_checks check("inertia::nesterov_lookahead");
  check.momentum("momentum", momentum);
  check.same_length("velocity", velocity.size(), "param", param.size());
  check.same_length("lookahead", lookahead.size(), "param", param.size());
  check.disjoint("lookahead", lookahead, "param", param);
  check.disjoint("lookahead", lookahead, "velocity", velocity);
  detail::run(detail::lookahead_rule<T>{param.data(), velocity.data(), lookahead.data(), T(momentum)}, param.size(),
              exec);
}

}  // namespace

void nesterov_lookahead(std::span<const float> param, std::span<const float> velocity, double momentum,
                        std::span<float> lookahead, const execution& exec) {
  compute(param, velocity, momentum, lookahead, exec);
}

void nesterov_lookahead(std::span<const double> param, std::span<const double> velocity, double momentum,
                        std::span<double> lookahead, const execution& exec) {
  compute(param, velocity, momentum, lookahead, exec);
}

}  // namespace inertia
