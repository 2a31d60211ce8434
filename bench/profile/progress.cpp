#include "profile/progress.hpp"

#include <cstdio>

#include <unistd.h>

namespace inertia::bench {

progress::progress() : start_(std::chrono::steady_clock::now()), terminal_(isatty(STDERR_FILENO) != 0) {}

progress::~progress() { finish(); }

void progress::update(const std::string& phase, const std::string& detail) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (elapsed < 1.0) return;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K[%6.1fs] %s%s%s", elapsed, phase.c_str(), detail.empty() ? "" : " ", detail.c_str());
    drawn_ = true;
  } else if (phase != printed_phase_) {
    std::fprintf(stderr, "[%6.1fs] %s\n", elapsed, phase.c_str());
  }
  std::fflush(stderr);
  printed_phase_ = phase;
}

void progress::finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace inertia::bench
