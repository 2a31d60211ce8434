// Streaming (non-temporal) stores for write-only outputs (lib/store_policy.hpp):
// which rules may use them, when a call does, and that results stay the same
// bits when they do: forced on small spans (execution::min_bytes_to_stream = 1)
// at every size, misalignment, target and thread count, and taken by default
// on a span just above the last-level cache.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <type_traits>
#include <typeinfo>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "block_plan.hpp"
#include "cache_sizes.hpp"
#include "driver.hpp"
#include "inertia/lookahead.hpp"
#include "reference/lookahead.hpp"
#include "store_policy.hpp"
#include "support.hpp"
#include "variants/rules.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

// Only the look-ahead, whose output is a separate array nothing reads, may
// stream; every in-place rule reads the lines it writes and must not.
template <class Rule>
constexpr bool only_lookahead_streams() {
  constexpr bool is_lookahead = std::is_same_v<Rule, detail::lookahead_rule<float>> ||
                                std::is_same_v<Rule, detail::lookahead_rule<double>>;
  return detail::streams_output<Rule> == is_lookahead;
}
#define INERTIA_CHECK_RULE(RULE) static_assert(only_lookahead_streams<detail::RULE>());
INERTIA_FOR_EACH_RULE(INERTIA_CHECK_RULE)
#undef INERTIA_CHECK_RULE

execution streaming(execution exec) {
  exec.min_bytes_to_stream = 1;
  return exec;
}

template <class T>
void compute_library(buffers<T>& b, const double& momentum, const execution& exec) {
  nesterov_lookahead(std::span<const T>(b[0]), std::span<const T>(b[1]), momentum, b[2], streaming(exec));
}

template <class T>
void compute_reference(buffers<T>& b, const double& momentum) {
  reference::nesterov_lookahead(b[0].data(), b[1].data(), b.size(), momentum, b[2].data());
}

std::string describe(const double& momentum) { return "streamed lookahead momentum " + std::to_string(momentum); }

/// The look-ahead with the output at a different misalignment than the inputs,
/// under every setting with streaming forced: the peel aligns the output, not
/// the inputs, and only the output is stored.
template <class T>
void require_mixed_alignment_matches(std::size_t size, std::size_t input_offset, std::size_t output_offset) {
  auto inputs = random_buffers<T>(2, size, input_offset, size * 31 + input_offset);
  buffers<T> expected(1, size, output_offset), actual(1, size, output_offset);
  reference::nesterov_lookahead(inputs[0].data(), inputs[1].data(), size, 0.9, expected[0].data());
  for (const setting& s : settings_for<T>(size)) {
    std::fill(actual[0].begin(), actual[0].end(), T(-1));
    {
      arch_scope forced(s.target);
      nesterov_lookahead(std::span<const T>(inputs[0]), std::span<const T>(inputs[1]), 0.9, actual[0],
                         streaming(s.exec));
    }
    const auto where = first_difference<T>(actual[0], expected[0]);
    if (where != size)
      FAIL(s.describe() << " | size " << size << " | inputs at +" << input_offset << ", output at +" << output_offset
                        << " | differs first at element " << where);
  }
}

}  // namespace

TEST_CASE("a call streams its outputs from min_bytes_to_stream, or from the last-level cache size", "[streaming]") {
  const std::size_t llc = detail::last_level_cache_bytes();
  REQUIRE(llc >= 64 * 1024);
  REQUIRE(llc == detail::last_level_cache_bytes());  // read once
  if (const std::size_t sys = detail::largest_cache_bytes(detail::read_cache_levels())) REQUIRE(llc == sys);
  REQUIRE(detail::stream_outputs(llc, execution{}));
  REQUIRE_FALSE(detail::stream_outputs(llc - 1, execution{}));
  REQUIRE(detail::stream_outputs(1, streaming(execution{})));
  execution high;
  high.min_bytes_to_stream = std::size_t(1) << 40;
  REQUIRE_FALSE(detail::stream_outputs(llc * 2, high));
}

namespace {

/// What the driver chooses for Rule on every supported target: streaming
/// stores exactly for the rules that allow them (only the look-ahead), on a
/// target that has them, from the threshold on; and the kernel it then runs.
template <class Rule>
void require_store_choice() {
  constexpr bool allowed = detail::streams_output<Rule>;
  const std::size_t llc = detail::last_level_cache_bytes();
  const execution automatic{}, forced = streaming(execution{});
  for (arch target : supported_archs()) {
    INFO(arch_name(target) << ", rule " << typeid(Rule).name());
    const bool streams = allowed && detail::target_has_streaming_stores(target);
    const auto expected = streams ? detail::store_policy::streaming : detail::store_policy::cached;
    REQUIRE(detail::store_policy_for<Rule>(target, llc, automatic) == expected);
    REQUIRE(detail::store_policy_for<Rule>(target, 2 * llc, automatic) == expected);
    REQUIRE(detail::store_policy_for<Rule>(target, llc - 1, automatic) == detail::store_policy::cached);
    REQUIRE(detail::store_policy_for<Rule>(target, 1, forced) == expected);
    REQUIRE(detail::store_policy_for<Rule>(target, 0, forced) == detail::store_policy::cached);
#if defined(INERTIA_TEST_STATIC_LIBRARY)
    // The kernels themselves are the library's internal symbols: only a
    // static library lets the test take their addresses.
    const auto cached_kernel = detail::kernel_for<Rule>(target, detail::store_policy::cached);
    const auto streaming_kernel = detail::kernel_for<Rule>(target, detail::store_policy::streaming);
    REQUIRE(cached_kernel != nullptr);
    if (streams) {
      REQUIRE(streaming_kernel != cached_kernel);
    } else {
      REQUIRE(streaming_kernel == cached_kernel);
    }
#endif
  }
}

}  // namespace

TEST_CASE("the driver streams the look-ahead's output from the threshold on, and no in-place rule's", "[streaming]") {
#define INERTIA_REQUIRE_STORE_CHOICE(RULE) require_store_choice<detail::RULE>();
  INERTIA_FOR_EACH_RULE(INERTIA_REQUIRE_STORE_CHOICE)
#undef INERTIA_REQUIRE_STORE_CHOICE
}

TEST_CASE("cache sizes are read from /sys as Linux lists them", "[streaming]") {
  REQUIRE(detail::parse_cache_size("48K") == 48 * 1024);
  REQUIRE(detail::parse_cache_size("1024K\n") == 1024 * 1024);
  REQUIRE(detail::parse_cache_size("32M") == std::size_t(32) << 20);
  REQUIRE(detail::parse_cache_size("1G") == std::size_t(1) << 30);
  REQUIRE(detail::parse_cache_size("512") == 512);
  REQUIRE(detail::parse_cache_size("K") == 0);

  // A Zen 4 core's entries, with an empty index4 and a hole before index6.
  const auto directory = std::filesystem::temp_directory_path() / ("inertia-cache-" + std::to_string(::getpid()));
  const auto entry = [&](int index, const char* level, const char* type, const char* size) {
    const auto path = directory / ("index" + std::to_string(index));
    std::filesystem::create_directories(path);
    std::ofstream(path / "level") << level << "\n";
    std::ofstream(path / "type") << type << "\n";
    std::ofstream(path / "size") << size << "\n";
  };
  entry(0, "1", "Data", "32K");
  entry(1, "1", "Instruction", "32K");
  entry(2, "2", "Unified", "1024K");
  entry(3, "3", "Unified", "32768K");
  std::filesystem::create_directories(directory / "index4");
  entry(6, "3", "Unified", "96M");  // a later entry of the same level wins
  const auto caches = detail::read_cache_levels(directory.string());
  std::filesystem::remove_all(directory);
  REQUIRE(caches.size() == 4);
  REQUIRE(caches[0].level == 1);
  REQUIRE(caches[0].bytes == 32 * 1024);
  REQUIRE(caches[1].level == 2);
  REQUIRE(caches[1].bytes == 1024 * 1024);
  REQUIRE(caches[2].bytes == std::size_t(32) << 20);
  REQUIRE(detail::largest_cache_bytes(caches) == std::size_t(96) << 20);
  REQUIRE(detail::largest_cache_bytes({}) == 0);
  REQUIRE(detail::read_cache_levels((directory / "absent").string()).empty());
}

TEMPLATE_TEST_CASE("nesterov_lookahead with streaming stores forced matches the reference bit for bit on every "
                   "target, thread count, block size, size and offset",
                   "[streaming][lookahead]", float, double) {
  require_sweep_matches<TestType>(3, std::vector<double>{0.0, 0.9, 0.37}, compute_library<TestType>,
                                  compute_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("streamed look-ahead output aligned apart from its inputs", "[streaming][lookahead]", float,
                   double) {
  for (std::size_t size : {std::size_t(1), std::size_t(17), std::size_t(1000), std::size_t(4099)})
    for (std::size_t input_offset : {0, 1, 5})
      for (std::size_t output_offset : {0, 2, 3, 7}) require_mixed_alignment_matches<TestType>(size, input_offset,
                                                                                             output_offset);
}

TEMPLATE_TEST_CASE("nesterov_lookahead streams by default above the last-level cache, with the same bits",
                   "[streaming][lookahead]", float, double) {
  using T = TestType;
  // Just above the threshold, capped so a machine with a huge cache does not
  // need gigabytes: then the threshold is lowered to the cap instead.
  constexpr std::size_t cap = std::size_t(96) << 20;
  const std::size_t threshold = std::min(detail::last_level_cache_bytes(), cap);
  const std::size_t size = threshold / (3 * sizeof(T)) + 4099;
  REQUIRE(detail::stream_outputs(size * 3 * sizeof(T), execution{.min_bytes_to_stream = threshold == cap ? cap : 0}));
  auto data = random_buffers<T>(3, size, 1, 77);
  auto expected = data.clone();
  compute_reference<T>(expected, 0.9);
  for (arch target : supported_archs())
    for (int threads : {1, 2, 3}) {
      std::fill(data[2].begin(), data[2].end(), T(0));
      arch_scope forced(target);
      execution exec{.threads = threads};
      if (threshold == cap) exec.min_bytes_to_stream = cap;
      nesterov_lookahead(std::span<const T>(data[0]), std::span<const T>(data[1]), 0.9, data[2], exec);
      const auto where = first_difference<T>(data[2], expected[2]);
      if (where != size)
        FAIL(arch_name(target) << ", threads " << threads << " | size " << size << " | differs first at " << where);
    }
}
