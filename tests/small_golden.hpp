#pragma once
// Replays a few steps recorded from a framework (scripts/golden_momentum_family.py
// prints them as C++) through the library on every target, with 1 and 3
// threads, and demands the framework's final parameter and state.
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

namespace inertia::test {

struct small_golden {
  struct outcome {
    std::vector<double> param, state;  ///< after the last step
  };
  std::vector<double> initial;              ///< the parameter before the first step; the state starts at zero
  std::vector<std::vector<double>> inputs;  ///< each step's gradient (or what plays its part)
  outcome float32, float64;                 ///< as each element type computes it (same inputs, exact in both)
};

enum class zero_sign { compared, ignored };

/// step(c, param, state, input, steps_taken, exec) runs one library step of
/// case c (the caller keeps each case's options). state_zeros = ignored
/// compares the state by value, so that +0 equals -0 there.
template <class T, class Step>
void require_golden(const std::vector<small_golden>& cases, Step step, const std::string& label,
                    zero_sign state_zeros = zero_sign::compared) {
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const small_golden& g = cases[c];
    const small_golden::outcome& want = std::is_same_v<T, float> ? g.float32 : g.float64;
    const std::vector<T> expected_param(want.param.begin(), want.param.end());
    const std::vector<T> expected_state(want.state.begin(), want.state.end());
    for (arch target : supported_archs())
      for (int threads : {1, 3}) {
        arch_scope forced(target);
        const execution exec{threads, 64, 1};
        std::vector<T> param(g.initial.begin(), g.initial.end()), state(want.state.size(), T(0));
        for (std::size_t s = 0; s < g.inputs.size(); ++s) {
          const std::vector<T> input(g.inputs[s].begin(), g.inputs[s].end());
          step(c, std::span<T>(param), std::span<T>(state), std::span<const T>(input), std::int64_t(s), exec);
        }
        INFO(label << " case " << c << " | " << arch_name(target) << " threads " << threads);
        REQUIRE(first_difference<T>(param, expected_param) == param.size());
        if (state_zeros == zero_sign::compared)
          REQUIRE(first_difference<T>(state, expected_state) == state.size());
        else
          REQUIRE(state == expected_state);
      }
  }
}

}  // namespace inertia::test
