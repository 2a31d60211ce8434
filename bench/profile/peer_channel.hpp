#pragma once
// External peers of inertia-profile: another process (scripts/compare_pytorch.py
// timing torch.optim) that takes its samples when the profiler asks, inside
// the profiler's own rounds, so that a ratio against it compares two samples
// taken side by side, like every other ratio in the table. The profiler
// waits, idle, while the peer samples.
//
// Protocol, one line per message (requests on one file descriptor, replies on another):
//   profiler: model <tensors>            then one line per tensor: <name> <d0> [<d1> ...]
//   peer:     ok
//   profiler: prepare <variant> <dtype> <threads> <warmup steps>
//   peer:     ok [<peer name> ...]       the peers that step this variant at this dtype, warmed up
//   profiler: sample <peer name>
//   peer:     <seconds per step>         one sample (the peer batches steps if they are short)
//   profiler: done
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/workload.hpp"

namespace inertia::bench {

class peer_channel {
 public:
  /// Takes ownership of both descriptors.
  peer_channel(int request_fd, int reply_fd);
  ~peer_channel();
  peer_channel(const peer_channel&) = delete;
  peer_channel& operator=(const peer_channel&) = delete;

  void send_model(const workload& model);
  std::vector<std::string> prepare(std::string_view variant, std::string_view dtype, int threads, int warmup_steps);
  double sample(const std::string& peer);

 private:
  std::string request(const std::string& line);
  std::FILE* requests_ = nullptr;
  std::FILE* replies_ = nullptr;
};

}  // namespace inertia::bench
