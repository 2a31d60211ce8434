#pragma once
// jnp.sign (StableHLO `sign`), written from its definition: -1 below zero,
// +1 above, and the argument itself otherwise (+0, -0, NaN).
namespace inertia::reference {

template <class T>
T sign(T x) {
  return x > T(0) ? T(1) : x < T(0) ? T(-1) : x;
}

}  // namespace inertia::reference
