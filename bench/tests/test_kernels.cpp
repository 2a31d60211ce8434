// The suite measures what it says it measures: for every variant, the library
// call, the naive and auto-vectorized peers (the tests' references) and, where
// built, the Eigen peer compute the same step on the same buffer layout; and
// the profiler's per-tensor and multi-tensor strategies step a model to the
// same bits. A variant wired to the wrong buffer, or to other settings than
// its peers, fails here.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/aligned_array.hpp"
#include "common/initial_values.hpp"
#include "common/kernel.hpp"
#include "profile/model_tensors.hpp"
#include "profile/step_strategy.hpp"

namespace inertia::bench {
namespace {

// Owns max_arrays_touched arrays of one size, filled with the suite's initial values.
template <class T>
struct owned_buffers {
  std::vector<aligned_array<T>> arrays;
  step_buffers<T> view;
  explicit owned_buffers(std::size_t size) {
    for (std::size_t k = 0; k < max_arrays_touched; ++k) arrays.emplace_back(size);
    view = {arrays[0].data(), arrays[1].data(), arrays[2].data(), {arrays[3].data(), arrays[4].data(), arrays[5].data()},
            size};
    fill_initial_values(view);
  }
  std::vector<std::vector<T>> contents(std::size_t arrays_used) const {
    std::vector<std::vector<T>> out;
    for (std::size_t k = 0; k < arrays_used; ++k) out.emplace_back(arrays[k].data(), arrays[k].data() + view.size);
    return out;
  }
};

// The largest difference relative to max(1, |expected|) over every array.
template <class T>
double max_relative_difference(const std::vector<std::vector<T>>& got, const std::vector<std::vector<T>>& expected) {
  double worst = 0.0;
  for (std::size_t k = 0; k < got.size(); ++k)
    for (std::size_t i = 0; i < got[k].size(); ++i) {
      const double e = expected[k][i], g = got[k][i];
      worst = std::max(worst, std::isfinite(g) ? std::abs(g - e) / std::max(1.0, std::abs(e)) : INFINITY);
    }
  return worst;
}

TEMPLATE_TEST_CASE("every kernel of the suite computes its variant's step", "[bench]", float, double) {
  constexpr std::size_t size = 4099;  // odd, above a few blocks' worth of vectors
  for (const variant& v : all_variants()) {
    INFO(variant_name(v));
    const std::size_t arrays_used = std::max<std::size_t>(3, arrays_touched(variant_pattern(v)));
    // Every variant the registry has is measured, and has its naive peer:
    // the suite's baseline, and what the other kernels are checked against here.
    const std::optional<named_kernel<TestType>> naive = naive_kernel<TestType>(v);
    REQUIRE(naive.has_value());
    owned_buffers<TestType> reference(size);
    naive->run(reference.view, /*threads=*/1);
    const auto expected = reference.contents(arrays_used);
    // Something changed: a kernel that did nothing would pass the comparisons below.
    REQUIRE(expected != owned_buffers<TestType>(size).contents(arrays_used));
    for (named_kernel<TestType>& k : variant_kernels<TestType>(v)) {
      INFO(k.name);
      owned_buffers<TestType> buffers(size);
      k.run(buffers.view, 1);
      if (k.name == "eigen") {
        // Eigen follows the equations, not the frameworks' rounding; a
        // misplaced buffer or setting moves results by far more than this.
        CHECK(max_relative_difference(buffers.contents(arrays_used), expected) < 1e-4);
      } else {
        CHECK(buffers.contents(arrays_used) == expected);  // the references are bit-exact
      }
    }
  }
}

TEST_CASE("every registered variant is measured", "[bench]") {
  REQUIRE(skipped_variants().empty());
  for (std::size_t i = 0; i < inertia_variant_count(); ++i) {
    const std::string name = inertia_variant_name(i);
    INFO(name);
    bool found = false;
    for (const variant& v : all_variants()) found = found || v.registry_name == name;
    CHECK(found);
  }
  // What the registry declares decides the bytes moved.
  REQUIRE(find_variant("adam") != nullptr);
  CHECK(find_variant("adam")->pattern == access_pattern::update_4r3w);
  CHECK(find_variant("aggmo")->pattern == access_pattern::update_5r4w);
  CHECK(find_variant("adan")->pattern == access_pattern::update_6r5w);
  CHECK(find_variant("lars")->pattern == access_pattern::norms_update_5r2w);
  CHECK(find_variant("lamb")->pattern == access_pattern::moments_update_7r3w);
  CHECK(find_variant("weight_ema")->pattern == access_pattern::update_2r1w);
  CHECK(find_variant("heavy_ball")->pattern == access_pattern::update_3r2w);
  CHECK(!find_variant("weight_ema")->takes_policy);
  CHECK(find_variant("heavy_ball")->takes_policy);
}

TEMPLATE_TEST_CASE("the profiler's strategies step a model to the same bits", "[bench][profile]", float, double) {
  workload model{"small", {{"a", {3, 700}}, {"b", {17}}, {"c", {0}}, {"d", {64, 65}}}};
  for (const variant& v : all_variants()) {
    INFO(variant_name(v));
    const std::size_t arrays = arrays_touched(variant_pattern(v));
    std::vector<std::vector<TestType>> results[2];
    for (int s = 0; s < 2; ++s) {
      model_tensors<TestType> tensors(model, std::max<std::size_t>(arrays, 3));
      library_model_step<TestType>(s == 0 ? "per_tensor" : "multi_tensor", v)(tensors.tensors(), 2);
      for (const step_buffers<TestType>& t : tensors.tensors())
        for (TestType* array : {t.param, t.grad, t.state, t.extra_state[0], t.extra_state[1], t.extra_state[2]})
          if (array) results[s].emplace_back(array, array + t.size);
    }
    CHECK(results[0] == results[1]);
  }
}

}  // namespace
}  // namespace inertia::bench
