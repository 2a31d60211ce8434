#pragma once
// Arithmetic that must round the same way on every target.
//
// fused_multiply_add(a, b, c) = a*b + c rounded once, always. xsimd 8.1's
// xsimd::fma is a true FMA only on the fma3<...> archs; on sse2 and avx512f it
// is a multiply and an add, which would break bit-identity across targets. So:
// fma3<avx2> uses xsimd::fma, avx512f the intrinsic on the batch's register,
// and sse2 / scalar a correctly rounded std::fma per lane.
//
// The scalar overloads are `static` so each target translation unit keeps its
// own copy (compiled with its own -m flags).
#include <cmath>

#include "simd/lanes.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace inertia::detail {

// -x by flipping the sign bit. xsimd 8.1's avx512f negation computes 0 - x,
// which turns -0 into +0 (PyTorch's maximize keeps -0; so must every target).
static inline float negate(float x) { return -x; }
static inline double negate(double x) { return -x; }

template <class T, class Arch>
xsimd::batch<T, Arch> negate(const xsimd::batch<T, Arch>& x) {
  return xsimd::bitwise_xor(x, xsimd::batch<T, Arch>(T(-0.0)));
}

// x limited to [low, high] with comparisons, so NaN passes through on every
// target alike (min/max instructions differ in which operand NaN returns).
static inline float clamp_to(float x, float low, float high) { return x < low ? low : (x > high ? high : x); }
static inline double clamp_to(double x, double low, double high) { return x < low ? low : (x > high ? high : x); }

template <class T, class Arch>
xsimd::batch<T, Arch> clamp_to(const xsimd::batch<T, Arch>& x, const xsimd::batch<T, Arch>& low,
                               const xsimd::batch<T, Arch>& high) {
  return xsimd::select(x < low, low, xsimd::select(x > high, high, x));
}

// sign_of(x): +1 or -1 carrying x's sign bit, and x itself when x is +0, -0
// or NaN: jnp.sign's semantics (StableHLO `sign`), which Optax's Lion uses.
// A compare, a select and bit operations, so every target gives the same
// bits, NaN payloads included. Not xsimd::sign, which turns -0 into +0 and
// NaN into a fresh NaN (and a `sign` here would be ambiguous with it under
// argument-dependent lookup).
static inline float sign_of(float x) { return std::fabs(x) > 0.0f ? std::copysign(1.0f, x) : x; }
static inline double sign_of(double x) { return std::fabs(x) > 0.0 ? std::copysign(1.0, x) : x; }

template <class T, class Arch>
xsimd::batch<T, Arch> sign_of(const xsimd::batch<T, Arch>& x) {
  using batch = xsimd::batch<T, Arch>;
  const batch unit = xsimd::bitwise_or(batch(T(1)), xsimd::bitwise_and(x, batch(T(-0.0))));
  return xsimd::select(xsimd::abs(x) > batch(T(0)), unit, x);
}

static inline float fused_multiply_add(float a, float b, float c) { return std::fma(a, b, c); }
static inline double fused_multiply_add(double a, double b, double c) { return std::fma(a, b, c); }

template <class T, class Arch>
xsimd::batch<T, Arch> fused_multiply_add(const xsimd::batch<T, Arch>& a,
                                         const xsimd::batch<T, Arch>& b,
                                         const xsimd::batch<T, Arch>& c) {
  using batch = xsimd::batch<T, Arch>;
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) {
    return xsimd::fma(a, b, c);
#if defined(__AVX512F__)
  } else if constexpr (is_avx512<Arch>) {
    if constexpr (std::is_same_v<T, float>) {
      return batch(_mm512_fmadd_ps(a, b, c));
    } else {
      return batch(_mm512_fmadd_pd(a, b, c));
    }
#endif
  } else {
    // No FMA unit on this target: round each lane once with std::fma.
    alignas(64) T av[batch::size], bv[batch::size], cv[batch::size];
    a.store_aligned(av);
    b.store_aligned(bv);
    c.store_aligned(cv);
    for (std::size_t lane = 0; lane < batch::size; ++lane) av[lane] = std::fma(av[lane], bv[lane], cv[lane]);
    return batch::load_aligned(av);
  }
}

// ATen's lerp(start, end, w) as its CPU kernels compute it: fma(c, end - start,
// base) with c = w and base start when |w| < 0.5, else c = w - 1 and base end
// (the caller folds w into c once). Two whole expressions, not
// `from_end ? end : start` as the base: GCC 12 chose that operand by address,
// between stack copies of both vectors, which put a store and a reload into
// the chain of every element (Adam's first moment on avx2, for one). static,
// as the scalar overloads: V = float is the same type in every target.
template <class V, class C>
static V aten_lerp(const V& start, const V& end, C coefficient, bool from_end) {
  return from_end ? fused_multiply_add(V(coefficient), end - start, end)
                  : fused_multiply_add(V(coefficient), end - start, start);
}

// max(a, b) that is NaN when either is (as torch.maximum), by selection, so
// every target picks the same operand (max instructions return the second
// operand on NaN; a NaN b is returned, otherwise a NaN a is kept).
static inline float maximum(float a, float b) { return a < b || b != b ? b : a; }
static inline double maximum(double a, double b) { return a < b || b != b ? b : a; }

template <class T, class Arch>
xsimd::batch<T, Arch> maximum(const xsimd::batch<T, Arch>& a, const xsimd::batch<T, Arch>& b) {
  return xsimd::select(a < b || b != b, b, a);
}

// IEEE square root, correctly rounded on every target. avx512f calls the
// zero-masking intrinsic with every lane selected (the same vsqrtps/pd):
// GCC 12's _mm512_sqrt_ps/pd, which xsimd::sqrt calls, warns
// -Wmaybe-uninitialized about its own undefined pass-through operand.
static inline float square_root(float x) { return std::sqrt(x); }
static inline double square_root(double x) { return std::sqrt(x); }

template <class T, class Arch>
xsimd::batch<T, Arch> square_root(const xsimd::batch<T, Arch>& x) {
#if defined(__AVX512F__)
  if constexpr (is_avx512<Arch>) {
    if constexpr (std::is_same_v<T, float>) {
      return _mm512_maskz_sqrt_ps(__mmask16(0xFFFF), x);
    } else {
      return _mm512_maskz_sqrt_pd(__mmask8(0xFF), x);
    }
  }
#endif
  return xsimd::sqrt(x);
}

}  // namespace inertia::detail
