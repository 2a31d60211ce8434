// demon_momentum: the schedule's endpoints, that it never increases, that it
// is the paper's formula, a heavy_ball run fed by it, and validation.
#include <cmath>
#include <cstdint>

#include <catch2/catch.hpp>

#include "inertia/demon.hpp"
#include "inertia/heavy_ball.hpp"
#include "reference/heavy_ball.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

const double beta_inits[] = {0.0, 0.1, 0.3, 0.5, 0.9, 0.95, 0.99, 0.999};
const std::int64_t totals[] = {1, 2, 3, 7, 100, 1000, 12345};

}  // namespace

TEST_CASE("demon_momentum is beta_init at t = 0 and 0 at t = T, exactly", "[demon]") {
  for (double beta : beta_inits)
    for (std::int64_t total : totals) {
      INFO("beta_init " << beta << " T " << total);
      REQUIRE(demon_momentum(beta, 0, total) == beta);
      REQUIRE(demon_momentum(beta, total, total) == 0.0);
    }
}

TEST_CASE("demon_momentum never increases from one step to the next", "[demon]") {
  for (double beta : beta_inits)
    for (std::int64_t total : totals) {
      double previous = demon_momentum(beta, 0, total);
      for (std::int64_t t = 1; t <= total; ++t) {
        const double now = demon_momentum(beta, t, total);
        INFO("beta_init " << beta << " T " << total << " t " << t);
        REQUIRE(now <= previous);
        REQUIRE(now >= 0.0);
        previous = now;
      }
    }
}

TEST_CASE("demon_momentum is the paper's formula to within a few ULP", "[demon]") {
  // The library evaluates 1 / (1 + (1 - b) / (b (1 - t/T))), the same value in
  // exact arithmetic; each form rounds a few times without cancellation, so
  // they agree to a few ULP of the value: 1e-15 relative is about 4.5 ULP.
  for (double beta : beta_inits)
    for (std::int64_t total : totals)
      for (std::int64_t t = 0; t <= total; t += 1 + total / 50) {
        const double remaining = 1.0 - double(t) / double(total);
        const double paper = beta * remaining / ((1.0 - beta) + beta * remaining);
        INFO("beta_init " << beta << " T " << total << " t " << t);
        REQUIRE(std::abs(demon_momentum(beta, t, total) - paper) <= 1e-15 * paper);
      }
}

TEMPLATE_TEST_CASE("heavy_ball fed demon_momentum each step stays bit-identical to its reference", "[demon]", float,
                   double) {
  // Demon SGDM (the paper's DemonSGD): PyTorch heavy ball whose momentum
  // decays from 0.9 to 0 over the run; every target, thread count and block size.
  using T = TestType;
  constexpr std::int64_t total = 100;
  struct run {
    heavy_ball_options options;
    bool first_step;
  };
  require_trajectories_match<T>(
      3, 1, std::vector<run>{{{0.05, 0.9, 0.0, 1e-3}, true}},
      [](run r, int step) {
        r.options.momentum = demon_momentum(0.9, step - 1, total);
        r.first_step = step == 1;
        return r;
      },
      [](buffers<T>& b, const run& r, const execution& e) {
        heavy_ball_step(b[0], std::span<const T>(b[1]), b[2], r.options, r.first_step ? 1 : 2, {}, e);
      },
      [](buffers<T>& b, const run& r) {
        reference::heavy_ball(b[0].data(), b[1].data(), b[2].data(), b.size(), r.options, r.first_step);
      },
      [](const run& r) { return "demon heavy_ball momentum " + std::to_string(r.options.momentum); });
}

TEST_CASE("demon_momentum rejects what is not a schedule", "[demon][validation]") {
  buffers<double> none(0, 0, 0);  // a schedule writes no buffers
  const auto rejected = [&](const char* argument, auto call) {
    require_rejected(none, argument, error_kind::hyperparameter, call);
  };
  rejected("beta_init", [] { demon_momentum(1.0, 0, 10); });
  rejected("beta_init", [] { demon_momentum(-0.1, 0, 10); });
  rejected("beta_init", [] { demon_momentum(NAN, 0, 10); });
  rejected("total_steps", [] { demon_momentum(0.9, 0, 0); });
  rejected("step", [] { demon_momentum(0.9, -1, 10); });
  rejected("step", [] { demon_momentum(0.9, 11, 10); });
}
