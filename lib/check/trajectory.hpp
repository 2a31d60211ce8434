#pragma once
// A recorded optimizer trajectory, read from the "inertia-trajectory" JSON
// format or from a directory of .npy files (both documented in main.cpp and in
// `inertia-check --help`). Values are held as doubles, as recorded: every
// value of the four element types (dtype.hpp) is exact in one, and the replay
// rounds a value that is not to its array's type.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dtype.hpp"
#include "handle.hpp"

namespace inertia::check {

/// Anything wrong with the input: the tool prints the message and exits 2.
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The state after one step, or before the first: one array per state buffer
/// the library names (inertia_optimizer_state_name), in its order; nothing
/// where the recording has none (not compared; zero or created before step 1).
using recorded_states = std::vector<std::optional<std::vector<double>>>;

/// Scalar state the handle keeps per param group (NAdam's mu_product), by key.
using recorded_scalars = std::vector<std::pair<std::string, double>>;

struct recorded_step {
  /// What the step reads: the gradient; for weight_ema, the model's weights
  /// (the generic call's param, read only).
  std::vector<double> grad;
  std::vector<double> param;  ///< after the step; empty: not recorded (null), or weight_ema; not compared
  recorded_states states;     ///< after the step
  recorded_scalars scalars;   ///< after the step
};

struct trajectory_case {
  std::string name;
  std::string variant;  ///< the registry's canonical name ("sgd" is read as "heavy_ball")
  /// Of param and grad (for weight_ema, of the weights and the average), and
  /// of the state buffers: the JSON's "dtype" and "state_dtype" (the latter
  /// the former unless given; a pair the library's inertia_optimizer_step_storage
  /// takes: state float32, bfloat16 or the dtype, float64 only with float64).
  element_type dtype = element_type::float32;
  element_type state_dtype = element_type::float32;
  /// What the library's handle is given before step 1, in order (the file's
  /// hyperparameters, then the command line's), with the library's keys:
  /// beta1/beta2 already folded into betas.
  std::vector<setting> settings;
  std::vector<std::string> state_names;  ///< the library's, for these settings
  bool reads_weights = false;            ///< weight_ema: param is the model's weights, read; no gradient
  std::vector<double> lr;                ///< one per step; empty when the variant has no "lr" (weight_ema)
  std::vector<double> initial_param;     ///< empty for weight_ema
  recorded_states initial_states;        ///< absent: zero (adagrad's sum: initial_accumulator_value; heavy_ball: see first_step)
  recorded_scalars initial_scalars;
  std::int64_t initial_step = 0;  ///< optimizer steps taken before the recording, as recorded
  std::int64_t first_step = 1;    ///< t of the first recorded step; t = first_step + s for step s (0-based)
  std::vector<recorded_step> steps;
  std::size_t inexact_values = 0;  ///< values that are not numbers of their array's type (rounded)
};

struct trajectory {
  std::string path;
  std::string source;  ///< the file's "source", if any
  std::vector<trajectory_case> cases;
};

/// What the command line overrides or supplies (the .npy layout carries no
/// variant and no hyperparameters).
struct load_options {
  std::optional<std::string> variant;
  std::optional<double> lr;
  /// Applied after the file's, in order: the shorthands (--momentum ...), then --set.
  std::vector<setting> overrides;
  std::optional<std::int64_t> initial_step;
  /// --dtype: the element type of a .npy directory's files, needed for '<u2'
  /// (raw 16-bit patterns: bfloat16 or float16); a JSON case names its own.
  std::optional<element_type> dtype;
};

/// Reads a JSON file, or a directory in the .npy layout. Throws input_error.
trajectory load_trajectory(const std::string& path, const load_options& options, std::vector<std::string>& warnings);

/// "key=value" of --set: true/false a flag, a number, comma-separated numbers
/// an array ("0.9," an array of one), anything else a string. Throws input_error.
setting parse_setting(const std::string& text);

}  // namespace inertia::check
