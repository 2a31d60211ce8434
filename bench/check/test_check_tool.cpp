// Tests of the inertia-check executable (bench/check), run as a user runs it:
// golden trajectories pass at --max-ulp 0, a copy with one element moved by
// 1 ULP fails and names that step, malformed input exits 2, and the .npy
// directory layout replays like the JSON it was made from.
#include <sys/wait.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct run_result {
  int status;
  std::string output;  // stdout and stderr together
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

run_result run(const std::vector<std::string>& args, bool merge_stderr = true) {
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

std::string data(const std::string& name) { return std::string(INERTIA_TEST_DATA) + "/" + name; }

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(INERTIA_CHECK_SCRATCH);
  fs::create_directories(dir);
  return dir / name;
}

json load(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

void save(const json& doc, const fs::path& path) {
  std::ofstream out(path);
  out << doc.dump();  // nlohmann writes doubles in the shortest form that round-trips
  REQUIRE(out.good());
}

void save_text(const std::string& text, const fs::path& path) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

/// The float32 value of a JSON number moved one ULP up, as the exact double.
json one_ulp_up(const json& value) {
  const float x = static_cast<float>(value.get<double>());
  return static_cast<double>(std::nextafter(x, INFINITY));
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
  const std::string descr = descr_override.empty() ? (sizeof(T) == 4 ? "<f4" : "<f8") : descr_override;
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
  for (const char* arch : {"scalar", "sse2", "avx2", "avx512f"}) {
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
  doc["cases"][0]["variant"] = "adam";
  const fs::path unknown_variant = scratch("unknown_variant.json");
  save(doc, unknown_variant);
  expect_input_error(unknown_variant, "unknown variant 'adam'");

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
