// inertia-bench's storage rows (suite/storage_cases.hpp) are the ones it
// claims: --inertia_dtypes reads what the usage says and refuses the rest;
// every variant inertia-profile measures in a mode has a row named
// <variant>/<mode>/inertia/<suffix>, whose bytes per element count every
// stream in its own width (worked out by hand here for heavy_ball and
// adam); and every row's pattern has its own mixed-roofline rows
// over the same streams, after the library rows that are taken against them.
// No row runs: registration only.
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/variant.hpp"
#include "profile/storage_mode.hpp"
#include "suite/storage_cases.hpp"

namespace inertia::bench {
namespace {

const storage_mode* mode_named(const char* name) {
  const storage_mode* m = find_storage_mode(name);
  REQUIRE(m != nullptr);
  return m;
}

bool measured(const variant& v, const inertia_storage& storage) {
  if (!storage_unsupported(v).empty()) return false;
  try {
    check_storage(v, storage);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

TEST_CASE("the --inertia_dtypes list: its names, all, and what it refuses", "[bench][storage_cases]") {
  const dtype_selection plain = parse_dtype_selection("f32,f64");
  REQUIRE(plain.f32);
  REQUIRE(plain.f64);
  REQUIRE(plain.modes.empty());

  const dtype_selection half = parse_dtype_selection("bf16+master_f32,f16,bf16");
  REQUIRE(!half.f32);
  REQUIRE(!half.f64);
  REQUIRE(half.modes.size() == 3);
  REQUIRE(half.modes[0]->name == "bf16");  // storage_modes() order, whatever the list's
  REQUIRE(half.modes[1]->name == "f16");
  REQUIRE(half.modes[2]->name == "bf16+master_f32");
  REQUIRE(parse_dtype_selection("bf16,bf16").modes.size() == 1);

  const dtype_selection all = parse_dtype_selection("all");
  REQUIRE(all.f32);
  REQUIRE(all.f64);
  REQUIRE(all.modes.size() == storage_modes().size());

  for (const char* bad : {"", "f8", "bf16,", ",f32", "bf16,,f32", "BF16", "bf16 master_f32"}) {
    INFO("'" << bad << "'");
    REQUIRE_THROWS_AS(parse_dtype_selection(bad), std::invalid_argument);
  }
  try {
    parse_dtype_selection("f32,f8");
    FAIL("f8 accepted");
  } catch (const std::invalid_argument& error) {
    REQUIRE(std::string(error.what()).find("'f8'") != std::string::npos);
  }
}

TEST_CASE("storage mode names: each mode is named after its storage", "[bench][storage_cases]") {
  for (const storage_mode& m : storage_modes()) REQUIRE(storage_mode_name(m.storage) == m.name);
  const storage_mode* master = mode_named("bf16+master_f32");
  REQUIRE(master->storage.param_dtype == INERTIA_BFLOAT16);
  REQUIRE(master->storage.grad_dtype == INERTIA_BFLOAT16);
  REQUIRE(master->storage.state_dtype == INERTIA_FLOAT32);
  REQUIRE(master->storage.master_weights == INERTIA_MASTER_FLOAT32);
  REQUIRE(mode_named("bf16+master_split")->storage.master_weights == INERTIA_MASTER_SPLIT);
  const storage_mode* state = mode_named("f32+state_bf16");
  REQUIRE(state->storage.param_dtype == INERTIA_FLOAT32);
  REQUIRE(state->storage.state_dtype == INERTIA_BFLOAT16);
  REQUIRE(state->storage.master_weights == INERTIA_MASTER_NONE);
  REQUIRE(mode_named("bf16")->storage.state_dtype == INERTIA_BFLOAT16);
  REQUIRE(mode_named("f16")->storage.param_dtype == INERTIA_FLOAT16);
}

TEST_CASE("storage rows: names, bytes per element, patterns and their rooflines", "[bench][storage_cases]") {
  const std::vector<const storage_mode*> modes = parse_dtype_selection("all").modes;
  const std::string suffix = "L2/ws:512KiB/threads:2";
  constexpr std::size_t working_set = 512 * 1024;
  std::vector<std::string> refused;
  const std::vector<storage_case> cases = storage_cases(modes, working_set, suffix, 2, &refused);

  std::map<std::string, const storage_case*> by_name;
  for (const storage_case& c : cases) {
    INFO(c.name);
    REQUIRE(by_name.emplace(c.name, &c).second);  // unique
    REQUIRE(c.threads == 2);
    REQUIRE(c.working_set_bytes == working_set);
    REQUIRE(c.size == working_set / c.footprint_per_element());
    REQUIRE(c.pattern == stream_pattern_name(c.streams));
    REQUIRE(c.name.size() > suffix.size());
    REQUIRE(c.name.compare(c.name.size() - suffix.size(), suffix.size(), suffix) == 0);
  }

  // Every pair the profiler measures has its row, under exactly that name; the rest are refused, each said once.
  std::size_t library_rows = 0, expected_refusals = 0;
  for (const storage_mode* m : modes)
    for (const variant& v : all_variants()) {
      const std::string name = v.name + "/" + m->name + "/inertia/" + suffix;
      INFO(name);
      if (!measured(v, m->storage)) {
        REQUIRE(by_name.count(name) == 0);
        ++expected_refusals;
        continue;
      }
      REQUIRE(by_name.count(name) == 1);
      const storage_case& c = *by_name.at(name);
      REQUIRE(!c.roofline_row);
      REQUIRE(c.v == &v);
      REQUIRE(c.mode.name == m->name);
      REQUIRE(c.streams.size() == storage_streams(v, m->storage).size());
      ++library_rows;
    }
  REQUIRE(refused.size() == expected_refusals);
  REQUIRE(library_rows > 0);
  for (const char* unmeasured : {"lookahead", "lars", "lamb"})
    if (find_variant(unmeasured)) REQUIRE(by_name.count(std::string(unmeasured) + "/bf16/inertia/" + suffix) == 0);

  // Worked examples, bytes counted by hand: width x (read + written) per stream.
  struct expected {
    const char* name;
    const char* pattern;
    std::size_t bytes_per_element, footprint;
  };
  const expected examples[] = {
      {"heavy_ball/bf16", "param:rw2_grad:r2_state0:rw2", 2 * 2 + 2 + 2 * 2, 6},
      {"heavy_ball/f16", "param:rw2_grad:r2_state0:rw2", 10, 6},
      {"heavy_ball/bf16+master_f32", "param:w2_grad:r2_state0:rw4_master:rw4", 2 + 2 + 4 * 2 + 4 * 2, 12},
      {"heavy_ball/bf16+master_split", "param:rw2_grad:r2_state0:rw4_master:rw2", 2 * 2 + 2 + 4 * 2 + 2 * 2, 10},
      {"heavy_ball/f32+state_bf16", "param:rw4_grad:r4_state0:rw2", 4 * 2 + 4 + 2 * 2, 10},
      {"adam/bf16", "param:rw2_grad:r2_state0:rw2_state1:rw2", 2 * 2 + 2 + 2 * 2 + 2 * 2, 8},
      {"adam/bf16+master_f32", "param:w2_grad:r2_state0:rw4_state1:rw4_master:rw4", 2 + 2 + 8 + 8 + 8, 16},
  };
  for (const expected& e : examples) {
    const std::string name = std::string(e.name) + "/inertia/" + suffix;
    INFO(name);
    REQUIRE(by_name.count(name) == 1);
    const storage_case& c = *by_name.at(name);
    REQUIRE(c.pattern == e.pattern);
    REQUIRE(c.bytes_per_element() == e.bytes_per_element);
    REQUIRE(c.footprint_per_element() == e.footprint);
  }

  // Each pattern's two roofline rows: the same streams, after every library row of the pattern.
  std::map<std::string, std::size_t> last_library_row;
  for (std::size_t k = 0; k < cases.size(); ++k)
    if (!cases[k].roofline_row) last_library_row[cases[k].pattern] = k;
  std::set<std::string> patterns_with_roofline;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const storage_case& c = cases[k];
    if (!c.roofline_row) {
      for (const char* kernel : {"loop", "prefetch"}) {
        const std::string roofline = c.pattern + "/mixed/" + kernel + "/" + suffix;
        INFO(c.name << " -> " << roofline);
        REQUIRE(by_name.count(roofline) == 1);
        const storage_case& r = *by_name.at(roofline);
        REQUIRE(r.roofline_row);
        REQUIRE(r.prefetch == (std::string(kernel) == "prefetch"));
        REQUIRE(r.pattern == c.pattern);
        REQUIRE(r.bytes_per_element() == c.bytes_per_element());
        REQUIRE(r.size == c.size);
        REQUIRE(r.streams.size() == c.streams.size());
        for (std::size_t s = 0; s < c.streams.size(); ++s) {
          REQUIRE(r.streams[s].access.width == c.streams[s].access.width);
          REQUIRE(r.streams[s].access.read == c.streams[s].access.read);
          REQUIRE(r.streams[s].access.written == c.streams[s].access.written);
        }
      }
      continue;
    }
    INFO(c.name);
    REQUIRE(k > last_library_row.at(c.pattern));
    patterns_with_roofline.insert(c.pattern);
  }
  REQUIRE(patterns_with_roofline.size() == last_library_row.size());
  REQUIRE(cases.size() == library_rows + 2 * last_library_row.size());
}

}  // namespace
}  // namespace inertia::bench
