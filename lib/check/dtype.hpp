#pragma once
// The element types a trajectory can be recorded in, as inertia-check reads
// and replays them: float32, float64, and the 16-bit storage types bfloat16
// and float16 (include/inertia/half.hpp), which the library steps with float
// math (INERTIA_BFLOAT16, INERTIA_FLOAT16). Values travel through the tool as
// doubles (every value of these four types is exact in one); `element<T>`
// is the one place a double becomes a stored T and back.
#include <optional>
#include <string>

#include "inertia/half.hpp"
#include "inertia/inertia.h"

namespace inertia::check {

enum class element_type { float32, float64, bfloat16, float16 };

/// "float32", "float64", "bfloat16", "float16": the JSON's and --dtype's spelling.
inline const char* type_name(element_type t) {
  switch (t) {
    case element_type::float32: return "float32";
    case element_type::float64: return "float64";
    case element_type::bfloat16: return "bfloat16";
    case element_type::float16: return "float16";
  }
  return "?";
}

inline std::optional<element_type> parse_element_type(const std::string& name) {
  for (element_type t : {element_type::float32, element_type::float64, element_type::bfloat16, element_type::float16})
    if (name == type_name(t)) return t;
  return std::nullopt;
}

inline inertia_dtype c_dtype(element_type t) {
  switch (t) {
    case element_type::float32: return INERTIA_FLOAT32;
    case element_type::float64: return INERTIA_FLOAT64;
    case element_type::bfloat16: return INERTIA_BFLOAT16;
    case element_type::float16: return INERTIA_FLOAT16;
  }
  return INERTIA_FLOAT32;
}

/// A double stored as T (round to nearest even) and widened back (exact).
/// The 16-bit types round through float32, as torch's .to(torch.bfloat16)
/// and .to(torch.float16) do from float64 (c10's BFloat16 and Half are
/// built from a float): a double that is a float32 number rounds once; any
/// other is rounded twice, as torch rounds it. The float -> half step is the
/// library's own (include/inertia/half.hpp), the rounding its steps store with.
template <class T>
struct element;
template <>
struct element<float> {
  static float from(double x) { return static_cast<float>(x); }
  static double widen(float x) { return x; }
  static constexpr element_type type = element_type::float32;
};
template <>
struct element<double> {
  static double from(double x) { return x; }
  static double widen(double x) { return x; }
  static constexpr element_type type = element_type::float64;
};
template <>
struct element<bfloat16> {
  static bfloat16 from(double x) { return to_bfloat16(static_cast<float>(x)); }
  static double widen(bfloat16 x) { return to_float(x); }
  static constexpr element_type type = element_type::bfloat16;
};
template <>
struct element<float16> {
  static float16 from(double x) { return to_float16(static_cast<float>(x)); }
  static double widen(float16 x) { return to_float(x); }
  static constexpr element_type type = element_type::float16;
};

/// x as type t stores it, widened back to double.
inline double stored_value(element_type t, double x) {
  switch (t) {
    case element_type::float32: return element<float>::widen(element<float>::from(x));
    case element_type::float64: return x;
    case element_type::bfloat16: return element<bfloat16>::widen(element<bfloat16>::from(x));
    case element_type::float16: return element<float16>::widen(element<float16>::from(x));
  }
  return x;
}

}  // namespace inertia::check
