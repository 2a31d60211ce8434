#pragma once
// Checks that a bad call throws inertia::invalid_argument naming the argument,
// and that not a single element of any buffer changed.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inertia/error.hpp"
#include "support.hpp"

namespace inertia::test {

template <class T, class Call>
void require_rejected(buffers<T>& data, const std::string& argument, error_kind kind, Call call) {
  buffers<T> before = data.clone();
  try {
    call();
    FAIL("expected inertia::invalid_argument naming '" << argument << "', but the call succeeded");
  } catch (const inertia::invalid_argument& error) {
    INFO("message: " << error.what());
    CHECK(error.argument() == argument);
    CHECK(error.kind() == kind);
    CHECK(std::string(error.what()).find(argument) != std::string::npos);
  }
  for (std::size_t k = 0; k < data.count(); ++k) REQUIRE(bitwise_equal<T>(data[k], before[k]));
}

}  // namespace inertia::test
