// nesterov_lookahead against its reference everywhere; validation.
#include <catch2/catch.hpp>

#include "inertia/lookahead.hpp"
#include "reference/lookahead.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

template <class T>
void compute_library(buffers<T>& b, const double& momentum, const execution& exec) {
  nesterov_lookahead(std::span<const T>(b[0]), std::span<const T>(b[1]), momentum, b[2], exec);
}

template <class T>
void compute_reference(buffers<T>& b, const double& momentum) {
  reference::nesterov_lookahead(b[0].data(), b[1].data(), b.size(), momentum, b[2].data());
}

std::string describe(const double& momentum) { return "lookahead momentum " + std::to_string(momentum); }

}  // namespace

TEMPLATE_TEST_CASE("nesterov_lookahead matches the reference bit for bit on every target, thread count and block size",
                   "[lookahead]", float, double) {
  require_sweep_matches<TestType>(3, std::vector<double>{0.0, 0.9, 0.37}, compute_library<TestType>,
                                  compute_reference<TestType>, describe);
}

TEST_CASE("nesterov_lookahead rejects bad calls before writing anything", "[lookahead][validation]") {
  auto data = random_buffers<float>(3, 9, 0, 1);
  std::span<const float> w(data[0]), v(data[1]);
  auto call = [&](double mu, std::span<const float> a, std::span<const float> b, std::span<float> out) {
    return [=] { nesterov_lookahead(a, b, mu, out); };
  };
  require_rejected(data, "momentum", error_kind::hyperparameter, call(1.5, w, v, data[2]));
  require_rejected(data, "velocity", error_kind::length, call(0.9, w, v.first(8), data[2]));
  require_rejected(data, "lookahead", error_kind::length, call(0.9, w, v, data[2].first(2)));
  require_rejected(data, "lookahead", error_kind::overlap, call(0.9, w, v, data[0]));
  require_rejected(data, "lookahead", error_kind::overlap, call(0.9, w, v, data[1]));
}
