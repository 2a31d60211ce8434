#pragma once
// Reading the golden trajectory files (tests/data/*.json, format
// "inertia-trajectory", written by the scripts/golden_*.py generators).
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace inertia::test {

inline nlohmann::json load_golden(const std::string& name) {
  std::ifstream in(std::string(INERTIA_TEST_DATA) + "/" + name);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

/// An array of numbers as T: exact, since the generators write every value
/// with repr() of the dtype's value.
template <class T>
std::vector<T> golden_values(const nlohmann::json& array) {
  std::vector<T> out;
  for (const auto& x : array) out.push_back(static_cast<T>(x.get<double>()));
  return out;
}

}  // namespace inertia::test
