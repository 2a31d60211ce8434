#pragma once
// The multi-tensor check for any variant: a model of tensors with awkward
// sizes, split into two param groups with their own options, stepped three
// times by one multi-tensor call per step on every setting, must equal the
// reference stepping each tensor alone, bit for bit, with both groups' step
// counters advanced.
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "inertia/multi_tensor.hpp"
#include "support.hpp"

namespace inertia::test {

/// Empty and 1-element tensors, odd sizes, one larger than a default block
/// (32 KiB = 8192 floats), each its own allocation at its own misalignment.
inline const std::vector<std::size_t> model_sizes = {0, 1, 7, 1000, 20011, 33, 17, 0, 5000, 3, 64, 9};

/// streams: buffers per tensor (param, grad, then the state); fresh_stream is
/// refilled before every step (the gradient, or what plays its part).
/// make_tensor(buffers&) views one tensor's buffers as the variant's tensor;
/// reference(buffers&, options, steps_taken) steps one tensor alone.
template <class T, class Tensor, class Options, class MultiStep, class MakeTensor, class Reference>
void require_groups_match_tensors_alone(std::size_t streams, std::size_t fresh_stream, const Options& first_options,
                                        const Options& second_options, MultiStep multi_step, MakeTensor make_tensor,
                                        Reference reference) {
  const auto make_model = [&] {
    std::vector<buffers<T>> model;
    for (std::size_t k = 0; k < model_sizes.size(); ++k)
      model.push_back(random_buffers<T>(streams, model_sizes[k], k % 4, 7 + k));
    return model;
  };
  for (const setting& s : settings_for<T>(1000)) {
    std::vector<buffers<T>> actual = make_model(), expected = make_model();
    std::vector<Tensor> even, odd;
    for (std::size_t k = 0; k < actual.size(); ++k) (k % 2 ? odd : even).push_back(make_tensor(actual[k]));
    std::vector<param_group<Options, Tensor>> groups = {{first_options, even, 0}, {second_options, odd, 0}};
    arch_scope forced(s.target);
    for (std::int64_t step = 0; step < 3; ++step) {
      for (std::size_t k = 0; k < actual.size(); ++k) {
        fill_random<T>(actual[k][fresh_stream], 100 * step + k);
        fill_random<T>(expected[k][fresh_stream], 100 * step + k);
      }
      multi_step(std::span(groups), s.exec);
      for (std::size_t k = 0; k < expected.size(); ++k)
        reference(expected[k], k % 2 ? second_options : first_options, step);
      INFO(s.describe() << " | after step " << step + 1);
      for (std::size_t k = 0; k < actual.size(); ++k)
        for (std::size_t b = 0; b < streams; ++b) REQUIRE(bitwise_equal<T>(actual[k][b], expected[k][b]));
      REQUIRE(groups[0].step == step + 1);
      REQUIRE(groups[1].step == step + 1);
    }
  }
}

}  // namespace inertia::test
