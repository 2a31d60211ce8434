// lion (Optax lion) against its reference everywhere; 100-step trajectories;
// the multi-tensor call; beta1 == beta2 without decay is Signum; jnp.sign's
// zeros and NaN on every target; golden steps from Optax; validation.
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "inertia/lion.hpp"
#include "inertia/signum.hpp"
#include "multi_tensor_support.hpp"
#include "reference/lion.hpp"
#include "reference/signum.hpp"
#include "small_golden.hpp"
#include "support.hpp"
#include "validation_support.hpp"

using namespace inertia;
using namespace inertia::test;

namespace {

std::vector<lion_options> all_cases() {
  return {{}, {0.01, 0.9, 0.99, 0.0}, {0.1, 0.5, 0.5, 0.1}, {0.003, 0.0, 0.0, 0.0}};
}

/// The state over many steps: the defaults (with decay) and equal betas (the
/// sweep covers every case's single step).
std::vector<lion_options> trajectory_cases() { return {{}, {0.1, 0.5, 0.5, 0.1}}; }

std::string describe(const lion_options& o) {
  return "lion lr " + std::to_string(o.lr) + " beta1 " + std::to_string(o.beta1) + " beta2 " +
         std::to_string(o.beta2) + " wd " + std::to_string(o.weight_decay);
}

template <class T>
void step_library(buffers<T>& b, const lion_options& o, const execution& exec) {
  lion_step(b[0], std::span<const T>(b[1]), b[2], o, 1, {}, exec);
}

template <class T>
void step_reference(buffers<T>& b, const lion_options& o) {
  reference::lion(b[0].data(), b[1].data(), b[2].data(), b.size(), o);
}

}  // namespace

TEMPLATE_TEST_CASE("lion matches the reference bit for bit on every target, thread count and block size", "[lion]",
                   float, double) {
  require_sweep_matches<TestType>(3, all_cases(), step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("lion 100-step trajectories stay bit-identical", "[lion]", float, double) {
  require_trajectories_match<TestType>(3, 1, trajectory_cases(), [](lion_options o, int) { return o; },
                                       step_library<TestType>, step_reference<TestType>, describe);
}

TEMPLATE_TEST_CASE("multi-tensor lion equals stepping each tensor alone, bit for bit", "[lion][multi_tensor]", float,
                   double) {
  using T = TestType;
  require_groups_match_tensors_alone<T, lion_tensor<T>>(
      3, 1, lion_options{0.01, 0.9, 0.99, 0.1}, lion_options{0.003, 0.95, 0.98, 0.0},
      [](std::span<lion_group<T>> g, const execution& e) { lion_step(g, {}, e); },
      [](buffers<T>& b) { return lion_tensor<T>{b[0], b[1], b[2]}; },
      [](buffers<T>& b, const lion_options& o, std::int64_t) { step_reference(b, o); });
}

TEMPLATE_TEST_CASE("lion with beta1 == beta2 and no weight decay is Signum, bit for bit", "[lion][signum]", float,
                   double) {
  using T = TestType;
  // The two references, written apart from their own equations: Lion's c and
  // new m are then the same expression, and Signum steps along sign(new m).
  for (double beta : {0.9, 0.5, 0.0}) {
    INFO("beta " << beta);
    auto lion_run = random_buffers<T>(3, 1003, 1, 11), signum_run = lion_run.clone(), library = lion_run.clone();
    for (int step = 1; step <= 100; ++step) {
      for (auto* run : {&lion_run, &signum_run, &library}) fill_random<T>((*run)[1], 300 + step);
      reference::lion(lion_run[0].data(), lion_run[1].data(), lion_run[2].data(), 1003, {0.01, beta, beta, 0.0});
      reference::signum(signum_run[0].data(), signum_run[1].data(), signum_run[2].data(), 1003, {0.01, beta});
      lion_step(library[0], std::span<const T>(library[1]), library[2], {0.01, beta, beta, 0.0}, 1);
    }
    for (std::size_t k : {0, 2}) {
      REQUIRE(bitwise_equal<T>(lion_run[k], signum_run[k]));
      REQUIRE(bitwise_equal<T>(library[k], signum_run[k]));
    }
  }
}

TEMPLATE_TEST_CASE("sign keeps +0, -0 and NaN as jnp.sign does, on every target", "[lion][signum]", float, double) {
  using T = TestType;
  constexpr T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  // Signum with beta 0.5 and lr 1: m = 0.5 g + 0.5 m, then w = w + (-1) * sign(m).
  // {g, m, w} before, and w after; m after is checked against the reference.
  struct special {
    T g, m, w, w_after;
  };
  const special specials[] = {
      {T(-0.0), T(-0.0), T(-0.0), T(0.0)},   // m = -0: sign -0, -1 * -0 = +0, and -0 + +0 = +0
      {T(0.0), T(0.0), T(-0.0), T(-0.0)},    // m = +0: sign +0, -1 * +0 = -0, and -0 + -0 = -0
      {T(1), T(-1), T(5), T(5)},             // m = 0.5 - 0.5 = +0: w stays
      {inf, T(0), T(5), T(4)},               // m = inf: sign 1
      {T(-1e-30), T(0), T(5), T(6)},         // tiny but not zero: sign -1
      {nan, T(1), T(1), nan},                // NaN propagates into m and w
  };
  // At the start (peel and first vectors), in the middle and in the tail.
  const std::size_t n = 37, places[] = {0, 1, 2, 3, 4, 5, 17, 18, 19, 20, 21, 22, 31, 32, 33, 34, 35, 36};
  auto initial = random_buffers<T>(3, n, 1, 21);
  for (std::size_t p = 0; p < std::size(places); ++p) {
    const special& s = specials[p % std::size(specials)];
    initial[1][places[p]] = s.g;
    initial[2][places[p]] = s.m;
    initial[0][places[p]] = s.w;
  }
  const signum_options signum{1.0, 0.5};
  auto expected = initial.clone();
  reference::signum(expected[0].data(), expected[1].data(), expected[2].data(), n, signum);
  for (std::size_t p = 0; p < std::size(places); ++p) {
    const T w = expected[0][places[p]], want = specials[p % std::size(specials)].w_after;
    INFO("element " << places[p]);
    REQUIRE((std::isnan(want) ? std::isnan(w) : (w == want && std::signbit(w) == std::signbit(want))));
  }
  require_all_settings_match(
      initial, expected,
      [&](buffers<T>& b, const execution& e) { signum_step(b[0], std::span<const T>(b[1]), b[2], signum, 1, {}, e); },
      "signum specials");
  // Lion with decay and two betas on the same values.
  const lion_options lion{1.0, 0.5, 0.25, 0.5};
  auto expected_lion = initial.clone();
  reference::lion(expected_lion[0].data(), expected_lion[1].data(), expected_lion[2].data(), n, lion);
  require_all_settings_match(
      initial, expected_lion,
      [&](buffers<T>& b, const execution& e) { lion_step(b[0], std::span<const T>(b[1]), b[2], lion, 1, {}, e); },
      "lion specials");
}

namespace {

// Recorded by `/tmp/fw/bin/python scripts/golden_momentum_family.py optax`:
// optax.lion's update and apply_updates run eagerly (jax 0.10.2, optax 0.2.8;
// float32 with jax_enable_x64 off, float64 with it on), 3 steps of 16 elements
// from a zero momentum. The options of the cases, in order:
const std::vector<lion_options> golden_options = {{0.01, 0.9, 0.99, 0.1}, {0.003, 0.9, 0.99, 0.0}, {0.02, 0.5, 0.5, 0.0}};

const std::vector<small_golden> optax_golden = {
  // lion {'lr': 0.01, 'b1': 0.9, 'b2': 0.99, 'weight_decay': 0.1}; under jax.jit these final values of 32 differ: float32 6, float64 3
  {{0x1.46p+10, 0x1.c2p-14, -0x1.bap-2, 0x1.7cp-1, -0x1.eap-2, 0x1.62p+0, 0x1p-3, 0x1.26p+0, -0x1.2cp+1, 0x1.78p-3,
    -0x1.3ep-2, -0x1.2ep-2, 0x1.9ap-2, 0x1.02p+0, 0x1p-1, -0x1.5ep-11},
   {{-0x1.08p-2, 0x1.aap-1, -0x1.a2p+9, 0x1.b6p-17, 0x0p+0, -0x1.a4p-3, 0x1.14p+0, -0x1.8ep-1, 0x1.14p-4,
     0x1.66p-9, 0x1.4cp-2, -0x1.3p-2, 0x1.1ap-2, 0x1.6p-1, 0x1.02p-2, -0x1.e2p-5},
    {0x1.f4p-1, 0x1.28p-2, 0x1.3cp+10, 0x1.fap-20, 0x0p+0, -0x1.2cp-2, 0x1.eep-3, 0x1.4cp-2, -0x1.78p-2, 0x1.bap-3,
     0x1.44p-2, 0x1.3ap-5, 0x1.02p-3, -0x1.92p-2, 0x1.2ap-1, 0x1.0cp+0},
    {-0x1.42p-3, -0x1.0ep-5, 0x1.6p+10, -0x1.1p-16, 0x0p+0, -0x1.5p-2, 0x1.9p-3, -0x1.76p-4, -0x1.1cp-2, 0x1.dap-3,
     0x1.34p-1, -0x1.6cp-2, -0x1.78p-1, 0x1.42p-2, 0x1.acp-1, 0x1.1p+0}},
   {{0x1.450686p+10, -0x1.e946acp-6, -0x1.c2ecfp-2, 0x1.75c1aap-1, -0x1.e8881p-2, 0x1.689c84p+0, 0x1.83b558p-4,
     0x1.27ad24p+0, -0x1.29d1d2p+1, 0x1.397e9cp-3, -0x1.5bbc7ap-2, -0x1.22dd7ap-2, 0x1.8e8fdcp-2, 0x1.fd56b2p-1,
     0x1.dfc6b8p-2, -0x1.5dd118p-7},  // float32
    {0x1.6cf65ap-8, 0x1.5e2ffp-7, 0x1.26664p+4, -0x1.0abecp-26, 0x0p+0, -0x1.0c6c38p-7, 0x1.e87fd4p-7,
     -0x1.5cc976p-8, -0x1.78b66p-8, 0x1.2575cp-8, 0x1.93e398p-7, -0x1.8ec78ap-8, -0x1.bd5074p-9, 0x1.88f778p-8,
     0x1.0fd32ep-6, 0x1.4e6fc8p-6}},
   {{0x1.4506858a89ed6p+10, -0x1.e946ae750bf0ap-6, -0x1.c2ecf1317d72ep-2, 0x1.75c1a99fa11a9p-1,
     -0x1.e8880e62c4457p-2, 0x1.689c83ace20fap+0, 0x1.83b5580877146p-4, 0x1.27ad23964bf61p+0, -0x1.29d1d2ae38373p+1,
     0x1.397e9aa441cf6p-3, -0x1.5bbc7a7b4ede7p-2, -0x1.22dd798472b85p-2, 0x1.8e8fdb41da95fp-2, 0x1.fd56b293a1c41p-1,
     0x1.dfc6b80231d5ep-2, -0x1.5dd119574c6d1p-7},  // float64
    {0x1.6cf6598e10cfcp-8, 0x1.5e2ff08893b82p-7, 0x1.266640a6b93d2p+4, -0x1.0abecedd48458p-26, 0x0p+0,
     -0x1.0c6c3760bf5dcp-7, 0x1.e87fd3f5b5faap-7, -0x1.5cc9752977c8ep-8, -0x1.78b65ecc3e31fp-8, 0x1.2575c12f09d9p-8,
     0x1.93e39713ad5c5p-7, -0x1.8ec78a6dacac2p-8, -0x1.bd50763a1900ep-9, 0x1.88f776c4827bep-8, 0x1.0fd32e7b3d8e4p-6,
     0x1.4e6fc7607c41fp-6}}},
  // lion {'lr': 0.003, 'b1': 0.9, 'b2': 0.99, 'weight_decay': 0.0}; under jax.jit these final values of 32 differ: float32 5, float64 0
  {{-0x1p-3, -0x1.2ep-15, -0x1.ccp-1, 0x1.4p-4, -0x1.d2p-1, 0x1.8p-1, 0x1.acp+0, -0x1.8p-2, 0x1.fp-5, -0x1.bp-1,
    -0x1.4ep-3, 0x1.fp+0, 0x1.32p+0, 0x1.7cp+0, -0x1.54p+0, 0x1.c2p-2},
   {{0x1.22p-1, -0x1.18p-1, 0x1.78p+2, 0x1.08p-15, 0x0p+0, 0x1.e6p-3, 0x1.86p-2, -0x1.2p-1, 0x1.58p-1, -0x1.dcp-1,
     0x1.fap-6, -0x1.5p-2, -0x1.e2p-2, 0x1.78p-1, 0x1.fp-6, -0x1.eap-2},
    {-0x1.44p-1, -0x1.7ep-3, -0x1.48p+8, -0x1.6p-17, 0x0p+0, -0x1.2ep-1, -0x1.2ep-4, 0x1.f4p-2, -0x1.18p-2,
     -0x1.1cp-2, -0x1.56p-2, -0x1.bap-4, -0x1.72p-1, 0x1.dap-5, -0x1.3ap-3, -0x1.7cp-2},
    {-0x1.dp-4, 0x1.4cp-2, -0x1.78p+10, 0x1.f2p-20, 0x0p+0, -0x1.42p-2, -0x1.34p-1, -0x1.14p-4, 0x1.84p-5,
     0x1.acp-2, 0x1.0ep-5, -0x1.4ep-1, -0x1.3ep-2, 0x1.88p-4, 0x1.46p-1, -0x1.6ep-1}},
   {{-0x1.f3b646p-4, 0x1.847f4cp-9, -0x1.ca76c8p-1, 0x1.33b646p-4, -0x1.d2p-1, 0x1.818938p-1, 0x1.acc49cp+0,
     -0x1.7ced92p-2, 0x1.d76c8cp-5, -0x1.ae76c8p-1, -0x1.5424dep-3, 0x1.f24dd4p+0, 0x1.344dd4p+0, 0x1.79b22cp+0,
     -0x1.54c49cp+0, 0x1.cb374ap-2},  // float32
    {-0x1.e3ffb2p-10, -0x1.03ce3p-8, -0x1.23ac84p+4, 0x1.df341ap-23, 0x0p+0, -0x1.b45968p-8, -0x1.8ae33ep-9,
     -0x1.62a7fcp-10, 0x1.1d308cp-8, -0x1.f72d8p-8, -0x1.5e8208p-9, -0x1.622592p-7, -0x1.e75cd4p-7, 0x1.1dfb4ep-7,
     0x1.514p-8, -0x1.fc4dbep-7}},
   {{-0x1.f3b645a1cac08p-4, 0x1.847f4bc6a7efap-9, -0x1.ca76c8b439581p-1, 0x1.33b645a1cac08p-4, -0x1.d2p-1,
     0x1.8189374bc6a7fp-1, 0x1.acc49ba5e353fp+0, -0x1.7ced916872b02p-2, 0x1.d76c8b439581p-5, -0x1.ae76c8b439581p-1,
     -0x1.5424dd2f1a9fcp-3, 0x1.f24dd2f1a9fbdp+0, 0x1.344dd2f1a9fbdp+0, 0x1.79b22d0e56043p+0, -0x1.54c49ba5e353fp+0,
     0x1.cb374bc6a7efap-2},  // float64
    {-0x1.e3ffac1d29dcep-10, -0x1.03ce3150dae43p-8, -0x1.23ac851a86945p+4, 0x1.df341e14bdfd9p-23, 0x0p+0,
     -0x1.b45968512231fp-8, -0x1.8ae33eff1950ap-9, -0x1.62a80064a9ce2p-10, 0x1.1d308bb90646bp-8,
     -0x1.f72d7f950b95fp-8, -0x1.5e8209246bf06p-9, -0x1.6225918a009fcp-7, -0x1.e75cd4ed2cbf2p-7,
     0x1.1dfb4e54f7a96p-7, 0x1.513ffef390865p-8, -0x1.fc4dbdf8f4738p-7}}},
  // lion {'lr': 0.02, 'b1': 0.5, 'b2': 0.5, 'weight_decay': 0.0}; under jax.jit these final values of 32 differ: float32 0, float64 0
  {{0x1.f2p+7, -0x1.dcp-14, 0x1.4p-1, -0x1.2cp-2, -0x1.6ep+0, -0x1.02p+2, 0x1.fcp-2, -0x1.64p-3, 0x1.9p-1,
    -0x1.aep-1, 0x1.08p+0, -0x1.94p-1, 0x1.34p-2, 0x1.42p+0, 0x1.36p-1, 0x1.1p+0},
   {{-0x1.0ap-1, 0x1.1cp-1, -0x1.dcp+8, -0x1.3p-20, 0x0p+0, 0x1.bep-3, -0x1.24p-1, -0x1.3cp-1, -0x1p-3, 0x1.12p-1,
     0x1.a2p-2, -0x1.96p-2, -0x1.ap-3, -0x1.1ep-3, 0x1.7p-3, 0x1.82p-5},
    {-0x1.c6p-2, -0x1p+0, 0x1.36p+10, -0x1.08p-20, 0x0p+0, -0x1.f6p-2, 0x1.5p-1, -0x1.9cp-2, 0x1.06p-4, -0x1.44p-6,
     -0x1.96p-3, 0x1.76p-2, 0x1.14p-2, -0x1.1cp-2, 0x1.48p-4, 0x1.aap-2},
    {0x1.c6p-4, 0x1.0ep-3, -0x1.eap+4, 0x1.1ap-16, 0x0p+0, -0x1.32p-1, -0x1.4ap-5, 0x1.f4p-2, 0x1.86p-4, 0x1.9ep-1,
     0x1.b2p-2, 0x1.bep-1, 0x1.e6p-3, -0x1.2ep+0, 0x1.02p-1, -0x1.08p-1}},
   {{0x1.f21ebap+7, 0x1.45d214p-6, 0x1.35c29p-1, -0x1.17851ep-2, -0x1.6ep+0, -0x1.00b852p+2, 0x1.e7851cp-2,
     -0x1.3b0a3ep-3, 0x1.85c29p-1, -0x1.ccb85p-1, 0x1.f147bp-1, -0x1.9e3d7p-1, 0x1.1f851ep-2, 0x1.515c28p+0,
     0x1.1747bp-1, 0x1.0ae148p+0},  // float32
    {-0x1.edp-4, -0x1.d6p-4, 0x1.d66p+7, 0x1.0dp-17, 0x0p+0, -0x1.93ap-2, 0x1.298p-4, 0x1.1p-4, 0x1.89p-5,
     0x1.dd7p-2, 0x1.b5p-3, 0x1.e8cp-2, 0x1.49p-3, -0x1.5a7p-1, 0x1.2d8p-2, -0x1.2efp-3}},
   {{0x1.f21eb851eb853p+7, 0x1.45d2147ae147bp-6, 0x1.35c28f5c28f5cp-1, -0x1.17851eb851eb8p-2, -0x1.6ep+0,
     -0x1.00b851eb851ecp+2, 0x1.e7851eb851eb8p-2, -0x1.3b0a3d70a3d71p-3, 0x1.85c28f5c28f5cp-1,
     -0x1.ccb851eb851ecp-1, 0x1.f147ae147ae14p-1, -0x1.9e3d70a3d70a4p-1, 0x1.1f851eb851eb8p-2, 0x1.515c28f5c28f6p+0,
     0x1.1747ae147ae14p-1, 0x1.0ae147ae147aep+0},  // float64
    {-0x1.edp-4, -0x1.d6p-4, 0x1.d66p+7, 0x1.0dp-17, 0x0p+0, -0x1.93ap-2, 0x1.298p-4, 0x1.1p-4, 0x1.89p-5,
     0x1.dd7p-2, 0x1.b5p-3, 0x1.e8cp-2, 0x1.49p-3, -0x1.5a7p-1, 0x1.2d8p-2, -0x1.2efp-3}}},
};

}  // namespace

TEMPLATE_TEST_CASE("lion reproduces optax.lion (run eagerly) bit for bit", "[lion][golden]", float, double) {
  using T = TestType;
  require_golden<T>(optax_golden,
                    [](std::size_t c, std::span<T> param, std::span<T> momentum, std::span<const T> grad,
                       std::int64_t, const execution& exec) { lion_step(param, grad, momentum, golden_options[c], 1, {}, exec); },
                    "lion");
}

TEST_CASE("lion rejects bad calls before writing anything", "[lion][validation]") {
  auto data = random_buffers<float>(3, 20, 2, 8);
  std::span<const float> grad(data[1]);
  auto call = [&](lion_options o, std::span<float> w, std::span<const float> g, std::span<float> m) {
    return [=] { lion_step(w, g, m, o, 1); };
  };
  const lion_options good{};
  require_rejected(data, "lr", error_kind::hyperparameter, call({NAN, 0.9, 0.99, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "beta1", error_kind::hyperparameter, call({0.1, 1.0, 0.99, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "beta2", error_kind::hyperparameter, call({0.1, 0.9, -0.5, 0.0}, data[0], grad, data[2]));
  require_rejected(data, "weight_decay", error_kind::hyperparameter, call({0.1, 0.9, 0.99, INFINITY}, data[0], grad, data[2]));
  require_rejected(data, "grad", error_kind::length, call(good, data[0], grad.first(3), data[2]));
  require_rejected(data, "velocity", error_kind::length, call(good, data[0], grad, data[2].first(19)));
  require_rejected(data, "velocity", error_kind::overlap, call(good, data[0], grad, data[0]));
  require_rejected(data, "velocity", error_kind::overlap, call(good, data[0], grad, data[1]));
}
