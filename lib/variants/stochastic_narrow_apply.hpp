#pragma once
// stochastic_narrow_rule::apply (stochastic_narrow.hpp), for the targets.
#include <type_traits>

#include "simd/philox.hpp"
#include "simd/stochastic_rounding.hpp"
#include "variants/stochastic_narrow.hpp"

namespace inertia::detail {

template <class T>
template <class Lanes>
void stochastic_narrow_rule<T>::apply(std::size_t i) const {
  const auto words = philox_lanes_words<Lanes>(seed, first_index + i, step, stream);
  const auto v = Lanes::load(source + i);
  const auto round = [&](const auto& x, const auto& random) {
    if constexpr (std::is_same_v<T, bfloat16>)
      return stochastic_round_to_bf16(x, random);
    else
      return stochastic_round_to_f16(x, random);
  };
  if constexpr (Lanes::width == 1) {
    destination[i] = T{round(v, words[word])};
  } else {
    alignas(64) std::uint32_t bits[Lanes::width];
    round(v, words[word]).store_aligned(bits);
    for (std::size_t lane = 0; lane < Lanes::width; ++lane) destination[i + lane] = T{static_cast<std::uint16_t>(bits[lane])};
  }
}

}  // namespace inertia::detail
