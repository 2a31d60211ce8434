// The recorded framework trajectories (PyTorch SGD loop and fused, Keras SGD,
// Optax ema; tests/data) replayed through the C ABI, bit for bit: what a C,
// Rust or Python-ctypes user of libinertia gets.
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "golden_support.hpp"
#include "inertia/inertia.h"
#include "support.hpp"

using namespace inertia::test;

namespace {

template <class T>
inertia_status sgd(T* w, const T* g, T* v, std::size_t n, const inertia_sgd_options* o, int first,
                   inertia_sgd_numerics numerics) {
  if constexpr (sizeof(T) == 4) return inertia_sgd_step_ex_f32(w, g, v, n, o, first, numerics);
  else return inertia_sgd_step_ex_f64(w, g, v, n, o, first, numerics);
}

template <class T>
inertia_status sutskever(T* w, const T* g, T* v, std::size_t n, double lr, double mu, int nesterov) {
  if constexpr (sizeof(T) == 4) return inertia_sutskever_step_f32(w, g, v, n, lr, mu, nesterov);
  else return inertia_sutskever_step_f64(w, g, v, n, lr, mu, nesterov);
}

template <class T>
inertia_status ema(T* w, const T* g, T* v, std::size_t n, double lr, double beta, int bias_correction, long long t) {
  if constexpr (sizeof(T) == 4) return inertia_ema_step_f32(w, g, v, n, lr, beta, bias_correction, t);
  else return inertia_ema_step_f64(w, g, v, n, lr, beta, bias_correction, t);
}

/// Replays every case of `file`; state_key names the recorded state.
template <class T, class Step>
void replay(const std::string& file, const char* state_key, Step step) {
  const auto golden = load_golden(file);
  for (const auto& c : golden["cases"]) {
    std::vector<T> w = golden_values<T>(c["initial"]["param"]);
    const std::size_t n = w.size();
    // PyTorch's buffer is absent until step 1 (NaN proves it is not read);
    // Keras and Optax start their velocity at zero.
    std::vector<T> state(n, std::string(state_key) == "momentum_buffer" ? std::numeric_limits<T>::quiet_NaN() : T(0));
    long long t = 0;
    for (const auto& recorded : c["steps"]) {
      const auto g = golden_values<T>(recorded["grad"]);
      ++t;
      REQUIRE(step(c, w.data(), g.data(), state.data(), n, double(c["lr"][t - 1]), t) == INERTIA_OK);
      INFO(file << " | " << c["name"].get<std::string>() << " | after step " << t);
      REQUIRE(first_difference<T>(w, golden_values<T>(recorded["param"])) == n);
      if (!recorded[state_key].is_null()) REQUIRE(first_difference<T>(state, golden_values<T>(recorded[state_key])) == n);
    }
  }
}

template <class T>
void replay_sgd(const std::string& file, inertia_sgd_numerics numerics) {
  replay<T>(file, "momentum_buffer", [numerics](const auto& c, T* w, const T* g, T* v, std::size_t n, double lr, long long t) {
    const auto& h = c["hyperparameters"];
    const inertia_sgd_options o{lr, h["momentum"], h["dampening"], h["weight_decay"], h["nesterov"].template get<bool>(),
                                h["maximize"].template get<bool>()};
    return sgd<T>(w, g, v, n, &o, t == 1, numerics);
  });
}

}  // namespace

TEMPLATE_TEST_CASE("the C ABI reproduces torch.optim.SGD, loop and fused, bit for bit", "[c_abi][golden]", float,
                   double) {
  const std::string dtype = sizeof(TestType) == 4 ? "float32" : "float64";
  replay_sgd<TestType>("heavy_ball_" + dtype + ".json", INERTIA_SGD_NUMERICS_PYTORCH_LOOP);
  replay_sgd<TestType>("heavy_ball_fused_" + dtype + ".json", INERTIA_SGD_NUMERICS_PYTORCH_FUSED);
}

TEMPLATE_TEST_CASE("the C ABI reproduces Keras SGD and Optax ema (eager) bit for bit", "[c_abi][golden]", float,
                   double) {
  using T = TestType;
  const std::string dtype = sizeof(T) == 4 ? "float32" : "float64";
  replay<T>("sutskever_" + dtype + ".json", "velocity",
            [](const auto& c, T* w, const T* g, T* v, std::size_t n, double lr, long long) {
              const auto& h = c["hyperparameters"];
              return sutskever<T>(w, g, v, n, lr, h["momentum"], h["nesterov"].template get<bool>());
            });
  replay<T>("ema_" + dtype + ".json", "velocity", [](const auto& c, T* w, const T* g, T* v, std::size_t n, double lr,
                                                   long long t) {
    const auto& h = c["hyperparameters"];
    return ema<T>(w, g, v, n, lr, h["beta"], h["bias_correction"].template get<bool>(), t);
  });
}
