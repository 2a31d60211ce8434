#pragma once
// Progress on stderr. Silent during the first second, so quick runs print
// nothing; on a terminal one line is rewritten in place, elsewhere (a log, a
// pipe) a line is printed per phase, not per step.
#include <chrono>
#include <string>

namespace inertia::bench {

class progress {
 public:
  progress();
  ~progress();
  /// `phase` e.g. "gpt2_small f32 heavy_ball: inertia", `detail` e.g. "step 3/10".
  void update(const std::string& phase, const std::string& detail = "");
  /// Clears the terminal line, if one was drawn.
  void finish();

 private:
  std::chrono::steady_clock::time_point start_;
  bool terminal_;
  bool drawn_ = false;
  std::string printed_phase_;
};

}  // namespace inertia::bench
