// The embedded model workloads have the published parameter counts.
#include <catch2/catch.hpp>

#include "common/workload.hpp"

TEST_CASE("the embedded workloads match the published architectures", "[workloads]") {
  struct expected {
    const char* name;
    std::size_t tensors, parameters;
  };
  for (const expected& e : {expected{"gpt2_small", 148, 124439808}, expected{"bert_base_uncased", 199, 109482240},
                            expected{"resnet50", 161, 25557032}}) {
    INFO(e.name);
    const auto model = inertia::bench::builtin_workload(e.name);
    REQUIRE(model.tensors.size() == e.tensors);
    REQUIRE(model.elements() == e.parameters);
  }
}
