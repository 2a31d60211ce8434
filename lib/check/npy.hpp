#pragma once
// A reader for NumPy's .npy files, the subset inertia-check needs: format
// versions 1.0, 2.0 and 3.0, little-endian float32 ('<f4') or float64 ('<f8')
// data, C order (Fortran order only for 0-d and 1-d arrays, where it is the
// same thing). Every value is returned as a double (exact for float32).
#include <cstddef>
#include <string>
#include <vector>

namespace inertia::check {

struct npy_array {
  std::string dtype;                 ///< "float32" or "float64"
  std::vector<std::size_t> shape;    ///< empty for a 0-d array
  std::vector<double> values;        ///< C order
  std::size_t elements() const { return values.size(); }
};

/// Throws input_error (see trajectory.hpp) with the path and the reason.
npy_array read_npy(const std::string& path);

}  // namespace inertia::check
