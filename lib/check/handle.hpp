#pragma once
// The library's generic optimizer (include/inertia/inertia.h, "Every variant
// through one call: inertia_optimizer") as inertia-check uses it: one owned
// handle per case, and the hyperparameter settings the trajectory formats and
// the command line write, applied by the library's own keys. Everything the
// tool knows about a variant (its name, its keys, its state buffers) comes
// from here, so a variant added to the registry is replayable without a change
// to the tool.
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "inertia/inertia.h"

namespace inertia::check {

/// A failing C ABI call: the status and the library's message.
class library_error : public std::runtime_error {
 public:
  library_error(inertia_status status, const std::string& message) : std::runtime_error(message), status(status) {}
  inertia_status status;
};

/// One hyperparameter as a trajectory or the command line writes it: a number
/// (inertia_optimizer_set), a flag (set 0 or 1), an array (set_array) or a
/// string (set_string).
using setting_value = std::variant<double, bool, std::vector<double>, std::string>;

struct setting {
  std::string key;
  setting_value value;
  std::string origin;  ///< where it was written, for messages: "run.json: case 'a': hyperparameters.momentum"
};

/// "0.9", "true", "[0.9, 0.99]", "\"mul_add\"".
std::string value_text(const setting_value& value);

/// The registered variants' names, in the registry's order.
std::vector<std::string> variant_names();

class optimizer_handle {
 public:
  /// Throws library_error (INERTIA_ERROR_UNKNOWN_NAME for a variant the registry lacks).
  explicit optimizer_handle(const std::string& variant);

  /// The canonical name ("sgd" reads as "heavy_ball").
  std::string variant() const;

  /// Applies one setting by its kind. A number given for an array key (AggMo's
  /// betas with one decay) is set as a one-element array. Throws library_error.
  void apply(const setting& s);
  void set(const std::string& key, double value);
  void set_array(const std::string& key, const std::vector<double>& values);
  void set_string(const std::string& key, const std::string& value);
  /// Throws library_error.
  double get(const std::string& key) const;
  /// The value, or nothing when the library has no such key (or it is of another kind).
  std::optional<double> try_get(const std::string& key) const;
  bool has_key(const std::string& key) const { return try_get(key).has_value() || is_array(key); }
  bool is_array(const std::string& key) const { return try_get(key + "#").has_value(); }

  /// The per-tensor state buffers for the options set now, as the library names them.
  std::vector<std::string> state_names() const;
  /// Of state buffer i (state_names' order): the key whose value fills it
  /// before a tensor's first step (empty: zeros; adagrad's sum:
  /// initial_accumulator_value), and whether the step with t == 1 writes it
  /// without reading it (heavy_ball's momentum_buffer, as torch creates it).
  std::string state_initial_key(std::size_t i) const;
  bool state_created_by_first_step(std::size_t i) const;
  /// Every state buffer the variant declares, kept with the options set now or not.
  struct state_info {
    std::string name, initial_key;
    bool created_by_first_step = false, present = false;
  };
  std::vector<state_info> declared_states() const;
  /// false: the step reads no gradient and the generic param is the model's
  /// weights, read only (weight_ema).
  bool reads_grad() const;

  /// One key of the variant as its declaration has it (lib/registry/descriptor.hpp).
  struct key_info {
    std::string key;
    std::string kind;  ///< number, flag, choice, array, or state (a scalar state: NAdam's mu_product)
    std::vector<std::string> choices;
    std::size_t min_count = 1, max_count = 1;
    std::string value;  ///< the value it holds now ("0.9", "true", "pytorch_loop", "[0.9, 0.999]")
  };
  std::vector<key_info> keys() const;

  /// One step of one tensor, param and grad of param_dtype, every state buffer
  /// of state_dtype: the generic call (inertia_optimizer_step) when the two
  /// are one type, inertia_optimizer_step_storage (no master) when not.
  /// Throws library_error.
  void step(inertia_dtype param_dtype, inertia_dtype state_dtype, void* param, const void* grad,
            const std::vector<void*>& state, std::size_t n, long long t);

 private:
  struct destroy {
    void operator()(inertia_optimizer* opt) const { inertia_optimizer_destroy(opt); }
  };
  std::unique_ptr<inertia_optimizer, destroy> handle_;
};

}  // namespace inertia::check
