#pragma once
// Workloads: the parameter tensors of a model, from a shape file.
//
// Shape-file format (bench/workloads/*.txt): UTF-8 text, one tensor per line,
// `name dim0 [dim1 ...]`, whitespace separated, every dim a positive integer;
// lines starting with '#' and blank lines are ignored. Tensor names are unique.
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace inertia::bench {

struct tensor_shape {
  std::string name;
  std::vector<std::size_t> dims;
  std::size_t elements() const;
};

struct workload {
  std::string name;
  std::vector<tensor_shape> tensors;
  std::size_t elements() const;  ///< total parameters
};

/// A malformed shape file; what() names the source and line.
class workload_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses shape-file text; `source` names it in error messages.
workload parse_workload(std::string_view text, std::string name, std::string_view source = "<text>");

/// Reads and parses a shape file; the workload is named after the file's stem.
workload load_workload_file(const std::filesystem::path& path);

/// The workloads compiled into the binary from bench/workloads/*.txt, by file
/// stem: "bert_base_uncased", "gpt2_small", "resnet50".
std::vector<std::string> builtin_workload_names();
/// Throws workload_error for an unknown name.
workload builtin_workload(std::string_view name);

/// One tensor of `elements` elements, named "flat".
workload flat_workload(std::size_t elements);

}  // namespace inertia::bench
