// float32 <-> bfloat16 / float16: one element (half_conversion.hpp) and whole
// buffers through the driver (variants/convert.hpp).
#include <span>
#include <string>

#include "driver.hpp"
#include "half_conversion.hpp"
#include "inertia/error.hpp"
#include "inertia/half.hpp"
#include "validate.hpp"
#include "variants/convert.hpp"

namespace inertia {

float to_float(bfloat16 value) { return detail::widen(value); }
float to_float(float16 value) { return detail::widen(value); }
bfloat16 to_bfloat16(float value) { return detail::narrow_to_bfloat16(value); }
float16 to_float16(float value) { return detail::narrow_to_float16(value); }

namespace {

template <class From, class To>
void check_conversion(std::span<const From> source, std::span<To> destination) {
  const detail::argument_checks check("inertia::convert");
  check.same_length("destination", destination.size(), "source", source.size());
  check.disjoint("destination", destination, "source", source);
}

}  // namespace

void convert(std::span<const float> source, std::span<bfloat16> destination, const execution& exec) {
  check_conversion(source, destination);
  detail::run(detail::narrow_rule<bfloat16>{source.data(), destination.data()}, source.size(), exec);
}
void convert(std::span<const float> source, std::span<float16> destination, const execution& exec) {
  check_conversion(source, destination);
  detail::run(detail::narrow_rule<float16>{source.data(), destination.data()}, source.size(), exec);
}
void convert(std::span<const bfloat16> source, std::span<float> destination, const execution& exec) {
  check_conversion(source, destination);
  detail::run(detail::widen_rule<bfloat16>{source.data(), destination.data()}, source.size(), exec);
}
void convert(std::span<const float16> source, std::span<float> destination, const execution& exec) {
  check_conversion(source, destination);
  detail::run(detail::widen_rule<float16>{source.data(), destination.data()}, source.size(), exec);
}

}  // namespace inertia
