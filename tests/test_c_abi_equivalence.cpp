// The C ABI (include/inertia/inertia.h) against the C++ API it wraps. Every
// per-variant entry point, f32 and f64, runs on one copy of the inputs while
// the C++ call it stands for runs on an identical copy, over several steps,
// sizes and misalignments; every buffer and every value kept outside the
// buffers (NAdam's mu_product, a policy step's report) must come out with the
// same bits. No tolerance: the header promises the C++ API's numerics, so a
// single differing bit (a -0, a NaN payload) is a failure.
//
// The error side: for each entry point, at least one bad input of every
// status it can return; the call must return that status, leave a message
// naming the function and the argument, and leave every buffer untouched.
// Where the C++ API can express the same bad input it must throw
// inertia::invalid_argument of the same kind, naming the same argument, with
// the message the C ABI passed on.
//
// One entry_point<T> per C function (the table in entry_points<T>()): its
// buffers, the hyperparameter cases that run it, the bad calls that must
// fail. A new entry point is one more function returning one more row.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include "c_abi_int_enums.h"
#include "inertia/inertia.h"
#include "inertia/inertia.hpp"
#include "support.hpp"

using namespace inertia::test;

namespace {

// ---- the table's vocabulary -------------------------------------------------

/// A call's buffers, in the order the entry point's streams name them.
template <class T>
using streams = std::span<const std::span<T>>;

/// What a step keeps outside its buffers, compared bit for bit as they are.
struct side_state {
  float mu_product = 1.0f;  ///< NAdam's product of every earlier step's mu
  int skipped = 0;          ///< a policy step's report
  double grad_norm = 0.0;   ///< a policy step's report
  double momentum = 0.0;    ///< Demon's out-parameter
};

bool same_bits(const side_state& a, const side_state& b) {
  return std::memcmp(&a.mu_product, &b.mu_product, sizeof a.mu_product) == 0 && a.skipped == b.skipped &&
         std::memcmp(&a.grad_norm, &b.grad_norm, sizeof a.grad_norm) == 0 &&
         std::memcmp(&a.momentum, &b.momentum, sizeof a.momentum) == 0;
}

/// How a buffer starts: random values (support.hpp's mix of zeros, tiny and
/// large magnitudes), or their magnitudes, for second moments, which are
/// never negative (a negative one makes Adam's step NaN everywhere, and NaN
/// everywhere would hide a wrong mapping instead of showing it).
enum class start { random, magnitude };

struct stream_spec {
  const char* name;
  start initial = start::random;
};

/// One hyperparameter setting, stepped through the C ABI and through the C++
/// API. step counts from 1.
template <class T>
struct step_case {
  std::string label;
  std::function<inertia_status(streams<T>, side_state&, std::int64_t step)> c_step;
  std::function<void(streams<T>, side_state&, std::int64_t step)> cpp_step;
};

/// An invalid call: what it must return and which argument it must name.
template <class T>
struct bad_call {
  std::string label;
  inertia_status status;
  std::string argument;
  std::function<inertia_status(streams<T>, side_state&)> c_call;
  /// The same bad input through the C++ API; empty where C++ cannot say it
  /// (a NULL pointer, an enum value outside its enumerators, a NULL options struct).
  std::function<void(streams<T>, side_state&)> cpp_call = {};
};

template <class T>
struct entry_point {
  std::string name;                  ///< the C function, e.g. "inertia_qhm_step_f32"
  std::vector<stream_spec> buffers;  ///< every buffer the call may touch
  std::size_t fresh;                 ///< the buffer refilled before every step (the gradient)
  std::vector<step_case<T>> cases;
  std::vector<bad_call<T>> bad_calls;
};

// ---- small helpers -------------------------------------------------------------

/// The f32 or the f64 entry point, whichever takes T.
template <class T, class F32, class F64>
auto typed(F32* f32, F64* f64) {
  if constexpr (std::is_same_v<T, float>) return f32;
  else return f64;
}

template <class T>
std::string c_name(const std::string& stem) {
  return stem + (std::is_same_v<T, float> ? "_f32" : "_f64");
}

std::string show(double value) { return Catch::StringMaker<double>::convert(value); }

inertia_status status_of(inertia::error_kind kind) {
  switch (kind) {
    case inertia::error_kind::null_pointer: return INERTIA_ERROR_NULL_POINTER;
    case inertia::error_kind::length: return INERTIA_ERROR_LENGTH;
    case inertia::error_kind::overlap: return INERTIA_ERROR_OVERLAP;
    case inertia::error_kind::hyperparameter: return INERTIA_ERROR_HYPERPARAMETER;
  }
  return INERTIA_ERROR_INTERNAL;
}

/// Two views of the first buffer, half its length each, sharing exactly one
/// element: the smallest overlap there is.
template <class T>
struct one_element_overlap {
  std::span<T> first, second;
  explicit one_element_overlap(std::span<T> buffer)
      : first(buffer.data(), buffer.size() / 2), second(buffer.data() + buffer.size() / 2 - 1, buffer.size() / 2) {}
};

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

// ---- SGD: the C structs and enums as the C++ API's, field by field -------------
// Written out here, not taken from lib/c_api.cpp: a field the C ABI maps
// wrongly then shows as a difference.

inertia::heavy_ball_numerics cpp_numerics(inertia_sgd_numerics numerics) {
  return numerics == INERTIA_SGD_NUMERICS_PYTORCH_FUSED ? inertia::heavy_ball_numerics::pytorch_fused
                                                        : inertia::heavy_ball_numerics::pytorch_loop;
}

inertia::heavy_ball_options cpp_options(const inertia_sgd_options& o, inertia_sgd_numerics numerics) {
  return {.lr = o.lr,
          .momentum = o.momentum,
          .dampening = o.dampening,
          .weight_decay = o.weight_decay,
          .nesterov = o.nesterov != 0,
          .maximize = o.maximize != 0,
          .numerics = cpp_numerics(numerics)};
}

std::string describe(const inertia_sgd_options& o) {
  return "lr " + show(o.lr) + " momentum " + show(o.momentum) + " dampening " + show(o.dampening) +
         " weight_decay " + show(o.weight_decay) + " nesterov " + std::to_string(o.nesterov) + " maximize " +
         std::to_string(o.maximize);
}

std::string describe(inertia_sgd_numerics numerics) {
  return numerics == INERTIA_SGD_NUMERICS_PYTORCH_FUSED ? "pytorch_fused" : "pytorch_loop";
}

// Every field distinct from the others, so that two swapped fields differ.
const std::vector<inertia_sgd_options> sgd_settings = {
    {0.05, 0.0, 0.0, 0.0, 0, 0},    // plain SGD: no buffer (NULL through C, an empty span through C++)
    {0.05, 0.9, 0.25, 0.01, 0, 0},  // dampening and weight decay
    {0.05, 0.9, 0.0, 0.01, 1, 0},   // nesterov
    {0.04, 0.8, 0.1, 0.0, 0, 1},    // maximize
    {0.03, 0.0, 0.0, 0.02, 0, 1},   // weight decay and maximize without a buffer
};

// A valid setting with a buffer, to break one field at a time.
constexpr inertia_sgd_options sgd_good = {0.05, 0.9, 0.0, 0.01, 1, 0};

template <class T>
std::span<T> buffer_if(bool used, std::span<T> buffer) {
  return used ? buffer : std::span<T>();
}

template <class T>
T* pointer_if(bool used, std::span<T> buffer) {
  return used ? buffer.data() : nullptr;
}

/// Both first-step rules of a trajectory: PyTorch's first step (the buffer
/// initialised from d at step 1), or a buffer carried in from earlier steps.
bool first_step_of(bool carried_in, std::int64_t step) { return !carried_in && step == 1; }

/// sgd_step and sgd_step_ex. call(w, g, v, n, options, first_step, numerics)
/// is the C entry point (the plain one ignores numerics).
template <class T, class Call>
entry_point<T> sgd_entry(const std::string& stem, const std::vector<inertia_sgd_numerics>& numerics_list,
                         Call call) {
  entry_point<T> e{c_name<T>(stem), {{"param"}, {"grad"}, {"momentum_buffer"}}, 1, {}, {}};
  for (const inertia_sgd_numerics numerics : numerics_list)
    for (const inertia_sgd_options& o : sgd_settings)
      for (const bool carried_in : {false, true}) {
        const bool buffered = o.momentum != 0.0;
        if (carried_in && !buffered) continue;
        e.cases.push_back(
            {describe(o) + " " + describe(numerics) + (carried_in ? ", buffer carried in" : ", first step"),
             [=](streams<T> s, side_state&, std::int64_t t) {
               return call(s[0].data(), s[1].data(), pointer_if(buffered, s[2]), s[0].size(), &o,
                           first_step_of(carried_in, t), numerics);
             },
             [=](streams<T> s, side_state&, std::int64_t t) {
               inertia::heavy_ball_step(s[0], s[1], buffer_if(buffered, s[2]), cpp_options(o, numerics),
                                        first_step_of(carried_in, t) ? 1 : 2);
             }});
      }
  const auto numerics = numerics_list.back();
  const auto with = [=](inertia_sgd_options o) {
    return [=](streams<T> s, side_state&) {
      return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), &o, 0, numerics);
    };
  };
  const auto cpp_with = [=](inertia_sgd_options o) {
    return [=](streams<T> s, side_state&) {
      inertia::heavy_ball_step(s[0], s[1], s[2], cpp_options(o, numerics), 2);
    };
  };
  const auto changed = [](auto change) {
    inertia_sgd_options o = sgd_good;
    change(o);
    return o;
  };
  e.bad_calls = {
      {"param NULL", INERTIA_ERROR_NULL_POINTER, "param",
       [=](streams<T> s, side_state&) {
         return call(nullptr, s[1].data(), s[2].data(), s[0].size(), &sgd_good, 0, numerics);
       }},
      {"momentum_buffer NULL with momentum 0.9", INERTIA_ERROR_NULL_POINTER, "momentum_buffer",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), nullptr, s[0].size(), &sgd_good, 0, numerics);
       }},
      {"options NULL", INERTIA_ERROR_NULL_POINTER, "options",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), nullptr, 0, numerics);
       }},
      // The C++ API names the first of the two buffers that share memory.
      {"grad is param", INERTIA_ERROR_OVERLAP, "param",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[0].data(), s[2].data(), s[0].size(), &sgd_good, 0, numerics);
       },
       [=](streams<T> s, side_state&) {
         inertia::heavy_ball_step(s[0], s[0], s[2], cpp_options(sgd_good, numerics), 2);
       }},
      {"momentum_buffer overlaps param by one element", INERTIA_ERROR_OVERLAP, "momentum_buffer",
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         return call(o.first.data(), s[1].data(), o.second.data(), o.first.size(), &sgd_good, 0, numerics);
       },
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         inertia::heavy_ball_step(o.first, s[1].first(o.first.size()), o.second, cpp_options(sgd_good, numerics),
                                  2);
       }},
      {"momentum 1.0", INERTIA_ERROR_HYPERPARAMETER, "momentum",
       with(changed([](auto& o) { o.momentum = 1.0; })), cpp_with(changed([](auto& o) { o.momentum = 1.0; }))},
      {"lr NaN", INERTIA_ERROR_HYPERPARAMETER, "lr", with(changed([](auto& o) { o.lr = nan; })),
       cpp_with(changed([](auto& o) { o.lr = nan; }))},
      {"nesterov with dampening 0.5", INERTIA_ERROR_HYPERPARAMETER, "nesterov",
       with(changed([](auto& o) { o.dampening = 0.5; })), cpp_with(changed([](auto& o) { o.dampening = 0.5; }))},
      {"weight_decay -0.01", INERTIA_ERROR_HYPERPARAMETER, "weight_decay",
       with(changed([](auto& o) { o.weight_decay = -0.01; })),
       cpp_with(changed([](auto& o) { o.weight_decay = -0.01; }))},
  };
  return e;
}

/// Each buffer cut into four tensors at fixed fractions: neighbours in memory,
/// an empty tensor, each tensor at its own misalignment.
template <class T>
std::array<std::span<T>, 4> tensor_pieces(std::span<T> buffer) {
  const std::size_t a = buffer.size() / 3, b = buffer.size() - buffer.size() / 4;
  return {buffer.subspan(0, a), buffer.subspan(a, 0), buffer.subspan(a, b - a), buffer.subspan(b)};
}

/// The pieces as the C multi-tensor calls take them; the empty tensor's
/// pointers NULL, which the header allows.
template <class T>
struct c_tensors {
  std::array<T*, 4> params{}, buffers{};
  std::array<const T*, 4> grads{};
  std::array<std::size_t, 4> sizes{};
  explicit c_tensors(streams<T> s) {
    const auto p = tensor_pieces(s[0]), g = tensor_pieces(s[1]), v = tensor_pieces(s[2]);
    for (std::size_t k = 0; k < 4; ++k) {
      sizes[k] = p[k].size();
      params[k] = sizes[k] ? p[k].data() : nullptr;
      grads[k] = sizes[k] ? g[k].data() : nullptr;
      buffers[k] = sizes[k] ? v[k].data() : nullptr;
    }
  }
};

/// The same pieces as the C++ API's tensors.
template <class T>
std::vector<inertia::heavy_ball_tensor<T>> cpp_tensors(streams<T> s, bool buffered) {
  const auto p = tensor_pieces(s[0]), g = tensor_pieces(s[1]), v = tensor_pieces(s[2]);
  std::vector<inertia::heavy_ball_tensor<T>> out;
  for (std::size_t k = 0; k < 4; ++k) out.push_back({p[k], g[k], buffer_if(buffered, v[k])});
  return out;
}

/// One group for the C++ multi-tensor calls. Its step counter is the number
/// of steps taken, so step 1 is the first (PyTorch's buffer initialisation).
template <class T>
inertia::heavy_ball_group<T> cpp_group(const inertia_sgd_options& o, inertia_sgd_numerics numerics,
                                       std::span<const inertia::heavy_ball_tensor<T>> tensors, bool carried_in,
                                       std::int64_t step) {
  return {cpp_options(o, numerics), tensors, first_step_of(carried_in, step) ? 0 : step};
}

/// The bad calls every multi-tensor spelling shares. call(params, grads,
/// buffers, sizes, count, options, first_step) is the C entry point.
template <class T, class Call, class CppStep>
std::vector<bad_call<T>> sgd_multi_bad_calls(Call call, CppStep cpp_step) {
  const auto with = [=](auto edit) {
    return [=](streams<T> s, side_state&) {
      c_tensors<T> c(s);
      inertia_sgd_options o = sgd_good;
      const std::size_t* sizes = c.sizes.data();
      std::size_t count = 4;
      edit(c, o, sizes, count);
      return call(c.params.data(), c.grads.data(), c.buffers.data(), sizes, count, &o, 0);
    };
  };
  return {
      {"params array NULL", INERTIA_ERROR_NULL_POINTER, "params",
       [=](streams<T> s, side_state&) {
         c_tensors<T> c(s);
         return call(nullptr, c.grads.data(), c.buffers.data(), c.sizes.data(), 4, &sgd_good, 0);
       }},
      {"sizes NULL", INERTIA_ERROR_NULL_POINTER, "sizes",
       with([](auto&, auto&, const std::size_t*& sizes, auto&) { sizes = nullptr; })},
      {"buffers array NULL with momentum 0.9", INERTIA_ERROR_NULL_POINTER, "buffers",
       [=](streams<T> s, side_state&) {
         c_tensors<T> c(s);
         return call(c.params.data(), c.grads.data(), nullptr, c.sizes.data(), 4, &sgd_good, 0);
       }},
      {"grads[2] NULL with sizes[2] != 0", INERTIA_ERROR_NULL_POINTER, "grads[2]",
       with([](c_tensors<T>& c, auto&, auto&, auto&) { c.grads[2] = nullptr; })},
      {"options NULL", INERTIA_ERROR_NULL_POINTER, "options",
       [=](streams<T> s, side_state&) {
         c_tensors<T> c(s);
         return call(c.params.data(), c.grads.data(), c.buffers.data(), c.sizes.data(), 4, nullptr, 0);
       }},
      {"tensor 2's buffer starts at tensor 0's", INERTIA_ERROR_OVERLAP, "momentum_buffer",
       with([](c_tensors<T>& c, auto&, auto&, auto&) { c.buffers[2] = c.buffers[0]; }),
       [=](streams<T> s, side_state&) {
         auto tensors = cpp_tensors(s, true);
         tensors[2].momentum_buffer = std::span<T>(tensors[0].momentum_buffer.data(), tensors[2].param.size());
         cpp_step(sgd_good, std::span<const inertia::heavy_ball_tensor<T>>(tensors));
       }},
      {"momentum 1.0", INERTIA_ERROR_HYPERPARAMETER, "momentum",
       with([](auto&, inertia_sgd_options& o, auto&, auto&) { o.momentum = 1.0; }),
       [=](streams<T> s, side_state&) {
         const auto tensors = cpp_tensors(s, true);
         inertia_sgd_options o = sgd_good;
         o.momentum = 1.0;
         cpp_step(o, std::span<const inertia::heavy_ball_tensor<T>>(tensors));
       }},
      // An absurd count fails allocating the tensor list before any element
      // is read: the one reachable INERTIA_ERROR_INTERNAL, a C++ exception
      // (std::length_error) that must not cross the ABI.
      {"count SIZE_MAX", INERTIA_ERROR_INTERNAL, "internal error",
       with([](auto&, auto&, auto&, std::size_t& count) { count = SIZE_MAX; })},
  };
}

/// sgd_step_multi and sgd_step_multi_ex. call(params, grads, buffers, sizes,
/// count, options, first_step, numerics).
template <class T, class Call>
entry_point<T> sgd_multi_entry(const std::string& stem, const std::vector<inertia_sgd_numerics>& numerics_list,
                               Call call) {
  entry_point<T> e{c_name<T>(stem), {{"param"}, {"grad"}, {"momentum_buffer"}}, 1, {}, {}};
  for (const inertia_sgd_numerics numerics : numerics_list)
    for (const inertia_sgd_options& o : sgd_settings)
      for (const bool carried_in : {false, true}) {
        const bool buffered = o.momentum != 0.0;
        if (carried_in && !buffered) continue;
        e.cases.push_back(
            {describe(o) + " " + describe(numerics) + (carried_in ? ", buffers carried in" : ", first step"),
             [=](streams<T> s, side_state&, std::int64_t t) {
               c_tensors<T> c(s);
               // Without momentum the buffers array itself may be NULL.
               return call(c.params.data(), c.grads.data(), buffered ? c.buffers.data() : nullptr, c.sizes.data(),
                           4, &o, first_step_of(carried_in, t), numerics);
             },
             [=](streams<T> s, side_state&, std::int64_t t) {
               const auto tensors = cpp_tensors(s, buffered);
               auto group = cpp_group<T>(o, numerics, tensors, carried_in, t);
               inertia::heavy_ball_step(std::span(&group, 1));
             }});
      }
  const auto numerics = numerics_list.back();
  e.bad_calls = sgd_multi_bad_calls<T>(
      [=](auto... arguments) { return call(arguments..., numerics); },
      [=](const inertia_sgd_options& o, std::span<const inertia::heavy_ball_tensor<T>> tensors) {
        auto group = cpp_group<T>(o, numerics, tensors, true, 1);
        inertia::heavy_ball_step(std::span(&group, 1));
      });
  return e;
}

inertia::step_policy cpp_policy(const inertia_step_policy& p) {
  return {.grad_scale = p.grad_scale,
          .skip_non_finite = p.skip_non_finite != 0,
          .clip_value = p.clip_value,
          .max_norm = p.max_norm,
          .flush_denormals = p.flush_denormals != 0};
}

/// A NaN gradient on even steps, for the policy that skips them: the same
/// poison on both sides, so the skip is compared as any step is.
template <class T>
void poison_even_steps(streams<T> s, std::int64_t step) {
  if (step % 2 == 0 && !s[1].empty()) s[1].back() = std::numeric_limits<T>::quiet_NaN();
}

template <class T>
entry_point<T> sgd_multi_policy_entry() {
  const auto call = typed<T>(inertia_sgd_step_multi_policy_f32, inertia_sgd_step_multi_policy_f64);
  const auto int_call = typed<T>(sgd_step_multi_policy_f32_int, sgd_step_multi_policy_f64_int);
  entry_point<T> e{c_name<T>("inertia_sgd_step_multi_policy"), {{"param"}, {"grad"}, {"momentum_buffer"}}, 1, {}, {}};
  const std::vector<std::pair<std::string, inertia_step_policy>> policies = {
      {"grad_scale 4, clip_value 0.25", {4.0, 0, 0.25, 0.0, 0}},
      {"max_norm 1.5, flush_denormals", {1.0, 0, 0.0, 1.5, 1}},
      {"skip_non_finite, NaN on even steps", {2.0, 1, 0.0, 0.0, 0}},
      {"everything off", {1.0, 0, 0.0, 0.0, 0}},
  };
  const inertia_sgd_options o = {0.05, 0.9, 0.25, 0.01, 0, 0};
  for (const inertia_sgd_numerics numerics : {INERTIA_SGD_NUMERICS_PYTORCH_LOOP, INERTIA_SGD_NUMERICS_PYTORCH_FUSED})
    for (const auto& [label, policy] : policies) {
      const bool poisoned = policy.skip_non_finite != 0;
      e.cases.push_back(
          {label + " " + describe(numerics),
           [=](streams<T> s, side_state& side, std::int64_t t) {
             if (poisoned) poison_even_steps(s, t);
             c_tensors<T> c(s);
             inertia_step_report report = {-1, -1.0};
             const inertia_status status = call(c.params.data(), c.grads.data(), c.buffers.data(), c.sizes.data(), 4,
                                                &o, first_step_of(false, t), numerics, &policy, &report);
             side.skipped = report.skipped;
             side.grad_norm = report.grad_norm;
             return status;
           },
           [=](streams<T> s, side_state& side, std::int64_t t) {
             if (poisoned) poison_even_steps(s, t);
             const auto tensors = cpp_tensors(s, true);
             auto group = cpp_group<T>(o, numerics, tensors, false, t);
             const inertia::step_report report = inertia::heavy_ball_step(std::span(&group, 1), cpp_policy(policy));
             side.skipped = report.skipped ? 1 : 0;
             side.grad_norm = report.grad_norm;
           }});
    }
  constexpr inertia_step_policy good_policy = {4.0, 1, 0.25, 0.0, 0};
  e.bad_calls = sgd_multi_bad_calls<T>(
      [=](auto... arguments) {
        inertia_step_report report = {-1, -1.0};
        return call(arguments..., INERTIA_SGD_NUMERICS_PYTORCH_LOOP, &good_policy, &report);
      },
      [=](const inertia_sgd_options& options, std::span<const inertia::heavy_ball_tensor<T>> tensors) {
        auto group = cpp_group<T>(options, INERTIA_SGD_NUMERICS_PYTORCH_LOOP, tensors, true, 1);
        inertia::heavy_ball_step(std::span(&group, 1), cpp_policy(good_policy));
      });
  e.bad_calls.push_back({"policy NULL", INERTIA_ERROR_NULL_POINTER, "policy", [=](streams<T> s, side_state& side) {
                           c_tensors<T> c(s);
                           inertia_step_report report = {side.skipped, side.grad_norm};
                           return call(c.params.data(), c.grads.data(), c.buffers.data(), c.sizes.data(), 4,
                                       &sgd_good, 0, INERTIA_SGD_NUMERICS_PYTORCH_LOOP, nullptr, &report);
                         }});
  e.bad_calls.push_back(
      {"grad_scale 0", INERTIA_ERROR_HYPERPARAMETER, "grad_scale",
       [=](streams<T> s, side_state&) {
         c_tensors<T> c(s);
         inertia_step_policy bad = good_policy;
         bad.grad_scale = 0.0;
         inertia_step_report report = {-1, -1.0};
         return call(c.params.data(), c.grads.data(), c.buffers.data(), c.sizes.data(), 4, &sgd_good, 0,
                     INERTIA_SGD_NUMERICS_PYTORCH_LOOP, &bad, &report);
       },
       [=](streams<T> s, side_state&) {
         const auto tensors = cpp_tensors(s, true);
         auto group = cpp_group<T>(sgd_good, INERTIA_SGD_NUMERICS_PYTORCH_LOOP, tensors, true, 1);
         inertia_step_policy bad = good_policy;
         bad.grad_scale = 0.0;
         inertia::heavy_ball_step(std::span(&group, 1), cpp_policy(bad));
       }});
  e.bad_calls.push_back({"numerics 7", INERTIA_ERROR_HYPERPARAMETER, "numerics", [=](streams<T> s, side_state&) {
                           c_tensors<T> c(s);
                           inertia_step_report report = {-1, -1.0};
                           return int_call(c.params.data(), c.grads.data(), c.buffers.data(), c.sizes.data(), 4,
                                           &sgd_good, 0, 7, &good_policy, &report);
                         }});
  return e;
}

// ---- the other variants ---------------------------------------------------------

template <class T>
entry_point<T> sutskever_entry() {
  const auto call = typed<T>(inertia_sutskever_step_f32, inertia_sutskever_step_f64);
  entry_point<T> e{c_name<T>("inertia_sutskever_step"), {{"param"}, {"grad"}, {"velocity"}}, 1, {}, {}};
  struct setting {
    double lr, momentum;
    int nesterov;
  };
  for (const setting h : {setting{0.05, 0.0, 0}, setting{0.05, 0.9, 0}, setting{0.03, 0.8, 1}}) {
    // Keras keeps no velocity without momentum: NULL through C, empty through C++.
    const bool has_velocity = h.momentum != 0.0;
    e.cases.push_back({"lr " + show(h.lr) + " momentum " + show(h.momentum) + " nesterov " +
                           std::to_string(h.nesterov),
                       [=](streams<T> s, side_state&, std::int64_t) {
                         return call(s[0].data(), s[1].data(), pointer_if(has_velocity, s[2]), s[0].size(), h.lr,
                                     h.momentum, h.nesterov);
                       },
                       [=](streams<T> s, side_state&, std::int64_t) {
                         inertia::sutskever_step(s[0], s[1], buffer_if(has_velocity, s[2]),
                                                 {.lr = h.lr, .momentum = h.momentum, .nesterov = h.nesterov != 0}, 1);
                       }});
  }
  const auto cpp = [](double lr, double momentum, bool nesterov) {
    return [=](streams<T> s, side_state&) {
      inertia::sutskever_step(s[0], s[1], buffer_if(momentum != 0.0, s[2]),
                              {.lr = lr, .momentum = momentum, .nesterov = nesterov}, 1);
    };
  };
  e.bad_calls = {
      {"velocity NULL with momentum 0.9", INERTIA_ERROR_NULL_POINTER, "velocity",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), nullptr, s[0].size(), 0.1, 0.9, 0); }},
      {"param NULL", INERTIA_ERROR_NULL_POINTER, "param",
       [=](streams<T> s, side_state&) { return call(nullptr, s[1].data(), s[2].data(), s[0].size(), 0.1, 0.9, 0); }},
      {"velocity is param", INERTIA_ERROR_OVERLAP, "velocity",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[0].data(), s[0].size(), 0.1, 0.9, 0); },
       [=](streams<T> s, side_state&) { inertia::sutskever_step(s[0], s[1], s[0], {.lr = 0.1, .momentum = 0.9}, 1); }},
      {"lr infinite", INERTIA_ERROR_HYPERPARAMETER, "lr",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), inf, 0.9, 0); },
       cpp(inf, 0.9, false)},
      {"nesterov without momentum", INERTIA_ERROR_HYPERPARAMETER, "nesterov",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), 0.1, 0.0, 1); },
       cpp(0.1, 0.0, true)},
  };
  return e;
}

template <class T>
entry_point<T> nesterov_lookahead_entry() {
  const auto call = typed<T>(inertia_nesterov_lookahead_f32, inertia_nesterov_lookahead_f64);
  // The velocity is the input that changes between calls.
  entry_point<T> e{c_name<T>("inertia_nesterov_lookahead"), {{"param"}, {"velocity"}, {"lookahead"}}, 1, {}, {}};
  for (const double momentum : {0.0, 0.9, 0.37})
    e.cases.push_back({"momentum " + show(momentum),
                       [=](streams<T> s, side_state&, std::int64_t) {
                         return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), momentum);
                       },
                       [=](streams<T> s, side_state&, std::int64_t) {
                         inertia::nesterov_lookahead(s[0], s[1], momentum, s[2]);
                       }});
  e.bad_calls = {
      {"velocity NULL", INERTIA_ERROR_NULL_POINTER, "velocity",
       [=](streams<T> s, side_state&) { return call(s[0].data(), nullptr, s[2].data(), s[0].size(), 0.9); }},
      {"lookahead NULL", INERTIA_ERROR_NULL_POINTER, "lookahead",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), nullptr, s[0].size(), 0.9); }},
      {"lookahead overlaps param by one element", INERTIA_ERROR_OVERLAP, "lookahead",
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[2]);
         return call(o.second.data(), s[1].data(), o.first.data(), o.first.size(), 0.9);
       },
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[2]);
         inertia::nesterov_lookahead(o.second, s[1].first(o.first.size()), 0.9, o.first);
       }},
      {"momentum -0.5", INERTIA_ERROR_HYPERPARAMETER, "momentum",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), -0.5); },
       [=](streams<T> s, side_state&) { inertia::nesterov_lookahead(s[0], s[1], -0.5, s[2]); }},
  };
  return e;
}

template <class T>
entry_point<T> ema_entry() {
  const auto call = typed<T>(inertia_ema_step_f32, inertia_ema_step_f64);
  entry_point<T> e{c_name<T>("inertia_ema_step"), {{"param"}, {"grad"}, {"velocity"}}, 1, {}, {}};
  struct setting {
    double lr, beta;
    int bias_correction;
  };
  for (const setting h : {setting{0.05, 0.9, 0}, setting{0.05, 0.9, 1}, setting{0.02, 0.0, 1}, setting{0.1, 0.5, 1}})
    e.cases.push_back(
        {"lr " + show(h.lr) + " beta " + show(h.beta) + " bias_correction " + std::to_string(h.bias_correction),
         [=](streams<T> s, side_state&, std::int64_t t) {
           return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), h.lr, h.beta, h.bias_correction, t);
         },
         [=](streams<T> s, side_state&, std::int64_t t) {
           inertia::ema_step(s[0], s[1], s[2], {.lr = h.lr, .beta = h.beta, .bias_correction = h.bias_correction != 0},
                             t);
         }});
  e.bad_calls = {
      {"velocity NULL", INERTIA_ERROR_NULL_POINTER, "velocity",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), nullptr, s[0].size(), 0.1, 0.9, 0, 1); }},
      {"grad overlaps param by one element", INERTIA_ERROR_OVERLAP, "param",
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         return call(o.first.data(), o.second.data(), s[2].data(), o.first.size(), 0.1, 0.9, 0, 1);
       },
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         inertia::ema_step(o.first, o.second, s[2].first(o.first.size()), {.lr = 0.1, .beta = 0.9}, 1);
       }},
      {"beta 1.0", INERTIA_ERROR_HYPERPARAMETER, "beta",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), 0.1, 1.0, 0, 1);
       },
       [=](streams<T> s, side_state&) { inertia::ema_step(s[0], s[1], s[2], {.lr = 0.1, .beta = 1.0}, 1); }},
      {"step 0 with bias correction", INERTIA_ERROR_HYPERPARAMETER, "step",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), 0.1, 0.9, 1, 0);
       },
       [=](streams<T> s, side_state&) {
         inertia::ema_step(s[0], s[1], s[2], {.lr = 0.1, .beta = 0.9, .bias_correction = true}, 0);
       }},
  };
  return e;
}

/// The variants whose hyperparameters are one C options struct and whose
/// state is one buffer (QHM, Lion, LARS): call(w, g, state, n, &options) and
/// cpp(w, g, state, cpp_options) for each of settings; bad_settings are
/// invalid ones, each with the argument it must name.
template <class T, class COptions, class Call, class CppStep, class ToCpp>
entry_point<T> options_entry(const std::string& stem, const char* state_name, Call call, CppStep cpp, ToCpp to_cpp,
                             const std::vector<std::pair<std::string, COptions>>& settings,
                             const std::vector<std::pair<std::string, COptions>>& bad_settings) {
  entry_point<T> e{c_name<T>(stem), {{"param"}, {"grad"}, {state_name}}, 1, {}, {}};
  for (const auto& [label, o] : settings)
    e.cases.push_back(
        {label,
         [=](streams<T> s, side_state&, std::int64_t) {
           return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), &o);
         },
         [=](streams<T> s, side_state&, std::int64_t) { cpp(s[0], s[1], s[2], to_cpp(o)); }});
  const COptions good = settings.front().second;
  e.bad_calls = {
      {"param NULL", INERTIA_ERROR_NULL_POINTER, "param",
       [=](streams<T> s, side_state&) { return call(nullptr, s[1].data(), s[2].data(), s[0].size(), &good); }},
      {"grad NULL", INERTIA_ERROR_NULL_POINTER, "grad",
       [=](streams<T> s, side_state&) { return call(s[0].data(), nullptr, s[2].data(), s[0].size(), &good); }},
      {std::string(state_name) + " NULL", INERTIA_ERROR_NULL_POINTER, state_name,
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), nullptr, s[0].size(), &good); }},
      {"options NULL", INERTIA_ERROR_NULL_POINTER, "options",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), nullptr); }},
      {std::string(state_name) + " is param", INERTIA_ERROR_OVERLAP, state_name,
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[0].data(), s[0].size(), &good); },
       [=](streams<T> s, side_state&) { cpp(s[0], s[1], s[0], to_cpp(good)); }},
      {std::string(state_name) + " overlaps param by one element", INERTIA_ERROR_OVERLAP, state_name,
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         return call(o.first.data(), s[1].data(), o.second.data(), o.first.size(), &good);
       },
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         cpp(o.first, s[1].first(o.first.size()), o.second, to_cpp(good));
       }},
  };
  for (const auto& [argument, bad] : bad_settings)
    e.bad_calls.push_back(
        {argument + " invalid", INERTIA_ERROR_HYPERPARAMETER, argument,
         [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), &bad); },
         [=](streams<T> s, side_state&) { cpp(s[0], s[1], s[2], to_cpp(bad)); }});
  return e;
}

template <class COptions>
std::pair<std::string, COptions> with_field(const std::string& argument, COptions o, double COptions::*field,
                                            double value) {
  o.*field = value;
  return {argument, o};
}

template <class T>
entry_point<T> qhm_entry() {
  using O = inertia_qhm_options;
  const O good = {0.5, 0.7, 0.9, 0.0};
  return options_entry<T, O>(
      "inertia_qhm_step", "velocity", typed<T>(inertia_qhm_step_f32, inertia_qhm_step_f64),
      [](auto... arguments) { inertia::qhm_step(arguments..., 1); },
      [](const O& o) {
        return inertia::qhm_options{.lr = o.lr, .nu = o.nu, .beta = o.beta, .weight_decay = o.weight_decay};
      },
      {{"lr 0.5 nu 0.7 beta 0.9", good},
       {"lr 0.1 nu 0.3 beta 0.999 weight_decay 0.01", {0.1, 0.3, 0.999, 0.01}},
       {"nu 1 (pure momentum)", {0.2, 1.0, 0.5, 0.0}},
       {"nu 0 (plain SGD) with weight decay", {0.2, 0.0, 0.8, 0.03}}},
      {with_field("nu", good, &O::nu, 1.5), with_field("beta", good, &O::beta, 1.0),
       with_field("weight_decay", good, &O::weight_decay, -0.5), with_field("lr", good, &O::lr, nan)});
}

template <class T>
entry_point<T> lion_entry() {
  using O = inertia_lion_options;
  const O good = {0.01, 0.9, 0.99, 0.1};
  return options_entry<T, O>(
      "inertia_lion_step", "velocity", typed<T>(inertia_lion_step_f32, inertia_lion_step_f64),
      [](auto... arguments) { inertia::lion_step(arguments..., 1); },
      [](const O& o) {
        return inertia::lion_options{.lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .weight_decay = o.weight_decay};
      },
      {{"lr 0.01 beta1 0.9 beta2 0.99 weight_decay 0.1", good},
       {"lr 0.02 beta1 0.95 beta2 0.98, no weight decay", {0.02, 0.95, 0.98, 0.0}},
       {"beta1 0, beta2 0.5", {0.01, 0.0, 0.5, 0.001}}},
      {with_field("beta2", good, &O::beta2, 1.0), with_field("beta1", good, &O::beta1, -0.1),
       with_field("weight_decay", good, &O::weight_decay, inf)});
}

template <class T>
entry_point<T> lars_entry() {
  using O = inertia_lars_options;
  const O good = {0.1, 0.9, 1e-4, 0.001};
  return options_entry<T, O>(
      "inertia_lars_step", "momentum_buffer", typed<T>(inertia_lars_step_f32, inertia_lars_step_f64),
      [](auto... arguments) { inertia::lars_step(arguments..., 1); },
      [](const O& o) {
        return inertia::lars_options{.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay, .eta = o.eta};
      },
      {{"lr 0.1 momentum 0.9 weight_decay 1e-4 eta 0.001", good},
       {"lr 0.5, no momentum, no weight decay, eta 0.02", {0.5, 0.0, 0.0, 0.02}},
       {"lr 0.2 momentum 0.5 weight_decay 0.01 eta 0.1", {0.2, 0.5, 0.01, 0.1}}},
      {with_field("eta", good, &O::eta, 0.0), with_field("momentum", good, &O::momentum, 1.0),
       with_field("lr", good, &O::lr, -1.0)});
}

template <class T>
entry_point<T> aggmo_entry() {
  const auto call = typed<T>(inertia_aggmo_step_f32, inertia_aggmo_step_f64);
  entry_point<T> e{c_name<T>("inertia_aggmo_step"),
                   {{"param"}, {"grad"}, {"velocities[0]"}, {"velocities[1]"}, {"velocities[2]"}},
                   1,
                   {},
                   {}};
  struct setting {
    std::string label;
    double lr;
    std::vector<double> betas;
    double weight_decay;
  };
  // The C velocity pointers, the C++ velocity spans: the first k of buffers 2, 3, 4.
  const auto c_velocities = [](streams<T> s) { return std::array<T*, 3>{s[2].data(), s[3].data(), s[4].data()}; };
  const auto cpp_velocities = [](streams<T> s) { return std::array<std::span<T>, 3>{s[2], s[3], s[4]}; };
  for (const setting& h : {setting{"the paper's betas {0, 0.9, 0.99}", 0.1, {0.0, 0.9, 0.99}, 0.0},
                           setting{"one beta 0.5, weight decay 0.01", 0.05, {0.5}, 0.01},
                           setting{"betas {0.3, 0.6}, weight decay 0.001", 0.2, {0.3, 0.6}, 0.001}})
    e.cases.push_back({h.label,
                       [=](streams<T> s, side_state&, std::int64_t) {
                         const auto v = c_velocities(s);
                         return call(s[0].data(), s[1].data(), v.data(), s[0].size(), h.lr, h.betas.data(),
                                     h.betas.size(), h.weight_decay);
                       },
                       [=](streams<T> s, side_state&, std::int64_t) {
                         const auto v = cpp_velocities(s);
                         inertia::aggmo_step(s[0], s[1], std::span<const std::span<T>>(v.data(), h.betas.size()),
                                             {.lr = h.lr, .betas = h.betas, .weight_decay = h.weight_decay}, 1);
                       }});
  static constexpr double betas[] = {0.0, 0.9, 0.99}, bad_betas[] = {0.0, 0.9, 1.0};
  // call with the C velocity array after edit(velocities); cpp: the same as spans.
  const auto with = [=](auto edit, const double* b, std::size_t k, double lr) {
    return [=](streams<T> s, side_state&) {
      auto v = c_velocities(s);
      edit(v, s);
      return call(s[0].data(), s[1].data(), v.data(), s[0].size(), lr, b, k, 0.0);
    };
  };
  const auto cpp_with = [=](auto edit, std::span<const double> b, double lr) {
    return [=](streams<T> s, side_state&) {
      auto v = cpp_velocities(s);
      edit(v, s);
      inertia::aggmo_step(s[0], s[1], std::span<const std::span<T>>(v.data(), b.size()), {.lr = lr, .betas = b}, 1);
    };
  };
  const auto as_is = [](auto&, streams<T>) {};
  e.bad_calls = {
      {"velocities array NULL with k 3", INERTIA_ERROR_NULL_POINTER, "velocities",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), nullptr, s[0].size(), 0.1, betas, 3, 0.0);
       }},
      {"betas NULL with k 3", INERTIA_ERROR_NULL_POINTER, "betas", with(as_is, nullptr, 3, 0.1)},
      {"velocities[1] NULL", INERTIA_ERROR_NULL_POINTER, "velocities[1]",
       with([](std::array<T*, 3>& v, streams<T>) { v[1] = nullptr; }, betas, 3, 0.1)},
      {"k 0", INERTIA_ERROR_HYPERPARAMETER, "betas", with(as_is, betas, 0, 0.1),
       cpp_with(as_is, std::span<const double>(), 0.1)},
      {"betas[2] 1.0", INERTIA_ERROR_HYPERPARAMETER, "betas[2]", with(as_is, bad_betas, 3, 0.1),
       cpp_with(as_is, bad_betas, 0.1)},
      {"lr -0.1", INERTIA_ERROR_HYPERPARAMETER, "lr", with(as_is, betas, 3, -0.1), cpp_with(as_is, betas, -0.1)},
      {"velocities[2] is velocities[0]", INERTIA_ERROR_OVERLAP, "velocities[2]",
       with([](std::array<T*, 3>& v, streams<T>) { v[2] = v[0]; }, betas, 3, 0.1),
       cpp_with([](std::array<std::span<T>, 3>& v, streams<T>) { v[2] = v[0]; }, betas, 0.1)},
      {"velocities[0] is grad", INERTIA_ERROR_OVERLAP, "velocities[0]",
       with([](std::array<T*, 3>& v, streams<T> s) { v[0] = s[1].data(); }, betas, 3, 0.1),
       cpp_with([](std::array<std::span<T>, 3>& v, streams<T> s) { v[0] = s[1]; }, betas, 0.1)},
  };
  return e;
}

template <class T>
entry_point<T> signum_entry() {
  const auto call = typed<T>(inertia_signum_step_f32, inertia_signum_step_f64);
  entry_point<T> e{c_name<T>("inertia_signum_step"), {{"param"}, {"grad"}, {"velocity"}}, 1, {}, {}};
  for (const auto& [lr, beta] : {std::pair{0.01, 0.9}, std::pair{0.02, 0.0}, std::pair{0.005, 0.5}})
    e.cases.push_back({"lr " + show(lr) + " beta " + show(beta),
                       [=](streams<T> s, side_state&, std::int64_t) {
                         return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), lr, beta);
                       },
                       [=](streams<T> s, side_state&, std::int64_t) {
                         inertia::signum_step(s[0], s[1], s[2], {.lr = lr, .beta = beta}, 1);
                       }});
  const auto bad = [=](double lr, double beta) {
    return std::pair{[=](streams<T> s, side_state&) {
                       return call(s[0].data(), s[1].data(), s[2].data(), s[0].size(), lr, beta);
                     },
                     [=](streams<T> s, side_state&) { inertia::signum_step(s[0], s[1], s[2], {.lr = lr, .beta = beta}, 1); }};
  };
  e.bad_calls = {
      {"velocity NULL", INERTIA_ERROR_NULL_POINTER, "velocity",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), nullptr, s[0].size(), 0.01, 0.9); }},
      {"velocity is grad", INERTIA_ERROR_OVERLAP, "velocity",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[1].data(), s[0].size(), 0.01, 0.9); },
       [=](streams<T> s, side_state&) { inertia::signum_step(s[0], s[1], s[1], {.lr = 0.01, .beta = 0.9}, 1); }},
      {"beta -0.1", INERTIA_ERROR_HYPERPARAMETER, "beta", bad(0.01, -0.1).first, bad(0.01, -0.1).second},
      {"lr NaN", INERTIA_ERROR_HYPERPARAMETER, "lr", bad(nan, 0.9).first, bad(nan, 0.9).second},
  };
  return e;
}

inertia::weight_ema_rounding cpp_rounding(inertia_weight_ema_rounding rounding) {
  return rounding == INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD ? inertia::weight_ema_rounding::mul_add
                                                          : inertia::weight_ema_rounding::torch_lerp;
}

template <class T>
entry_point<T> weight_ema_entry() {
  const auto call = typed<T>(inertia_weight_ema_step_f32, inertia_weight_ema_step_f64);
  const auto int_call = typed<T>(weight_ema_step_f32_int, weight_ema_step_f64_int);
  // The model's weights (param) are the input that changes between updates.
  entry_point<T> e{c_name<T>("inertia_weight_ema_step"), {{"average"}, {"param"}}, 1, {}, {}};
  // updates = 10 (step - 1): warmup's (1 + t) / (10 + t) crosses decay 0.6 on the way.
  const auto updates_at = [](std::int64_t step) { return 10 * (step - 1); };
  for (const inertia_weight_ema_rounding rounding :
       {INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP, INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD})
    for (const auto& [decay, warmup] : {std::pair{0.999, 0}, std::pair{0.999, 1}, std::pair{0.3, 0}, std::pair{0.6, 1}})
      e.cases.push_back(
          {std::string(rounding == INERTIA_WEIGHT_EMA_ROUNDING_MUL_ADD ? "mul_add" : "torch_lerp") + " decay " +
               show(decay) + " warmup " + std::to_string(warmup),
           [=](streams<T> s, side_state&, std::int64_t t) {
             return call(s[0].data(), s[1].data(), s[0].size(), decay, warmup, rounding, updates_at(t));
           },
           [=](streams<T> s, side_state&, std::int64_t t) {
             inertia::weight_ema_step(
                 s[0], s[1], {.decay = decay, .warmup = warmup != 0, .rounding = cpp_rounding(rounding)},
                 updates_at(t) + 1);
           }});
  constexpr auto lerp = INERTIA_WEIGHT_EMA_ROUNDING_TORCH_LERP;
  e.bad_calls = {
      {"average NULL", INERTIA_ERROR_NULL_POINTER, "average",
       [=](streams<T> s, side_state&) { return call(nullptr, s[1].data(), s[0].size(), 0.999, 0, lerp, 0); }},
      {"param NULL", INERTIA_ERROR_NULL_POINTER, "param",
       [=](streams<T> s, side_state&) { return call(s[0].data(), nullptr, s[0].size(), 0.999, 0, lerp, 0); }},
      {"average overlaps param by one element", INERTIA_ERROR_OVERLAP, "average",
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         return call(o.first.data(), o.second.data(), o.first.size(), 0.999, 0, lerp, 0);
       },
       [=](streams<T> s, side_state&) {
         const one_element_overlap<T> o(s[0]);
         inertia::weight_ema_step(o.first, o.second, {.decay = 0.999}, 1);
       }},
      {"decay 1.5", INERTIA_ERROR_HYPERPARAMETER, "decay",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[0].size(), 1.5, 0, lerp, 0); },
       [=](streams<T> s, side_state&) { inertia::weight_ema_step(s[0], s[1], {.decay = 1.5}, 1); }},
      // The C call's 0-based updates; the C++ call's t = updates + 1 says "step".
      {"updates -1 with warmup", INERTIA_ERROR_HYPERPARAMETER, "updates",
       [=](streams<T> s, side_state&) { return call(s[0].data(), s[1].data(), s[0].size(), 0.999, 1, lerp, -1); }},
      {"rounding 5", INERTIA_ERROR_HYPERPARAMETER, "rounding",
       [=](streams<T> s, side_state&) { return int_call(s[0].data(), s[1].data(), s[0].size(), 0.999, 0, 5, 0); }},
  };
  return e;
}

inertia::adam_options cpp_options(const inertia_adam_options& o) {
  return {.lr = o.lr,
          .beta1 = o.beta1,
          .beta2 = o.beta2,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .amsgrad = o.amsgrad != 0,
          .maximize = o.maximize != 0,
          .decoupled_weight_decay = o.decoupled_weight_decay != 0,
          .numerics = static_cast<inertia::adam_numerics>(o.numerics)};
}

inertia::nadam_options cpp_options(const inertia_nadam_options& o) {
  return {.lr = o.lr,
          .beta1 = o.beta1,
          .beta2 = o.beta2,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .momentum_decay = o.momentum_decay,
          .decoupled_weight_decay = o.decoupled_weight_decay != 0,
          .maximize = o.maximize != 0,
          // the C call takes inertia_adam_numerics' values (pytorch_1_13 is 3 there, 2 in C++)
          .numerics = o.numerics == INERTIA_ADAM_NUMERICS_PYTORCH_1_13 ? inertia::nadam_numerics::pytorch_1_13
                                                                       : static_cast<inertia::nadam_numerics>(o.numerics)};
}

const std::vector<stream_spec> adam_buffers = {
    {"param"}, {"grad"}, {"exp_avg"}, {"exp_avg_sq", start::magnitude}, {"max_exp_avg_sq", start::magnitude}};

template <class T>
inertia::adam_tensor<T> cpp_adam_tensor(streams<T> s, bool amsgrad) {
  return {.param = s[0],
          .grad = s[1],
          .exp_avg = s[2],
          .exp_avg_sq = s[3],
          .max_exp_avg_sq = amsgrad ? s[4] : std::span<T>()};
}

template <class T>
entry_point<T> adam_entry() {
  using O = inertia_adam_options;
  const auto call = typed<T>(inertia_adam_step_f32, inertia_adam_step_f64);
  entry_point<T> e{c_name<T>("inertia_adam_step"), adam_buffers, 1, {}, {}};
  // {lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay, numerics}
  const std::vector<std::pair<std::string, O>> settings = {
      {"Adam", {1e-3, 0.9, 0.999, 1e-8, 0.0, 0, 0, 0}},
      {"Adam, coupled weight decay 0.01", {2e-3, 0.8, 0.99, 1e-6, 0.01, 0, 0, 0}},
      {"AdamW, weight decay 0.01", {1e-3, 0.9, 0.999, 1e-8, 0.01, 0, 0, 1}},
      {"Adam, amsgrad", {1e-2, 0.85, 0.995, 1e-7, 0.0, 1, 0, 0}},
      {"AdamW, amsgrad, maximize", {1e-3, 0.9, 0.98, 1e-8, 0.05, 1, 1, 1}},
      {"AdamW, torch 2.x fused", {1e-3, 0.9, 0.98, 1e-8, 0.05, 0, 0, 1, INERTIA_ADAM_NUMERICS_PYTORCH_FUSED}},
      {"Adam, amsgrad, torch 1.13", {1e-2, 0.85, 0.995, 1e-7, 0.0, 1, 0, 0, INERTIA_ADAM_NUMERICS_PYTORCH_1_13}},
  };
  for (const auto& [label, o] : settings)
    e.cases.push_back({label,
                       [=](streams<T> s, side_state&, std::int64_t t) {
                         // Without amsgrad max_exp_avg_sq is no state: NULL, as the header allows.
                         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), pointer_if(o.amsgrad != 0, s[4]),
                                     s[0].size(), &o, t);
                       },
                       [=](streams<T> s, side_state&, std::int64_t t) {
                         inertia::adam_step(cpp_adam_tensor(s, o.amsgrad != 0), cpp_options(o), t);
                       }});
  const O good = {0.01, 0.9, 0.999, 1e-8, 0.0, 1, 0, 0};  // amsgrad: max_exp_avg_sq required
  const auto cpp_bad = [](O o, std::int64_t step) {
    return [=](streams<T> s, side_state&) { inertia::adam_step(cpp_adam_tensor(s, true), cpp_options(o), step); };
  };
  const auto c_bad = [=](O o, std::int64_t step) {
    return [=](streams<T> s, side_state&) {
      return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[4].data(), s[0].size(), &o, step);
    };
  };
  O bad_eps = good, bad_beta1 = good, bad_numerics = good;
  bad_eps.eps = 0.0;
  bad_beta1.beta1 = 1.0;
  bad_numerics.numerics = 4;
  e.bad_calls = {
      {"exp_avg_sq NULL", INERTIA_ERROR_NULL_POINTER, "exp_avg_sq",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), nullptr, s[4].data(), s[0].size(), &good, 1);
       }},
      {"max_exp_avg_sq NULL with amsgrad", INERTIA_ERROR_NULL_POINTER, "max_exp_avg_sq",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), nullptr, s[0].size(), &good, 1);
       }},
      {"options NULL", INERTIA_ERROR_NULL_POINTER, "options",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[4].data(), s[0].size(), nullptr, 1);
       }},
      {"exp_avg_sq is exp_avg", INERTIA_ERROR_OVERLAP, "exp_avg_sq",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[2].data(), s[4].data(), s[0].size(), &good, 1);
       },
       [=](streams<T> s, side_state&) {
         inertia::adam_step(inertia::adam_tensor<T>{s[0], s[1], s[2], s[2], s[4]}, cpp_options(good), 1);
       }},
      {"max_exp_avg_sq is param", INERTIA_ERROR_OVERLAP, "max_exp_avg_sq",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].data(), s[0].size(), &good, 1);
       },
       [=](streams<T> s, side_state&) {
         inertia::adam_step(inertia::adam_tensor<T>{s[0], s[1], s[2], s[3], s[0]}, cpp_options(good), 1);
       }},
      {"step 0", INERTIA_ERROR_HYPERPARAMETER, "step", c_bad(good, 0), cpp_bad(good, 0)},
      {"eps 0", INERTIA_ERROR_HYPERPARAMETER, "eps", c_bad(bad_eps, 1), cpp_bad(bad_eps, 1)},
      {"beta1 1.0", INERTIA_ERROR_HYPERPARAMETER, "beta1", c_bad(bad_beta1, 1), cpp_bad(bad_beta1, 1)},
      {"numerics 4", INERTIA_ERROR_HYPERPARAMETER, "numerics", c_bad(bad_numerics, 1), cpp_bad(bad_numerics, 1)},
  };
  return e;
}

template <class T>
entry_point<T> nadam_entry() {
  using O = inertia_nadam_options;
  const auto call = typed<T>(inertia_nadam_step_f32, inertia_nadam_step_f64);
  entry_point<T> e{c_name<T>("inertia_nadam_step"), {adam_buffers.begin(), adam_buffers.end() - 1}, 1, {}, {}};
  const auto tensor = [](streams<T> s) {
    return inertia::adam_tensor<T>{.param = s[0], .grad = s[1], .exp_avg = s[2], .exp_avg_sq = s[3]};
  };
  // {lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize, numerics}
  for (const auto& [label, o] : std::vector<std::pair<std::string, O>>{
           {"torch's defaults", {2e-3, 0.9, 0.999, 1e-8, 0.0, 4e-3}},
           {"decoupled weight decay, maximize, foreach",
            {2e-3, 0.9, 0.999, 1e-8, 0.01, 4e-3, 1, 1, INERTIA_ADAM_NUMERICS_PYTORCH_FOREACH}},
           {"torch 1.13", {1e-2, 0.8, 0.99, 1e-6, 0.01, 0.1, 0, 0, INERTIA_ADAM_NUMERICS_PYTORCH_1_13}},
           {"weight decay 0.01, momentum_decay 0.1", {1e-2, 0.8, 0.99, 1e-6, 0.01, 0.1}},
           {"momentum_decay 0", {5e-3, 0.95, 0.9, 1e-7, 0.0, 0.0}}})
    e.cases.push_back({label,
                       [=](streams<T> s, side_state& side, std::int64_t t) {
                         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].size(), &o, t,
                                     &side.mu_product);
                       },
                       [=](streams<T> s, side_state& side, std::int64_t t) {
                         inertia::nadam_step(tensor(s), cpp_options(o), t, side.mu_product);
                       }});
  const O good = {0.002, 0.9, 0.999, 1e-8, 0.0, 0.004};
  O bad_decay = good, maximize_1_13 = good;
  bad_decay.momentum_decay = -1.0;
  maximize_1_13.maximize = 1;
  maximize_1_13.numerics = INERTIA_ADAM_NUMERICS_PYTORCH_1_13;  // torch 1.13's NAdam has no maximize
  e.bad_calls = {
      {"maximize with torch 1.13's order", INERTIA_ERROR_HYPERPARAMETER, "maximize",
       [=](streams<T> s, side_state& side) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].size(), &maximize_1_13, 1,
                     &side.mu_product);
       },
       [=](streams<T> s, side_state& side) {
         inertia::nadam_step(tensor(s), cpp_options(maximize_1_13), 1, side.mu_product);
       }},
      {"mu_product NULL", INERTIA_ERROR_NULL_POINTER, "mu_product",
       [=](streams<T> s, side_state&) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].size(), &good, 1, nullptr);
       }},
      {"exp_avg NULL", INERTIA_ERROR_NULL_POINTER, "exp_avg",
       [=](streams<T> s, side_state& side) {
         return call(s[0].data(), s[1].data(), nullptr, s[3].data(), s[0].size(), &good, 1, &side.mu_product);
       }},
      {"options NULL", INERTIA_ERROR_NULL_POINTER, "options",
       [=](streams<T> s, side_state& side) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].size(), nullptr, 1, &side.mu_product);
       }},
      {"exp_avg_sq is param", INERTIA_ERROR_OVERLAP, "exp_avg_sq",
       [=](streams<T> s, side_state& side) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[0].data(), s[0].size(), &good, 1, &side.mu_product);
       },
       [=](streams<T> s, side_state& side) {
         inertia::nadam_step(inertia::adam_tensor<T>{.param = s[0], .grad = s[1], .exp_avg = s[2], .exp_avg_sq = s[0]}, cpp_options(good), 1,
                             side.mu_product);
       }},
      {"momentum_decay -1", INERTIA_ERROR_HYPERPARAMETER, "momentum_decay",
       [=](streams<T> s, side_state& side) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].size(), &bad_decay, 1,
                     &side.mu_product);
       },
       [=](streams<T> s, side_state& side) {
         inertia::nadam_step(tensor(s), cpp_options(bad_decay), 1, side.mu_product);
       }},
      {"step 0", INERTIA_ERROR_HYPERPARAMETER, "step",
       [=](streams<T> s, side_state& side) {
         return call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].size(), &good, 0, &side.mu_product);
       },
       [=](streams<T> s, side_state& side) { inertia::nadam_step(tensor(s), cpp_options(good), 0, side.mu_product); }},
      // mu_product 1.5 lives in the call, not in side_state (which must hold a
      // valid one for the other calls); it must come back as it went in.
      {"mu_product 1.5", INERTIA_ERROR_HYPERPARAMETER, "mu_product",
       [=](streams<T> s, side_state&) {
         float mu_product = 1.5f;
         const inertia_status status =
             call(s[0].data(), s[1].data(), s[2].data(), s[3].data(), s[0].size(), &good, 1, &mu_product);
         CHECK(mu_product == 1.5f);
         return status;
       },
       [=](streams<T> s, side_state&) {
         float mu_product = 1.5f;
         try {
           inertia::nadam_step(tensor(s), cpp_options(good), 1, mu_product);
         } catch (...) {
           CHECK(mu_product == 1.5f);
           throw;
         }
       }},
  };
  return e;
}

/// The table: every per-variant entry point of inertia.h taking T.
template <class T>
std::vector<entry_point<T>> entry_points() {
  constexpr auto loop = INERTIA_SGD_NUMERICS_PYTORCH_LOOP, fused = INERTIA_SGD_NUMERICS_PYTORCH_FUSED;
  const auto sgd = typed<T>(inertia_sgd_step_f32, inertia_sgd_step_f64);
  const auto sgd_ex = typed<T>(inertia_sgd_step_ex_f32, inertia_sgd_step_ex_f64);
  const auto sgd_ex_int = typed<T>(sgd_step_ex_f32_int, sgd_step_ex_f64_int);
  const auto multi = typed<T>(inertia_sgd_step_multi_f32, inertia_sgd_step_multi_f64);
  const auto multi_ex = typed<T>(inertia_sgd_step_multi_ex_f32, inertia_sgd_step_multi_ex_f64);
  const auto multi_ex_int = typed<T>(sgd_step_multi_ex_f32_int, sgd_step_multi_ex_f64_int);

  std::vector<entry_point<T>> table;
  // The plain spellings take no numerics: they are the loop numerics.
  table.push_back(sgd_entry<T>("inertia_sgd_step", {loop}, [=](auto w, auto g, auto v, auto n, auto o, int first,
                                                               inertia_sgd_numerics) { return sgd(w, g, v, n, o, first); }));
  table.push_back(sgd_entry<T>("inertia_sgd_step_ex", {loop, fused}, sgd_ex));
  table.back().bad_calls.push_back(
      {"numerics 7", INERTIA_ERROR_HYPERPARAMETER, "numerics", [=](streams<T> s, side_state&) {
         return sgd_ex_int(s[0].data(), s[1].data(), s[2].data(), s[0].size(), &sgd_good, 0, 7);
       }});
  table.push_back(sgd_multi_entry<T>("inertia_sgd_step_multi", {loop},
                                     [=](auto p, auto g, auto b, auto sizes, auto count, auto o, int first,
                                         inertia_sgd_numerics) { return multi(p, g, b, sizes, count, o, first); }));
  table.push_back(sgd_multi_entry<T>("inertia_sgd_step_multi_ex", {loop, fused}, multi_ex));
  table.back().bad_calls.push_back(
      {"numerics 7", INERTIA_ERROR_HYPERPARAMETER, "numerics", [=](streams<T> s, side_state&) {
         c_tensors<T> c(s);
         return multi_ex_int(c.params.data(), c.grads.data(), c.buffers.data(), c.sizes.data(), 4, &sgd_good, 0, 7);
       }});
  table.push_back(sgd_multi_policy_entry<T>());
  table.push_back(sutskever_entry<T>());
  table.push_back(nesterov_lookahead_entry<T>());
  table.push_back(ema_entry<T>());
  table.push_back(qhm_entry<T>());
  table.push_back(aggmo_entry<T>());
  table.push_back(lion_entry<T>());
  table.push_back(signum_entry<T>());
  table.push_back(lars_entry<T>());
  table.push_back(weight_ema_entry<T>());
  table.push_back(adam_entry<T>());
  table.push_back(nadam_entry<T>());
  return table;
}

// ---- the checks ---------------------------------------------------------------

template <class T>
std::vector<std::span<T>> views_of(buffers<T>& data) {
  std::vector<std::span<T>> out;
  for (std::size_t k = 0; k < data.count(); ++k) out.push_back(data[k]);
  return out;
}

template <class T>
buffers<T> initial_buffers(const entry_point<T>& entry, std::size_t size, std::size_t offset, std::uint64_t seed) {
  buffers<T> data = random_buffers<T>(entry.buffers.size(), size, offset, seed);
  for (std::size_t k = 0; k < entry.buffers.size(); ++k)
    if (entry.buffers[k].initial == start::magnitude)
      for (T& x : data[k]) x = std::abs(x);
  return data;
}

/// 0, 1, below one vector of every target (3, 7), odd tails (17, 33), several
/// vectors (1003), and more than one 32 KiB block of floats (20011 > 8192).
const std::vector<std::size_t> equivalence_sizes = {0, 1, 3, 7, 17, 33, 1003, 20011};
constexpr int steps = 3;

template <class T>
void require_same_bits_as_cpp(const entry_point<T>& entry) {
  for (const step_case<T>& c : entry.cases)
    for (const std::size_t size : equivalence_sizes)
      for (const std::size_t offset : offsets) {
        const std::uint64_t seed = size * 7 + offset;
        buffers<T> through_c = initial_buffers(entry, size, offset, seed);
        buffers<T> through_cpp = through_c.clone(), initial = through_c.clone();
        const auto c_views = views_of(through_c), cpp_views = views_of(through_cpp);
        side_state c_side, cpp_side;
        for (std::int64_t step = 1; step <= steps; ++step) {
          fill_random<T>(through_c[entry.fresh], 1000 + seed + step);
          std::copy(through_c[entry.fresh].begin(), through_c[entry.fresh].end(), through_cpp[entry.fresh].begin());
          const std::string where = entry.name + " | " + c.label + " | size " + std::to_string(size) + " | offset " +
                                    std::to_string(offset) + " | step " + std::to_string(step);
          const inertia_status status = c.c_step(c_views, c_side, step);
          if (status != INERTIA_OK) FAIL(where << ": " << inertia_status_string(status) << ": " << inertia_last_error());
          c.cpp_step(cpp_views, cpp_side, step);
          for (std::size_t k = 0; k < entry.buffers.size(); ++k) {
            const std::size_t i = first_difference<T>(through_c[k], through_cpp[k]);
            if (i != size)
              FAIL(where << " | " << entry.buffers[k].name << " differs first at element " << i << ": C "
                         << through_c[k][i] << ", C++ " << through_cpp[k][i]);
          }
          if (!same_bits(c_side, cpp_side))
            FAIL(where << " | state outside the buffers differs: mu_product " << c_side.mu_product << " vs "
                       << cpp_side.mu_product << ", report {" << c_side.skipped << ", " << c_side.grad_norm
                       << "} vs {" << cpp_side.skipped << ", " << cpp_side.grad_norm << "}");
        }
        // A case that wrote nothing would compare two untouched copies: make
        // sure every case steps something (the refilled input aside).
        if (size >= 17) {
          bool wrote = false;
          for (std::size_t k = 0; k < entry.buffers.size(); ++k)
            wrote = wrote || (k != entry.fresh && !bitwise_equal<T>(through_c[k], initial[k]));
          if (!wrote) FAIL(entry.name << " | " << c.label << " | size " << size << ": the steps changed no buffer");
        }
      }
  SUCCEED();
}

/// The state a refused call must leave as it found: valid values (NAdam's
/// mu_product must be in [0, 1] for the other checks to be reached), and
/// sentinels for what a step would overwrite.
side_state refusal_side_state() { return {.mu_product = 0.5f, .skipped = -1, .grad_norm = -1.0, .momentum = -7.0}; }

/// The C++ API's exception for call(), or a failure when it throws none.
template <class Call>
inertia::invalid_argument cpp_exception(Call call, const std::string& where) {
  try {
    call();
  } catch (const inertia::invalid_argument& e) {
    return e;
  }
  FAIL(where << ": the C++ API accepted what the C ABI refused");
  throw std::logic_error("not reached: FAIL throws");
}

/// data: the buffers the calls see (none for Demon).
template <class T>
void require_refused(const std::string& function, const bad_call<T>& bad, buffers<T>& data) {
  const std::string where = function + " | " + bad.label;
  INFO(where);
  const auto views = views_of(data);
  buffers<T> before = data.clone();
  side_state side = refusal_side_state();
  const inertia_status status = bad.c_call(views, side);
  const std::string message = inertia_last_error();
  INFO("C message: " << message);
  CHECK(status == bad.status);
  CHECK(message.rfind(function + ": ", 0) == 0);
  CHECK(message.find(bad.argument) != std::string::npos);
  for (std::size_t k = 0; k < data.count(); ++k) REQUIRE(bitwise_equal<T>(data[k], before[k]));
  REQUIRE(same_bits(side, refusal_side_state()));
  if (!bad.cpp_call) return;
  const inertia::invalid_argument e = cpp_exception([&] { bad.cpp_call(views, side); }, where);
  CHECK(status_of(e.kind()) == bad.status);
  CHECK(e.argument() == bad.argument);
  // The C ABI passes the C++ API's message on, under the function's name.
  CHECK(message == function + ": invalid " + e.argument() + ": " + e.what());
  for (std::size_t k = 0; k < data.count(); ++k) REQUIRE(bitwise_equal<T>(data[k], before[k]));
  REQUIRE(same_bits(side, refusal_side_state()));
}

template <class T>
void require_every_bad_call_refused(const entry_point<T>& entry) {
  // 37: an odd length, halved by one_element_overlap into two 18s sharing one.
  for (const bad_call<T>& bad : entry.bad_calls) {
    buffers<T> data = initial_buffers(entry, 37, 1, 5);
    require_refused(entry.name, bad, data);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("every C entry point gives the C++ API's bits", "[c_abi][equivalence]", float, double) {
  for (const entry_point<TestType>& entry : entry_points<TestType>())
    DYNAMIC_SECTION(entry.name) { require_same_bits_as_cpp(entry); }
}

TEMPLATE_TEST_CASE("every C entry point refuses bad input as the C++ API does, writing nothing",
                   "[c_abi][equivalence][validation]", float, double) {
  for (const entry_point<TestType>& entry : entry_points<TestType>())
    DYNAMIC_SECTION(entry.name) {
      REQUIRE(!entry.bad_calls.empty());
      require_every_bad_call_refused(entry);
    }
}

TEST_CASE("every C entry point takes the same hyperparameter settings in f32 and f64", "[c_abi][equivalence]") {
  // The table is one template: a row added for one type is there for the other.
  const auto f32 = entry_points<float>();
  const auto f64 = entry_points<double>();
  REQUIRE(f32.size() == f64.size());
  for (std::size_t i = 0; i < f32.size(); ++i) {
    CHECK(f32[i].name.substr(0, f32[i].name.size() - 4) == f64[i].name.substr(0, f64[i].name.size() - 4));
    CHECK(f32[i].cases.size() == f64[i].cases.size());
  }
}

TEST_CASE("inertia_demon_momentum gives demon_momentum's bits and refuses what it refuses", "[c_abi][equivalence]") {
  for (const double beta_init : {0.0, 0.5, 0.9, 0.999})
    for (const long long total_steps : {1LL, 7LL, 1000LL})
      for (long long step = 0; step <= total_steps; ++step) {
        double through_c = -7.0;
        REQUIRE(inertia_demon_momentum(beta_init, step, total_steps, &through_c) == INERTIA_OK);
        const double through_cpp = inertia::demon_momentum(beta_init, step, total_steps);
        if (std::memcmp(&through_c, &through_cpp, sizeof through_c) != 0)
          FAIL("beta_init " << beta_init << " step " << step << " of " << total_steps << ": C " << through_c
                            << ", C++ " << through_cpp);
      }
  // Demon has no buffers: its out-parameter is side_state's momentum, which a
  // refused call must leave at its sentinel.
  const auto bad = [](std::string label, std::string argument, double beta_init, long long step, long long total) {
    return bad_call<double>{
        std::move(label), INERTIA_ERROR_HYPERPARAMETER, std::move(argument),
        [=](streams<double>, side_state& side) { return inertia_demon_momentum(beta_init, step, total, &side.momentum); },
        [=](streams<double>, side_state& side) { side.momentum = inertia::demon_momentum(beta_init, step, total); }};
  };
  buffers<double> none(0, 0, 0);
  for (const bad_call<double>& b :
       {bad("beta_init 1.0", "beta_init", 1.0, 1, 10), bad("total_steps 0", "total_steps", 0.9, 1, 0),
        bad("step 11 of 10", "step", 0.9, 11, 10), bad("step -1", "step", 0.9, -1, 10),
        bad_call<double>{"momentum NULL", INERTIA_ERROR_NULL_POINTER, "momentum",
                         [](streams<double>, side_state&) { return inertia_demon_momentum(0.9, 1, 10, nullptr); }}})
    require_refused("inertia_demon_momentum", b, none);
}
