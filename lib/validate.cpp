#include "validate.hpp"

#include <cmath>
#include <sstream>

namespace inertia::detail {

namespace {
std::string show(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}
}  // namespace

std::string argument_checks::context() const {
  std::string out(function_);
  if (variant_ != nullptr) out += std::string(" (") + variant_ + ")";
  if (group_ == none) return out;
  out += " (group " + std::to_string(group_);
  if (tensor_ != none) out += ", tensor " + std::to_string(tensor_);
  return out + ")";
}

void argument_checks::fail(error_kind kind, const std::string& argument, const std::string& why) const {
  throw invalid_argument(kind, argument, context() + ": " + why);
}

void argument_checks::finite_failed(const char* name, double value) const {
  fail(error_kind::hyperparameter, name, std::string(name) + " = " + show(value) + " is not finite");
}

void argument_checks::at_least_failed(const char* name, double value, double low) const {
  finite(name, value);
  fail(error_kind::hyperparameter, name, std::string(name) + " = " + show(value) + " must be >= " + show(low));
}

void argument_checks::within_failed(const char* name, double value, double low, double high) const {
  finite(name, value);
  fail(error_kind::hyperparameter, name,
       std::string(name) + " = " + show(value) + " is outside [" + show(low) + ", " + show(high) + "]");
}

void argument_checks::momentum_failed(const char* name, double value) const {
  finite(name, value);
  fail(error_kind::hyperparameter, name,
       std::string(name) + " = " + show(value) +
           " is outside [0, 1): with a coefficient >= 1 the velocity never decays, so the "
           "parameters keep moving even where the gradient is zero; below 0 the velocity "
           "flips sign every step");
}

void argument_checks::same_length_failed(const char* name, std::size_t length, const char* reference,
                                         std::size_t reference_length) const {
  fail(error_kind::length, name,
       std::string(name) + " has " + std::to_string(length) + " elements but " + reference + " has " +
           std::to_string(reference_length));
}

void argument_checks::disjoint_failed(const char* name_a, const char* name_b) const {
  fail(error_kind::overlap, name_a, std::string(name_a) + " and " + name_b + " share memory; they must be separate buffers");
}

void argument_checks::not_null_failed(const char* name, std::size_t length) const {
  fail(error_kind::null_pointer, name, std::string(name) + " is null but " + std::to_string(length) + " elements were given");
}

}  // namespace inertia::detail
