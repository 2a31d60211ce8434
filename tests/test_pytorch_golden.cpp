// Replays trajectories recorded from PyTorch's CPU SGD (tests/data, made by
// scripts/golden_pytorch.py and scripts/golden_pytorch_fused.py) through
// heavy_ball_step on every target and thread setting, and demands PyTorch's
// bits after every one of the 24 steps.
#include <fstream>
#include <limits>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "inertia/heavy_ball.hpp"
#include "golden_support.hpp"
#include "support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

template <class T>
void replay(const std::string& file, heavy_ball_numerics numerics) {
  const auto golden = load_golden(file);
  REQUIRE(golden["format"] == "inertia-trajectory");
  REQUIRE(golden["cases"].size() == 16);
  for (const auto& c : golden["cases"]) {
    const auto& h = c["hyperparameters"];
    heavy_ball_options options{0.0, h["momentum"], h["dampening"], h["weight_decay"], h["nesterov"], h["maximize"],
                               numerics};
    const auto initial = golden_values<T>(c["initial"]["param"]);
    const std::size_t n = initial.size();
    for (arch target : supported_archs())
      for (int threads : {1, 3}) {
        arch_scope forced(target);
        // 64-byte blocks and no minimum work per thread: thread and block
        // boundaries fall inside the 37 elements.
        const execution exec{threads, 64, 1};
        std::vector<T> param = initial;
        std::vector<T> buffer(n, std::numeric_limits<T>::quiet_NaN());  // absent until step 1
        std::size_t step = 0;
        for (const auto& recorded : c["steps"]) {
          options.lr = c["lr"][step];
          const auto grad = golden_values<T>(recorded["grad"]);
          heavy_ball_step(std::span<T>(param), std::span<const T>(grad), std::span<T>(buffer), options, step + 1, {},
                          exec);
          ++step;
          INFO(file << " | " << c["name"].get<std::string>() << " | " << arch_name(target) << " threads " << threads
                    << " | after step " << step);
          const auto expected_param = golden_values<T>(recorded["param"]);
          REQUIRE(first_difference<T>(param, expected_param) == n);
          if (!recorded["momentum_buffer"].is_null()) {
            const auto expected_buffer = golden_values<T>(recorded["momentum_buffer"]);
            REQUIRE(first_difference<T>(buffer, expected_buffer) == n);
          }
        }
      }
  }
}

}  // namespace

TEST_CASE("heavy_ball reproduces torch.optim.SGD (loop path) bit for bit, float32", "[heavy_ball][golden]") {
  replay<float>("heavy_ball_float32.json", heavy_ball_numerics::pytorch_loop);
}

TEST_CASE("heavy_ball reproduces torch.optim.SGD (loop path) bit for bit, float64", "[heavy_ball][golden]") {
  replay<double>("heavy_ball_float64.json", heavy_ball_numerics::pytorch_loop);
}

TEST_CASE("heavy_ball pytorch_fused reproduces torch.optim.SGD(fused=True) bit for bit, float32",
          "[heavy_ball][golden]") {
  replay<float>("heavy_ball_fused_float32.json", heavy_ball_numerics::pytorch_fused);
}

TEST_CASE("heavy_ball pytorch_fused reproduces torch.optim.SGD(fused=True) bit for bit, float64",
          "[heavy_ball][golden]") {
  replay<double>("heavy_ball_fused_float64.json", heavy_ball_numerics::pytorch_fused);
}

TEST_CASE("the loop and fused PyTorch paths really differ (the golden data can tell them apart)", "[golden]") {
  const auto loop = load_golden("heavy_ball_float32.json"), fused = load_golden("heavy_ball_fused_float32.json");
  bool any_difference = false;
  for (std::size_t k = 0; k < loop["cases"].size(); ++k)
    any_difference |= loop["cases"][k]["steps"].back()["param"] != fused["cases"][k]["steps"].back()["param"];
  REQUIRE(any_difference);
}
