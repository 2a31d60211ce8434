// Tests of the inertia-check executable (lib/check), run as a user runs it:
// golden trajectories pass at --max-ulp 0, a copy with one element moved by
// 1 ULP fails and names that step, malformed input exits 2, and the .npy
// directory layout replays like the JSON it was made from; for every variant
// the library's registry has a golden file of, through the generic call.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "check_tool_support.hpp"

namespace {

using namespace inertia::check_tool_test;

/// The float32 value of a JSON number moved one ULP up, as the exact double.
json one_ulp_up(const json& value) {
  const float x = static_cast<float>(value.get<double>());
  return static_cast<double>(std::nextafter(x, INFINITY));
}

/// The first case of a trajectory file with `name`, alone in a new document.
json single_case(const std::string& file, const std::string& name) {
  json doc = load(data(file));
  json kept = json::array();
  for (const auto& c : doc["cases"])
    if (c["name"] == name) kept.push_back(c);
  REQUIRE(kept.size() == 1);
  doc["cases"] = kept;
  return doc;
}

}  // namespace

TEST_CASE("golden trajectories pass at --max-ulp 0", "[check-tool]") {
  for (const char* file : {"heavy_ball_float32.json", "heavy_ball_float64.json", "sutskever_float32.json",
                           "sutskever_float64.json"}) {
    const auto r = run({data(file)});
    INFO(file << "\n" << r.output);
    REQUIRE(r.status == 0);
    REQUIRE(r.output.find("PASS") != std::string::npos);
  }
  // The fused recordings replay with the fused numerics, and not without them.
  REQUIRE(run({data("heavy_ball_fused_float32.json"), "--numerics", "pytorch_fused"}).status == 0);
  REQUIRE(run({data("heavy_ball_fused_float32.json")}).status == 1);
  // Every target and a thread count that splits the 37 elements.
  for (const char* arch : {"scalar", "sse2", "avx2", "avx512f", "avx512bf16"}) {
    const auto r = run({data("sutskever_float64.json"), "--arch", arch, "--threads", "3"});
    INFO(arch << "\n" << r.output);
    REQUIRE((r.status == 0 || (r.status == 2 && r.output.find("not supported") != std::string::npos)));
  }
  // Optax without bias correction follows the documented order.
  REQUIRE(run({data("ema_float64.json"), "--case", "beta0.9_bias_correction0", "--case", "beta0.999_bias_correction0"})
              .status == 0);
}

TEST_CASE("the tolerance is the measured distance, to the ULP", "[check-tool]") {
  // ema_xla_float32.json, beta 0.999 with bias correction: under jax.jit XLA
  // fuses multiply-adds the library rounds apart; tests/test_framework_golden.cpp
  // pins the free-running distance at 560 ULP (max relative error 3.75e-5).
  const std::vector<std::string> args = {data("ema_xla_float32.json"), "--case", "beta0.999_bias_correction1"};
  auto with = [&](std::vector<std::string> extra) {
    auto a = args;
    a.insert(a.end(), extra.begin(), extra.end());
    return run(a);
  };
  REQUIRE(with({}).status == 1);
  REQUIRE(with({"--max-ulp", "559"}).status == 1);
  REQUIRE(with({"--max-ulp", "560"}).status == 0);
  REQUIRE(with({"--max-rel", "3e-5"}).status == 1);
  REQUIRE(with({"--max-rel", "4e-5"}).status == 0);
  const auto report = json::parse(with({"--json"}).output);
  REQUIRE(report["cases"][0]["max_ulp"] == 560);
  REQUIRE(report["passed"] == false);
}

TEST_CASE("a copy with one parameter element 1 ULP off fails at that step", "[check-tool]") {
  json doc = single_case("sutskever_float32.json", "mu0.9_nesterov1");
  auto& element = doc["cases"][0]["steps"][6]["param"][11];  // step 7, element 11
  element = one_ulp_up(element);
  const fs::path path = scratch("perturbed_param.json");
  save(doc, path);

  const auto text = run({path.string()});
  INFO(text.output);
  REQUIRE(text.status == 1);
  REQUIRE(text.output.find("first at step 7: param[11]") != std::string::npos);
  REQUIRE(text.output.find("1 ULP") != std::string::npos);

  const auto r = run({path.string(), "--json"}, false);
  REQUIRE(r.status == 1);
  const json report = json::parse(r.output);
  REQUIRE(report["passed"] == false);
  const json& c = report["cases"][0];
  REQUIRE(c["first_failing_step"] == 7);
  REQUIRE(c["max_ulp"] == 1);
  for (const auto& step : c["steps"]) {
    const bool perturbed = step["step"] == 7;
    INFO("step " << step["step"]);
    REQUIRE(step["passed"] == !perturbed);
    REQUIRE(step["param"]["max_ulp"] == (perturbed ? 1 : 0));
    REQUIRE(step["state"]["max_ulp"] == 0);  // free-running: the library never sees the recorded value
    if (perturbed) {
      REQUIRE(step["param"]["worst_index"] == 11);
      REQUIRE(step["param"]["out_of_tolerance"] == 1);
    }
  }
  // One ULP is within --max-ulp 1.
  REQUIRE(run({path.string(), "--max-ulp", "1"}).status == 0);
}

TEST_CASE("a copy with one state element 1 ULP off fails at that step", "[check-tool]") {
  json doc = single_case("ema_float64.json", "beta0.9_bias_correction0");
  auto& element = doc["cases"][0]["steps"][19]["velocity"][0];  // step 20, element 0
  element = [&] {
    const double x = element.get<double>();
    return std::nextafter(x, -INFINITY);
  }();
  const fs::path path = scratch("perturbed_state.json");
  save(doc, path);
  const auto r = run({path.string(), "--json"}, false);
  REQUIRE(r.status == 1);
  const json report = json::parse(r.output);
  const json& c = report["cases"][0];
  REQUIRE(c["first_failing_step"] == 20);
  REQUIRE(c["steps"][19]["state"]["max_ulp"] == 1);
  REQUIRE(c["steps"][19]["state"]["worst_index"] == 0);
  REQUIRE(c["steps"][19]["param"]["max_ulp"] == 0);
  REQUIRE(run({path.string(), "--brief"}).output.find("first at step 20: velocity[0]") != std::string::npos);
}

TEST_CASE("malformed input exits 2 with a message", "[check-tool]") {
  std::ifstream in(data("sutskever_float32.json"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  auto expect_input_error = [](const fs::path& path, const std::string& message, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {path.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run(args);
    INFO(path << ": " << r.output);
    REQUIRE(r.status == 2);
    REQUIRE(r.output.find(message) != std::string::npos);
  };

  const fs::path truncated = scratch("truncated.json");
  save_text(text.substr(0, text.size() / 2), truncated);
  expect_input_error(truncated, "not valid JSON");

  json doc = load(data("sutskever_float32.json"));
  doc["cases"][1]["steps"][3]["grad"].erase(5);
  const fs::path short_grad = scratch("short_grad.json");
  save(doc, short_grad);
  expect_input_error(short_grad, "steps[3].grad: 36 elements, expected 37");

  doc = load(data("sutskever_float32.json"));
  doc["format"] = "something-else";
  const fs::path wrong_format = scratch("wrong_format.json");
  save(doc, wrong_format);
  expect_input_error(wrong_format, "\"format\" must be \"inertia-trajectory\"");

  doc = load(data("sutskever_float32.json"));
  doc["cases"][0]["variant"] = "no_such_variant";
  const fs::path unknown_variant = scratch("unknown_variant.json");
  save(doc, unknown_variant);
  expect_input_error(unknown_variant, "unknown variant 'no_such_variant'");

  doc = load(data("sutskever_float32.json"));
  doc["cases"][0]["hyperparameters"]["momentun"] = 0.9;
  const fs::path typo = scratch("typo.json");
  save(doc, typo);
  expect_input_error(typo, "momentun: not a hyperparameter of sutskever");

  doc = load(data("sutskever_float32.json"));
  doc["cases"][2]["steps"][0]["param"][2] = "1.5";
  const fs::path string_number = scratch("string_number.json");
  save(doc, string_number);
  expect_input_error(string_number, "expected a number");

  doc = load(data("sutskever_float32.json"));
  doc["cases"][1]["hyperparameters"]["momentum"] = 1.5;  // the library rejects it
  const fs::path bad_momentum = scratch("bad_momentum.json");
  save(doc, bad_momentum);
  expect_input_error(bad_momentum, "the library rejects it");

  expect_input_error(scratch("does_not_exist.json"), "no such file");
  expect_input_error(data("sutskever_float32.json"), "no case named 'nope'", {"--case", "nope"});
  REQUIRE(run({data("sutskever_float32.json"), "--arch", "mmx"}).status == 2);
  REQUIRE(run({data("sutskever_float32.json"), "--no-such-option"}).status == 2);
  REQUIRE(run({}).status == 2);
  REQUIRE(run({"--help"}).status == 0);
  REQUIRE(run({"--help"}).output.find("inertia-trajectory") != std::string::npos);
}

TEST_CASE("the .npy directory layout replays like the JSON it came from", "[check-tool]") {
  const json doc = single_case("sutskever_float32.json", "mu0.9_nesterov1");
  const json& c = doc["cases"][0];
  const std::size_t n = c["initial"]["param"].size(), steps = c["steps"].size();
  std::vector<float> param0, grads, params, state;
  for (const auto& x : c["initial"]["param"]) param0.push_back(x.get<float>());
  for (const auto& s : c["steps"]) {
    for (const auto& x : s["grad"]) grads.push_back(x.get<float>());
    for (const auto& x : s["param"]) params.push_back(x.get<float>());
    for (const auto& x : s["velocity"]) state.push_back(x.get<float>());
  }
  std::vector<double> lr;
  for (const auto& x : c["lr"]) lr.push_back(x.get<double>());

  const fs::path dir = scratch("npy_case");
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_npy(dir / "param0.npy", {n}, param0);
  write_npy(dir / "grads.npy", {steps, n}, grads, 2);  // format 2.0 too
  write_npy(dir / "params.npy", {steps, n}, params);
  write_npy(dir / "state.npy", {steps, 1, n}, state);  // any trailing shape with n elements
  write_npy(dir / "lr.npy", {steps}, lr);

  const std::vector<std::string> args = {dir.string(), "--variant", "sutskever", "--momentum", "0.9", "--nesterov",
                                         "true"};
  auto r = run(args);
  INFO(r.output);
  REQUIRE(r.status == 0);

  // Without the variant, or with the wrong hyperparameters.
  REQUIRE(run({dir.string()}).status == 2);
  REQUIRE(run({dir.string(), "--variant", "sutskever", "--momentum", "0.9"}).status == 1);

  // One recorded state element 1 ULP off.
  state[5 * n + 3] = std::nextafter(state[5 * n + 3], INFINITY);
  write_npy(dir / "state.npy", {steps, n}, state);
  r = run([&] { auto a = args; a.push_back("--json"); return a; }(), false);
  REQUIRE(r.status == 1);
  REQUIRE(json::parse(r.output)["cases"][0]["first_failing_step"] == 6);

  // Malformed: big-endian data, mismatched shapes, mixed dtypes.
  write_npy(dir / "state.npy", {steps, n}, state, 1, ">f4");
  REQUIRE(run(args).status == 2);
  fs::remove(dir / "state.npy");
  REQUIRE(run(args).status == 0);
  write_npy(dir / "params.npy", {steps - 1, n}, std::vector<float>(params.begin(), params.end() - static_cast<std::ptrdiff_t>(n)));
  REQUIRE(run(args).output.find("23 steps, expected 24") != std::string::npos);
  write_npy(dir / "params.npy", {steps, n}, std::vector<double>(params.begin(), params.end()));
  REQUIRE(run(args).output.find("dtype float64, but param0.npy is float32") != std::string::npos);
}

// ---- Every variant through the registry -------------------------------------

namespace {

/// The float32 or float64 value of a JSON number moved one ULP up.
json one_ulp_up(const json& value, bool float32) {
  if (float32) return one_ulp_up(value);
  return std::nextafter(value.get<double>(), INFINITY);
}


}  // namespace

TEST_CASE("Schedule-Free and AdEMAMix replay through the registry", "[check-tool][registry]") {
  // schedulefree on torch 2.15, no eval() swaps, initial.z recorded (scripts/golden_schedule_free.py): 0 ULP,
  // lr_max and weight_sum compared as scalar state.
  const auto sf = run({data("schedule_free_check_tool.json"), "--json"}, false);
  INFO(sf.output);
  REQUIRE(sf.status == 0);
  const json report = json::parse(sf.output);
  REQUIRE(report["cases"].size() == 4);
  for (const auto& c : report["cases"])
    for (const auto& step : c["steps"]) {
      REQUIRE(step["states"]["weight_sum"]["max_ulp"] == 0);
      REQUIRE(step["states"]["z"]["max_ulp"] == 0);
    }
  // Optax's AdEMAMix and Simplified AdEMAMix (scripts/golden_ademamix.py,
  // golden_simplified_ademamix.py), free-running: 0 ULP.
  for (const char* file : {"ademamix_float32.json", "ademamix_float64.json", "simplified_ademamix_float32.json",
                           "simplified_ademamix_float64.json"}) {
    const auto r = run({data(file)});
    INFO(file << "\n" << r.output);
    REQUIRE(r.status == 0);
    REQUIRE(r.output.find("PASS: 3 of 3") != std::string::npos);
  }
}

TEST_CASE("the registry's variants replay their framework goldens at --max-ulp 0", "[check-tool][registry]") {
  // torch.optim.Adam, AdamW, NAdam and Adagrad (scripts/golden_adam.py,
  // golden_adagrad.py): the tool had no way to replay these before it
  // stepped through the registry.
  for (const char* file : {"adam_float32.json", "adam_float64.json", "adamw_float32.json", "adamw_float64.json",
                           "nadam_float32.json", "nadam_float64.json", "adagrad_float32.json", "adagrad_float64.json"}) {
    const auto r = run({data(file)});
    INFO(file << "\n" << r.output);
    REQUIRE(r.status == 0);
    REQUIRE(r.output.find("PASS") != std::string::npos);
  }
  // QHM, AggMo, weight EMA (torch) and Lion (Optax): the C++ tests' small
  // goldens, 3 steps with the last one recorded (scripts/small_golden_trajectories.py).
  for (const char* file : {"qhm_small.json", "aggmo_small.json", "lion_small.json", "weight_ema_small.json"}) {
    const auto r = run({data(file), "--json"}, false);
    INFO(file << "\n" << r.output);
    REQUIRE(r.status == 0);
    const json report = json::parse(r.output);  // kept: a range-for over a temporary's member dangles
    for (const auto& c : report["cases"]) {
      const json& last = c["steps"][2];
      for (const auto& state : c["state_names"]) REQUIRE(last["states"][state.get<std::string>()]["max_ulp"] == 0);
      REQUIRE(last["param"].is_null() == (c["variant"] == "weight_ema"));  // weight_ema has no param of its own
    }
  }
  // Every state buffer is compared, under the library's names, and NAdam's mu_product too.
  const json adam = json::parse(run({data("adam_float32.json"), "--json", "--case", "maximize_amsgrad"}, false).output);
  REQUIRE(adam["cases"][0]["state_names"] == json({"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}));
  for (const auto& step : adam["cases"][0]["steps"])
    for (const char* state : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) REQUIRE(step["states"][state]["max_ulp"] == 0);
  const json nadam = json::parse(run({data("nadam_float64.json"), "--json", "--case", "wd0.01"}, false).output);
  for (const auto& step : nadam["cases"][0]["steps"]) REQUIRE(step["states"]["mu_product"]["max_ulp"] == 0);
  // beta1 and beta2, as the golden files write them, are the library's betas.
  const json betas = json::parse(
      run({data("adamw_float64.json"), "--json", "--case", "wd0.01_amsgrad_betas0.8,0.99_eps1e-6"}, false).output);
  REQUIRE(betas["cases"][0]["hyperparameters"]["betas"] == json({0.8, 0.99}));
  REQUIRE(!betas["cases"][0]["hyperparameters"].contains("beta1"));
}

TEST_CASE("a state buffer of any variant 1 ULP off fails at that step, named", "[check-tool][registry]") {
  struct perturbation {
    const char* file;
    const char* case_name;
    const char* key;  // what is moved: "param", a state buffer's name, or "mu_product"
    std::size_t step, element;
  };
  for (const perturbation& p : std::vector<perturbation>{
           {"adam_float32.json", "maximize_amsgrad", "exp_avg_sq", 4, 3},
           {"adam_float64.json", "wd0.01_maximize_amsgrad_betas0.8,0.99_eps1e-3", "max_exp_avg_sq", 9, 30},
           {"adamw_float64.json", "wd0.1_maximize", "param", 15, 0},
           {"adamw_float32.json", "wd0.01", "exp_avg", 0, 36},
           {"nadam_float32.json", "psi0.04_betas0.8,0.99_eps1e-6", "mu_product", 7, 0},
           {"nadam_float64.json", "defaults", "exp_avg_sq", 11, 12},
           {"adagrad_float32.json", "initial_accumulator_value 0.1, eps 1e-6, maximize", "sum", 2, 5},
           {"adagrad_float64.json", "lr_decay 0.05, weight_decay 0.01", "param", 13, 20},
           {"rmsprop_small.json", "centered_momentum0.5_wd0.01", "grad_avg", 3, 5},
           {"rmsprop_small.json", "centered_momentum0.5_wd0.01", "momentum_buffer", 6, 36},
           // no initial square_avg: the tool fills it with initial_scale, as Optax starts it
           {"rmsprop_small.json", "initial_scale0.1_momentum0.9", "square_avg", 1, 2}}) {
    INFO(p.file << " case '" << p.case_name << "': " << p.key << " at step " << p.step + 1 << "[" << p.element << "]");
    json doc = single_case(p.file, p.case_name);
    const bool float32 = doc["cases"][0]["dtype"] == "float32";
    json& recorded = doc["cases"][0]["steps"][p.step][p.key];
    json& element = recorded.is_array() ? recorded[p.element] : recorded;
    element = one_ulp_up(element, float32);

    const json report = report_of(doc, "perturbed_registry.json", 1);
    const json& c = report["cases"][0];
    REQUIRE(c["first_failing_step"] == p.step + 1);
    REQUIRE(c["max_ulp"] == 1);
    for (const auto& step : c["steps"]) REQUIRE(step["passed"] == (step["step"] != p.step + 1));
    const json& failing = c["steps"][p.step];
    const bool param = std::string(p.key) == "param";
    const json& moved = param ? failing["param"] : failing["states"][p.key];
    REQUIRE(moved["max_ulp"] == 1);
    REQUIRE(moved["worst_index"] == (recorded.is_array() ? p.element : 0));
    REQUIRE(moved["out_of_tolerance"] == 1);
    if (!param) REQUIRE(failing["state_name"] == p.key);
    // The table names the array and element, and 1 ULP is within --max-ulp 1.
    const fs::path path = scratch("perturbed_registry.json");
    REQUIRE(run({path.string(), "--brief"}).output.find("first at step " + std::to_string(p.step + 1) + ": " + p.key +
                                                         "[" + std::to_string(recorded.is_array() ? p.element : 0) +
                                                         "]") != std::string::npos);
    REQUIRE(run({path.string(), "--max-ulp", "1"}).status == 0);
  }
}

TEST_CASE("AggMo's velocities and weight EMA's average are judged like any state", "[check-tool][registry]") {
  // AggMo: velocities[k], recorded as an array of arrays or one by one.
  json doc = single_case("aggmo_small.json", "1_float64: lr 0.03, betas [0.5, 0.999], weight_decay 0.01");
  json& velocity = doc["cases"][0]["steps"][2]["velocities"][1][7];
  velocity = one_ulp_up(velocity, false);
  json report = report_of(doc, "perturbed_aggmo.json", 1);
  REQUIRE(report["cases"][0]["state_names"] == json({"velocities[0]", "velocities[1]"}));
  REQUIRE(report["cases"][0]["steps"][2]["state_name"] == "velocities[1]");
  REQUIRE(report["cases"][0]["steps"][2]["states"]["velocities[1]"]["worst_index"] == 7);
  REQUIRE(report["cases"][0]["steps"][2]["states"]["velocities[0]"]["max_ulp"] == 0);
  json& last = doc["cases"][0]["steps"][2];
  last["velocities[0]"] = last["velocities"][0];
  last["velocities[1]"] = last["velocities"][1];
  last.erase("velocities");
  REQUIRE(report_of(doc, "perturbed_aggmo.json", 1)["cases"][0]["steps"][2]["state_name"] == "velocities[1]");

  // weight_ema: the step reads "weights"; "average" is its state.
  doc = single_case("weight_ema_small.json", "3_float32: decay 0.999, warmup True, rounding mul_add");
  json& average = doc["cases"][0]["steps"][2]["average"][15];
  average = one_ulp_up(average, true);
  report = report_of(doc, "perturbed_weight_ema.json", 1);
  REQUIRE(report["cases"][0]["first_failing_step"] == 3);
  REQUIRE(report["cases"][0]["steps"][2]["states"]["average"]["worst_index"] == 15);
  // The warm-up reads t: one update before the recording moves every value.
  doc = single_case("weight_ema_small.json", "3_float32: decay 0.999, warmup True, rounding mul_add");
  doc["cases"][0]["initial"]["step"] = 1;
  report_of(doc, "shifted_weight_ema.json", 1);
  // Without its average, or with a gradient instead of weights, it is unusable input.
  doc = single_case("weight_ema_small.json", "3_float32: decay 0.999, warmup True, rounding mul_add");
  doc["cases"][0]["initial"].erase("average");
  save(doc, scratch("bad_weight_ema.json"));
  REQUIRE(run({scratch("bad_weight_ema.json").string()}).output.find("weight_ema needs initial.average") !=
          std::string::npos);
  doc = single_case("weight_ema_small.json", "3_float32: decay 0.999, warmup True, rounding mul_add");
  doc["cases"][0]["steps"][1]["grad"] = doc["cases"][0]["steps"][1]["weights"];
  doc["cases"][0]["steps"][1].erase("weights");
  save(doc, scratch("bad_weight_ema.json"));
  const auto r = run({scratch("bad_weight_ema.json").string()});
  REQUIRE(r.status == 2);
  REQUIRE(r.output.find("steps[1]: missing \"weights\"") != std::string::npos);
}

TEST_CASE("the command line sets any key by the library's name with --set, and the shorthands still work", "[check-tool][registry]") {
  const std::string adam = data("adam_float32.json");
  // The recorded betas, given again, change nothing; other betas fail the replay.
  REQUIRE(run({adam, "--case", "defaults", "--set", "betas=0.9,0.999"}).status == 0);
  REQUIRE(run({adam, "--case", "defaults", "--set", "betas=0.8,0.999"}).status == 1);
  REQUIRE(run({adam, "--case", "defaults", "--set", "beta2=0.99"}).status == 1);
  REQUIRE(run({adam, "--case", "defaults", "--set", "amsgrad=false", "--set", "eps=1e-8"}).status == 0);
  REQUIRE(run({adam, "--case", "defaults", "--set", "amsgrad=true"}).status == 1);
  // A string key, as the shorthand and as --set.
  const std::string fused = data("heavy_ball_fused_float64.json");
  REQUIRE(run({fused, "--set", "numerics=pytorch_fused"}).status == 0);
  REQUIRE(run({fused, "--numerics", "pytorch_fused"}).status == 0);
  REQUIRE(run({fused, "--set", "numerics=pytorch_loop"}).status == 1);
}

TEST_CASE("an unknown variant, key or kind of value is one line and exit 2", "[check-tool][registry]") {
  auto expect_one_line = [](const std::vector<std::string>& args, const std::string& message) {
    const auto r = run(args);
    INFO(r.output);
    REQUIRE(r.status == 2);
    REQUIRE(r.output.find(message) != std::string::npos);
    REQUIRE(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  };
  const std::string adam = data("adam_float32.json");
  expect_one_line({adam, "--variant", "no_such_variant"}, "unknown variant 'no_such_variant'");
  expect_one_line({adam, "--set", "betaz=0.9"}, "--set betaz: not a hyperparameter of adam");
  expect_one_line({adam, "--set", "betas=0.9"}, "the library rejects it");          // an array of 1, not 2
  expect_one_line({adam, "--set", "amsgrad=maybe"}, "--set amsgrad = \"maybe\"");  // a string for a flag
  expect_one_line({adam, "--set", "eps=-1"}, "the library rejects it");
  expect_one_line({adam, "--set", "eps"}, "expected key=value");
  expect_one_line({adam, "--set", "betas=0.9,x"}, "'x' is not a number");
  expect_one_line({adam, "--momentum", "0.9"}, "--momentum: not a hyperparameter of adam");

  json doc = single_case("adam_float32.json", "defaults");
  doc["cases"][0]["hyperparameters"]["betas"] = 0.9;  // a number for an array
  save(doc, scratch("wrong_kind.json"));
  expect_one_line({scratch("wrong_kind.json").string()}, "hyperparameters.betas = 0.9: the library rejects it");
  doc = single_case("adam_float32.json", "defaults");
  doc["cases"][0]["hyperparameters"]["eps"] = json::array({1e-8});  // an array for a number
  save(doc, scratch("wrong_kind.json"));
  expect_one_line({scratch("wrong_kind.json").string()}, "hyperparameters.eps = [1e-08]: the library rejects it");
  doc = single_case("adam_float32.json", "defaults");
  doc["cases"][0]["hyperparameters"]["amsgrad"] = nullptr;
  save(doc, scratch("wrong_kind.json"));
  expect_one_line({scratch("wrong_kind.json").string()}, "hyperparameters.amsgrad: expected a number, true/false");
  doc = single_case("adam_float32.json", "defaults");
  doc["cases"][0]["hyperparameters"]["momentum"] = 0.9;
  save(doc, scratch("wrong_kind.json"));
  expect_one_line({scratch("wrong_kind.json").string()}, "hyperparameters.momentum: not a hyperparameter of adam");
  doc = single_case("adam_float32.json", "defaults");
  doc["cases"][0]["lr"][3] = -1.0;
  save(doc, scratch("wrong_kind.json"));
  expect_one_line({scratch("wrong_kind.json").string()}, "lr[3] = -1: the library rejects it");
}

namespace {

/// The case with its first `skipped` steps taken as the initial state: each
/// recorded state buffer and scalar of that step becomes initial, and, when
/// `with_step`, initial.step says how many steps that was.
json resumed(json doc, std::size_t skipped, bool with_step) {
  json& c = doc["cases"][0];
  const json last = c["steps"][skipped - 1];
  for (const auto& [key, value] : last.items())
    if (key != "grad") c["initial"][key] = value;
  if (with_step) c["initial"]["step"] = skipped;
  c["steps"].erase(c["steps"].begin(), c["steps"].begin() + static_cast<std::ptrdiff_t>(skipped));
  if (c["lr"].is_array()) c["lr"].erase(c["lr"].begin(), c["lr"].begin() + static_cast<std::ptrdiff_t>(skipped));
  return doc;
}

}  // namespace

TEST_CASE("a recording that starts mid-run counts t from its initial step", "[check-tool][registry]") {
  // Adam's bias correction and NAdam's mu_product read t: resumed after 5
  // steps, the replay matches only when told so.
  for (const auto& [file, name] : {std::pair{"adam_float32.json", "maximize_amsgrad"}, std::pair{"nadam_float64.json", "wd0.01"},
                                   std::pair{"adagrad_float32.json", "lr_decay 0.05, weight_decay 0.01"}}) {
    INFO(file << " " << name);
    const json doc = single_case(file, name);
    const json with_step = report_of(resumed(doc, 5, true), "resumed.json", 0);
    REQUIRE(with_step["cases"][0]["first_t"] == 6);
    REQUIRE(with_step["cases"][0]["steps"][0]["t"] == 6);
    report_of(resumed(doc, 5, false), "resumed.json", 1);
  }
  // heavy_ball: a recorded buffer without a step count replays from t = 2, as
  // the tool always did; t = 1 would overwrite the buffer with the gradient.
  const json heavy_ball = single_case("heavy_ball_float32.json", "mu0.9_damp0_wd0.01_nesterov1_maximize0");
  for (bool with_step : {false, true}) {
    const json report = report_of(resumed(heavy_ball, 1, with_step), "resumed.json", 0);
    REQUIRE(report["cases"][0]["first_t"] == 2);
  }
  REQUIRE(report_of(resumed(heavy_ball, 4, true), "resumed.json", 0)["cases"][0]["first_t"] == 5);
  // A step count without the buffer it implies cannot be replayed.
  json no_buffer = resumed(heavy_ball, 4, true);
  no_buffer["cases"][0]["initial"].erase("momentum_buffer");
  save(no_buffer, scratch("resumed.json"));
  const auto r = run({scratch("resumed.json").string()});
  REQUIRE(r.status == 2);
  REQUIRE(r.output.find("record it as initial.momentum_buffer") != std::string::npos);
}

TEST_CASE("the .npy layout reads each state buffer as <name>.npy", "[check-tool][registry]") {
  const json doc = single_case("adam_float32.json", "maximize_amsgrad");
  const json& c = doc["cases"][0];
  const std::size_t n = c["initial"]["param"].size(), steps = c["steps"].size();
  auto stacked = [&](const char* key) {
    std::vector<float> out;
    for (const auto& s : c["steps"])
      for (const auto& x : s[key]) out.push_back(x.get<float>());
    return out;
  };
  std::vector<float> param0;
  for (const auto& x : c["initial"]["param"]) param0.push_back(x.get<float>());
  std::vector<double> lr;
  for (const auto& x : c["lr"]) lr.push_back(x.get<double>());
  const fs::path dir = scratch("npy_adam");
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_npy(dir / "param0.npy", {n}, param0);
  write_npy(dir / "grads.npy", {steps, n}, stacked("grad"));
  write_npy(dir / "params.npy", {steps, n}, stacked("param"));
  write_npy(dir / "exp_avg.npy", {steps, n}, stacked("exp_avg"));
  write_npy(dir / "exp_avg_sq.npy", {steps, n}, stacked("exp_avg_sq"));
  std::vector<float> max_exp_avg_sq = stacked("max_exp_avg_sq");
  write_npy(dir / "max_exp_avg_sq.npy", {steps, n}, max_exp_avg_sq);
  write_npy(dir / "lr.npy", {steps}, lr);

  // recorded from torch 1.13 (scripts/golden_adam.py): its order, by name
  const std::vector<std::string> args = {dir.string(), "--variant", "adam", "--set", "amsgrad=true", "--maximize", "true",
                                         "--set", "numerics=pytorch_1_13"};
  auto r = run(args);
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto with_json = [&] {
    auto a = args;
    a.push_back("--json");
    return a;
  };
  const json report = json::parse(run(with_json(), false).output);
  REQUIRE(report["cases"][0]["steps"][0]["states"].size() == 3);
  REQUIRE(run({dir.string(), "--variant", "adam", "--set", "maximize=true"}).status == 1);  // amsgrad off

  max_exp_avg_sq[9 * n + 2] = std::nextafter(max_exp_avg_sq[9 * n + 2], INFINITY);
  write_npy(dir / "max_exp_avg_sq.npy", {steps, n}, max_exp_avg_sq);
  r = run(with_json(), false);
  REQUIRE(r.status == 1);
  REQUIRE(json::parse(r.output)["cases"][0]["steps"][9]["state_name"] == "max_exp_avg_sq");

  // weight_ema reads weights.npy and average0.npy instead.
  const auto missing = run({dir.string(), "--variant", "weight_ema"});
  REQUIRE(missing.status == 2);
  REQUIRE(missing.output.find("needs average0.npy for weight_ema") != std::string::npos);
}

TEST_CASE("the report: per-step histogram, first divergence, and a hint only where the pattern matches", "[check-tool][report]") {
  // adam's "defaults" case, float32, 37 elements (37 % 8 = 37 % 16 = 5): the
  // recorded param of step 5 moved by 1 ULP in a chosen set of elements, so
  // the distances have exactly the pattern a cause would give.
  const std::size_t n = 37, step = 4;  // 0-based: step 5
  auto perturbed = [&](auto chosen) {
    json doc = single_case("adam_float32.json", "defaults");
    json& param = doc["cases"][0]["steps"][step]["param"];
    REQUIRE(param.size() == n);
    for (std::size_t i = 0; i < n; ++i)
      if (chosen(i)) param[i] = one_ulp_up(param[i]);
    return doc;
  };
  auto hints_of = [](const json& report) {
    std::string all;
    for (const auto& h : report["cases"][0]["hints"]) all += h.get<std::string>() + "\n";
    return all;
  };
  const std::string tail_hint = "only elements among the last 5 (n % 8 = n % 16 = 5, n = 37) differ", contraction_hint = "multiply-add contraction";

  SECTION("a passing replay: every value in bucket 0, no divergence, no hint") {
    const json report = report_of(single_case("adam_float32.json", "defaults"), "report_pass.json", 0);
    const json& c = report["cases"][0];
    REQUIRE(c["first_divergence"].is_null());
    REQUIRE(c["hints"].empty());
    for (const auto& s : c["steps"]) REQUIRE(s["histogram"]["0"] == 3 * n);  // param, exp_avg, exp_avg_sq
    REQUIRE(c["histogram"]["0"] == 16 * 3 * n);
    const auto text = run({scratch("report_pass.json").string()});
    REQUIRE(text.output.find("ULP histogram over 1776 compared values: 0: 1776, 1: 0") != std::string::npos);
    REQUIRE(text.output.find("first divergence") == std::string::npos);
  }
  SECTION("only the last n % 16 elements differ: the fused-tail hint, not the contraction one") {
    const json report = report_of(perturbed([&](std::size_t i) { return i >= n - 5; }), "report_tail.json", 1);
    const json& c = report["cases"][0];
    REQUIRE(c["first_divergence"]["step"] == step + 1);
    REQUIRE(c["first_divergence"]["array"] == "param");
    REQUIRE(c["first_divergence"]["element"] == n - 5);
    REQUIRE(c["first_divergence"]["ulp"] == 1);
    REQUIRE(c["steps"][step]["histogram"]["1"] == 5);
    REQUIRE(c["steps"][step]["histogram"]["0"] == 3 * n - 5);
    REQUIRE(c["steps"][step]["param"]["differing"] == 5);
    const std::string hints = hints_of(report);
    INFO(hints);
    REQUIRE(hints.find(tail_hint) != std::string::npos);
    REQUIRE(hints.find("fused") != std::string::npos);
    REQUIRE(hints.find(contraction_hint) == std::string::npos);
    // The numerics modes the registry has for adam, but the one replayed.
    REQUIRE(hints.find("the variant also has pytorch_loop, pytorch_foreach, pytorch_fused") != std::string::npos);
    const auto text = run({scratch("report_tail.json").string()});
    REQUIRE(text.output.find("first divergence: step 5, param[32]") != std::string::npos);
    REQUIRE(text.output.find("hint: at step 5") != std::string::npos);
  }
  SECTION("a scalar state off at the same step does not hide a tensor's tail") {
    json doc = single_case("nadam_float32.json", "defaults");
    json& at = doc["cases"][0]["steps"][step];
    at["mu_product"] = one_ulp_up(at["mu_product"]);
    for (std::size_t i = n - 5; i < n; ++i) at["exp_avg"][i] = one_ulp_up(at["exp_avg"][i]);
    const json report = report_of(doc, "report_tail_scalar.json", 1);
    REQUIRE(report["cases"][0]["first_divergence"]["array"] == "exp_avg");
    REQUIRE(hints_of(report).find(tail_hint) != std::string::npos);
  }
  SECTION("every other element 1 ULP off: the contraction hint, not the tail one") {
    const json report = report_of(perturbed([](std::size_t i) { return i % 2 == 0; }), "report_spread.json", 1);
    const std::string hints = hints_of(report);
    INFO(hints);
    REQUIRE(report["cases"][0]["first_divergence"]["element"] == 0);
    REQUIRE(report["cases"][0]["steps"][step]["param"]["differing"] == 19);
    REQUIRE(hints.find(contraction_hint) != std::string::npos);
    REQUIRE(hints.find("19 of 37 elements differ, by at most 1 ULP") != std::string::npos);
    REQUIRE(hints.find(tail_hint) == std::string::npos);
  }
  SECTION("one element, or a tail far off: no hint claims a cause") {
    REQUIRE(hints_of(report_of(perturbed([](std::size_t i) { return i == 11; }), "report_one.json", 1)).empty());
    // Half the elements off by 64 ULP is no contraction.
    json doc = single_case("adam_float32.json", "defaults");
    json& param = doc["cases"][0]["steps"][step]["param"];
    for (std::size_t i = 0; i < n; i += 2) {
      float x = static_cast<float>(param[i].get<double>());
      for (int k = 0; k < 64; ++k) x = std::nextafter(x, INFINITY);
      param[i] = static_cast<double>(x);
    }
    const json report = report_of(doc, "report_far.json", 1);
    REQUIRE(report["cases"][0]["steps"][step]["histogram"]["16-255"] == 19);
    REQUIRE(hints_of(report).empty());
  }
}

TEST_CASE("--help lists every variant's keys, numerics modes and buffers from the registry", "[check-tool][registry]") {
  const auto r = run({"--help"});
  REQUIRE(r.status == 0);
  for (const char* text : {"numerics=pytorch_loop (pytorch_loop|pytorch_foreach|pytorch_fused|pytorch_1_13)",
                           "betas=[0.9, 0.999]", "sum (starts at initial_accumulator_value)",
                           "momentum_buffer (created by step 1) (not with the defaults)", "mu_product=1 (scalar state)",
                           "weight_ema (reads the model's weights, no gradient)", "max_exp_avg_sq (not with the defaults)"}) {
    INFO(text);
    REQUIRE(r.output.find(text) != std::string::npos);
  }
}
