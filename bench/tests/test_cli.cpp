// The command-line tools of bench/, run as a user runs them (ctest prefix
// bench/cli/): inertia-profile for every variant alone, every dtype, both
// strategies, --flat, --shapes, --workload, --json and each step-policy flag,
// with every JSON object checked for consistency (GB/s x ms = bytes, every
// median and ratio recomputed from the per-round samples it carries, the
// rounds' rotation); bad input of inertia-profile, inertia-bench and
// inertia-check: one line naming the argument, exit status 2; the external
// peer protocol with a fake peer; inertia-bench's paired roofline counters
// and its storage rows (--inertia_dtypes).
// Tiny sizes and few rounds: nothing here asserts a speed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "inertia/inertia.h"  // the registry's variant names

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keeps samples_ms in the profiler's contestant order

struct run_result {
  int status;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(INERTIA_CLI_SCRATCH);
  fs::create_directories(dir);
  return dir / name;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

run_result run(const std::string& exe, const std::vector<std::string>& args) {
  static int counter = 0;
  const fs::path err_path = scratch("stderr_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".txt");
  std::string command = quote(exe);
  for (const auto& a : args) command += " " + quote(a);
  command += " 2>" + quote(err_path.string());
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, got);
  const int status = pclose(pipe);
  INFO(command);
  REQUIRE(WIFEXITED(status));  // a crash (a signal) fails here
  run_result r{WEXITSTATUS(status), out, slurp(err_path)};
  fs::remove(err_path);
  return r;
}

run_result profile(std::vector<std::string> args) { return run(INERTIA_PROFILE_EXE, args); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double quantile(std::vector<double> v, double q) {  // numpy's "linear"
  std::sort(v.begin(), v.end());
  const double h = q * static_cast<double>(v.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(h));
  const std::size_t above = std::min(v.size() - 1, below + 1);
  return v[below] + (h - static_cast<double>(below)) * (v[above] - v[below]);
}

bool close(double a, double b, double relative = 1e-9) { return std::abs(a - b) <= relative * std::max(std::abs(a), std::abs(b)); }

const std::map<std::string, int> moved_elements = {{"update_2r1w", 3},         {"update_3r2w", 5},
                                                   {"update_4r3w", 7},         {"update_5r4w", 9},
                                                   {"update_6r5w", 11},        {"norms_update_5r2w", 7},
                                                   {"moments_update_7r3w", 10}, {"triad_2r1w", 3}};

// A variant as inertia-profile --list-variants prints it.
struct listed_variant {
  std::string name, pattern;
  bool takes_policy;
};

// The profiler's variants, in its order: the library registry's, with the
// suite's named settings (common/variant.cpp).
const std::vector<listed_variant>& variants() {
  static const std::vector<listed_variant> list = [] {
    const run_result r = profile({"--list-variants"});
    REQUIRE(r.status == 0);
    std::vector<listed_variant> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      listed_variant v;
      std::size_t state_buffers = 0;
      std::string policy;
      fields >> v.name >> v.pattern >> state_buffers >> policy;
      REQUIRE((policy == "policy" || policy == "no_policy"));
      v.takes_policy = policy == "policy";
      out.push_back(v);
    }
    return out;
  }();
  return list;
}

// Every field consistent with the others and with the samples it carries.
void check_result(const json& r) {
  INFO(r.dump());
  REQUIRE(!r.contains("storage"));  // the fixed-type rows are as they were before the storage modes
  const std::string dtype = r.at("dtype");
  REQUIRE((dtype == "f32" || dtype == "f64"));
  const std::size_t element_bytes = dtype == "f32" ? 4 : 8;
  const std::size_t elements = r.at("elements"), bytes = r.at("bytes_per_step");
  REQUIRE(moved_elements.count(r.at("pattern")) == 1);
  REQUIRE(r.at("bytes_per_element") == moved_elements.at(r.at("pattern")) * element_bytes);
  REQUIRE(bytes == elements * r.at("bytes_per_element").get<std::size_t>());
  // GB/s x ms/step = bytes per step, for every contestant.
  for (const char* prefix : {"", "roofline_", "baseline_"}) {
    const double ms = r.at(std::string(prefix) + "ms_per_step"), gbps = r.at(std::string(prefix) + "gbps");
    REQUIRE(ms > 0);
    REQUIRE(close(gbps * ms * 1e6, static_cast<double>(bytes)));
  }
  const int rounds = r.at("rounds");
  REQUIRE(rounds >= 1);
  const json& samples = r.at("samples_ms");
  std::vector<std::string> names;
  for (const auto& [name, values] : samples.items()) {
    names.push_back(name);
    REQUIRE(values.size() == static_cast<std::size_t>(rounds));
    for (double v : values) REQUIRE(v > 0);
  }
  REQUIRE(names.size() >= 3);
  REQUIRE(names[0] == "roofline");
  REQUIRE(names[1] == "inertia");
  REQUIRE(names[2] == "baseline");
  // The order rotates by one contestant per round: the roofline candidates, inertia, baseline, the peers.
  const json& order = r.at("round_order");
  const json& candidates = r.at("roofline_candidates_ms");
  REQUIRE(order.size() == candidates.size() + names.size() - 1);
  REQUIRE(r.at("round_first").size() == static_cast<std::size_t>(rounds));
  for (int k = 0; k < rounds; ++k) REQUIRE(r.at("round_first")[k] == order[static_cast<std::size_t>(k) % order.size()]);
  // Each round's roofline is the faster candidate of that round; the kernel named is the one faster in most rounds.
  REQUIRE(!candidates.empty());
  // At most 4 kernels of a pattern (an update pattern's loop and prefetch, and
  // on AVX-512 their 512-bit copies), x 2 thread counts.
  REQUIRE(candidates.size() <= 8);
  std::map<std::string, int> wins;
  for (int k = 0; k < rounds; ++k) {
    double fastest = INFINITY;
    std::string winner;
    for (const auto& [label, values] : candidates.items()) {
      REQUIRE(values.size() == static_cast<std::size_t>(rounds));
      if (values[k].get<double>() < fastest) fastest = values[k], winner = label;
    }
    REQUIRE(samples.at("roofline")[k].get<double>() == fastest);
    ++wins[winner];
  }
  REQUIRE(candidates.contains(r.at("roofline_kernel").get<std::string>()));
  for (const auto& [label, count] : wins) REQUIRE(count <= wins[r.at("roofline_kernel").get<std::string>()]);
  const std::vector<double> roof = samples.at("roofline"), lib = samples.at("inertia"), base = samples.at("baseline");
  REQUIRE(close(r.at("ms_per_step"), median(lib)));
  REQUIRE(close(r.at("roofline_ms_per_step"), median(roof)));
  REQUIRE(close(r.at("baseline_ms_per_step"), median(base)));
  // Each ratio is the median (and IQR) of per-round ratios of the same round's samples.
  std::vector<double> pct, speedup, rates;
  for (int k = 0; k < rounds; ++k) {
    pct.push_back(100.0 * roof[k] / lib[k]);
    speedup.push_back(base[k] / lib[k]);
    rates.push_back(static_cast<double>(bytes) / roof[k]);
  }
  // The samples carry ~15 significant digits through JSON: 1e-6 is far tighter than any other statistic.
  REQUIRE(close(r.at("pct_of_roofline"), median(pct), 1e-6));
  REQUIRE(close(r.at("pct_of_roofline_iqr")[0], quantile(pct, 0.25), 1e-6));
  REQUIRE(close(r.at("pct_of_roofline_iqr")[1], quantile(pct, 0.75), 1e-6));
  REQUIRE(close(r.at("speedup_vs_baseline"), median(speedup), 1e-6));
  REQUIRE(close(r.at("speedup_vs_baseline_iqr")[0], quantile(speedup, 0.25), 1e-6));
  REQUIRE(close(r.at("speedup_vs_baseline_iqr")[1], quantile(speedup, 0.75), 1e-6));
  const double spread = 100.0 * (quantile(rates, 0.75) - quantile(rates, 0.25)) / median(rates);
  REQUIRE(std::abs(r.at("roofline_spread_pct").get<double>() - spread) < 1e-6 * std::max(1.0, spread));
  REQUIRE(r.at("roofline_noisy") == (r.at("roofline_spread_pct").get<double>() > 15.0));
  REQUIRE(!r.at("roofline_kernel").get<std::string>().empty());
  for (const json& p : r.at("peers")) {
    const std::vector<double> peer = samples.at(p.at("name").get<std::string>());
    REQUIRE(close(p.at("ms_per_step"), median(peer)));
    REQUIRE(close(p.at("gbps").get<double>() * p.at("ms_per_step").get<double>() * 1e6, static_cast<double>(bytes)));
    std::vector<double> ratio;
    for (int k = 0; k < rounds; ++k) ratio.push_back(peer[k] / lib[k]);
    REQUIRE(close(p.at("speedup"), median(ratio), 1e-6));
  }
}

json profile_json(std::vector<std::string> args) {
  args.insert(args.end(), {"--json", "--rounds", "3", "--warmup", "1"});
  const run_result r = profile(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json results = json::parse(r.out);  // throws, failing the test, unless well-formed
  REQUIRE(results.is_array());
  REQUIRE(!results.empty());
  for (const json& result : results) check_result(result);
  return results;
}

// Exit status 2, and exactly one line on stderr, naming `argument`.
void expect_usage_error(const std::string& exe, const std::vector<std::string>& args, const std::string& argument) {
  const run_result r = run(exe, args);
  INFO(exe << " ... -> " << r.err);
  REQUIRE(r.status == 2);
  REQUIRE(r.out.empty());
  REQUIRE(!r.err.empty());
  REQUIRE(r.err.back() == '\n');
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  REQUIRE(r.err.find(argument) != std::string::npos);
}

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path path = scratch(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("inertia-profile: its variants are the registry's", "[cli][profile]") {
  std::vector<std::string> names;
  for (const listed_variant& v : variants()) names.push_back(v.name);
  for (std::size_t i = 0; i < inertia_variant_count(); ++i) {
    INFO(inertia_variant_name(i));
    CHECK(std::find(names.begin(), names.end(), inertia_variant_name(i)) != names.end());
  }
  // The suite's named settings, and the look-ahead, besides.
  for (const char* extra : {"heavy_ball_nesterov_wd", "rmsprop_centered_momentum", "lookahead"})
    CHECK(std::find(names.begin(), names.end(), extra) != names.end());
  CHECK(names.size() == inertia_variant_count() + 3);
  for (const listed_variant& v : variants()) CHECK(moved_elements.count(v.pattern) == 1);
  // --help lists them too, as --variant's choices.
  const run_result help = profile({"--help"});
  REQUIRE(help.status == 0);
  for (const std::string& name : names) CHECK(help.out.find(name) != std::string::npos);
}

TEST_CASE("inertia-profile: every variant alone, at sizes 1, 2 and 17", "[cli][profile]") {
  for (const listed_variant& listed : variants())
    for (const char* n : {"1", "2", "17"}) {
      const std::string& v = listed.name;
      INFO(v << " --flat " << n);
      const json results = profile_json({"--variant", v, "--flat", n});
      REQUIRE(results.size() == 1);
      REQUIRE(results[0]["variant"] == v);
      REQUIRE(results[0]["elements"] == std::stoul(n));
      REQUIRE(results[0]["tensors"] == 1);
      REQUIRE(results[0]["workload"] == "flat");
    }
}

TEST_CASE("inertia-profile: every dtype, both strategies, a shape file", "[cli][profile]") {
  const fs::path shapes = write_file("model.txt", "# a small model\nw1 3 700\nb1 17\n\nw2 64 65\n");
  for (const char* strategy : {"per_tensor", "multi_tensor"}) {
    INFO(strategy);
    const json results =
        profile_json({"--shapes", shapes.string(), "--dtype", "all", "--strategy", strategy, "--variant", "adam"});
    REQUIRE(results.size() == 2);
    REQUIRE(results[0]["dtype"] == "f32");
    REQUIRE(results[1]["dtype"] == "f64");
    for (const json& r : results) {
      REQUIRE(r["strategy"] == strategy);
      REQUIRE(r["workload"] == "model");
      REQUIRE(r["tensors"] == 3);
      REQUIRE(r["elements"] == 3 * 700 + 17 + 64 * 65);
      REQUIRE(r["bytes_per_element"] == (r["dtype"] == "f32" ? 28 : 56));
    }
  }
  // --variant all: every variant once, in order; f64 alone.
  const json all = profile_json({"--flat", "1000", "--dtype", "f64", "--threads", "1"});
  REQUIRE(all.size() == variants().size());
  for (std::size_t k = 0; k < variants().size(); ++k) {
    REQUIRE(all[k]["variant"] == variants()[k].name);
    REQUIRE(all[k]["threads"] == 1);
  }
  // --json-file writes what --json prints.
  const fs::path out = scratch("profile.json");
  const run_result r = profile({"--flat", "64", "--variant", "lion", "--rounds", "2", "--json-file", out.string()});
  REQUIRE(r.status == 0);
  REQUIRE(r.out.find("lion") != std::string::npos);  // the table
  const json written = json::parse(slurp(out));
  REQUIRE(written.size() == 1);
  check_result(written[0]);
}

TEST_CASE("inertia-profile: a built-in workload", "[cli][profile]") {
  // resnet50, the smallest (25.6M parameters, ~200 MB per array set): one round, no warm-up.
  const run_result r = profile({"--workload", "resnet50", "--variant", "weight_ema", "--json", "--rounds", "1", "--warmup", "0"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json results = json::parse(r.out);
  REQUIRE(results.size() == 1);
  check_result(results[0]);
  REQUIRE(results[0]["tensors"] == 161);
  REQUIRE(results[0]["elements"] == 25557032);
}

TEST_CASE("inertia-profile: each step-policy flag", "[cli][profile]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> policies = {
      {{"--grad-scale", "1024"}, "+grad_scale"},   {{"--skip-non-finite"}, "+skip_non_finite"},
      {{"--clip-value", "0.5"}, "+clip_value"},    {{"--max-norm", "1"}, "+max_norm"},
      {{"--flush-denormals"}, "+flush_denormals"},
  };
  for (const auto& [flags, label] : policies) {
    INFO(label);
    std::vector<std::string> args = {"--flat", "100", "--strategy", "multi_tensor", "--variant", "adamw"};
    args.insert(args.end(), flags.begin(), flags.end());
    const json results = profile_json(args);
    REQUIRE(results[0]["strategy"] == "multi_tensor" + label);
  }
  // All policies at once, every variant that takes one (lookahead, lars and weight_ema take none).
  const json results = profile_json({"--flat", "100", "--strategy", "multi_tensor", "--grad-scale", "2",
                                     "--skip-non-finite", "--clip-value", "3", "--max-norm", "4", "--flush-denormals"});
  std::size_t with_policy = 0;
  for (const listed_variant& v : variants()) with_policy += v.takes_policy ? 1 : 0;
  REQUIRE(with_policy >= 10);
  REQUIRE(results.size() == with_policy);
  for (const json& r : results) {
    REQUIRE(r["strategy"] == "multi_tensor+grad_scale+skip_non_finite+clip_value+max_norm+flush_denormals");
    REQUIRE(r["variant"] != "lars");
    REQUIRE(r["variant"] != "weight_ema");
    REQUIRE(r["variant"] != "lookahead");
  }
}

TEST_CASE("inertia-profile: bad input is one line naming the argument, exit 2", "[cli][profile]") {
  const std::string exe = INERTIA_PROFILE_EXE;
  expect_usage_error(exe, {"--variant", "bogus"}, "--variant");
  expect_usage_error(exe, {"--flat", "0"}, "--flat");
  expect_usage_error(exe, {"--flat", "-3"}, "--flat");
  expect_usage_error(exe, {"--flat", "ten"}, "--flat");
  expect_usage_error(exe, {"--flat", "4000000000000", "--dtype", "f64"}, "--flat");
  expect_usage_error(exe, {"--steps", "0"}, "--steps");
  expect_usage_error(exe, {"--rounds", "0"}, "--rounds");
  expect_usage_error(exe, {"--warmup", "-1"}, "--warmup");
  expect_usage_error(exe, {"--threads", "-2"}, "--threads");
  expect_usage_error(exe, {"--dtype", "f8"}, "--dtype");
  expect_usage_error(exe, {"--arch", "mmx"}, "--arch");
  expect_usage_error(exe, {"--strategy", "sideways"}, "--strategy");
  expect_usage_error(exe, {"--workload", "vgg"}, "--workload");
  expect_usage_error(exe, {"--workload", "resnet50", "--flat", "10"}, "--flat");
  expect_usage_error(exe, {"--shapes", scratch("no_such_file.txt").string()}, "--shapes");
  expect_usage_error(exe, {"--shapes", write_file("bad_dim.txt", "w 3 x\n").string()}, "bad_dim.txt:1");
  expect_usage_error(exe, {"--shapes", write_file("no_dims.txt", "# c\nw\n").string()}, "no_dims.txt:2");
  expect_usage_error(exe, {"--shapes", write_file("twice.txt", "w 3\nw 4\n").string()}, "twice.txt:2");
  expect_usage_error(exe, {"--shapes", write_file("empty.txt", "# nothing\n").string()}, "empty.txt");
  expect_usage_error(exe, {"--shapes", write_file("zero.txt", "w 3 0\n").string()}, "zero.txt:1");
  expect_usage_error(exe, {"--variant", "lars", "--strategy", "multi_tensor", "--grad-scale", "2"}, "--grad-scale");
  expect_usage_error(exe, {"--variant", "weight_ema", "--strategy", "multi_tensor", "--skip-non-finite"}, "weight_ema");
  expect_usage_error(exe, {"--variant", "lookahead", "--strategy", "multi_tensor", "--max-norm", "1"}, "lookahead");
  expect_usage_error(exe, {"--variant", "adam", "--clip-value", "1"}, "--clip-value");
  expect_usage_error(exe, {"--peer-fds", "x"}, "--peer-fds");
  expect_usage_error(exe, {"--no-such-option"}, "--no-such-option");
  REQUIRE(profile({"--help"}).status == 0);
}

// A storage mode's row: its bytes per element, and every median and ratio
// recomputed from its samples (the roofline candidates: the mixed kernel).
void check_storage_result(const json& r, std::size_t bytes_per_element) {
  INFO(r.dump());
  REQUIRE(r.contains("storage"));
  REQUIRE(r.at("bytes_per_element") == bytes_per_element);
  const std::size_t bytes = r.at("bytes_per_step");
  REQUIRE(bytes == r.at("elements").get<std::size_t>() * bytes_per_element);
  for (const char* prefix : {"", "roofline_"}) {
    const double ms = r.at(std::string(prefix) + "ms_per_step"), gbps = r.at(std::string(prefix) + "gbps");
    REQUIRE(ms > 0);
    REQUIRE(close(gbps * ms * 1e6, static_cast<double>(bytes)));
  }
  const json& samples = r.at("samples_ms");
  REQUIRE(samples.size() == 2);  // no baseline: the naive peer has no half types
  const std::vector<double> roof = samples.at("roofline"), lib = samples.at("inertia");
  const json& candidates = r.at("roofline_candidates_ms");
  REQUIRE(candidates.size() == (r.at("threads") == 1 ? 2u : 4u));  // plain and prefetch, x 1 thread and the budget
  for (const auto& [label, values] : candidates.items()) REQUIRE(label.rfind("mixed", 0) == 0);
  std::vector<double> pct;
  for (std::size_t k = 0; k < roof.size(); ++k) {
    double fastest = INFINITY;
    for (const auto& [label, values] : candidates.items()) fastest = std::min(fastest, values[k].get<double>());
    REQUIRE(roof[k] == fastest);
    pct.push_back(100.0 * roof[k] / lib[k]);
  }
  REQUIRE(close(r.at("ms_per_step"), median(lib)));
  REQUIRE(close(r.at("pct_of_roofline"), median(pct), 1e-6));
}

json storage_json(std::vector<std::string> args) {
  args.insert(args.end(), {"--json", "--rounds", "3", "--warmup", "1"});
  const run_result r = profile(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json results = json::parse(r.out);
  REQUIRE(results.is_array());
  REQUIRE(!results.empty());
  return results;
}

TEST_CASE("inertia-profile: storage modes count every stream in its own width", "[cli][profile]") {
  const fs::path shapes = write_file("storage_model.txt", "w1 3 700\nb1 17\nw2 64 65\n");
  for (const char* strategy : {"per_tensor", "multi_tensor"}) {
    INFO(strategy);
    const std::vector<std::string> common = {"--shapes", shapes.string(), "--strategy", strategy, "--threads", "2"};
    const auto with = [&](std::vector<std::string> args) {
      args.insert(args.begin(), common.begin(), common.end());
      return storage_json(args);
    };
    // Adam, float32 params, bf16 moments: read 4 + 4 + 2 + 2, write 4 + 2 + 2.
    json r = with({"--variant", "adam", "--state-dtype", "bf16"});
    REQUIRE(r.size() == 1);
    check_storage_result(r[0], 20);
    REQUIRE(r[0]["storage"]["label"] == "f32 state:bf16");
    REQUIRE(r[0]["pattern"] == "param:rw4 grad:r4 state0:rw2 state1:rw2");
    // Heavy ball on a bf16 model with a float32 master (the state float32 by
    // default beside it): read grad 2, master 4, momentum 4; write master 4, momentum 4, model 2.
    r = with({"--variant", "heavy_ball", "--dtype", "bf16", "--master", "f32"});
    check_storage_result(r[0], 20);
    REQUIRE(r[0]["storage"]["state_dtype"] == "f32");
    REQUIRE(r[0]["storage"]["master_weights"] == "f32");
    // Split bf16 with bf16 momentum: every stream 2 bytes, all read and written but grad.
    r = with({"--variant", "heavy_ball", "--dtype", "bf16", "--master", "split", "--state-dtype", "bf16"});
    check_storage_result(r[0], 14);
    // The plain all-half step: the fixed pattern's elements in 2 bytes.
    r = with({"--variant", "adamw", "--dtype", "f16"});
    check_storage_result(r[0], 14);
    REQUIRE(r[0]["storage"]["label"] == "f16");
  }
  // Stochastic rounding: the streams of nearest even (its draws are L1 scratch), labelled.
  const json stochastic = storage_json({"--flat", "300", "--variant", "heavy_ball", "--dtype", "bf16", "--rounding",
                                        "stochastic", "--threads", "1"});
  check_storage_result(stochastic[0], 10);
  REQUIRE(stochastic[0]["storage"]["label"] == "bf16 rounding:stochastic");
  REQUIRE(stochastic[0]["storage"]["rounding"] == "stochastic");
  // --variant all: every variant a storage mode can measure, the others said so on stderr.
  const run_result all = profile({"--flat", "300", "--dtype", "bf16", "--threads", "1", "--json", "--rounds", "1"});
  INFO(all.err);
  REQUIRE(all.status == 0);
  const json rows = json::parse(all.out);
  std::size_t measurable = 0;
  for (const listed_variant& v : variants())
    measurable += v.pattern.rfind("update_", 0) == 0 ? 1 : 0;  // elementwise: not lookahead, lars, lamb
  REQUIRE(rows.size() == measurable);
  std::map<std::string, std::string> pattern_of;
  for (const listed_variant& v : variants()) pattern_of[v.name] = v.pattern;
  for (const json& row : rows) check_storage_result(row, 2 * moved_elements.at(pattern_of.at(row.at("variant"))));
  REQUIRE(all.err.find("not measured: --dtype bf16: lookahead") != std::string::npos);
  // The table: one row per variant, bytes per element shown.
  const run_result table = profile({"--flat", "300", "--variant", "adam", "--state-dtype", "bf16", "--rounds", "1"});
  REQUIRE(table.status == 0);
  REQUIRE(table.out.find("B/elem") != std::string::npos);
  REQUIRE(table.out.find("f32 state:bf16") != std::string::npos);
}

TEST_CASE("inertia-profile: a storage combination the library refuses is one line, exit 2", "[cli][profile]") {
  const std::string exe = INERTIA_PROFILE_EXE;
  // The library's own check speaks: its message names the storage field.
  expect_usage_error(exe, {"--master", "split", "--dtype", "f16", "--variant", "heavy_ball"}, "storage.param_dtype");
  expect_usage_error(exe, {"--master", "split", "--dtype", "f16"}, "storage.param_dtype");  // every variant refuses
  expect_usage_error(exe, {"--state-dtype", "bf16", "--dtype", "f64"}, "storage.param_dtype");
  expect_usage_error(exe, {"--state-dtype", "bf16", "--dtype", "f64", "--variant", "adam"}, "float64");
  expect_usage_error(exe, {"--master", "f32"}, "storage.param_dtype");  // float32 params have no master
  expect_usage_error(exe, {"--master", "f32", "--dtype", "f32", "--variant", "adam"}, "--master f32");
  expect_usage_error(exe, {"--master", "f32", "--dtype", "bf16", "--variant", "weight_ema"}, "storage.master_weights");
  // What the profiler itself cannot do in a storage mode.
  expect_usage_error(exe, {"--dtype", "bf16", "--variant", "lookahead"}, "lookahead");
  expect_usage_error(exe, {"--dtype", "bf16", "--variant", "lars"}, "lars");
  expect_usage_error(exe, {"--master", "f32", "--dtype", "all"}, "--master");
  expect_usage_error(exe, {"--state-dtype", "bf16", "--dtype", "all"}, "--state-dtype");
  expect_usage_error(exe, {"--dtype", "bf16", "--peer-fds", "3,4"}, "--peer-fds");
  expect_usage_error(exe, {"--state-dtype", "f16"}, "--state-dtype");
  expect_usage_error(exe, {"--master", "f64"}, "--master");
  // Stochastic rounding needs something stored in a half type, and one --dtype.
  expect_usage_error(exe, {"--rounding", "stochastic"}, "--rounding");
  expect_usage_error(exe, {"--rounding", "stochastic", "--dtype", "bf16", "--master", "split"}, "--rounding");
  expect_usage_error(exe, {"--rounding", "stochastic", "--dtype", "all"}, "--rounding");
  expect_usage_error(exe, {"--rounding", "sometimes"}, "--rounding");
}

TEST_CASE("inertia-profile: an external peer is sampled in the same rounds", "[cli][profile]") {
  // A fake peer (this process) on two pipes: it answers the protocol of
  // profile/peer_channel.hpp and reports 4 ms per step for "fake" on adam only.
  int requests[2], replies[2], out[2];
  REQUIRE(pipe(requests) == 0);
  REQUIRE(pipe(replies) == 0);
  REQUIRE(pipe(out) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (FILE* quiet = std::fopen("/dev/null", "w")) dup2(fileno(quiet), STDERR_FILENO);  // its progress lines
    close(requests[0]);
    close(replies[1]);
    close(out[0]);
    const std::string fds = std::to_string(requests[1]) + "," + std::to_string(replies[0]);
    execl(INERTIA_PROFILE_EXE, INERTIA_PROFILE_EXE, "--flat", "333", "--variant", "all", "--json", "--rounds", "2",
          "--warmup", "1", "--peer-fds", fds.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(requests[1]);
  close(replies[0]);
  close(out[1]);
  FILE* from = fdopen(requests[0], "r");
  FILE* to = fdopen(replies[1], "w");
  std::vector<std::string> log;
  std::string variant;
  int samples = 0, model_lines = -1;
  char line[4096];
  while (std::fgets(line, sizeof line, from)) {
    std::string text(line);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (model_lines > 0) {  // the tensor lines of "model"
      log.push_back(text);
      if (--model_lines == 0) std::fputs("ok\n", to);
    } else if (text.rfind("model ", 0) == 0) {
      model_lines = std::stoi(text.substr(6));
    } else if (text.rfind("prepare ", 0) == 0) {
      variant = text.substr(8, text.find(' ', 8) - 8);
      std::fputs(variant == "adam" ? "ok fake\n" : "ok\n", to);
    } else if (text == "sample fake") {
      REQUIRE(variant == "adam");
      ++samples;
      std::fputs("0.004\n", to);
    } else if (text == "done") {
      break;
    } else {
      FAIL("unexpected request '" << text << "'");
    }
    std::fflush(to);
  }
  std::fclose(to);
  std::fclose(from);
  std::string json_text;
  FILE* json_out = fdopen(out[0], "r");
  while (std::size_t got = std::fread(line, 1, sizeof line, json_out)) json_text.append(line, got);
  std::fclose(json_out);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(log == std::vector<std::string>{"flat 333"});
  REQUIRE(samples == 2);
  const json results = json::parse(json_text);
  for (const json& r : results) {
    check_result(r);
    REQUIRE(r["peers"].size() == (r["variant"] == "adam" ? 1u : 0u));
  }
  const json& adam = *std::find_if(results.begin(), results.end(), [](const json& r) { return r["variant"] == "adam"; });
  REQUIRE(adam["peers"][0]["name"] == "fake");
  REQUIRE(close(adam["peers"][0]["ms_per_step"], 4.0));
  REQUIRE(adam["samples_ms"].size() == 4);  // roofline, inertia, baseline, fake
  REQUIRE(adam["round_order"].back() == "fake");
}

TEST_CASE("inertia-bench: paired roofline counters, bad flags exit 2", "[cli][bench]") {
  const std::string exe = INERTIA_BENCH_EXE;
  const run_result r = run(exe, {"--benchmark_filter=^(heavy_ball/f32/inertia|update_3r2w/f32/loop)/L1/ws:4KiB/threads:1/|^threshold/heavy_ball/f32/n:1024/threads:1/",
                                 "--benchmark_min_time=0.01", "--benchmark_repetitions=2", "--benchmark_format=json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  // Google Benchmark writes the coefficient of variation of a constant counter as a bare NaN.
  std::string text = r.out;
  for (std::size_t at; (at = text.find(": NaN")) != std::string::npos;) text.replace(at, 5, ": null");
  const json doc = json::parse(text);
  int paired = 0, threshold = 0;
  for (const json& b : doc.at("benchmarks")) {
    INFO(b.dump());
    const std::string name = b.at("name");
    if (name.rfind("threshold/", 0) == 0) {
      ++threshold;
      REQUIRE(!b.contains("pct_of_roofline"));
      continue;
    }
    if (b.at("run_type") != "iteration") continue;
    if (name.find("/ws:4KiB/") == std::string::npos) continue;
    ++paired;
    // bytes/s x seconds per call = the bytes one call must move (5 floats per element).
    const double elements = b.at("elements"), seconds = b.at("real_time").get<double>() * 1e-6;
    REQUIRE(close(b.at("bytes_per_second").get<double>() * seconds, elements * 20, 1e-6));
    REQUIRE(b.at("roofline_pairs").get<double>() >= 1);
    REQUIRE(b.at("roofline_gbps").get<double>() > 0);
    const double pct = b.at("pct_of_roofline"), q1 = b.at("pct_of_roofline_q1"), q3 = b.at("pct_of_roofline_q3");
    REQUIRE(q1 <= pct);
    REQUIRE(pct <= q3);
    REQUIRE(pct > 0);
    REQUIRE(b.at("roofline_spread_pct").get<double>() >= 0);
  }
  REQUIRE(paired == 4);  // the kernel and a roofline row, two repetitions each, each with its own pairs
  REQUIRE(threshold >= 1);
  expect_usage_error(exe, {"--inertia_sizes=huge"}, "--inertia_sizes=huge");
  expect_usage_error(exe, {"--frobnicate"}, "--frobnicate");
}

TEST_CASE("inertia-bench: storage rows on request, counted per stream width, bad --inertia_dtypes exit 2",
          "[cli][bench]") {
  const std::string exe = INERTIA_BENCH_EXE;
  const std::string suffix = "/L1/ws:4KiB/threads:1/real_time";
  const auto listed = [&](const std::vector<std::string>& args) {
    const run_result r = run(exe, args);
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::vector<std::string> names;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) names.push_back(line);
    return names;
  };
  const auto has = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  // The default is the old suite: f32 and f64, no storage row.
  const std::vector<std::string> plain = listed({"--benchmark_list_tests", "--benchmark_filter=^heavy_ball/"});
  REQUIRE(has(plain, "heavy_ball/f32/inertia" + suffix));
  for (const std::string& name : plain) REQUIRE(name.find("bf16") == std::string::npos);
  const std::vector<std::string> half =
      listed({"--inertia_dtypes=bf16,bf16+master_f32", "--benchmark_list_tests", "--benchmark_filter=^(heavy_ball|param:)"});
  REQUIRE(has(half, "heavy_ball/bf16/inertia" + suffix));
  REQUIRE(has(half, "heavy_ball/bf16+master_f32/inertia" + suffix));
  REQUIRE(has(half, "param:rw2_grad:r2_state0:rw2/mixed/loop" + suffix));
  REQUIRE(has(half, "param:w2_grad:r2_state0:rw4_master:rw4/mixed/prefetch" + suffix));
  REQUIRE(!has(half, "heavy_ball/f32/inertia" + suffix));  // f32 not listed: no f32 rows
  REQUIRE(!has(half, "heavy_ball/f16/inertia" + suffix));

  // One storage row and its pattern's roofline row, run: bf16 heavy_ball moves
  // w, g, v read and w, v written, 2 bytes each (10 per element), in 6 bytes.
  const run_result r = run(exe, {"--inertia_dtypes=bf16",
                                 "--benchmark_filter=^(heavy_ball/bf16/inertia|param:rw2_grad:r2_state0:rw2/mixed/loop)/L1/ws:4KiB/threads:1/",
                                 "--benchmark_min_time=0.01", "--benchmark_format=json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::string text = r.out;
  for (std::size_t at; (at = text.find(": NaN")) != std::string::npos;) text.replace(at, 5, ": null");
  const json doc = json::parse(text);
  int rows = 0;
  for (const json& b : doc.at("benchmarks")) {
    INFO(b.dump());
    ++rows;
    const double elements = b.at("elements"), seconds = b.at("real_time").get<double>() * 1e-6;
    REQUIRE(elements == 4096 / 6);
    REQUIRE(b.at("bytes_per_element").get<double>() == 10);
    REQUIRE(b.at("working_set_bytes").get<double>() == elements * 6);
    REQUIRE(close(b.at("bytes_per_second").get<double>() * seconds, elements * 10, 1e-6));
    REQUIRE(b.at("label") == "param:rw2_grad:r2_state0:rw2");
    const double pct = b.at("pct_of_roofline"), q1 = b.at("pct_of_roofline_q1"), q3 = b.at("pct_of_roofline_q3");
    REQUIRE(q1 <= pct);
    REQUIRE(pct <= q3);
    REQUIRE(pct > 0);
    REQUIRE(b.at("roofline_pairs").get<double>() >= 1);
  }
  REQUIRE(rows == 2);

  expect_usage_error(exe, {"--inertia_dtypes=f8"}, "'f8'");
  expect_usage_error(exe, {"--inertia_dtypes="}, "--inertia_dtypes");
  expect_usage_error(exe, {"--inertia_dtypes=bf16,,f32"}, "--inertia_dtypes");
  expect_usage_error(exe, {"--inertia_dtypes=bf16+master_f64"}, "bf16+master_f64");
}

#ifdef INERTIA_CHECK_EXE  // lib/check, built when INERTIA_BUILD_TOOLS is on
TEST_CASE("inertia-check: bad input is one line, exit 2", "[cli][check]") {
  const std::string exe = INERTIA_CHECK_EXE;
  const std::string good = std::string(INERTIA_TEST_DATA) + "/sutskever_float32.json";
  expect_usage_error(exe, {}, "trajectory");
  expect_usage_error(exe, {scratch("missing.json").string()}, "missing.json");
  expect_usage_error(exe, {write_file("broken.json", "{\"format\": ").string()}, "broken.json");
  expect_usage_error(exe, {good, "--arch", "mmx"}, "--arch");
  expect_usage_error(exe, {good, "--variant", "no_such_variant"}, "no_such_variant");
  expect_usage_error(exe, {good, "--max-rel", "-1"}, "--max-rel");
  expect_usage_error(exe, {good, "--threads", "-1"}, "--threads");
  expect_usage_error(exe, {good, "--no-such-option"}, "--no-such-option");
  expect_usage_error(exe, {good, "--case", "nope"}, "nope");
}
#endif
