// Every formulation in the project's seed notes (../shared/seeds/), written
// literally as the note writes it, against the library variant it maps to.
//
// Mapping (also in README, "Which variant is my formula?"):
//   seed 000  p = mu*p - alpha*grad; w += p       -> sutskever{lr = alpha, momentum = mu}
//   seed 000  avg = beta*avg + (1-beta)*x         -> ema velocity (bias_correction off)
//   seed 000  "gradient at the approximated next position" -> nesterov_lookahead + sutskever
//   seed 001  v = beta*v + dL; w -= alpha*v       -> heavy_ball{lr = alpha, momentum = beta}
//   seed 001  v = beta*v - alpha*dL; w += v       -> sutskever{lr = alpha, momentum = beta}
//   seed 002  v = alpha*(beta*v + (1-beta)*dw); w -= v
//                                                 -> sutskever{lr = alpha*(1-beta), momentum = alpha*beta}, v_sutskever = -v
//   seed 002  v = beta*v + dw; w -= alpha*v       -> heavy_ball{lr = alpha, momentum = beta}
//   seed 002  v = beta*v + (1-beta)*dw; w -= alpha*v -> ema{lr = alpha, beta, bias_correction = false}
//   seed 004  v = beta*v + g; w -= lr*v (1/(1-beta) effective gradients) -> heavy_ball
//
// Where the library and the literal formula round the same operations, the
// test demands bit-identity on random data. Where they round differently
// (heavy_ball's w - lr*v is one FMA; seed 002's alpha*(...) is rounded in
// another place), the test uses dyadic data on which every operation is exact,
// so both must agree to the bit; and on random data a bound of 1e-12 relative
// (double), far above the <= 1 ULP per step the rounding difference makes.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "inertia/inertia.hpp"
#include "support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

constexpr std::size_t n = 37;

/// Gradients that are small dyadic numbers (k/8, |k| <= 16): with alpha and
/// beta powers of two and up to 30 steps, every product and sum is exact.
std::vector<double> dyadic_gradient(int step) {
  std::vector<double> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = double((int(i * 7 + step * 13) % 33) - 16) / 8.0;
  return g;
}

std::vector<double> random_gradient(int step) {
  std::vector<double> g(n);
  fill_random<double>(std::span<double>(g), 500 + step);
  return g;
}

std::vector<double> start_weights() {
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i) w[i] = double(int(i) - 18);
  return w;
}

void require_close(const std::vector<double>& a, const std::vector<double>& b, double relative) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i << ": " << a[i] << " vs " << b[i]);
    REQUIRE(std::abs(a[i] - b[i]) <= relative * std::max(1.0, std::abs(b[i])));
  }
}

}  // namespace

TEST_CASE("seed 000: p = mu*p - alpha*grad, w += p is sutskever, bit for bit", "[seeds]") {
  const double mu = 0.9, alpha = 0.05;
  std::vector<double> w_seed = start_weights(), p(n, 0.0), w_lib = w_seed, v_lib(n, 0.0);
  for (int step = 1; step <= 100; ++step) {
    const auto grad = random_gradient(step);
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = mu * p[i] - alpha * grad[i];
      w_seed[i] += p[i];
    }
    sutskever_step(std::span(w_lib), std::span<const double>(grad), std::span(v_lib), {alpha, mu, false}, 1);
  }
  REQUIRE(bitwise_equal<double>(w_seed, w_lib));
  REQUIRE(bitwise_equal<double>(p, v_lib));
}

TEST_CASE("seed 000: mu >= 1 never stops moving, so the library refuses it", "[seeds]") {
  // The seed's own example: grad = 1 for three steps, then 0; p keeps -3 forever.
  double p = 0.0, w = 0.0;
  const double grads[] = {1, 1, 1, 0, 0, 0};
  for (double g : grads) {
    p = 1.0 * p - 1.0 * g;
    w += p;
  }
  REQUIRE(p == -3.0);  // still moving after the gradient vanished
  std::vector<double> weights(1, 0.0), grad(1, 0.0), velocity(1, 0.0);
  try {
    sutskever_step(std::span(weights), std::span<const double>(grad), std::span(velocity), {1.0, 1.0, false}, 1);
    FAIL("momentum 1 was accepted");
  } catch (const inertia::invalid_argument& error) {
    REQUIRE(error.argument() == "momentum");
    REQUIRE(std::string(error.what()).find("never decays") != std::string::npos);
  }
}

TEST_CASE("seed 000: the exponential moving average is the ema velocity, bit for bit", "[seeds]") {
  const double beta = 0.9;
  std::vector<double> average(n, 0.0), w(n, 0.0), velocity(n, 0.0);
  std::vector<std::vector<double>> history;
  for (int step = 1; step <= 100; ++step) {
    const auto temperature = random_gradient(step);
    history.push_back(temperature);
    for (std::size_t i = 0; i < n; ++i) average[i] = (beta * average[i]) + (1 - beta) * temperature[i];
    ema_step(std::span(w), std::span<const double>(temperature), std::span(velocity), {0.0, beta, false}, step);
  }
  REQUIRE(bitwise_equal<double>(average, velocity));
  // And its expansion EMA_t = sum_k beta^k (1-beta) T_{t-k} (exact arithmetic; 1e-12 relative).
  std::vector<double> expanded(n, 0.0);
  for (std::size_t k = 0; k < history.size(); ++k)
    for (std::size_t i = 0; i < n; ++i)
      expanded[i] += std::pow(beta, double(k)) * (1 - beta) * history[history.size() - 1 - k][i];
  require_close(expanded, velocity, 1e-12);
}

TEST_CASE("seed 000: Nesterov takes the gradient at the approximated next position", "[seeds]") {
  // f(w) = 0.5 * curvature * w^2 per element, so grad f(x) = curvature * x.
  const double mu = 0.9, alpha = 0.05;
  std::vector<double> curvature(n);
  for (std::size_t i = 0; i < n; ++i) curvature[i] = 0.1 + 0.05 * double(i);
  std::vector<double> w_seed = start_weights(), v_seed(n, 0.0), w_lib = w_seed, v_lib(n, 0.0), ahead(n), grad(n);
  for (int step = 1; step <= 100; ++step) {
    for (std::size_t i = 0; i < n; ++i) {
      const double next = w_seed[i] + mu * v_seed[i];
      v_seed[i] = mu * v_seed[i] - alpha * (curvature[i] * next);
      w_seed[i] = w_seed[i] + v_seed[i];
    }
    nesterov_lookahead(std::span<const double>(w_lib), std::span<const double>(v_lib), mu, std::span(ahead));
    for (std::size_t i = 0; i < n; ++i) grad[i] = curvature[i] * ahead[i];
    sutskever_step(std::span(w_lib), std::span<const double>(grad), std::span(v_lib), {alpha, mu, false}, 1);
  }
  REQUIRE(bitwise_equal<double>(w_seed, w_lib));
  REQUIRE(std::abs(w_lib[36]) < 1e-3);  // and it converges
}

TEST_CASE("seed 001: v = beta*v - alpha*dL, w += v is sutskever, bit for bit", "[seeds]") {
  const double beta = 0.9, alpha = 0.01;
  std::vector<double> w_seed = start_weights(), v(n, 0.0), w_lib = w_seed, v_lib(n, 0.0);
  for (int step = 1; step <= 100; ++step) {
    const auto dL = random_gradient(step);
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = beta * v[i] - alpha * dL[i];
      w_seed[i] = w_seed[i] + v[i];
    }
    sutskever_step(std::span(w_lib), std::span<const double>(dL), std::span(v_lib), {alpha, beta, false}, 1);
  }
  REQUIRE(bitwise_equal<double>(w_seed, w_lib));
}

namespace {

/// seed 001 form 1, seed 002's "v = beta*v + dw works just as fine", and seed
/// 004: v = beta*v + g; w = w - alpha*v, against heavy_ball.
void literal_lr_outside(std::vector<double> (*gradient)(int), int steps, double alpha, double beta,
                        std::vector<double>& w_seed, std::vector<double>& w_lib) {
  std::vector<double> v(n, 0.0), buffer(n, 0.0);
  w_seed = w_lib = start_weights();
  for (int step = 1; step <= steps; ++step) {
    const auto g = gradient(step);
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = beta * v[i] + g[i];
      w_seed[i] = w_seed[i] - alpha * v[i];
    }
    heavy_ball_step(std::span(w_lib), std::span<const double>(g), std::span(buffer), {alpha, beta}, step);
  }
}

}  // namespace

TEST_CASE("seeds 001, 002, 004: v = beta*v + g, w -= alpha*v is heavy_ball", "[seeds]") {
  std::vector<double> w_seed, w_lib;
  literal_lr_outside(dyadic_gradient, 30, 0.25, 0.5, w_seed, w_lib);  // every operation exact
  REQUIRE(bitwise_equal<double>(w_seed, w_lib));
  literal_lr_outside(random_gradient, 100, 0.01, 0.9, w_seed, w_lib);  // only the FMA in w differs
  require_close(w_seed, w_lib, 1e-12);
}

TEST_CASE("seed 002: v = alpha*(beta*v + (1-beta)*dw), w -= v is sutskever with lr = alpha(1-beta), mu = alpha*beta",
          "[seeds]") {
  const auto run = [](std::vector<double> (*gradient)(int), int steps, double alpha, double beta,
                      std::vector<double>& w_seed, std::vector<double>& w_lib) {
    std::vector<double> vdw(n, 0.0), velocity(n, 0.0);
    w_seed = w_lib = start_weights();
    for (int step = 1; step <= steps; ++step) {
      const auto dw = gradient(step);
      for (std::size_t i = 0; i < n; ++i) {
        vdw[i] = alpha * (beta * vdw[i] + (1 - beta) * dw[i]);
        w_seed[i] = w_seed[i] - vdw[i];
      }
      sutskever_step(std::span(w_lib), std::span<const double>(dw), std::span(velocity),
                     {alpha * (1 - beta), alpha * beta, false}, 1);
    }
  };
  std::vector<double> w_seed, w_lib;
  run(dyadic_gradient, 30, 0.5, 0.5, w_seed, w_lib);
  REQUIRE(bitwise_equal<double>(w_seed, w_lib));
  run(random_gradient, 100, 0.1, 0.9, w_seed, w_lib);
  require_close(w_seed, w_lib, 1e-12);
}

TEST_CASE("seed 002: v = beta*v + (1-beta)*dw, w -= alpha*v is ema without bias correction, bit for bit", "[seeds]") {
  const double alpha = 0.1, beta = 0.9;
  std::vector<double> w_seed = start_weights(), vdw(n, 0.0), w_lib = w_seed, velocity(n, 0.0);
  for (int step = 1; step <= 100; ++step) {
    const auto dw = random_gradient(step);
    for (std::size_t i = 0; i < n; ++i) {
      vdw[i] = beta * vdw[i] + (1 - beta) * dw[i];
      w_seed[i] = w_seed[i] - alpha * vdw[i];
    }
    ema_step(std::span(w_lib), std::span<const double>(dw), std::span(velocity), {alpha, beta, false}, step);
  }
  REQUIRE(bitwise_equal<double>(w_seed, w_lib));
}

TEST_CASE("seed 004: the effective number of gradients is 1/(1-beta)", "[seeds]") {
  // Under a constant gradient the heavy_ball buffer tends to g/(1-beta), i.e.
  // 1/(1-beta) gradients' worth; the EMA velocity tends to g itself.
  const double beta = 0.9;
  std::vector<double> w(n, 0.0), g(n, 2.0), buffer(n), w2(n, 0.0), velocity(n, 0.0);
  for (int step = 1; step <= 400; ++step) {
    heavy_ball_step(std::span(w), std::span<const double>(g), std::span(buffer), {0.0, beta}, step);
    ema_step(std::span(w2), std::span<const double>(g), std::span(velocity), {0.0, beta, false}, step);
  }
  REQUIRE(buffer[0] == Approx(2.0 / (1 - beta)).epsilon(1e-12));
  REQUIRE(velocity[0] == Approx(2.0).epsilon(1e-12));
}
