#pragma once
// Every bad call throws inertia::invalid_argument before the first write, so
// all buffers are left exactly as they were.
#include <stdexcept>
#include <string>

#include "inertia/export.hpp"

namespace inertia {

enum class error_kind {
  null_pointer,    ///< a pointer argument is null where data is required
  length,          ///< spans disagree in length
  overlap,         ///< two buffers share memory
  hyperparameter,  ///< a coefficient is non-finite or outside its range
  unknown_name,    ///< no variant, option key or option value of that name (the generic calls)
  wrong_kind,      ///< an option set or read as another kind of value than it holds
  unused_state,    ///< a state buffer given that the variant, with these options, does not use
  dtype,           ///< an element type the call does not know
};

class INERTIA_API invalid_argument : public std::invalid_argument {
 public:
  invalid_argument(error_kind kind, std::string argument, const std::string& message)
      : std::invalid_argument(message), kind_(kind), argument_(std::move(argument)) {}
  error_kind kind() const noexcept { return kind_; }
  /// The offending argument's name, e.g. "momentum" or "grad".
  const std::string& argument() const noexcept { return argument_; }

 private:
  error_kind kind_;
  std::string argument_;
};

}  // namespace inertia
