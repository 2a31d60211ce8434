#pragma once
// A generic handle (inertia_optimizer) for the tests that step every
// registered variant by name.
#include <utility>

#include <catch2/catch.hpp>

#include "inertia/inertia.h"

namespace inertia::test {

/// Owns one inertia_optimizer of `variant`; created or the test fails.
struct handle {
  inertia_optimizer* opt = nullptr;
  explicit handle(const char* variant) { REQUIRE(inertia_optimizer_create(variant, &opt) == INERTIA_OK); }
  ~handle() { inertia_optimizer_destroy(opt); }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
};

/// Options that give each variant state to keep (momentum where it is
/// optional) and a weight decay, where the variant has those keys.
inline void configure_with_state(inertia_optimizer* opt) {
  for (const auto& [key, value] : {std::pair{"momentum", 0.9}, std::pair{"weight_decay", 0.01}}) {
    double current = 0;
    if (inertia_optimizer_get(opt, key, &current) == INERTIA_OK) REQUIRE(inertia_optimizer_set(opt, key, value) == INERTIA_OK);
  }
}

}  // namespace inertia::test
