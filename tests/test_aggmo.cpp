// aggmo (the authors' PyTorch AggMo) against its reference everywhere, with 1
// to 5 velocities; 100-step trajectories; the multi-tensor call; one velocity
// is heavy ball; golden steps from torch; validation.
#include <algorithm>
#include <cmath>
#include <deque>

#include <catch2/catch.hpp>

#include "inertia/aggmo.hpp"
#include "inertia/heavy_ball.hpp"
#include "multi_tensor_support.hpp"
#include "reference/aggmo.hpp"
#include "small_golden.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

const double one_beta[] = {0.5};
const double five_betas[] = {0.9, 0.99, 0.999, 0.5, 0.0};
const double other_betas[] = {0.5, 0.25, 0.999};

/// Buffers: param, grad, then up to five velocities.
constexpr std::size_t streams = 7;

std::vector<aggmo_options> all_cases() {
  return {{}, {0.1, one_beta, 0.0}, {0.03, five_betas, 1e-3}};
}

/// The state over many steps: the defaults and five velocities with decay
/// (the sweep covers every case's single step).
std::vector<aggmo_options> trajectory_cases() { return {{}, {0.03, five_betas, 1e-3}}; }

std::string describe(const aggmo_options& o) {
  std::string betas;
  for (double beta : o.betas) betas += " " + std::to_string(beta);
  return "aggmo lr " + std::to_string(o.lr) + " betas" + betas + " wd " + std::to_string(o.weight_decay);
}

/// Views of buffers 2 .. 2 + K as the K velocities.
template <class T>
std::vector<std::span<T>> velocities_of(buffers<T>& b, std::size_t count) {
  std::vector<std::span<T>> out;
  for (std::size_t k = 0; k < count; ++k) out.push_back(b[2 + k]);
  return out;
}

template <class T>
void step_library(buffers<T>& b, const aggmo_options& o, const execution& exec) {
  const auto velocities = velocities_of(b, o.betas.size());
  aggmo_step(b[0], std::span<const T>(b[1]), std::span<const std::span<T>>(velocities), o, 1, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const aggmo_options& o) {
  std::vector<T*> velocities;
  for (const std::span<T> v : velocities_of(b, o.betas.size())) velocities.push_back(v.data());
  reference::aggmo(b[0].data(), b[1].data(), velocities.data(), b.size(), o);
}

}  // namespace

TEMPLATE_TEST_CASE("aggmo matches the reference bit for bit on every target, thread count and block size", "[aggmo]",
                   float, double) {
  require_sweep_matches<TestType>(streams, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("aggmo 100-step trajectories stay bit-identical", "[aggmo]", float, double) {
  require_trajectories_match<TestType>(streams, 1, trajectory_cases(), [](aggmo_options o, int) { return o; },
                                       step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("multi-tensor aggmo equals stepping each tensor alone, bit for bit", "[aggmo][multi_tensor]", float,
                   double) {
  using T = TestType;
  std::deque<std::vector<std::span<T>>> velocity_lists;  // each tensor's list of spans outlives the calls
  require_groups_match_tensors_alone<T, aggmo_tensor<T>>(
      5, 1, aggmo_options{0.1, aggmo_default_betas, 1e-3}, aggmo_options{0.05, other_betas, 0.0},
      [](std::span<aggmo_group<T>> g, const execution& e) { aggmo_step(g, {}, e); },
      [&](buffers<T>& b) {
        velocity_lists.push_back(velocities_of(b, 3));
        return aggmo_tensor<T>{b[0], b[1], velocity_lists.back()};
      },
      [](buffers<T>& b, const aggmo_options& o, std::int64_t) { step_reference(b, o); });
}

TEST_CASE("aggmo with one velocity is heavy ball, and with the single beta 0 plain SGD, bit for bit", "[aggmo]") {
  // v = beta * v - d is -(beta * buf + d) exactly, PyTorch's first step buf = d
  // is beta * 0 + d, and w = fma(lr, v, w) = fma(-lr, buf, w). With beta 0,
  // heavy_ball keeps no buffer and steps w = fma(-lr, d, w): the same.
  for (double beta : {0.9, 0.0}) {
    INFO("beta " << beta);
    const double betas[] = {beta};
    auto data = random_buffers<double>(3, 1003, 1, 5);
    std::fill(data[2].begin(), data[2].end(), 0.0);
    auto expected = data.clone();
    for (int step = 1; step <= 10; ++step) {
      fill_random<double>(data[1], 70 + step);
      fill_random<double>(expected[1], 70 + step);
      const std::span<double> velocity[] = {data[2]};
      aggmo_step(data[0], std::span<const double>(data[1]), std::span<const std::span<double>>(velocity),
                 {0.05, betas, 0.01}, 1);
      heavy_ball_step(expected[0], std::span<const double>(expected[1]), expected[2], {0.05, beta, 0.0, 0.01},
                      step);
    }
    REQUIRE(bitwise_equal<double>(data[0], expected[0]));
    if (beta != 0.0)
      for (std::size_t i = 0; i < 1003; ++i) REQUIRE(data[2][i] == -expected[2][i]);
  }
}

namespace {

// Recorded by `scripts/golden_momentum_family.py torch`: the authors' AggMo
// ops on torch 1.13 (CPU capability AVX2), 3 steps of 16 elements from zero
// buffers; the state is every velocity in turn, v = -buf. The options of the
// cases, in order:
const double golden_two_betas[] = {0.5, 0.999};
const std::vector<aggmo_options> golden_options = {{0.1, aggmo_default_betas, 0.0}, {0.03, golden_two_betas, 0.01}};

const std::vector<small_golden> torch_golden = {
  // aggmo {'lr': 0.1, 'betas': [0.0, 0.9, 0.99], 'weight_decay': 0.0}
  {{0x1.ccp+10, -0x1.bcp-14, 0x1.6cp-1, -0x1.fcp-3, 0x1.72p-2, -0x1.0ep-5, -0x1.c6p-3, 0x1.e8p-2, -0x1.62p-1,
    0x1.96p-1, 0x1.2cp-4, 0x1.4ep+0, 0x1.b6p-3, 0x1.04p+0, 0x1.eap+0, -0x1.1p-1},
   {{-0x1.bap-2, 0x1.e6p-4, -0x1.4cp+9, -0x1.52p-17, 0x0p+0, 0x1.a6p-2, -0x1.54p-3, -0x1.48p-1, 0x1.cp-4,
     0x1.0ap+0, -0x1.fcp-4, 0x1.12p-3, 0x1.6cp-2, -0x1.4ep-2, 0x1.4cp-4, 0x1.1cp+0},
    {0x1.2cp+0, 0x1.36p-2, 0x1.54p+8, -0x1.1ep-19, 0x0p+0, -0x1.e2p-8, 0x1.b6p-1, -0x1.6cp-3, 0x1.4ap-2,
     -0x1.eep-4, -0x1.48p+0, -0x1.f4p-1, 0x1.a6p-7, 0x1.8cp-2, 0x1.18p+0, 0x1.c8p-1},
    {0x1.1ep-1, 0x1.e4p-2, -0x1.d2p+7, 0x1.74p-18, 0x0p+0, -0x1.26p-1, 0x1.9p-5, 0x1.96p-1, -0x1.eep-3, 0x1.9ap-4,
     -0x1.2ep-3, 0x1.f4p-2, -0x1.ecp-7, -0x1.6p-2, 0x1.98p-6, 0x1.56p-1}},
   {{0x1.cbf65ap+10, -0x1.f85f0ap-4, 0x1.d1c67ap+6, -0x1.fbfeecp-3, 0x1.72p-2, -0x1.0ec1aep-4, -0x1.50ef2p-2,
     0x1.2344ccp-1, -0x1.7d03b8p-1, 0x1.247ad2p-1, 0x1.4c3c2ep-2, 0x1.629fa4p+0, 0x1.12ac0ep-3, 0x1.0f4184p+0,
     0x1.b71a1ep+0, -0x1.fb012ap-1},  // float32
    {-0x1.1ep-1, -0x1.e4p-2, 0x1.d2p+7, -0x1.74p-18, -0x0p+0, 0x1.26p-1, -0x1.9p-5, -0x1.96p-1, 0x1.eep-3,
     -0x1.9ap-4, 0x1.2ep-3, -0x1.f4p-2, 0x1.ecp-7, 0x1.6p-2, -0x1.98p-6, -0x1.56p-1, -0x1.437eb8p+0, -0x1.aeb52p-1,
     0x1.d0d708p+8, 0x1.30428cp-18, -0x0p+0, 0x1.f9ea9p-3, -0x1.5e599ap-1, -0x1.d35c3p-4, -0x1.1970ap-3,
     -0x1.aa985p-1, 0x1.66aae2p+0, 0x1.2107acp-2, -0x1.23557p-2, 0x1.0a23d8p-2, -0x1.132eb8p+0, -0x1.2f1eb8p+1,
     -0x1.4bb2eep+0, -0x1.c6fdb8p-1, 0x1.1197dcp+9, 0x1.b01e1cp-18, -0x0p+0, 0x1.6bb51cp-3, -0x1.774fcp-1,
     0x1.6405p-7, -0x1.7af144p-3, -0x1.ff87dcp-1, 0x1.899692p+0, 0x1.63b9fp-2, -0x1.626fe2p-2, 0x1.1f503cp-2,
     -0x1.2fe97ep+0, -0x1.5188c2p+1}},
   {{0x1.cbf659ec17ebbp+10, -0x1.f85f07dd44135p-4, 0x1.d1c678183f91fp+6, -0x1.fbfeeebb6ed67p-3, 0x1.72p-2,
     -0x1.0ec1af8df7a4fp-4, -0x1.50ef212d77319p-2, 0x1.2344cd7492791p-1, -0x1.7d03b7952d235p-1,
     0x1.247ad4d4024b4p-1, 0x1.4c3c2edbb59dep-2, 0x1.629fa122fad6dp+0, 0x1.12ac0fba8826ap-3, 0x1.0f41859c8c932p+0,
     0x1.b71a230fcf80fp+0, -0x1.fb012ad81adebp-1},  // float64
    {-0x1.1ep-1, -0x1.e4p-2, 0x1.d2p+7, -0x1.74p-18, -0x0p+0, 0x1.26p-1, -0x1.9p-5, -0x1.96p-1, 0x1.eep-3,
     -0x1.9ap-4, 0x1.2ep-3, -0x1.f4p-2, 0x1.ecp-7, 0x1.6p-2, -0x1.98p-6, -0x1.56p-1, -0x1.437eb851eb852p+0,
     -0x1.aeb51eb851eb8p-1, 0x1.d0d70a3d70a3ep+8, 0x1.30428f5c28f5cp-18, -0x0p+0, 0x1.f9ea8f5c28f5cp-3,
     -0x1.5e5999999999ap-1, -0x1.d35c28f5c28f8p-4, -0x1.1970a3d70a3d8p-3, -0x1.aa9851eb851ecp-1,
     0x1.66aae147ae148p+0, 0x1.2107ae147ae16p-2, -0x1.235570a3d70a4p-2, 0x1.0a23d70a3d70ap-2, -0x1.132eb851eb852p+0,
     -0x1.2f1eb851eb852p+1, -0x1.4bb2ee631f8a1p+0, -0x1.c6fdb71758e22p-1, 0x1.1197dbf487fccp+9,
     0x1.b01e1b089a028p-18, -0x0p+0, 0x1.6bb51d14e3bcep-3, -0x1.774fbe76c8b44p-1, 0x1.6404ea4a8c14p-7,
     -0x1.7af141205bc02p-3, -0x1.ff87dbf487fcbp-1, 0x1.899692a305532p+0, 0x1.63b9eecbfb15cp-2,
     -0x1.626fe0ded288dp-2, 0x1.1f503afb7e91p-2, -0x1.2fe97dbf487fdp+0, -0x1.5188c154c985fp+1}}},
  // aggmo {'lr': 0.03, 'betas': [0.5, 0.999], 'weight_decay': 0.01}
  {{-0x1.9p+5, 0x1.9p-13, 0x1.38p+0, 0x1.cp-2, -0x1.74p-1, 0x1.b8p-2, -0x1.6p-1, -0x1.dp-2, -0x1.78p-1, -0x1.82p-1,
    -0x1.aap-1, 0x1.ccp-2, 0x1.cep+0, -0x1.f6p-2, 0x1.c4p-1, -0x1.66p-1},
   {{-0x1.5p-3, 0x1.26p-1, 0x1.26p+8, -0x1.62p-20, 0x0p+0, 0x1.bap-3, 0x1.78p-2, -0x1.2ep-2, -0x1.0ep-3,
     -0x1.6ep-2, 0x1.56p-2, 0x1.0ep-1, 0x1.1p-1, 0x1.06p-1, -0x1.38p-3, 0x1.52p-2},
    {0x1.1ep-3, -0x1.3p-2, -0x1.acp+1, 0x1.f6p-18, 0x0p+0, 0x1.aap-2, 0x1.18p-2, 0x1.6ep-2, 0x1.84p-1, 0x1.08p-2,
     -0x1.5cp-4, -0x1.2ap+0, 0x1.88p-2, -0x1.32p-2, 0x1.d2p-1, -0x1.06p-2},
    {0x1.dep-4, -0x1.2cp-2, 0x1.14p+6, -0x1.94p-16, 0x0p+0, -0x1.fap-5, 0x1.72p-1, -0x1.4ep-2, -0x1.acp-6,
     -0x1.08p-1, -0x1.7cp-2, -0x1.4p-3, -0x1.5ap-2, 0x1.2p-1, -0x1.c8p-5, 0x1.08p-1}},
   {{-0x1.8f60eep+5, -0x1.0b3cb2p-6, -0x1.59a48ap+4, 0x1.bf4fe6p-2, -0x1.736daep-1, 0x1.932326p-2, -0x1.7f4952p-1,
     -0x1.c2fa96p-2, -0x1.8693d4p-1, -0x1.736396p-1, -0x1.ad888ep-1, 0x1.e835fcp-2, 0x1.c11018p+0, -0x1.0ddf7cp-1,
     0x1.b1421cp-1, -0x1.72861ep-1},  // float32
    {0x1.753718p-1, 0x1.314d58p-2, -0x1.194ddcp+7, -0x1.f42036p-8, 0x1.a0687p-7, -0x1.a8d66ap-3, -0x1.e0acbp-1,
     0x1.d50b02p-3, -0x1.3a34a4p-2, 0x1.f4d5bp-2, 0x1.611b3cp-2, 0x1.327b0ap-1, -0x1.1d65ap-6, -0x1.107aa4p-1,
     -0x1.81a30ap-2, -0x1.d4d3d8p-2, 0x1.67c66cp+0, 0x1.14256p-6, -0x1.66ddf4p+8, -0x1.ace6c8p-7, 0x1.64a112p-6,
     -0x1.29e084p-1, -0x1.575efp+0, 0x1.1b8624p-2, -0x1.278bf2p-1, 0x1.46381p-1, 0x1.2ec136p-3, 0x1.8f18d8p-1,
     -0x1.41a8bcp-1, -0x1.84f084p-1, -0x1.74a7e4p-1, -0x1.22f7c8p-1}},
   {{-0x1.8f60ed3d3d44cp+5, -0x1.0b3cb10fb291p-6, -0x1.59a48c43831c4p+4, 0x1.bf4fe4bcfa523p-2,
     -0x1.736dad2df8eeep-1, 0x1.9323272fa19cdp-2, -0x1.7f49529a99bfep-1, -0x1.c2fa97b117ccep-2,
     -0x1.8693d737ff5a9p-1, -0x1.736394cfdee36p-1, -0x1.ad888e37ef0a1p-1, 0x1.e835fd86d0699p-2,
     0x1.c11019a935d5cp+0, -0x1.0ddf7b559a555p-1, 0x1.b1421aeac5325p-1, -0x1.72861e9e6d8e9p-1},  // float64
    {0x1.7537196b0b10ep-1, 0x1.314d593b457b6p-2, -0x1.194ddb745b674p+7, -0x1.f4203555521ebp-8,
     0x1.a0686e0b47f32p-7, -0x1.a8d66b863e7bap-3, -0x1.e0acb107e0a44p-1, 0x1.d50b01fea6c75p-3,
     -0x1.3a34a3b20cb23p-2, 0x1.f4d5afbb2521dp-2, 0x1.611b3a9a6f525p-2, 0x1.327b0a617a3aep-1, -0x1.1d65a6816c4dp-6,
     -0x1.107aa3a52be11p-1, -0x1.81a308a64010dp-2, -0x1.d4d3d7b8bff8cp-2, 0x1.67c66c16a98fcp+0, 0x1.1425734bf4f5p-6,
     -0x1.66ddf47d97442p+8, -0x1.ace6c917b158p-7, 0x1.64a10f8966c4ep-6, -0x1.29e0856f6285dp-1,
     -0x1.575ef028f0afcp+0, 0x1.1b8623b2faa32p-2, -0x1.278bf3baa09bp-1, 0x1.46380fbef7bd9p-1, 0x1.2ec13973700d7p-3,
     0x1.8f18d62e97ba6p-1, -0x1.41a8bbf6e4eeep-1, -0x1.84f0834ae1705p-1, -0x1.74a7e1f95d383p-1,
     -0x1.22f7c81d2ce4fp-1}}},
};

}  // namespace

TEMPLATE_TEST_CASE("aggmo reproduces the authors' PyTorch AggMo bit for bit", "[aggmo][golden]", float, double) {
  using T = TestType;
  // Velocities are compared by value: one that is exactly zero is +0 here and
  // -0 as torch's -buf (+0 - 0 is +0, while -(0 + 0) is -0); every other bit,
  // and every bit of the parameter, must match.
  require_golden<T>(
      torch_golden,
      [](std::size_t c, std::span<T> param, std::span<T> state, std::span<const T> grad, std::int64_t,
         const execution& exec) {
        const aggmo_options& o = golden_options[c];
        std::vector<std::span<T>> velocities;
        for (std::size_t k = 0; k < o.betas.size(); ++k) velocities.push_back(state.subspan(k * param.size(), param.size()));
        aggmo_step(param, grad, std::span<const std::span<T>>(velocities), o, 1, {}, exec);
      },
      "aggmo", zero_sign::ignored);
}

TEST_CASE("aggmo rejects bad calls before writing anything", "[aggmo][validation]") {
  auto data = random_buffers<float>(5, 20, 2, 8);
  std::span<const float> grad(data[1]);
  const auto three = velocities_of(data, 3);
  auto call = [&](aggmo_options o, std::span<float> w, std::span<const float> g, std::vector<std::span<float>> v) {
    return [=] { aggmo_step(w, g, std::span<const std::span<float>>(v), o, 1); };
  };
  const double bad_second[] = {0.0, 1.0, 0.99}, nan_first[] = {NAN, 0.9, 0.99};
  const aggmo_options good{};
  require_rejected(data, "lr", error_kind::hyperparameter, call({-1.0, aggmo_default_betas, 0.0}, data[0], grad, three));
  require_rejected(data, "betas", error_kind::hyperparameter, call({0.1, {}, 0.0}, data[0], grad, {}));
  require_rejected(data, "betas[1]", error_kind::hyperparameter, call({0.1, bad_second, 0.0}, data[0], grad, three));
  require_rejected(data, "betas[0]", error_kind::hyperparameter, call({0.1, nan_first, 0.0}, data[0], grad, three));
  require_rejected(data, "weight_decay", error_kind::hyperparameter,
                   call({0.1, aggmo_default_betas, -1.0}, data[0], grad, three));
  require_rejected(data, "grad", error_kind::length, call(good, data[0], grad.first(3), three));
  require_rejected(data, "param", error_kind::overlap, call(good, data[0], std::span<const float>(data[0]), three));
  require_rejected(data, "velocities", error_kind::length, call(good, data[0], grad, velocities_of(data, 2)));
  require_rejected(data, "velocities[1]", error_kind::length, call(good, data[0], grad, {data[2], data[3].first(5), data[4]}));
  require_rejected(data, "velocities[1]", error_kind::overlap, call(good, data[0], grad, {data[2], data[0], data[4]}));
  require_rejected(data, "velocities[2]", error_kind::overlap, call(good, data[0], grad, {data[2], data[3], data[2]}));

  // Across tensors of one multi-tensor call: the registry names the buffer kind.
  const std::vector<std::span<float>> first = {data[2].first(10), data[3].first(10), data[4].first(10)};
  const std::vector<std::span<float>> second = {data[2].last(10), data[3].last(10), data[4].first(10)};
  std::vector<aggmo_tensor<float>> tensors = {{data[0].first(10), grad.first(10), first},
                                               {data[0].last(10), grad.last(10), second}};
  std::vector<aggmo_group<float>> groups = {{good, tensors, 0}};
  require_rejected(data, "velocities", error_kind::overlap, [&] { aggmo_step(std::span(groups)); });
}
