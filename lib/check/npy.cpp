#include "npy.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include "inertia/half.hpp"
#include "trajectory.hpp"

namespace inertia::check {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw input_error(path + ": not a supported .npy file: " + why);
}

std::size_t skip_space(const std::string& s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

/// The text after "'key':" in the header dict, or npos.
std::size_t value_of(const std::string& header, const std::string& key) {
  for (const char quote : {'\'', '"'}) {
    const std::string needle = std::string(1, quote) + key + quote;
    std::size_t at = header.find(needle);
    if (at == std::string::npos) continue;
    at = skip_space(header, at + needle.size());
    if (at >= header.size() || header[at] != ':') return std::string::npos;
    return skip_space(header, at + 1);
  }
  return std::string::npos;
}

}  // namespace

npy_array read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) fail(path, "no \\x93NUMPY magic");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_length = 0, header_start = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(path, "truncated header");
    for (int k = 0; k < 4; ++k) header_length |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + k])) << (8 * k);
    header_start = 12;
  } else {
    fail(path, "format version " + std::to_string(major) + " (1, 2 and 3 are read)");
  }
  if (bytes.size() < header_start + header_length) fail(path, "truncated header");
  const std::string header = bytes.substr(header_start, header_length);

  npy_array out;
  // descr
  std::size_t at = value_of(header, "descr");
  if (at == std::string::npos || (header[at] != '\'' && header[at] != '"')) fail(path, "no 'descr' in the header");
  const std::size_t end = header.find(header[at], at + 1);
  if (end == std::string::npos) fail(path, "bad 'descr'");
  const std::string descr = header.substr(at + 1, end - at - 1);
  std::size_t item = 0;
  if (descr == "<f4") {
    out.dtype = "float32";
    item = 4;
  } else if (descr == "<f8") {
    out.dtype = "float64";
    item = 8;
  } else if (descr == "<f2") {
    out.dtype = "float16";
    item = 2;
  } else if (descr == "<u2") {
    out.dtype = "uint16";  // 16-bit patterns: the loader decodes them by --dtype (bfloat16 has no numpy dtype)
    item = 2;
  } else {
    fail(path, "dtype '" + descr +
                   "' (read: little-endian float32 '<f4', float64 '<f8', float16 '<f2', and '<u2' bit patterns with "
                   "--dtype bfloat16 or float16)");
  }
  // fortran_order
  at = value_of(header, "fortran_order");
  if (at == std::string::npos) fail(path, "no 'fortran_order' in the header");
  const bool fortran = header.compare(at, 4, "True") == 0;
  if (!fortran && header.compare(at, 5, "False") != 0) fail(path, "bad 'fortran_order'");
  // shape
  at = value_of(header, "shape");
  if (at == std::string::npos || header[at] != '(') fail(path, "no 'shape' tuple in the header");
  const std::size_t close = header.find(')', at);
  if (close == std::string::npos) fail(path, "bad 'shape'");
  std::size_t count = 1;
  for (std::size_t i = at + 1; i < close;) {
    i = skip_space(header, i);
    if (i >= close) break;
    if (header[i] == ',') {
      ++i;
      continue;
    }
    if (header[i] < '0' || header[i] > '9') fail(path, "bad 'shape'");
    std::size_t dim = 0;
    while (i < close && header[i] >= '0' && header[i] <= '9') dim = dim * 10 + static_cast<std::size_t>(header[i++] - '0');
    while (i < close && header[i] == 'L') ++i;  // Python 2 longs
    out.shape.push_back(dim);
    count *= dim;
  }
  if (fortran && out.shape.size() > 1) fail(path, "Fortran order (save with numpy.ascontiguousarray)");
  const std::size_t data_start = header_start + header_length;
  if (bytes.size() - data_start != count * item)
    fail(path, "expected " + std::to_string(count * item) + " data bytes for the shape, found " +
                   std::to_string(bytes.size() - data_start));
  out.values.resize(count);
  const char* data = bytes.data() + data_start;
  for (std::size_t i = 0; i < count; ++i) {
    if (item == 2) {
      std::uint16_t bits;
      std::memcpy(&bits, data + 2 * i, 2);
      out.values[i] = out.dtype == "float16" ? static_cast<double>(to_float(float16{bits})) : bits;
    } else if (item == 4) {
      float x;
      std::memcpy(&x, data + 4 * i, 4);
      out.values[i] = x;
    } else {
      std::memcpy(&out.values[i], data + 8 * i, 8);
    }
  }
  return out;
}

}  // namespace inertia::check
