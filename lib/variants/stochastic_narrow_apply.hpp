#pragma once
// stochastic_narrow_rule::apply (stochastic_narrow.hpp), for the targets.
#include <cstdint>
#include <type_traits>

#include "simd/half_lanes.hpp"
#include "simd/stochastic_rounding.hpp"
#include "variants/stochastic_narrow.hpp"

namespace inertia::detail {

template <class T>
template <class Lanes>
void stochastic_narrow_rule<T>::apply(std::size_t i) const {
  const auto v = Lanes::load(source + i);
  const auto round = [](const auto& x, const auto& random) {
    if constexpr (std::is_same_v<T, bfloat16>)
      return stochastic_round_to_bf16(x, random);
    else
      return stochastic_round_to_f16(x, random);
  };
  if constexpr (Lanes::width == 1) {
    destination[i] = T{round(v, draws[i])};
  } else {
    using arch = typename Lanes::arch_type;
    const auto random = xsimd::batch<std::uint32_t, arch>::load_unaligned(draws + i);
    store_low_halves<arch>(reinterpret_cast<std::uint16_t*>(destination + i), round(v, random));
  }
}

}  // namespace inertia::detail
