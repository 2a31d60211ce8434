// Replays trajectories recorded from Keras 3 SGD (sutskever) and Optax
// ema + scale(-lr) (ema) through the library on every target and thread
// setting (tests/data/{sutskever,ema}[_xla]_<dtype>.json, made by
// scripts/golden_keras.py and scripts/golden_optax.py; the files' "source" and
// "notes" say how each was recorded and which operation order it follows).
//
// Each case is replayed free-running: the library steps on its own values from
// the recorded initial parameter and a zero velocity, fed the recorded
// gradients and learning rates, and is compared with the recorded parameter
// and velocity after every step. Where the framework follows the library's
// documented order the comparison is bit for bit. Where it does not, the test
// asserts the max ULP distance the generator script measured between the
// documented order and the framework (free-running, over every step, parameter
// and velocity), so a change of order in the library or in the data shows up.
// Whatever the bound, every target and thread count must give the same bits.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "inertia/ema.hpp"
#include "inertia/sutskever.hpp"
#include "golden_support.hpp"
#include "check/ulp.hpp"  // lib/check: the measure inertia-check reports
#include "support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

template <class T>
std::uint64_t max_ulp(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  std::uint64_t worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(std::isfinite(a[i]));
    worst = std::max(worst, inertia::check::ulp_distance(a[i], b[i]));
  }
  return worst;
}

/// Max ULP per case name, over every step, parameter and velocity, between the
/// library's documented order and the recording. 0: bit for bit.
using bounds = std::map<std::string, std::uint64_t>;

template <class T>
void replay(const std::string& file, const std::string& variant, const bounds& expected_bounds) {
  const auto golden = load_golden(file);
  REQUIRE(golden["format"] == "inertia-trajectory");
  REQUIRE(golden["version"] == 1);
  REQUIRE(golden["cases"].size() == expected_bounds.size());
  for (const auto& c : golden["cases"]) {
    const std::string name = c["name"];
    REQUIRE(c["variant"] == variant);
    REQUIRE(c["dtype"] == (sizeof(T) == 4 ? "float32" : "float64"));
    REQUIRE(expected_bounds.count(name) == 1);
    const std::uint64_t bound = expected_bounds.at(name);
    const auto& h = c["hyperparameters"];
    const auto initial = golden_values<T>(c["initial"]["param"]);
    const std::size_t n = initial.size();
    REQUIRE(c["steps"].size() == c["lr"].size());

    std::optional<std::vector<T>> first_setting_final;  // every setting must agree bit for bit
    for (arch target : supported_archs())
      for (int threads : {1, 3}) {
        arch_scope forced(target);
        // 64-byte blocks and no minimum work per thread: thread and block
        // boundaries fall inside the 37 elements.
        const execution exec{threads, 64, 1};
        std::vector<T> param = initial;
        const bool has_velocity = variant == "ema" || h["momentum"].get<double>() != 0.0;
        std::vector<T> velocity(has_velocity ? n : 0, T(0));
        std::uint64_t worst = 0;
        std::int64_t step = 0;
        for (const auto& recorded : c["steps"]) {
          const double lr = c["lr"][step];
          const auto grad = golden_values<T>(recorded["grad"]);
          REQUIRE(grad.size() == n);
          ++step;
          if (variant == "sutskever") {
            sutskever_step(std::span<T>(param), std::span<const T>(grad), std::span<T>(velocity),
                           sutskever_options{lr, h["momentum"], h["nesterov"]}, 1, {}, exec);
          } else {
            ema_step(std::span<T>(param), std::span<const T>(grad), std::span<T>(velocity),
                     ema_options{lr, h["beta"], h["bias_correction"]}, step, {}, exec);
          }
          INFO(file << " | " << name << " | " << arch_name(target) << " threads " << threads << " | after step "
                    << step);
          const auto expected_param = golden_values<T>(recorded["param"]);
          const bool velocity_recorded = !recorded["velocity"].is_null();
          REQUIRE(velocity_recorded == has_velocity);
          if (bound == 0) {
            REQUIRE(first_difference<T>(param, expected_param) == n);
            if (velocity_recorded) REQUIRE(first_difference<T>(velocity, golden_values<T>(recorded["velocity"])) == n);
          } else {
            worst = std::max(worst, max_ulp(param, expected_param));
            if (velocity_recorded) worst = std::max(worst, max_ulp(velocity, golden_values<T>(recorded["velocity"])));
          }
        }
        INFO(file << " | " << name << " | " << arch_name(target) << " threads " << threads);
        CHECK(worst == bound);
        if (!first_setting_final) {
          first_setting_final = param;
        } else {
          REQUIRE(first_difference<T>(param, *first_setting_final) == n);
        }
      }
  }
}

}  // namespace

// --- Keras 3 SGD, eager (apply_gradients, every op rounded on its own) ------
// Keras evaluates m * mu - g * lr with both products rounded: exactly the
// documented order, so every case replays bit for bit.

TEST_CASE("sutskever reproduces Keras 3 SGD (eager) bit for bit, float32", "[sutskever][golden][keras]") {
  replay<float>("sutskever_float32.json", "sutskever",
                {{"mu0_nesterov0", 0}, {"mu0.9_nesterov0", 0}, {"mu0.9_nesterov1", 0}});
}

TEST_CASE("sutskever reproduces Keras 3 SGD (eager) bit for bit, float64", "[sutskever][golden][keras]") {
  replay<double>("sutskever_float64.json", "sutskever",
                 {{"mu0_nesterov0", 0}, {"mu0.9_nesterov0", 0}, {"mu0.9_nesterov1", 0}});
}

// --- Keras 3 SGD under jax.jit (stateless_apply, as model.fit runs it) ------
// XLA on a CPU with FMA contracts the update: v = fma(v, mu, -r(g*lr)) (and
// the same for the Nesterov term), momentum 0: w = fma(-g, lr, w). The library
// rounds both products (the documented order), so it cannot match; these are
// the measured free-running distances (scripts/golden_keras.py prints them).

TEST_CASE("sutskever stays within the measured ULP of Keras 3 SGD under XLA, float32", "[sutskever][golden][keras]") {
  replay<float>("sutskever_xla_float32.json", "sutskever",
                {{"mu0_nesterov0", 93}, {"mu0.9_nesterov0", 88}, {"mu0.9_nesterov1", 1354}});
}

TEST_CASE("sutskever stays within the measured ULP of Keras 3 SGD under XLA, float64", "[sutskever][golden][keras]") {
  replay<double>("sutskever_xla_float64.json", "sutskever",
                 {{"mu0_nesterov0", 70}, {"mu0.9_nesterov0", 117}, {"mu0.9_nesterov1", 398}});
}

// --- Optax ema + scale(-lr) + apply_updates, eager --------------------------
// The documented order is Optax's, bias correction included (c = 1 - beta^t
// formed in the element type from the rounded beta, powf in float32 as JAX
// does with x64 off; v * r(1/c), as XLA rewrites a division by a scalar):
// bit for bit in every case.

TEST_CASE("ema reproduces Optax ema + scale(-lr) (eager) bit for bit, float32", "[ema][golden][optax]") {
  replay<float>("ema_float32.json", "ema",
                {{"beta0.9_bias_correction0", 0},
                 {"beta0.9_bias_correction1", 0},
                 {"beta0.999_bias_correction0", 0},
                 {"beta0.999_bias_correction1", 0}});
}

TEST_CASE("ema reproduces Optax ema + scale(-lr) (eager) bit for bit, float64", "[ema][golden][optax]") {
  replay<double>("ema_float64.json", "ema",
                 {{"beta0.9_bias_correction0", 0},
                  {"beta0.9_bias_correction1", 0},
                  {"beta0.999_bias_correction0", 0},
                  {"beta0.999_bias_correction1", 0}});
}

// --- Optax under jax.jit ------------------------------------------------------
// On top of the eager differences, XLA contracts v = fma(1-b, g, r(b*v)) and
// w = fma(-lr, v_hat, w); the library rounds every product. Measured bounds.

TEST_CASE("ema stays within the measured ULP of Optax under XLA, float32", "[ema][golden][optax]") {
  replay<float>("ema_xla_float32.json", "ema",
                {{"beta0.9_bias_correction0", 7716},
                 {"beta0.9_bias_correction1", 299},
                 {"beta0.999_bias_correction0", 2030},
                 {"beta0.999_bias_correction1", 560}});
}

TEST_CASE("ema stays within the measured ULP of Optax under XLA, float64", "[ema][golden][optax]") {
  replay<double>("ema_xla_float64.json", "ema",
                 {{"beta0.9_bias_correction0", 13056},
                  {"beta0.9_bias_correction1", 368},
                  {"beta0.999_bias_correction0", 10},
                  {"beta0.999_bias_correction1", 204}});
}

TEST_CASE("the eager and XLA recordings really differ (the data can tell the orders apart)", "[golden]") {
  for (const char* stem : {"sutskever", "ema"})
    for (const char* dtype : {"float32", "float64"}) {
      const auto eager = load_golden(std::string(stem) + "_" + dtype + ".json");
      const auto xla = load_golden(std::string(stem) + "_xla_" + dtype + ".json");
      bool any_difference = false;
      for (std::size_t k = 0; k < eager["cases"].size(); ++k) {
        REQUIRE(eager["cases"][k]["steps"][0]["grad"] == xla["cases"][k]["steps"][0]["grad"]);  // same inputs
        any_difference |= eager["cases"][k]["steps"].back()["param"] != xla["cases"][k]["steps"].back()["param"];
      }
      INFO(stem << " " << dtype);
      REQUIRE(any_difference);
    }
}
