#pragma once
// A recorded optimizer trajectory, read from the "inertia-trajectory" JSON
// format or from a directory of .npy files (both documented in main.cpp and in
// `inertia-check --help`). Values are held as doubles; float32 recordings are
// exact in them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace inertia::check {

/// Anything wrong with the input: the tool prints the message and exits 2.
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The hyperparameters of every variant; each variant reads its own.
struct hyperparameters {
  double momentum = 0.0;         // heavy_ball, sutskever
  double dampening = 0.0;        // heavy_ball
  double weight_decay = 0.0;     // heavy_ball
  bool nesterov = false;         // heavy_ball, sutskever
  bool maximize = false;         // heavy_ball
  double beta = 0.9;             // ema
  bool bias_correction = false;  // ema
};

struct recorded_step {
  std::vector<double> grad;
  std::vector<double> param;                 ///< after the step
  std::optional<std::vector<double>> state;  ///< after the step; absent: not compared
};

struct trajectory_case {
  std::string name;
  std::string variant;  ///< heavy_ball | sutskever | ema
  std::string dtype;    ///< float32 | float64
  std::string numerics; ///< heavy_ball only: pytorch_loop | pytorch_fused
  hyperparameters hp;
  std::vector<double> lr;  ///< one per step
  std::vector<double> initial_param;
  std::optional<std::vector<double>> initial_state;  ///< absent: zero (sutskever, ema) or not yet created (heavy_ball)
  std::int64_t initial_step = 0;                     ///< optimizer steps taken before the recording
  std::vector<recorded_step> steps;
  std::size_t inexact_values = 0;  ///< float32 cases: values that are not float32 numbers (rounded)
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
  std::optional<std::string> numerics;
  std::optional<double> lr, momentum, dampening, weight_decay, beta;
  std::optional<bool> nesterov, maximize, bias_correction;
  std::optional<std::int64_t> initial_step;
};

/// The state key each variant's steps use in the JSON format.
const char* state_key(const std::string& variant);

/// Reads a JSON file, or a directory in the .npy layout. Throws input_error.
trajectory load_trajectory(const std::string& path, const load_options& options, std::vector<std::string>& warnings);

}  // namespace inertia::check
