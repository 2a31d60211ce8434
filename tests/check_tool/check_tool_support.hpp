#pragma once
// What the inertia-check tests share (test_check_tool.cpp, test_check_tool_half.cpp):
// running the executable as a user does, the scratch directory and the test
// data, and writing the JSON and .npy inputs.
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace inertia::check_tool_test {

namespace fs = std::filesystem;
using nlohmann::json;

struct run_result {
  int status;
  std::string output;  // stdout and stderr together
};

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline run_result run(const std::vector<std::string>& args, bool merge_stderr = true) {
  std::string command = quote(INERTIA_CHECK_EXE);
  for (const auto& a : args) command += " " + quote(a);
  command += merge_stderr ? " 2>&1" : " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, got);
  const int status = pclose(pipe);
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), output};
}

inline std::string data(const std::string& name) { return std::string(INERTIA_TEST_DATA) + "/" + name; }

inline fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(INERTIA_CHECK_SCRATCH);
  fs::create_directories(dir);
  return dir / name;
}

inline json load(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

inline void save(const json& doc, const fs::path& path) {
  std::ofstream out(path);
  out << doc.dump();  // nlohmann writes doubles in the shortest form that round-trips
  REQUIRE(out.good());
}

inline void save_text(const std::string& text, const fs::path& path) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

/// A .npy file (format 1.0, C order) holding `values` with the given shape.
template <class T>
void write_npy(const fs::path& path, const std::vector<std::size_t>& shape, const std::vector<T>& values,
               int major = 1, const std::string& descr_override = "") {
  std::string shape_text = "(";
  for (std::size_t d : shape) shape_text += std::to_string(d) + ", ";
  if (shape.size() > 1) shape_text.erase(shape_text.size() - 2);
  else if (shape.size() == 1) shape_text.erase(shape_text.size() - 1);
  shape_text += ")";
  // 16-bit data: '<u2' (bit patterns) unless told '<f2' (float16).
  static_assert(sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
  const std::string descr = descr_override.empty() ? (sizeof(T) == 2 ? "<u2" : sizeof(T) == 4 ? "<f4" : "<f8") : descr_override;
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY", 6);
  out.put(static_cast<char>(major));
  out.put(0);
  const std::uint32_t length = static_cast<std::uint32_t>(header.size());
  for (std::size_t k = 0; k < (major == 1 ? 2u : 4u); ++k) out.put(static_cast<char>((length >> (8 * k)) & 0xff));
  out << header;
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(T)));
  REQUIRE(out.good());
}

/// The tool's --json report of `doc` (saved as `name`), whose exit status must be `expected`.
inline json report_of(const json& doc, const std::string& name, int expected, std::vector<std::string> extra = {}) {
  const fs::path path = scratch(name);
  save(doc, path);
  std::vector<std::string> args = {path.string(), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run(args, false);
  INFO(name << "\n" << r.output);
  REQUIRE(r.status == expected);
  return json::parse(r.output);
}

}  // namespace inertia::check_tool_test
