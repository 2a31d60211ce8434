// Target selection and the block planner.
#include <omp.h>

#include <string>
#include <typeinfo>
#include <vector>

#include <catch2/catch.hpp>

#include "block_plan.hpp"
#include "dispatch.hpp"
#include "inertia/arch.hpp"
#include "inertia/error.hpp"
#include "support.hpp"
#include "target_selection.hpp"
#include "targets/list.hpp"
#include "variants/rules.hpp"

using namespace inertia;

TEST_CASE("every build has the scalar target, and the best supported target is chosen", "[dispatch]") {
  const auto archs = supported_archs();
  REQUIRE(!archs.empty());
  REQUIRE(archs.front() == arch::scalar);
  REQUIRE(best_arch() == archs.back());
  for (arch target : archs) {
    test::arch_scope forced(target);
    REQUIRE(active_arch() == target);
    REQUIRE(parse_arch(arch_name(target)) == target);
  }
  reset_arch();
  // Every x86-64 CPU runs sse2: wherever this build compiles it (the sanitizer
  // stage compiles scalar and avx2 only, lib/CMakeLists.txt INERTIA_TARGETS),
  // it is supported.
  INERTIA_IF_COMPILED(sse2, REQUIRE(arch_supported(arch::sse2));)
}

TEST_CASE("a bad or unsupported target name is refused", "[dispatch]") {
  REQUIRE_THROWS_AS(parse_arch("avx3"), inertia::invalid_argument);
  for (arch target : detail::all_targets())
    if (!arch_supported(target)) REQUIRE_THROWS_AS(set_arch(target), inertia::invalid_argument);
}

TEST_CASE("the public functions use the targets this build and CPU run", "[dispatch]") {
  const detail::target_set supported = detail::supported_targets();
  REQUIRE(supported_archs() == detail::targets_in(supported));
  REQUIRE(best_arch() == detail::best_target(supported));
  for (arch target : detail::all_targets())
    REQUIRE(arch_supported(target) == bool(supported & detail::target_bit(target)));
}

// The same choices on a CPU without some targets, whatever this one has: a
// machine with every target (as the AVX-512 reference VM) would otherwise
// never run the refusals.
TEST_CASE("targets this CPU lacks are never chosen, listed or settable", "[dispatch]") {
  using detail::target_bit;
  const std::vector<arch> all = detail::all_targets();
  REQUIRE(all == std::vector<arch>{arch::scalar, arch::sse2, arch::avx2, arch::avx512f, arch::avx512bf16});
  for (arch target : all) REQUIRE(parse_arch(arch_name(target)) == target);
  const detail::target_set every = target_bit(arch::scalar) | target_bit(arch::sse2) | target_bit(arch::avx2) |
                                   target_bit(arch::avx512f) | target_bit(arch::avx512bf16);
  const detail::target_set no_avx512 = every & ~target_bit(arch::avx512f) & ~target_bit(arch::avx512bf16);
  const detail::target_set no_bf16 = every & ~target_bit(arch::avx512bf16);
  const detail::target_set scalar_only = target_bit(arch::scalar);

  REQUIRE(detail::targets_in(no_avx512) == std::vector<arch>{arch::scalar, arch::sse2, arch::avx2});
  REQUIRE(detail::targets_in(scalar_only) == std::vector<arch>{arch::scalar});
  REQUIRE(detail::best_target(every) == arch::avx512bf16);
  REQUIRE(detail::best_target(no_bf16) == arch::avx512f);
  REQUIRE(detail::best_target(no_avx512) == arch::avx2);
  REQUIRE(detail::best_target(scalar_only) == arch::scalar);

  REQUIRE_NOTHROW(detail::require_supported(arch::avx2, no_avx512, "set_arch"));
  REQUIRE_THROWS_AS(detail::require_supported(arch::avx512f, no_avx512, "set_arch"), inertia::invalid_argument);
  REQUIRE_THROWS_WITH(detail::require_supported(arch::avx512f, no_avx512, "inertia::set_arch"),
                      "inertia::set_arch: avx512f is not supported on this CPU/build");
  for (arch target : {arch::sse2, arch::avx2, arch::avx512f, arch::avx512bf16})
    REQUIRE_THROWS_AS(detail::require_supported(target, scalar_only, "set_arch"), inertia::invalid_argument);
  REQUIRE_THROWS_WITH(detail::require_supported(arch::avx512bf16, no_bf16, "inertia::set_arch"),
                      "inertia::set_arch: avx512bf16 is not supported on this CPU/build");

  std::string warning;
  REQUIRE(detail::target_from_environment("avx512f", no_avx512, warning) == arch::avx2);
  REQUIRE(warning == "INERTIA_ARCH=avx512f is not supported on this CPU/build; using avx2");
  REQUIRE(detail::target_from_environment("avx512f", every, warning) == arch::avx512f);
  REQUIRE(warning.empty());
  REQUIRE(detail::target_from_environment("sse2", no_avx512, warning) == arch::sse2);
  REQUIRE(detail::target_from_environment("avx2", scalar_only, warning) == arch::scalar);
  REQUIRE(warning == "INERTIA_ARCH=avx2 is not supported on this CPU/build; using scalar");
  REQUIRE(detail::target_from_environment("bogus", no_avx512, warning) == arch::avx2);
  REQUIRE(warning == "INERTIA_ARCH=bogus is not one of scalar|sse2|avx2|avx512f|avx512bf16|auto; using avx2");
  REQUIRE(detail::target_from_environment("avx512bf16", no_bf16, warning) == arch::avx512f);
  REQUIRE(warning == "INERTIA_ARCH=avx512bf16 is not supported on this CPU/build; using avx512f");
  for (const char* automatic : {static_cast<const char*>(nullptr), "", "auto"}) {
    REQUIRE(detail::target_from_environment(automatic, no_avx512, warning) == arch::avx2);
    REQUIRE(warning.empty());
  }
}

TEST_CASE("the planner splits 2^40 elements without touching them", "[planner]") {
  const std::size_t total = std::size_t(1) << 40;
  const auto plan = detail::plan_blocks(total, sizeof(float), total * 20, execution{16, 0, 0});
  REQUIRE(plan.block == detail::default_block_bytes / sizeof(float));
  REQUIRE(plan.blocks == total / plan.block);
  REQUIRE(plan.threads == 16);
  std::size_t next = 0;
  for (int t = 0; t < plan.threads; ++t) {  // contiguous, balanced, covering every block once
    const auto [first, last] = plan.blocks_of_thread(t, plan.threads);
    REQUIRE(first == next);
    REQUIRE(last - first >= plan.blocks / 16);
    REQUIRE(last - first <= plan.blocks / 16 + 1);
    next = last;
  }
  REQUIRE(next == plan.blocks);
}

TEST_CASE("the planner keeps small work on the calling thread and rounds blocks to cache lines", "[planner]") {
  REQUIRE(detail::plan_blocks(1000, 4, 20000, execution{8, 0, 0}).threads == 1);  // below the threshold
  REQUIRE(detail::plan_blocks(1000, 4, 20000, execution{8, 64, 1}).threads == 8);  // threshold lowered
  REQUIRE(detail::plan_blocks(3, 4, 60, execution{8, 0, 1}).threads == 1);          // one block only
  REQUIRE(detail::plan_blocks(1000, 8, 40000, execution{2, 100, 1}).block == 16);  // 100 bytes -> 2 lines of doubles
  REQUIRE(detail::plan_blocks(0, 4, 0, execution{}).blocks == 0);
  const auto defaults = detail::plan_blocks(std::size_t(1) << 30, 4, std::size_t(20) << 30, execution{});
  REQUIRE(defaults.threads == std::min<int>(omp_get_max_threads(), int(defaults.blocks)));
  int inside = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    inside = detail::plan_blocks(std::size_t(1) << 30, 4, std::size_t(20) << 30, execution{8, 0, 0}).threads;
  }
  REQUIRE(inside == 1);  // inside a parallel region: never oversubscribe
}

TEST_CASE("block starts snap back to a cache line of their own tensor", "[planner]") {
  // A tensor whose param starts 12 bytes past a line: local element 13 (byte
  // 12 + 52 = 64) is the first line boundary.
  REQUIRE(detail::snap_to_cache_line(1000 + 20, 20, 12, 4) == 1000 + 13);
  REQUIRE(detail::snap_to_cache_line(1000 + 13, 13, 12, 4) == 1000 + 13);
  REQUIRE(detail::snap_to_cache_line(1000 + 5, 5, 12, 4) == 1000);  // never into the previous tensor
}

// avx512bf16 compiles the steps that round to bfloat16 and nothing else
// (targets/list.hpp, kernels_from): for every other rule dispatch hands out
// avx512f's kernel itself. The tests' float and double sweeps skip the target
// on the strength of this (support.hpp, targets_for).
TEST_CASE("avx512bf16 runs its own kernels for the steps that round to bfloat16, and avx512f's for the rest",
          "[dispatch]") {
  using namespace inertia::detail;
  std::size_t own = 0;
  const auto check = [&]<class Rule>() {
    const bool rounds = rounds_to_bfloat16<Rule>;
    INFO(typeid(Rule).name() << (rounds ? ": rounds to bfloat16" : ": does not round to bfloat16"));
    REQUIRE(target_entry_points<arch::avx512bf16>::compiles<Rule> == rounds);
    REQUIRE(target_entry_points<arch::avx512f>::compiles<Rule>);
    const bool same = kernel_for<Rule>(arch::avx512bf16) == kernel_for<Rule>(arch::avx512f);
    // Where this build compiles neither (INERTIA_TARGETS), both are the scalar kernel.
    INERTIA_IF_COMPILED(avx512bf16, REQUIRE(same == !rounds);)
    own += rounds;
  };
#define INERTIA_CHECK_RULE(RULE) check.template operator()<RULE>();
  INERTIA_FOR_EACH_RULE(INERTIA_CHECK_RULE)
#undef INERTIA_CHECK_RULE
  REQUIRE(own > 0);
  REQUIRE(rounds_to_bfloat16<adam_bf16_moments_rule>);
  REQUIRE(rounds_to_bfloat16<heavy_ball_bf16_master_rule>);
  REQUIRE(!rounds_to_bfloat16<heavy_ball_split_bf16_rule>);  // the halves are exact
  REQUIRE(!rounds_to_bfloat16<adam_rule<float>>);
}
