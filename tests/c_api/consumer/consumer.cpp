// A C++20 program using inertia's C++ API: heavy-ball SGD on f(w) = |w|^2 / 2
// (gradient w) over the multi-tensor call must converge to 0, and a bad call
// must throw inertia::invalid_argument (its type info crosses the library
// boundary). Exit status 0 on success.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <inertia/inertia.hpp>
#include <vector>

int main() {
  std::vector<float> w(1000), g(1000), v(1000);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = (i % 2 ? -1.0f : 1.0f) * float(1 + i % 7);
  inertia::heavy_ball_options options;
  options.lr = 0.1;
  options.momentum = 0.9;
  const inertia::heavy_ball_tensor<float> tensor{w, g, v};
  inertia::heavy_ball_group<float> group{options, std::span(&tensor, 1)};
  for (int step = 0; step < 300; ++step) {
    g = w;
    inertia::heavy_ball_step(std::span(&group, 1));
  }
  float largest = 0;
  for (float x : w) largest = std::max(largest, std::abs(x));
  if (!(largest < 1e-4f) || group.step != 300) {
    std::fprintf(stderr, "consumer.cpp: max |w| = %g after %lld steps, expected < 1e-4 after 300\n", largest,
                 static_cast<long long>(group.step));
    return 1;
  }
  try {
    options.momentum = 1.0;
    inertia::heavy_ball_step(std::span(w), std::span<const float>(g), std::span(v), options, 2);
    std::fprintf(stderr, "consumer.cpp: momentum 1.0 was accepted\n");
    return 1;
  } catch (const inertia::invalid_argument& e) {
    if (e.kind() != inertia::error_kind::hyperparameter || e.argument() != "momentum") {
      std::fprintf(stderr, "consumer.cpp: unexpected error: %s\n", e.what());
      return 1;
    }
  }
  std::printf("consumer.cpp: inertia %s on %s, max |w| = %g after 300 steps\n", INERTIA_VERSION_STRING,
              inertia::arch_name(inertia::active_arch()).data(), largest);
  return 0;
}
