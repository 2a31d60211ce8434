// Compiled -O3 -march=native (bench/CMakeLists.txt): the plain loops are
// vectorized to the widest registers the machine has.
//
// The update patterns compute param = grad - param, state = grad - state (and
// the same for each further state): every stream in, all but grad out, in
// place, one subtraction each, and values that flip back every second call,
// so the shared benchmark buffers stay bounded.
#include "roofline/roofline_kernels.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace inertia::bench {
namespace {

constexpr std::size_t line_bytes = 64;
// Far enough ahead to cover DRAM latency at one core's share of the
// bandwidth (~100 ns x ~10 GB/s), near enough to stay in L1.
constexpr std::size_t prefetch_distance_bytes = 1024;

template <class T>
constexpr T triad_scalar = T(0.5);

// The in-place update over param, grad and the first `States` state arrays
// (state, extra_state[0], [1], [2]): every stream read, all but grad written.
template <class T>
T* state_array(const step_buffers<T>& b, std::size_t k) {
  return k == 0 ? b.state : b.extra_state[k - 1];
}

template <class T, std::size_t States>
[[gnu::always_inline]] inline void update_loop(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  T* __restrict param = b.param;
  const T* __restrict grad = b.grad;
  T* __restrict state0 = States > 0 ? state_array(b, 0) : nullptr;
  T* __restrict state1 = States > 1 ? state_array(b, 1) : nullptr;
  T* __restrict state2 = States > 2 ? state_array(b, 2) : nullptr;
  T* __restrict state3 = States > 3 ? state_array(b, 3) : nullptr;
  // GCC ignores __restrict on these locals and versions the loop on runtime
  // overlap checks, one per pair of arrays; with six arrays (update_6r5w) the
  // pairs exceed its limit and the loop stayed scalar. The arrays are distinct.
#pragma GCC ivdep
  for (std::size_t i = begin; i < end; ++i) {
    const T g = grad[i];
    param[i] = g - param[i];
    if constexpr (States > 0) state0[i] = g - state0[i];
    if constexpr (States > 1) state1[i] = g - state1[i];
    if constexpr (States > 2) state2[i] = g - state2[i];
    if constexpr (States > 3) state3[i] = g - state3[i];
  }
}

// Reassociated by `omp simd` (-fopenmp-simd on this file): a roofline kernel
// is about traffic, and one in-order float accumulator would be latency-bound.
template <class T>
[[gnu::always_inline]] inline T sum_squares(const T* __restrict x, std::size_t begin, std::size_t end) {
  T total = 0;
#pragma omp simd reduction(+ : total)
  for (std::size_t i = begin; i < end; ++i) total += x[i] * x[i];
  return total;
}

// LARS's traffic on a tensor larger than the cache: one pass reading param
// and grad for their norms, then the update. The norms feed the update (a
// scale of 1 unless they are zero), so neither pass can be dropped.
template <class T>
[[gnu::always_inline]] inline void norms_update_loop(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  const T norms = sum_squares(b.param, begin, end) + sum_squares(b.grad, begin, end);
  const T scale = norms > T(0) ? T(1) : T(0);
  T* __restrict param = b.param;
  const T* __restrict grad = b.grad;
  T* __restrict state = b.state;
  for (std::size_t i = begin; i < end; ++i) {
    const T g = scale * grad[i];
    param[i] = g - param[i];
    state[i] = g - state[i];
  }
}

// LAMB's traffic: a first pass reading param, grad and both states and
// writing the states, with a sum of squares of param; then a second pass
// reading param and the states and writing param. The sum feeds the second
// pass (a scale of 1 unless it is zero), so neither pass can be dropped.
template <class T>
[[gnu::always_inline]] inline void moments_update_loop(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  T* __restrict param = b.param;
  const T* __restrict grad = b.grad;
  T* __restrict state0 = b.state;
  T* __restrict state1 = b.extra_state[0];
  T total = 0;
#pragma omp simd reduction(+ : total)
  for (std::size_t i = begin; i < end; ++i) {
    const T g = grad[i], w = param[i];
    state0[i] = g - state0[i];
    state1[i] = g - state1[i];
    total += w * w;
  }
  const T scale = total > T(0) ? T(1) : T(0);
#pragma GCC ivdep
  for (std::size_t i = begin; i < end; ++i) param[i] = scale * (state0[i] + state1[i]) - param[i];
}

template <class T>
void triad_loop(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  const T* __restrict a = b.param;
  const T* __restrict c = b.state;
  T* __restrict out = b.grad;
  for (std::size_t i = begin; i < end; ++i) out[i] = a[i] + triad_scalar<T> * c[i];
}

template <class T>
void copy_loop(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  const T* __restrict in = b.param;
  T* __restrict out = b.grad;
  for (std::size_t i = begin; i < end; ++i) out[i] = in[i];
}

template <class T>
void copy_memcpy(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  if (end > begin) std::memcpy(b.grad + begin, b.param + begin, (end - begin) * sizeof(T));
}

template <class T>
const T* ahead(const T* p) {
  return reinterpret_cast<const T*>(reinterpret_cast<std::uintptr_t>(p) + prefetch_distance_bytes);
}

// The plain loop one cache line at a time, each line's successor
// `prefetch_distance_bytes` ahead requested in software (read, or write
// intent for the streams written back).
template <class T, std::size_t States>
[[gnu::always_inline]] inline void update_prefetch(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  constexpr std::size_t line = line_bytes / sizeof(T);
  for (std::size_t i = begin; i < end; i += line) {
    __builtin_prefetch(ahead(b.param + i), 1);
    __builtin_prefetch(ahead(b.grad + i), 0);
    for (std::size_t k = 0; k < States; ++k) __builtin_prefetch(ahead(state_array(b, k) + i), 1);
    update_loop<T, States>(b, i, std::min(i + line, end));
  }
}

template <class T>
void triad_prefetch(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  constexpr std::size_t line = line_bytes / sizeof(T);
  for (std::size_t i = begin; i < end; i += line) {
    __builtin_prefetch(ahead(b.param + i), 0);
    __builtin_prefetch(ahead(b.state + i), 0);
    triad_loop(b, i, std::min(i + line, end));
  }
}

#if defined(__SSE2__)
// Non-temporal stores write the output without first reading it into the
// cache (no read-for-ownership): the best a 2-in-1-out or copy pattern can do
// in DRAM. Useless for in-place updates, whose lines are read anyway.
#if defined(__AVX512F__)
constexpr std::size_t stream_bytes = 64;
inline void stream_store(float* p, const float* v) { _mm512_stream_ps(p, _mm512_loadu_ps(v)); }
inline void stream_store(double* p, const double* v) { _mm512_stream_pd(p, _mm512_loadu_pd(v)); }
#elif defined(__AVX__)
constexpr std::size_t stream_bytes = 32;
inline void stream_store(float* p, const float* v) { _mm256_stream_ps(p, _mm256_loadu_ps(v)); }
inline void stream_store(double* p, const double* v) { _mm256_stream_pd(p, _mm256_loadu_pd(v)); }
#else
constexpr std::size_t stream_bytes = 16;
inline void stream_store(float* p, const float* v) { _mm_stream_ps(p, _mm_loadu_ps(v)); }
inline void stream_store(double* p, const double* v) { _mm_stream_pd(p, _mm_loadu_pd(v)); }
#endif

// Element-wise body(i) into `out`, streaming whole aligned vectors.
template <class T, class Body>
void streaming(T* out, std::size_t begin, std::size_t end, const Body& body) {
  constexpr std::size_t width = stream_bytes / sizeof(T);
  std::size_t i = begin;
  for (; i < end && reinterpret_cast<std::uintptr_t>(out + i) % stream_bytes != 0; ++i) out[i] = body(i);
  for (; i + width <= end; i += width) {
    alignas(stream_bytes) std::array<T, width> values;
    for (std::size_t k = 0; k < width; ++k) values[k] = body(i + k);
    stream_store(out + i, values.data());
  }
  for (; i < end; ++i) out[i] = body(i);
  _mm_sfence();  // streaming stores are weakly ordered: publish them before the caller's barrier
}

template <class T>
void triad_streaming(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  const T* __restrict a = b.param;
  const T* __restrict c = b.state;
  streaming(b.grad, begin, end, [=](std::size_t i) { return a[i] + triad_scalar<T> * c[i]; });
}

template <class T>
void copy_streaming(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  const T* __restrict in = b.param;
  streaming(b.grad, begin, end, [=](std::size_t i) { return in[i]; });
}
#endif

#if defined(__AVX512F__)
// The update kernels again with 512-bit vectors. GCC 12 tunes -march=native
// on the 2-core Intel Xeon VM (AVX-512; it reports family 6 model 167) as
// rocketlake, whose preferred width is 256 bits, so the loops above use ymm;
// the library's avx512f target uses zmm, which halves the loads and stores
// per byte. Measured there (heavy_ball, 10^8 floats, 2 threads): the library
// read 107.6% of a ymm-only roofline with its avx512f target and 102.4% with
// avx2. A roof is the best the machine
// does, so both widths are candidates and the calibration keeps the faster.
// (The bodies above are always_inline, so each wrapper compiles its own copy
// with its own width.)
#define INERTIA_ROOFLINE_WIDE [[gnu::target("prefer-vector-width=512")]]
template <class T, std::size_t States>
INERTIA_ROOFLINE_WIDE void update_loop_512(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  update_loop<T, States>(b, begin, end);
}
template <class T, std::size_t States>
INERTIA_ROOFLINE_WIDE void update_prefetch_512(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  update_prefetch<T, States>(b, begin, end);
}
template <class T>
INERTIA_ROOFLINE_WIDE void norms_update_loop_512(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  norms_update_loop<T>(b, begin, end);
}
template <class T>
INERTIA_ROOFLINE_WIDE void moments_update_loop_512(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  moments_update_loop<T>(b, begin, end);
}
#undef INERTIA_ROOFLINE_WIDE
#endif

template <class T>
constexpr roofline_kernel<T> all_kernels[] = {
    {access_pattern::update_2r1w, "loop", &update_loop<T, 0>},
    {access_pattern::update_2r1w, "prefetch", &update_prefetch<T, 0>},
    {access_pattern::update_3r2w, "loop", &update_loop<T, 1>},
    {access_pattern::update_3r2w, "prefetch", &update_prefetch<T, 1>},
    {access_pattern::update_4r3w, "loop", &update_loop<T, 2>},
    {access_pattern::update_4r3w, "prefetch", &update_prefetch<T, 2>},
    {access_pattern::update_5r4w, "loop", &update_loop<T, 3>},
    {access_pattern::update_5r4w, "prefetch", &update_prefetch<T, 3>},
    {access_pattern::update_6r5w, "loop", &update_loop<T, 4>},
    {access_pattern::update_6r5w, "prefetch", &update_prefetch<T, 4>},
    {access_pattern::norms_update_5r2w, "loop", &norms_update_loop<T>},
    {access_pattern::moments_update_7r3w, "loop", &moments_update_loop<T>},
#if defined(__AVX512F__)
    {access_pattern::update_2r1w, "loop512", &update_loop_512<T, 0>},
    {access_pattern::update_2r1w, "prefetch512", &update_prefetch_512<T, 0>},
    {access_pattern::update_3r2w, "loop512", &update_loop_512<T, 1>},
    {access_pattern::update_3r2w, "prefetch512", &update_prefetch_512<T, 1>},
    {access_pattern::update_4r3w, "loop512", &update_loop_512<T, 2>},
    {access_pattern::update_4r3w, "prefetch512", &update_prefetch_512<T, 2>},
    {access_pattern::update_5r4w, "loop512", &update_loop_512<T, 3>},
    {access_pattern::update_5r4w, "prefetch512", &update_prefetch_512<T, 3>},
    {access_pattern::update_6r5w, "loop512", &update_loop_512<T, 4>},
    {access_pattern::update_6r5w, "prefetch512", &update_prefetch_512<T, 4>},
    {access_pattern::norms_update_5r2w, "loop512", &norms_update_loop_512<T>},
    {access_pattern::moments_update_7r3w, "loop512", &moments_update_loop_512<T>},
#endif
    {access_pattern::triad_2r1w, "loop", &triad_loop<T>},
    {access_pattern::triad_2r1w, "prefetch", &triad_prefetch<T>},
#if defined(__SSE2__)
    {access_pattern::triad_2r1w, "streaming", &triad_streaming<T>},
#endif
    {access_pattern::copy_1r1w, "loop", &copy_loop<T>},
    {access_pattern::copy_1r1w, "memcpy", &copy_memcpy<T>},
#if defined(__SSE2__)
    {access_pattern::copy_1r1w, "streaming", &copy_streaming<T>},
#endif
};

}  // namespace

template <class T>
std::span<const roofline_kernel<T>> roofline_kernels() {
  return all_kernels<T>;
}

template std::span<const roofline_kernel<float>> roofline_kernels<float>();
template std::span<const roofline_kernel<double>> roofline_kernels<double>();

}  // namespace inertia::bench
