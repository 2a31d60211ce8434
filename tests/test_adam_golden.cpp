// Replays trajectories recorded from PyTorch 1.13's CPU torch.optim.Adam,
// AdamW and NAdam (tests/data/{adam,adamw,nadam}_<dtype>.json, made by
// scripts/golden_adam.py) on every target, with threads {1, 3}, through both
// entry points (one tensor, and a one-group multi-tensor call), and demands
// torch's bits after every one of the 16 steps: param, exp_avg, exp_avg_sq,
// max_exp_avg_sq (amsgrad) and NAdam's mu_product.
#include <catch2/catch.hpp>

#include "golden_support.hpp"
#include "inertia/adam.hpp"
#include "support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

/// The state of one replay, and one step of it through either entry point.
template <class T>
struct replayed {
  std::vector<T> param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq;
  std::int64_t steps = 0;
  float mu_product = 1.0f;

  adam_tensor<T> tensor() { return {param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq}; }

  void step(const std::string& variant, const nlohmann::json& h, double lr, bool multi, const execution& exec) {
    const adam_tensor<T> t = tensor();
    if (variant == "nadam") {
      nadam_options o{lr, h["beta1"], h["beta2"], h["eps"], h["weight_decay"], h["momentum_decay"]};
      o.numerics = nadam_numerics::pytorch_1_13;  // recorded from torch 1.13
      if (multi) {
        nadam_group<T> group{o, std::span(&t, 1), steps, mu_product};
        nadam_step(std::span(&group, 1), {}, exec);
        mu_product = group.mu_product;
      } else {
        nadam_step(t, o, steps + 1, mu_product, {}, exec);
      }
    } else {
      const adam_options o{lr,         h["beta1"],         h["beta2"],
                           h["eps"],   h["weight_decay"],  h["amsgrad"],
                           h["maximize"], variant == "adamw", adam_numerics::pytorch_1_13};  // recorded from torch 1.13
      if (multi) {
        adam_group<T> group{o, std::span(&t, 1), steps};
        adam_step(std::span(&group, 1), {}, exec);
      } else {
        adam_step(t, o, steps + 1, {}, exec);
      }
    }
    ++steps;
  }
};

template <class T>
void replay(const std::string& file, const std::string& variant, std::size_t case_count) {
  const auto golden = load_golden(file);
  REQUIRE(golden["format"] == "inertia-trajectory");
  REQUIRE(golden["version"] == 1);
  REQUIRE(golden["cases"].size() == case_count);
  for (const auto& c : golden["cases"]) {
    REQUIRE(c["variant"] == variant);
    REQUIRE(c["dtype"] == (sizeof(T) == 4 ? "float32" : "float64"));
    const auto& h = c["hyperparameters"];
    const auto initial = golden_values<T>(c["initial"]["param"]);
    const std::size_t n = initial.size();
    const bool amsgrad = variant != "nadam" && h["amsgrad"].get<bool>();
    for (arch target : supported_archs())
      for (int threads : {1, 3})
        for (bool multi : {false, true}) {
          arch_scope forced(target);
          // 64-byte blocks and no minimum work per thread: thread and block
          // boundaries fall inside the 37 elements.
          const execution exec{threads, 64, 1};
          replayed<T> r{initial, {}, std::vector<T>(n), std::vector<T>(n), std::vector<T>(amsgrad ? n : 0)};
          for (const auto& recorded : c["steps"]) {
            r.grad = golden_values<T>(recorded["grad"]);
            r.step(variant, h, c["lr"][r.steps], multi, exec);
            INFO(file << " | " << c["name"].get<std::string>() << " | " << arch_name(target) << " threads "
                      << threads << (multi ? " multi-tensor" : " single tensor") << " | after step " << r.steps);
            REQUIRE(first_difference<T>(r.param, golden_values<T>(recorded["param"])) == n);
            REQUIRE(first_difference<T>(r.exp_avg, golden_values<T>(recorded["exp_avg"])) == n);
            REQUIRE(first_difference<T>(r.exp_avg_sq, golden_values<T>(recorded["exp_avg_sq"])) == n);
            REQUIRE(recorded.contains("max_exp_avg_sq") == amsgrad);
            if (amsgrad)
              REQUIRE(first_difference<T>(r.max_exp_avg_sq, golden_values<T>(recorded["max_exp_avg_sq"])) == n);
            if (variant == "nadam") REQUIRE(r.mu_product == recorded["mu_product"].get<double>());
          }
        }
  }
}

}  // namespace

TEST_CASE("adam reproduces torch.optim.Adam 1.13 bit for bit, float32", "[adam][golden]") {
  replay<float>("adam_float32.json", "adam", 4);
}

TEST_CASE("adam reproduces torch.optim.Adam 1.13 bit for bit, float64", "[adam][golden]") {
  replay<double>("adam_float64.json", "adam", 4);
}

TEST_CASE("adam with decoupled_weight_decay reproduces torch.optim.AdamW 1.13 bit for bit, float32",
          "[adam][golden]") {
  replay<float>("adamw_float32.json", "adamw", 3);
}

TEST_CASE("adam with decoupled_weight_decay reproduces torch.optim.AdamW 1.13 bit for bit, float64",
          "[adam][golden]") {
  replay<double>("adamw_float64.json", "adamw", 3);
}

TEST_CASE("nadam reproduces torch.optim.NAdam 1.13 bit for bit, float32", "[adam][golden]") {
  replay<float>("nadam_float32.json", "nadam", 3);
}

TEST_CASE("nadam reproduces torch.optim.NAdam 1.13 bit for bit, float64", "[adam][golden]") {
  replay<double>("nadam_float64.json", "nadam", 3);
}
