#pragma once
// The text of bench/workloads/*.txt, compiled in by CMake (the source is
// generated from embedded_workloads.cpp.in) so the binaries need no data files.
#include <span>
#include <string_view>

namespace inertia::bench {

struct embedded_file {
  std::string_view stem;  ///< file name without directory and extension
  std::string_view text;
};

std::span<const embedded_file> embedded_workload_files();

}  // namespace inertia::bench
