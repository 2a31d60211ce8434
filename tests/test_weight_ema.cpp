// weight_ema (Polyak averaging of the weights) against its reference
// everywhere, both roundings, through the warm-up; 100-update trajectories;
// the multi-tensor call; decays 0 and 1; golden updates from torch;
// validation.
#include <cmath>

#include <catch2/catch.hpp>

#include "inertia/weight_ema.hpp"
#include "multi_tensor_support.hpp"
#include "reference/weight_ema.hpp"
#include "small_golden.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

constexpr auto lerp = weight_ema_rounding::torch_lerp;
constexpr auto mul_add = weight_ema_rounding::mul_add;

struct weight_ema_case {
  weight_ema_options options;
  std::int64_t updates;
};

/// Lerp weights below 0.5, at it (0.5 takes the second branch, as in torch)
/// and above it; the warm-up at its start and later.
std::vector<weight_ema_case> all_cases() {
  return {{{}, 0},
          {{0.9, false, lerp}, 5},
          {{0.5, false, lerp}, 0},
          {{0.999, true, lerp}, 0},
          {{0.999, true, lerp}, 3},
          {{0.999, true, mul_add}, 7},
          {{0.9999, false, mul_add}, 0}};
}

std::string describe(const weight_ema_case& c) {
  return "weight_ema decay " + std::to_string(c.options.decay) + " warmup " + std::to_string(c.options.warmup) +
         (c.options.rounding == lerp ? " torch_lerp" : " mul_add") + " updates " + std::to_string(c.updates);
}

template <class T>
void step_library(buffers<T>& b, const weight_ema_case& c, const execution& exec) {
  weight_ema_step(b[0], std::span<const T>(b[1]), c.options, c.updates + 1, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const weight_ema_case& c) {
  reference::weight_ema(b[0].data(), b[1].data(), b.size(), c.options, c.updates);
}

}  // namespace

TEMPLATE_TEST_CASE("weight_ema matches the reference bit for bit on every target, thread count and block size",
                   "[weight_ema]", float, double) {
  require_sweep_matches<TestType>(2, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("weight_ema 100-update trajectories through the warm-up stay bit-identical", "[weight_ema]", float,
                   double) {
  // With warm-up the lerp weight 1 - decay_t falls from 0.9 through 0.5 (at
  // t = 8) to below it, so both of torch's branches run.
  const std::vector<weight_ema_case> cases = {{{0.999, true, lerp}, 0}, {{0.99, true, mul_add}, 0}};
  require_trajectories_match<TestType>(
      2, 1, cases,
      [](weight_ema_case c, int step) {
        c.updates = step - 1;
        return c;
      },
      step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("multi-tensor weight_ema equals updating each tensor alone, bit for bit",
                   "[weight_ema][multi_tensor]", float, double) {
  using T = TestType;
  require_groups_match_tensors_alone<T, weight_ema_tensor<T>>(
      2, 1, weight_ema_options{0.999, true, lerp}, weight_ema_options{0.99, false, mul_add},
      [](std::span<weight_ema_group<T>> g, const execution& e) { weight_ema_step(g, {}, e); },
      [](buffers<T>& b) { return weight_ema_tensor<T>{b[0], b[1]}; },
      [](buffers<T>& b, const weight_ema_options& o, std::int64_t updates) { step_reference(b, {o, updates}); });
}

TEMPLATE_TEST_CASE("weight_ema with decay 0 copies the parameters and with decay 1 keeps the average",
                   "[weight_ema]", float, double) {
  using T = TestType;
  for (auto rounding : {lerp, mul_add}) {
    auto data = random_buffers<T>(2, 1003, 1, 9);
    auto before = data.clone();
    weight_ema_step(data[0], std::span<const T>(data[1]), {1.0, false, rounding}, 1);
    REQUIRE(bitwise_equal<T>(data[0], before[0]));
    weight_ema_step(data[0], std::span<const T>(data[1]), {0.0, false, rounding}, 1);
    REQUIRE(bitwise_equal<T>(data[0], data[1]));
  }
}

TEST_CASE("weight_ema's warm-up only ever lowers the decay", "[weight_ema]") {
  // min(decay, (1 + t) / (10 + t)): a decay below 0.1 is never changed, and
  // a long-running average (t = 10^6) uses its decay as given.
  for (auto [decay, updates] : {std::pair{0.05, 0}, {0.9999, 1000000}}) {
    auto warm = random_buffers<double>(2, 100, 0, 3);
    auto plain = warm.clone();
    weight_ema_step(warm[0], std::span<const double>(warm[1]), {decay, true, lerp}, updates + 1);
    weight_ema_step(plain[0], std::span<const double>(plain[1]), {decay, false, lerp}, updates + 1);
    REQUIRE(bitwise_equal<double>(warm[0], plain[0]));
  }
}

namespace {

// Recorded by `scripts/golden_momentum_family.py torch` on torch 1.13 (CPU
// capability AVX2; with ATEN_CPU_CAPABILITY=default torch's lerp rounds
// weight * diff on its own and differs): ema.lerp_(param, 1 - decay_t) and
// ema.copy_(decay_t * ema + (1 - decay_t) * param), 3 updates of 16 elements,
// the average starting at `initial`, t = 0, 1, 2. The options, in order:
const std::vector<weight_ema_options> golden_options = {
    {0.999, true, lerp}, {0.9, false, lerp}, {0.3, false, lerp}, {0.999, true, mul_add}, {0.9, false, mul_add}};

const std::vector<small_golden> torch_golden = {
  // weight_ema {'decay': 0.999, 'warmup': True, 'rounding': 'torch_lerp'}
  {{-0x1.6p+9, 0x1.1ap-15, -0x1.6cp+0, -0x1.c8p-1, 0x1.86p-1, -0x1.66p-1, -0x1.96p-2, 0x1.3ep+0, 0x1.32p-4,
    -0x1.4ap-2, 0x1.76p+0, 0x1.3ep+0, 0x1.0ap-2, 0x1.12p+0, -0x1.0ap-3, 0x1.e2p+0},
   {{0x1.24p-2, -0x1.d6p-2, 0x1.9ep+10, -0x1.16p-21, 0x0p+0, -0x1.22p-1, -0x1.2cp-1, -0x1.34p-3, 0x1.ap+0,
     0x1.9cp-1, -0x1.52p-1, -0x1.04p-1, -0x1.b8p-2, 0x1.18p-1, -0x1.88p-6, 0x1.58p-4},
    {-0x1.12p-1, 0x1.9cp-8, 0x1.8cp+10, 0x1.12p-17, 0x0p+0, -0x1.32p-2, -0x1.88p-2, -0x1.acp-2, 0x1.3ap-1,
     -0x1.e4p-4, 0x1.5ap-1, 0x1.c8p-2, 0x1.f4p-2, 0x1.7ap-2, 0x1.52p-1, -0x1.2ep-1},
    {0x1.2ep+0, -0x1.d4p-5, -0x1.8ep+8, -0x1.1cp-19, 0x0p+0, 0x1.36p-2, 0x1.28p-5, -0x1.1ap-1, -0x1.d2p-2,
     0x1.2ap-1, -0x1.0ap-3, 0x1.88p+0, -0x1.e2p-3, 0x1.9cp-1, 0x1.e2p-3, 0x1.36p-2}},
   {{-0x1.34de4ap+1, -0x1.ee4868p-5, 0x1.74f4b8p+6, -0x1.094e1ap-8, 0x1.c5d17cp-9, 0x1.1ddac4p-3, -0x1.3b4a78p-4,
     -0x1.ff104ap-2, -0x1.314p-3, 0x1.c67588p-2, 0x1.4f0ep-6, 0x1.39720ap+0, -0x1.7d12ap-4, 0x1.699ac4p-1,
     0x1.3d6a78p-2, 0x1.e4f208p-4},  // float32
    {}},
   {{-0x1.34de4129e412bp+1, -0x1.ee4868253c826p-5, 0x1.74f4ba2e8ba3p+6, -0x1.094e15bed61bfp-8,
     0x1.c5d1745d1745ep-9, 0x1.1ddac37dac37ep-3, -0x1.3b4a7904a7905p-4, -0x1.ff104a7904a79p-2, -0x1.314p-3,
     0x1.c67586fb586fcp-2, 0x1.4f0df6b0df6a8p-6, 0x1.3972094f2094fp+0, -0x1.7d129e4129e42p-4, 0x1.699ac37dac37ep-1,
     0x1.3d6a7904a7904p-2, 0x1.e4f2094f2095p-4},  // float64
    {}}},
  // weight_ema {'decay': 0.9, 'warmup': False, 'rounding': 'torch_lerp'}
  {{0x1.0cp+10, 0x1.2ep-14, 0x1.68p-2, 0x1p+1, -0x1.92p-2, 0x1.cp+0, 0x1.acp-1, 0x1.f2p-1, 0x1.76p+0, -0x1.bap-1,
    -0x1.2p+0, 0x1.52p-1, -0x1.26p+1, 0x1.9ep-1, 0x1.cap-1, 0x1.2ap-1},
   {{0x1.6p-2, -0x1.1ap-2, -0x1.ap+7, -0x1.fcp-17, 0x0p+0, -0x1.e8p-4, -0x1.0ap-5, -0x1.26p-2, 0x1.7cp-1,
     -0x1.54p+0, 0x1.2ap-3, 0x1.34p-2, 0x1.82p-5, 0x1.66p-1, -0x1.04p+0, 0x1.98p-3},
    {0x1.68p-4, 0x1.5cp-2, -0x1.3ap+10, 0x1.3ap-18, 0x0p+0, -0x1.36p-1, 0x1.a2p-1, 0x1.2ep-5, 0x1.76p-6, 0x1.56p-2,
     0x1.56p+0, 0x1.62p-2, 0x1.76p-3, -0x1.d2p-1, -0x1.44p-1, 0x1.d6p-3},
    {-0x1.84p-2, -0x1.8ep-5, -0x1.44p+7, -0x1.14p-16, 0x0p+0, -0x1.14p-4, 0x1.b4p-2, 0x1.acp-5, -0x1.9ap-3,
     -0x1.5ep-2, 0x1.88p-3, 0x1.34p-3, 0x1.dap-2, 0x1.4cp-3, -0x1.9p-1, 0x1.12p-2}},
   {{0x1.86be3p+9, 0x1.c74394p-9, -0x1.23a9d6p+7, 0x1.753f54p+0, -0x1.250ed8p-2, 0x1.34724cp+0, 0x1.7215dcp-1,
     0x1.63823ep-1, 0x1.1b6fdcp+0, -0x1.7b6872p-1, -0x1.56827p-1, 0x1.1a8188p-1, -0x1.9b9e12p+0, 0x1.2929fcp-1,
     0x1.bd3438p-2, 0x1.f38ed8p-2},  // float32
    {}},
   {{0x1.86be30c49ba5ep+9, 0x1.c743916872af8p-9, -0x1.23a9d60418936p+7, 0x1.753f53d1a9fcp+0, -0x1.250ed916872bp-2,
     0x1.34724dd2f1aa1p+0, 0x1.7215db22d0e57p-1, 0x1.63823d70a3d71p-1, 0x1.1b6fdb22d0e57p+0, -0x1.7b6872b020c4ap-1,
     -0x1.56826e978d4fep-1, 0x1.1a8189374bc6bp-1, -0x1.9b9e10624dd2fp+0, 0x1.2929fbe76c8b4p-1, 0x1.bd34395810627p-2,
     0x1.f38ed916872bp-2},  // float64
    {}}},
  // weight_ema {'decay': 0.3, 'warmup': False, 'rounding': 'torch_lerp'}
  {{-0x1.72p+9, -0x1.42p-15, 0x1.3ep+0, -0x1.a4p-1, 0x1.38p+1, -0x1.cp+0, -0x1.16p+0, 0x1.12p-3, -0x1.dep-2,
    -0x1.56p-1, -0x1.12p-1, -0x1.26p-4, 0x1.4ap-1, 0x1.08p-1, 0x1p-3, -0x1.dep+0},
   {{-0x1.56p+0, -0x1.a6p-5, -0x1.76p+8, 0x1.9cp-20, 0x0p+0, -0x1.42p-1, -0x1.3ep-2, -0x1.0cp-1, 0x1.84p-2,
     -0x1.98p-2, -0x1.fcp-4, 0x1.cp-3, 0x1.7p-2, -0x1.58p-3, -0x1.46p-2, -0x1.48p+0},
    {-0x1.dcp-2, -0x1.0ap-2, -0x1.28p+9, -0x1.ecp-18, 0x0p+0, 0x1.74p-1, -0x1.5p-6, -0x1.5cp-10, -0x1.72p-2,
     0x1.b4p-2, -0x1.ecp-1, 0x1.dap-1, -0x1.cap-7, -0x1.76p-4, -0x1.eap-2, 0x1.2cp-1},
    {-0x1.fcp-1, -0x1.aap-2, -0x1.2ep+9, 0x1.fcp-19, 0x0p+0, 0x1.86p-4, -0x1.86p-3, 0x1.6ep-5, 0x1.5p+0, 0x1.56p-2,
     -0x1.4cp-2, 0x1.b4p-5, 0x1.1ap-1, 0x1.b8p-3, 0x1.86p-4, -0x1.3ep-2}},
   {{-0x1.4db376p+4, -0x1.656262p-2, -0x1.1d53p+9, -0x1.6adc3cp-6, 0x1.0d916cp-4, 0x1.0f1168p-3, -0x1.7def9ep-3,
     0x1.aba77cp-10, 0x1.b551a8p-1, 0x1.1ec9bap-2, -0x1.cdd646p-2, 0x1.f2b70ap-3, 0x1.b0cc62p-2, 0x1.1391ecp-3,
     -0x1.9ddb26p-5, -0x1.cdc29p-3},  // float32
    {}},
   {{-0x1.4db374bc6a7f2p+4, -0x1.6562623958106p-2, -0x1.1d5300c49ba5ep+9, -0x1.6adc382d0e563p-6,
     0x1.0d916872b020ep-4, 0x1.0f116872b020bp-3, -0x1.7def9db22d0e6p-3, 0x1.aba7ef9db22c9p-10, 0x1.b551a9fbe76c8p-1,
     0x1.1ec9ba5e353f8p-2, -0x1.cdd645a1cac08p-2, 0x1.f2b70a3d70a3ep-3, 0x1.b0cc624dd2f1ap-2, 0x1.1391eb851eb85p-3,
     -0x1.9ddb22d0e5607p-5, -0x1.cdc28f5c28f5dp-3},  // float64
    {}}},
  // weight_ema {'decay': 0.999, 'warmup': True, 'rounding': 'mul_add'}
  {{0x1.06p+8, 0x1.5cp-13, 0x1.58p+0, 0x1.cp-3, -0x1.12p+0, 0x1p+1, -0x1p-1, -0x1.2p+0, 0x1.5ap-1, -0x1.a2p+0,
    -0x1.dap-1, 0x1.ap-2, 0x1.eep-4, -0x1.d2p-1, -0x1.1ep+0, 0x1.5cp-1},
   {{0x1.26p-4, -0x1.dap-4, 0x1.ep+9, 0x1.7p-18, 0x0p+0, -0x1.48p+0, 0x1.16p-1, -0x1.3cp-1, -0x1.7ep-1, 0x1.06p-6,
     -0x1.1cp-4, -0x1.7ep-2, -0x1.2ep-1, -0x1.22p-2, 0x1.18p-1, -0x1.06p-1},
    {0x1.92p-2, -0x1.2p-2, 0x1.b2p+4, 0x1.d2p-17, 0x0p+0, 0x1.48p-2, -0x1.26p-2, 0x1.5p-2, -0x1.56p-1, 0x1.fp-2,
     0x1.fp-3, -0x1.f6p-3, -0x1.46p-3, 0x1.fep-5, 0x1.eep-4, 0x1.92p-2},
    {-0x1.14p-2, 0x1.0ep+0, -0x1.6ep+8, -0x1.b6p-20, 0x0p+0, 0x1.eep-2, 0x1.ccp-2, 0x1.22p-1, -0x1.7ap-2,
     -0x1.bap-3, 0x1.cp-3, 0x1.3ep-3, -0x1.42p-6, 0x1.28p-1, 0x1.44p-9, -0x1.acp-3}},
   {{0x1.126e68p+0, 0x1.751f3ap-1, -0x1.cb5882p+7, 0x1.052322p-10, -0x1.3ed61cp-8, 0x1.893a2ep-2, 0x1.314826p-2,
     0x1.d8a2e8p-2, -0x1.c384a8p-2, -0x1.1ce6fcp-4, 0x1.a706fcp-3, 0x1.b161cp-5, -0x1.22545cp-4, 0x1.b8f094p-2,
     0x1.66f37ep-5, -0x1.822e8cp-4},  // float32
    {}},
   {{0x1.126e666666668p+0, 0x1.751f39e4129e4p-1, -0x1.cb588253c8254p+7, 0x1.05232129e412bp-10,
     -0x1.3ed61bed61beep-8, 0x1.893a2e8ba2e8bp-2, 0x1.3148253c8253dp-2, 0x1.d8a2e8ba2e8bap-2, -0x1.c384a7904a79p-2,
     -0x1.1ce6fb586fb59p-4, 0x1.a706fb586fb58p-3, 0x1.b161bed61bed6p-5, -0x1.22545d1745d17p-4, 0x1.b8f094f2094f2p-2,
     0x1.66f37dac37dacp-5, -0x1.822e8ba2e8ba4p-4},  // float64
    {}}},
  // weight_ema {'decay': 0.9, 'warmup': False, 'rounding': 'mul_add'}
  {{-0x1.d2p+10, 0x1.24p-13, -0x1.1p-3, 0x1.4ap-1, -0x1.0ap+0, -0x1.cp+0, 0x1.cap-1, 0x1.e2p-3, -0x1.42p-3,
    0x1.7ep-3, 0x1.bep+0, -0x1.fp-4, -0x1.b2p-2, 0x1.4cp-3, 0x1.96p-1, -0x1.0ap+0},
   {{0x1.48p-2, 0x1.5cp-2, 0x1.92p+6, 0x1.4ap-18, 0x0p+0, 0x1.e4p-4, -0x1.56p-1, -0x1.d8p-1, -0x1.d4p-3,
     -0x1.3cp-1, -0x1.4ap-2, -0x1.44p-1, -0x1.22p-1, -0x1.a4p-2, 0x1.b4p-2, 0x1.7cp-1},
    {0x1.36p-3, -0x1.8cp-3, -0x1.0ap+11, -0x1.0ap-18, 0x0p+0, 0x1.1p-2, -0x1.36p-1, -0x1.cap-1, 0x1.2p-1,
     -0x1.18p-1, 0x1.0cp-4, -0x1.6ap+0, -0x1.dep-1, 0x1.16p-1, -0x1.4cp-3, 0x1.4ep+0},
    {-0x1.c6p-1, -0x1.86p-3, 0x1.48p+6, -0x1.eap-21, 0x0p+0, 0x1.66p-2, -0x1.b4p-2, 0x1.22p-4, -0x1.0cp-1,
     -0x1.38p-1, -0x1.c8p-3, 0x1.64p-1, -0x1.e2p-2, 0x1.d6p-2, -0x1.16p-4, 0x1.52p-2}},
   {{-0x1.53b9ecp+10, -0x1.20e5e6p-7, -0x1.5e8d7ap+7, 0x1.e123cep-2, -0x1.83d3f6p-1, -0x1.35125cp+0, 0x1.007adep-1,
     0x1.808f56p-6, -0x1.142a7cp-3, -0x1.8c0c5p-6, 0x1.3a424cp+0, -0x1.940208p-3, -0x1.f19b2p-2, 0x1.701168p-3,
     0x1.2eafdep-1, -0x1.18072ap-1},  // float32
    {}},
   {{-0x1.53b9ed374bc6bp+10, -0x1.20e5df3b645a2p-7, -0x1.5e8d79db22d0ep+7, 0x1.e123d3b47ae15p-2,
     -0x1.83d3f7ced9169p-1, -0x1.35125e353f7cfp+0, 0x1.007ae147ae147p-1, 0x1.808f5c28f5c34p-6,
     -0x1.142a7ef9db22ep-3, -0x1.8c0c49ba5e348p-6, 0x1.3a424dd2f1aa1p+0, -0x1.94020c49ba5e2p-3,
     -0x1.f19b22d0e5604p-2, 0x1.70116872b020cp-3, 0x1.2eafdf3b645a3p-1, -0x1.18072b020c49dp-1},  // float64
    {}}},
};

}  // namespace

TEMPLATE_TEST_CASE("weight_ema reproduces torch's lerp_ and timm's ModelEmaV2 update bit for bit",
                   "[weight_ema][golden]", float, double) {
  using T = TestType;
  require_golden<T>(torch_golden,
                    [](std::size_t c, std::span<T> average, std::span<T>, std::span<const T> param,
                       std::int64_t updates, const execution& exec) {
                      weight_ema_step(average, param, golden_options[c], updates + 1, {}, exec);
                    },
                    "weight_ema");
}

TEST_CASE("weight_ema rejects bad calls before writing anything", "[weight_ema][validation]") {
  auto data = random_buffers<float>(2, 20, 2, 8);
  auto call = [&](weight_ema_options o, std::int64_t updates, std::span<float> e, std::span<const float> w) {
    return [=] { weight_ema_step(e, w, o, updates + 1); };
  };
  const std::span<const float> param(data[1]);
  require_rejected(data, "decay", error_kind::hyperparameter, call({1.5, false, lerp}, 0, data[0], param));
  require_rejected(data, "decay", error_kind::hyperparameter, call({-0.1, false, lerp}, 0, data[0], param));
  require_rejected(data, "decay", error_kind::hyperparameter, call({NAN, false, lerp}, 0, data[0], param));
  require_rejected(data, "step", error_kind::hyperparameter, call({0.9, true, lerp}, -1, data[0], param));
  require_rejected(data, "param", error_kind::length, call({}, 0, data[0], param.first(3)));
  require_rejected(data, "average", error_kind::overlap, call({}, 0, data[0], std::span<const float>(data[0])));

  std::vector<weight_ema_tensor<float>> tensors = {{data[0].first(10), param.first(10)},
                                                   {data[0].last(10), std::span<const float>(data[0]).first(10)}};
  std::vector<weight_ema_group<float>> groups = {{{}, tensors, 0}};
  require_rejected(data, "param", error_kind::overlap, [&] { weight_ema_step(std::span(groups)); });
  REQUIRE(groups[0].step == 0);
}
