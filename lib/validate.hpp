#pragma once
// Argument checks shared by every entry point. They run before the first
// write, and each failure names the function and the argument.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "inertia/error.hpp"

namespace inertia::detail {

class argument_checks {
 public:
  /// function: the entry point's name, e.g. "inertia::heavy_ball_step"; a
  /// string that outlives the checks (a literal). The context a message
  /// starts with is formatted only when a check fails: a valid call builds
  /// no strings, which is most of a small call's cost otherwise.
  explicit argument_checks(const char* function) : function_(function) {}
  /// The checks of one group, or of one tensor of a group, of a multi-tensor call.
  argument_checks(const char* function, std::size_t group) : function_(function), group_(group) {}
  /// A generic call about one variant: "inertia_optimizer_step (adam)".
  argument_checks(const char* function, const char* variant) : function_(function), variant_(variant) {}
  argument_checks(const char* function, std::size_t group, std::size_t tensor)
      : function_(function), group_(group), tensor_(tensor) {}

  [[noreturn]] void fail(error_kind kind, const std::string& argument, const std::string& why) const;

  // Each check is an inline test of the valid case; only a failure leaves the
  // line, to the cold *_failed function that formats the message. A valid
  // small call runs these dozens of times, so this is most of its cost.
  void finite(const char* name, double value) const {
    if (!std::isfinite(value)) finite_failed(name, value);
  }
  /// low <= value, and value finite.
  void at_least(const char* name, double value, double low) const {
    if (!(std::isfinite(value) && value >= low)) at_least_failed(name, value, low);
  }
  /// A momentum-like coefficient in [0, 1).
  void momentum(const char* name, double value) const {
    if (!(value >= 0.0 && value < 1.0)) momentum_failed(name, value);
  }
  /// low <= value <= high.
  void within(const char* name, double value, double low, double high) const {
    if (!(std::isfinite(value) && value >= low && value <= high)) within_failed(name, value, low, high);
  }
  void same_length(const char* name, std::size_t length, const char* reference, std::size_t reference_length) const {
    if (length != reference_length) same_length_failed(name, length, reference, reference_length);
  }
  void not_null(const char* name, const void* pointer, std::size_t length) const {
    if (pointer == nullptr && length != 0) not_null_failed(name, length);
  }

  template <class A, class B>
  void disjoint(const char* name_a, std::span<A> a, const char* name_b, std::span<B> b) const {
    if (overlaps(a.data(), a.size_bytes(), b.data(), b.size_bytes())) disjoint_failed(name_a, name_b);
  }

  static bool overlaps(const void* a, std::size_t a_bytes, const void* b, std::size_t b_bytes) {
    if (a_bytes == 0 || b_bytes == 0) return false;
    const auto a0 = reinterpret_cast<std::uintptr_t>(a), b0 = reinterpret_cast<std::uintptr_t>(b);
    return a0 < b0 + b_bytes && b0 < a0 + a_bytes;
  }

 private:
  [[noreturn]] void finite_failed(const char* name, double value) const;
  [[noreturn]] void at_least_failed(const char* name, double value, double low) const;
  [[noreturn]] void momentum_failed(const char* name, double value) const;
  [[noreturn]] void within_failed(const char* name, double value, double low, double high) const;
  [[noreturn]] void same_length_failed(const char* name, std::size_t length, const char* reference,
                                       std::size_t reference_length) const;
  [[noreturn]] void disjoint_failed(const char* name_a, const char* name_b) const;
  [[noreturn]] void not_null_failed(const char* name, std::size_t length) const;

  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::string context() const;

  const char* function_;
  const char* variant_ = nullptr;
  std::size_t group_ = none, tensor_ = none;
};

/// No two of a tensor's buffers share memory: for_each(visit) calls
/// visit(name, span) for each of its (at most MaxBuffers) buffers, and the
/// error names the later buffer of a pair first.
template <std::size_t MaxBuffers, class ForEach>
void require_pairwise_disjoint(const argument_checks& check, ForEach for_each) {
  std::array<std::pair<const char*, std::span<const std::byte>>, MaxBuffers> earlier;
  std::size_t count = 0;
  for_each([&](const char* name, auto span) {
    const auto bytes = std::as_bytes(span);
    for (std::size_t k = 0; k < count; ++k) check.disjoint(name, bytes, earlier[k].first, earlier[k].second);
    earlier[count++] = {name, bytes};
  });
}

}  // namespace inertia::detail
