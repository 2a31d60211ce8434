// demon_momentum: the Demon schedule. Equation and evaluation order:
// include/inertia/demon.hpp.
#include "inertia/demon.hpp"

#include <algorithm>
#include <string>

#include "validate.hpp"

namespace inertia {

double demon_momentum(double beta_init, std::int64_t step, std::int64_t total_steps) {
  const detail::argument_checks check("inertia::demon_momentum");
  check.momentum("beta_init", beta_init);
  if (total_steps <= 0)
    check.fail(error_kind::hyperparameter, "total_steps",
               "total_steps = " + std::to_string(total_steps) + " must be > 0 (the step at which momentum reaches 0)");
  if (step < 0 || step > total_steps)
    check.fail(error_kind::hyperparameter, "step",
               "step = " + std::to_string(step) + " is outside [0, total_steps = " + std::to_string(total_steps) + "]");
  if (step == 0) return beta_init;
  if (step == total_steps || beta_init == 0.0) return 0.0;
  const double remaining = 1.0 - static_cast<double>(step) / static_cast<double>(total_steps);  // 1 - t/T
  return std::min(beta_init, 1.0 / (1.0 + (1.0 - beta_init) / (beta_init * remaining)));
}

}  // namespace inertia
