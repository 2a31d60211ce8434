#pragma once
// Shared test machinery: buffers at chosen misalignments, random data with the
// awkward values optimizers meet (zeros, tiny, huge, both signs), bitwise
// comparison, and a loop over every target/thread/block setting.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include "inertia/arch.hpp"
#include "inertia/execution.hpp"
#include "inertia/half.hpp"

namespace inertia::test {

/// The largest size of the sweeps: 2^20 + 3, big enough to be split across
/// threads with the default settings. INERTIA_TEST_QUICK=1 (the sanitizer
/// stage of scripts/test.sh) takes 2^16 + 3 instead: still eight default
/// blocks and every thread boundary, a sixteenth of the work under a 10-20x
/// slower build. The Release stage always runs the full size.
inline bool quick_tests() {
  const char* quick = std::getenv("INERTIA_TEST_QUICK");
  return quick != nullptr && std::string(quick) == "1";
}
inline std::size_t largest_sweep_size() { return quick_tests() ? (1u << 16) + 3 : (1u << 20) + 3; }

/// Sizes that reach every path of the driver: empty, one element, less than
/// one vector, odd tails around 8 and 16 lanes, several blocks, and a span big
/// enough to be split across threads with the default settings.
inline const std::vector<std::size_t> sizes = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 1000, largest_sweep_size()};
/// Start offsets in elements from a 64-byte-aligned allocation.
inline const std::vector<std::size_t> offsets = {0, 1, 3};

/// `count` buffers of `size` elements, each starting `offset` elements past a
/// 64-byte boundary (so the peel and tail paths run).
template <class T>
class buffers {
 public:
  buffers(std::size_t count, std::size_t size, std::size_t offset)
      : size_(size), offset_(offset), storage_(count, std::vector<T>(size + offset + 64 / sizeof(T))) {}

  std::span<T> operator[](std::size_t k) {
    auto* base = storage_[k].data();
    auto address = reinterpret_cast<std::uintptr_t>(base);
    const std::size_t to_line = ((64 - address % 64) % 64) / sizeof(T);
    return {base + to_line + offset_, size_};
  }
  std::size_t count() const { return storage_.size(); }
  std::size_t size() const { return size_; }

  /// Deep copy into fresh storage at the same misalignment.
  buffers clone() {
    buffers copy(count(), size_, offset_);
    copy.assign(*this);
    return copy;
  }

  /// Overwrites every element with other's (same shape), reusing the storage.
  void assign(buffers& other) {
    for (std::size_t k = 0; k < count(); ++k) std::copy(other[k].begin(), other[k].end(), (*this)[k].begin());
  }

 private:
  std::size_t size_, offset_;
  std::vector<std::vector<T>> storage_;
};

/// Values like real parameters and gradients, with exact zeros, values near
/// zero, large magnitudes and subnormal-free tiny ones mixed in.
template <class T>
void fill_random(std::span<T> out, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> kind(0, 31);
  for (T& x : out) {
    const int k = kind(engine);
    const double z = normal(engine);
    x = k == 0 ? T(0) : k == 1 ? T(z * 1e-6) : k == 2 ? T(z * 1e3) : T(z);
  }
}

template <class T>
buffers<T> random_buffers(std::size_t count, std::size_t size, std::size_t offset, std::uint64_t seed) {
  buffers<T> out(count, size, offset);
  for (std::size_t k = 0; k < count; ++k) fill_random(out[k], seed * 1000003u + k);
  return out;
}

template <class T>
bool bitwise_equal(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
}

/// Index of the first element whose bits differ, or size() when none does.
template <class T>
std::size_t first_difference(std::span<const T> a, std::span<const T> b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return i;
  return a.size();
}

/// Forces a target for the lifetime of the object.
class arch_scope {
 public:
  explicit arch_scope(arch target) { set_arch(target); }
  ~arch_scope() { reset_arch(); }
  arch_scope(const arch_scope&) = delete;
  arch_scope& operator=(const arch_scope&) = delete;
};

/// One execution setting of the sweep.
struct setting {
  arch target;
  execution exec;
  std::string describe() const {
    return std::string(arch_name(target)) + ", threads " + std::to_string(exec.threads) + ", block_bytes " +
           std::to_string(exec.block_bytes);
  }
};

/// The supported targets whose kernels for steps on T are their own.
/// avx512bf16 compiles only the steps that round to bfloat16 and hands out
/// avx512f's kernels for every other (the same function pointers, which
/// test_dispatch.cpp checks for every rule), so a float or double sweep
/// would run avx512f's code twice; bfloat16 steps and mixed storage modes
/// (supported_archs()) run on it.
template <class T>
std::vector<arch> targets_for() {
  std::vector<arch> out;
  for (arch target : supported_archs())
    if (target != arch::avx512bf16 || std::is_same_v<T, bfloat16>) out.push_back(target);
  return out;
}

/// Every target of targets_for<T>() x threads {1, 2, 3} x {default blocks,
/// 256-byte blocks}, with threads woken for any amount of work so that thread
/// boundaries fall inside even small spans. INERTIA_TEST_QUICK=1 (the
/// sanitizer stage) takes threads {1, 3}: an uneven split crosses the same
/// boundaries an even one does. For the largest size the block
/// variation is skipped (it is covered by 1000) to keep the run short.
template <class T>
std::vector<setting> settings_for(std::size_t size) {
  std::vector<setting> out;
  for (arch target : targets_for<T>())
    for (int threads : quick_tests() ? std::vector<int>{1, 3} : std::vector<int>{1, 2, 3})
      for (std::size_t block_bytes : {std::size_t(0), std::size_t(256)}) {
        if (size > 100000 && block_bytes != 0) continue;
        out.push_back({target, execution{threads, block_bytes, 1}});
      }
  return out;
}

/// Runs `step` (the library) over every setting on copies of `initial`, and
/// requires every buffer to match `expected` (the reference) bit for bit.
template <class T, class Step>
void require_all_settings_match(buffers<T>& initial, buffers<T>& expected, Step step, const std::string& label) {
  buffers<T> actual = initial.clone();
  for (const setting& s : settings_for<T>(initial.size())) {
    actual.assign(initial);
    {
      arch_scope forced(s.target);
      step(actual, s.exec);
    }
    for (std::size_t k = 0; k < actual.count(); ++k) {
      const auto where = first_difference<T>(actual[k], expected[k]);
      if (where != actual.size()) {
        FAIL(label << " | " << s.describe() << " | size " << initial.size() << " | buffer " << k
                   << " differs first at element " << where << ": " << actual[k][where] << " vs reference "
                   << expected[k][where]);
      }
    }
  }
  SUCCEED();
}

}  // namespace inertia::test

namespace inertia::test {

/// The full sweep for one variant: every case x size x offset, the reference
/// run once, the library under every setting, all buffers bit-identical.
/// library(buffers&, case, execution) and reference(buffers&, case) step in place.
template <class T, class Case, class Library, class Reference, class Describe>
void require_sweep_matches(std::size_t stream_count, const std::vector<Case>& cases, Library library,
                           Reference reference, Describe describe) {
  for (std::size_t size : sizes)
    for (std::size_t offset : offsets) {
      if (size > 100000 && offset == 1) continue;  // one odd misalignment is enough at 2^20
      for (const Case& c : cases) {
        auto initial = random_buffers<T>(stream_count, size, offset, size * 7 + offset);
        auto expected = initial.clone();
        reference(expected, c);
        require_all_settings_match(initial, expected, [&](buffers<T>& b, const execution& e) { library(b, c, e); },
                                   describe(c) + " | offset " + std::to_string(offset));
      }
    }
}

/// 100 steps with a fresh gradient (buffer grad_stream) every step, on every
/// setting; at_step(case, step) gives the case for that 1-based step (lr
/// schedules, first-step flags, step counters). Every buffer must stay
/// bit-identical to the reference after every step.
template <class T, class Case, class AtStep, class Library, class Reference, class Describe>
void require_trajectories_match(std::size_t stream_count, std::size_t grad_stream, const std::vector<Case>& cases,
                                AtStep at_step, Library library, Reference reference, Describe describe) {
  constexpr std::size_t size = 1003;
  for (const Case& c : cases)
    for (const setting& s : settings_for<T>(size)) {
      auto actual = random_buffers<T>(stream_count, size, 1, 42);
      auto expected = actual.clone();
      arch_scope forced(s.target);
      for (int step = 1; step <= 100; ++step) {
        const Case now = at_step(c, step);
        fill_random<T>(actual[grad_stream], 1000 + step);
        std::copy(actual[grad_stream].begin(), actual[grad_stream].end(), expected[grad_stream].begin());
        library(actual, now, s.exec);
        reference(expected, now);
        for (std::size_t k = 0; k < stream_count; ++k) {
          if (!bitwise_equal<T>(actual[k], expected[k]))
            FAIL(describe(now) << " | " << s.describe() << " | step " << step << " | buffer " << k << " differs at "
                               << first_difference<T>(actual[k], expected[k]));
        }
      }
    }
  SUCCEED();
}

}  // namespace inertia::test
