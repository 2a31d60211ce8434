#include "replay.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <limits>
#include <span>
#include <stdexcept>
#include <type_traits>

#include "dtype.hpp"
#include "handle.hpp"
#include "ulp.hpp"

namespace inertia::check {

namespace {

/// Of two values widened to double (exactly, from any of the four types).
double relative_difference(double a, double b) {
  if (a == b || (std::isnan(a) && std::isnan(b))) return 0.0;
  if (!std::isfinite(a) || !std::isfinite(b)) return std::numeric_limits<double>::infinity();
  const long double x = a, y = b;
  return static_cast<double>(std::fabs(x - y) / std::max(std::fabs(x), std::fabs(y)));
}

/// Element by element in T, the type the library stored: the recorded value
/// rounded to T as the replay's inputs are, the ULP distance among T's values.
template <class T>
comparison compare(const std::vector<T>& library, const std::vector<double>& recorded, const tolerance& tol) {
  comparison out;
  out.compared = true;
  out.size = library.size();
  for (std::size_t i = 0; i < library.size(); ++i) {
    const T expected_stored = element<T>::from(recorded[i]);
    const std::uint64_t ulp = ulp_distance(library[i], expected_stored);
    const double value = element<T>::widen(library[i]), expected = element<T>::widen(expected_stored);
    const double rel = relative_difference(value, expected);
    ++out.histogram[histogram_bucket(ulp)];
    if (ulp > 0) {
      if (out.differing++ == 0) {
        out.first_differing = i;
        out.first_library_value = value;
        out.first_recorded_value = expected;
        out.first_ulp = ulp;
      }
      out.last_differing = i;
    }
    if (i == 0 || ulp > out.max_ulp) {
      out.max_ulp = ulp;
      out.worst_index = i;
      out.library_value = value;
      out.recorded_value = expected;
    }
    out.max_rel = std::max(out.max_rel, rel);
    const bool within = ulp <= tol.max_ulp || (tol.max_rel > 0 && rel <= tol.max_rel);
    if (!within) ++out.out_of_tolerance;
  }
  return out;
}

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  std::vector<T> out(v.size());
  std::transform(v.begin(), v.end(), out.begin(), element<T>::from);
  return out;
}

/// The comparison that decides the step: out of tolerance first, then the
/// largest ULP distance, then the largest relative difference.
bool worse(const comparison& a, const comparison& b) {
  if (!b.compared) return a.compared;
  if (!a.compared) return false;
  if ((a.out_of_tolerance > 0) != (b.out_of_tolerance > 0)) return a.out_of_tolerance > 0;
  if (a.max_ulp != b.max_ulp) return a.max_ulp > b.max_ulp;
  return a.max_rel > b.max_rel;
}

/// P: the type of param and grad; S: of every state buffer (trajectory_case's
/// dtype and state_dtype). Scalar state (NAdam's mu_product, Schedule-Free's
/// weight_sum) is the handle's, not a buffer: it is compared in float64 for a
/// float64 case and in float32 otherwise (the handle keeps it at least that
/// wide; rounding it to a 16-bit type would hide a difference).
template <class P, class S>
case_report replay_typed(const trajectory_case& c, const replay_options& o) {
  using scalar = std::conditional_t<std::is_same_v<P, double>, double, float>;
  optimizer_handle handle(c.variant);
  for (const setting& s : c.settings) handle.apply(s);  // each was checked when the case was loaded
  for (const auto& [key, value] : c.initial_scalars) handle.set(key, value);
  // weight_ema keeps no param of its own: the weights of each step are it.
  const std::size_t n = c.reads_weights ? c.initial_states.at(0)->size() : c.initial_param.size();
  std::vector<P> param = c.reads_weights ? std::vector<P>(n) : as<P>(c.initial_param);
  std::vector<std::vector<S>> states;
  for (const auto& initial : c.initial_states) states.push_back(as<S>(initial.value()));  // settled by the loader
  std::vector<void*> state_pointers;
  for (auto& state : states) state_pointers.push_back(state.data());

  case_report report;
  for (std::size_t s = 0; s < c.steps.size(); ++s) {
    const recorded_step& rec = c.steps[s];
    if (!c.lr.empty()) handle.set("lr", c.lr[s]);
    const std::vector<P> grad = as<P>(rec.grad);
    if (c.reads_weights) param = grad;
    step_report r;
    r.step = s + 1;
    r.t = c.first_step + static_cast<long long>(s);
    handle.step(c_dtype(element<P>::type), c_dtype(element<S>::type), param.data(),
                c.reads_weights ? nullptr : grad.data(), state_pointers, n, r.t);

    if (!rec.param.empty()) r.param = compare(param, rec.param, o.tol);
    for (std::size_t i = 0; i < states.size(); ++i)
      if (rec.states[i]) r.states.push_back({c.state_names[i], compare(states[i], *rec.states[i], o.tol)});
    for (const auto& [key, recorded] : rec.scalars)
      r.states.push_back({key, compare(std::vector<scalar>{static_cast<scalar>(handle.get(key))}, {recorded}, o.tol)});
    for (const auto& [name, result] : r.states) {
      if (worse(result, r.state)) {
        r.state = result;
        r.state_name = name;
      }
      r.passed = r.passed && result.out_of_tolerance == 0;
    }
    r.passed = r.passed && r.param.out_of_tolerance == 0;
    const auto add = [](ulp_histogram& to, const ulp_histogram& from) {
      for (std::size_t b = 0; b < histogram_buckets; ++b) to[b] += from[b];
    };
    add(r.histogram, r.param.histogram);
    for (const auto& named : r.states) add(r.histogram, named.result.histogram);
    add(report.histogram, r.histogram);
    report.max_ulp = std::max({report.max_ulp, r.param.max_ulp, r.state.max_ulp});
    report.max_rel = std::max({report.max_rel, r.param.max_rel, r.state.max_rel});
    if (!r.passed && report.passed) {
      report.passed = false;
      report.first_failing_step = r.step;
    }
    report.steps.push_back(std::move(r));

    if (o.resync) {
      if (!rec.param.empty()) param = as<P>(rec.param);
      for (std::size_t i = 0; i < states.size(); ++i)
        if (rec.states[i])  // in place: state_pointers hold the buffers' addresses
          std::transform(rec.states[i]->begin(), rec.states[i]->end(), states[i].begin(), element<S>::from);
      for (const auto& [key, recorded] : rec.scalars) handle.set(key, recorded);
    }
  }
  return report;
}

/// The widths a vectorized kernel's tail can come from: SSE2/NEON doubles
/// to AVX-512 floats (torch's fused kernels step Vectorized<T>::size()
/// elements at a time and the last n % width apart).
constexpr std::size_t tail_widths[] = {4, 8, 16};

/// The largest ULP distance a contraction difference shows at the step where
/// it first appears: one rounding more or less, at most a few ULP.
constexpr std::uint64_t contraction_max_ulp = 3;

}  // namespace

std::size_t histogram_bucket(std::uint64_t ulp) {
  if (ulp == 0) return 0;
  if (ulp == 1) return 1;
  if (ulp < 4) return 2;
  if (ulp < 16) return 3;
  if (ulp < 256) return 4;
  return 5;
}

diagnosis diagnose(const case_report& report, const std::vector<std::string>& numerics_choices,
                   const std::string& numerics) {
  diagnosis d;
  for (const step_report& s : report.steps) {
    // The arrays of this step that differ, param first, states in the library's order.
    std::vector<std::pair<std::string, const comparison*>> arrays;
    if (s.param.compared && s.param.differing) arrays.emplace_back("param", &s.param);
    for (const named_comparison& n : s.states)
      if (n.result.compared && n.result.differing) arrays.emplace_back(n.name, &n.result);
    if (arrays.empty()) continue;
    d.step = s.step;
    // The first differing element of the step: the lowest index, param before
    // state, a tensor's before a scalar state's (index 0 of one value says less).
    const auto first = std::min_element(arrays.begin(), arrays.end(), [](const auto& a, const auto& b) {
      const bool a_scalar = a.second->size <= 1, b_scalar = b.second->size <= 1;
      if (a_scalar != b_scalar) return b_scalar;
      return a.second->first_differing < b.second->first_differing;
    });
    d.array = first->first;
    d.element = first->second->first_differing;
    d.library_value = first->second->first_library_value;
    d.recorded_value = first->second->first_recorded_value;
    d.ulp = first->second->first_ulp;
    std::size_t differing = 0, size = 0, lowest = SIZE_MAX;
    std::uint64_t worst = 0;
    bool scalar_only = true;
    for (const auto& [name, c] : arrays) {
      if (c->size <= 1) continue;  // a scalar state (mu_product) has no place in the tensor
      differing = std::max(differing, c->differing);
      lowest = std::min(lowest, c->first_differing);
      worst = std::max(worst, c->max_ulp);
      size = c->size;
      scalar_only = false;
    }
    if (scalar_only) break;  // a scalar state (mu_product) alone shows no pattern
    const std::string where = "at step " + std::to_string(s.step) + ", the first that differs, ";
    // Tail: every differing element is among the last n % width, for a width
    // that leaves a tail; the shortest such tail says the most.
    std::size_t tail = 0;
    for (std::size_t w : tail_widths) {
      const std::size_t r = size % w;
      if (size < w || r == 0 || lowest < size - r) continue;
      if (tail == 0 || r < tail) tail = r;
    }
    std::string widths;  // every width whose tail is that one: "n % 8 = n % 16"
    for (std::size_t w : tail_widths)
      if (tail != 0 && size >= w && size % w == tail) widths += (widths.empty() ? "" : " = ") + ("n % " + std::to_string(w));
    std::string other_paths;
    for (const std::string& c : numerics_choices)
      if (c != numerics) other_paths += (other_paths.empty() ? "" : ", ") + c;
    const std::string try_numerics =
        other_paths.empty() ? "" : " (this replay: numerics " + numerics + "; the variant also has " + other_paths + ")";
    if (tail != 0) {
      d.hints.push_back("hint: " + where + "only elements among the last " + std::to_string(tail) + " (" + widths +
                        " = " + std::to_string(tail) + ", n = " + std::to_string(size) + ") differ, " +
                        std::to_string(differing) +
                        " of them: the tail order of a fused or vectorized kernel that steps the last n % width "
                        "elements apart, such as torch's fused=True path" + try_numerics);
    } else if (size >= 8 && differing * 4 >= size && worst <= contraction_max_ulp) {
      d.hints.push_back("hint: " + where + std::to_string(differing) + " of " + std::to_string(size) +
                        " elements differ, by at most " + std::to_string(worst) +
                        " ULP: a different multiply-add contraction or operation order (an FMA against a "
                        "multiply and an add, lerp against a multiply-add, another framework path or version)" +
                        try_numerics);
    }
    break;
  }
  return d;
}

case_report replay(const trajectory_case& c, const replay_options& options) {
  // Every pair check_state_dtype (trajectory.cpp) lets through, as the library takes them.
  using E = element_type;
  const auto is = [&](E p, E s) { return c.dtype == p && c.state_dtype == s; };
  if (is(E::float32, E::float32)) return replay_typed<float, float>(c, options);
  if (is(E::float64, E::float64)) return replay_typed<double, double>(c, options);
  if (is(E::bfloat16, E::bfloat16)) return replay_typed<bfloat16, bfloat16>(c, options);
  if (is(E::float16, E::float16)) return replay_typed<float16, float16>(c, options);
  if (is(E::bfloat16, E::float32)) return replay_typed<bfloat16, float>(c, options);
  if (is(E::float16, E::float32)) return replay_typed<float16, float>(c, options);
  if (is(E::float16, E::bfloat16)) return replay_typed<float16, bfloat16>(c, options);
  if (is(E::float32, E::bfloat16)) return replay_typed<float, bfloat16>(c, options);
  throw std::invalid_argument(std::string("no replay of dtype ") + type_name(c.dtype) + " with state_dtype " +
                              type_name(c.state_dtype));
}

}  // namespace inertia::check
