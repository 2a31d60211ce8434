#pragma once
// A reader for NumPy's .npy files, the subset inertia-check needs: format
// versions 1.0, 2.0 and 3.0, little-endian float32 ('<f4'), float64 ('<f8'),
// float16 ('<f2') or uint16 ('<u2': 16-bit patterns, which the caller decodes
// as bfloat16 or float16) data, C order (Fortran order only for 0-d and 1-d
// arrays, where it is the same thing). Every value is returned as a double
// (exact for all of them; '<u2' as the integer of its bits).
#include <cstddef>
#include <string>
#include <vector>

namespace inertia::check {

struct npy_array {
  std::string dtype;                 ///< "float32", "float64", "float16" or "uint16"
  std::vector<std::size_t> shape;    ///< empty for a 0-d array
  std::vector<double> values;        ///< C order
  std::size_t elements() const { return values.size(); }
};

/// Throws input_error (see trajectory.hpp) with the path and the reason.
npy_array read_npy(const std::string& path);

}  // namespace inertia::check
