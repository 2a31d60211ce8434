#include "common/workload.hpp"

#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "common/embedded_workloads.hpp"

namespace inertia::bench {
namespace {

std::size_t checked_product(std::size_t a, std::size_t b, const std::string& where) {
  if (b != 0 && a > std::numeric_limits<std::size_t>::max() / b) throw workload_error(where + ": size overflows");
  return a * b;
}

std::size_t parse_dim(const std::string& field, const std::string& where) {
  std::size_t value = 0;
  for (char c : field) {
    if (c < '0' || c > '9') throw workload_error(where + ": dimension '" + field + "' is not a positive integer");
    value = checked_product(value, 10, where);
    if (value > std::numeric_limits<std::size_t>::max() - std::size_t(c - '0'))
      throw workload_error(where + ": size overflows");
    value += std::size_t(c - '0');
  }
  if (value == 0) throw workload_error(where + ": dimension '" + field + "' is not a positive integer");
  return value;
}

}  // namespace

std::size_t tensor_shape::elements() const {
  std::size_t product = 1;
  for (std::size_t d : dims) product *= d;
  return product;
}

std::size_t workload::elements() const {
  std::size_t total = 0;
  for (const tensor_shape& t : tensors) total += t.elements();
  return total;
}

workload parse_workload(std::string_view text, std::string name, std::string_view source) {
  workload parsed{std::move(name), {}};
  std::set<std::string, std::less<>> seen;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (std::size_t number = 1; std::getline(lines, line); ++number) {
    const std::string where = std::string(source) + ":" + std::to_string(number);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    tensor_shape tensor;
    if (!(fields >> tensor.name) || tensor.name.front() == '#') continue;
    for (std::string field; fields >> field;) tensor.dims.push_back(parse_dim(field, where));
    if (tensor.dims.empty()) throw workload_error(where + ": '" + tensor.name + "' has no dimensions");
    std::size_t product = 1;
    for (std::size_t d : tensor.dims) product = checked_product(product, d, where);
    if (!seen.insert(tensor.name).second) throw workload_error(where + ": tensor '" + tensor.name + "' listed twice");
    parsed.tensors.push_back(std::move(tensor));
  }
  if (parsed.tensors.empty()) throw workload_error(std::string(source) + ": no tensors");
  return parsed;
}

workload load_workload_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw workload_error(path.string() + ": cannot open");
  std::ostringstream text;
  text << file.rdbuf();
  return parse_workload(text.str(), path.stem().string(), path.string());
}

std::vector<std::string> builtin_workload_names() {
  std::vector<std::string> names;
  for (const embedded_file& f : embedded_workload_files()) names.emplace_back(f.stem);
  return names;
}

workload builtin_workload(std::string_view name) {
  for (const embedded_file& f : embedded_workload_files())
    if (f.stem == name) return parse_workload(f.text, std::string(f.stem), "workloads/" + std::string(f.stem) + ".txt");
  std::string known;
  for (const std::string& n : builtin_workload_names()) known += (known.empty() ? "" : ", ") + n;
  throw workload_error("no built-in workload '" + std::string(name) + "' (built in: " + known + ")");
}

workload flat_workload(std::size_t elements) {
  if (elements == 0) throw workload_error("--flat needs at least one element");
  return {"flat", {tensor_shape{"flat", {elements}}}};
}

}  // namespace inertia::bench
