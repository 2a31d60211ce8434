// The skip_non_finite pre-pass reads every gradient element: a NaN or an
// infinity at any position of any tensor (first and last elements, vector
// tails, the boundaries between the kernel's four quarter streams and between
// the threads' shares) skips the step and writes nothing, on every target and
// thread count; finite extremes never do.
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "inertia/multi_tensor.hpp"
#include "support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

// Every length up to a few vectors of every width, around the 4 x 16-lane
// quarter split (64, 65, 127, 128, 129) and a larger odd one; empty tensors
// in between, each tensor at its own misalignment.
const std::vector<std::size_t> check_sizes = {0, 1, 7, 64, 65, 0, 127, 128, 129, 1000, 3, 2053};

template <class T>
struct check_model {
  std::vector<buffers<T>> tensors;
  std::vector<heavy_ball_tensor<T>> views;
  check_model() {
    for (std::size_t k = 0; k < check_sizes.size(); ++k)
      tensors.push_back(random_buffers<T>(3, check_sizes[k], k % 4, 900 + k));
    for (auto& t : tensors) views.push_back({t[0], t[1], t[2]});
  }
  bool unchanged_from(check_model& other) {
    for (std::size_t k = 0; k < tensors.size(); ++k)
      for (std::size_t s = 0; s < 3; ++s)
        if (!bitwise_equal<T>(tensors[k][s], other.tensors[k][s])) return false;
    return true;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("a non-finite gradient at any position of any tensor skips the step and writes nothing",
                   "[policy][non_finite]", float, double) {
  using T = TestType;
  const T bad_values[3] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                           -std::numeric_limits<T>::infinity()};
  check_model<T> actual, before;
  for (const setting& s : settings_for<T>(1000)) {
    arch_scope forced(s.target);
    std::size_t cases = 0;
    for (std::size_t k = 0; k < check_sizes.size(); ++k)
      for (std::size_t i = 0; i < check_sizes[k]; ++i) {
        T& grad = actual.tensors[k][1][i];
        const T saved = grad;
        grad = bad_values[(i + k) % 3];
        std::vector<heavy_ball_group<T>> groups = {{{0.1, 0.9}, actual.views, 2}};
        const step_report report = heavy_ball_step(std::span(groups), step_policy{.skip_non_finite = true}, s.exec);
        grad = saved;
        if (!report.skipped || groups[0].step != 2 || !actual.unchanged_from(before))
          FAIL(s.describe() << " | tensor " << k << " of " << check_sizes[k] << " elements, element " << i << " = "
                            << bad_values[(i + k) % 3] << ": skipped " << report.skipped << ", step "
                            << groups[0].step);
        ++cases;
      }
    REQUIRE(cases > 3000);
  }
}

TEMPLATE_TEST_CASE("finite extremes in the gradients never skip a step", "[policy][non_finite]", float, double) {
  using T = TestType;
  using limits = std::numeric_limits<T>;
  for (const setting& s : settings_for<T>(1000)) {
    check_model<T> actual;
    const T extremes[] = {limits::max(), limits::lowest(), limits::denorm_min(), -limits::denorm_min(),
                          limits::min(), T(-0.0), T(0)};
    std::size_t n = 0;
    for (auto& t : actual.tensors)
      for (T& g : t[1]) g = extremes[n++ % std::size(extremes)];
    std::vector<heavy_ball_group<T>> groups = {{{0.1, 0.9}, actual.views, 2}};
    arch_scope forced(s.target);
    const step_report report = heavy_ball_step(std::span(groups), step_policy{.skip_non_finite = true}, s.exec);
    INFO(s.describe());
    REQUIRE_FALSE(report.skipped);
    REQUIRE(groups[0].step == 3);
  }
}
