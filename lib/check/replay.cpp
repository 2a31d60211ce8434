#include "replay.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <type_traits>

#include "handle.hpp"
#include "ulp.hpp"

namespace inertia::check {

namespace {

template <class T>
double relative_difference(T a, T b) {
  if (a == b || (std::isnan(a) && std::isnan(b))) return 0.0;
  if (!std::isfinite(a) || !std::isfinite(b)) return std::numeric_limits<double>::infinity();
  const long double x = a, y = b;
  return static_cast<double>(std::fabs(x - y) / std::max(std::fabs(x), std::fabs(y)));
}

template <class T>
comparison compare(const std::vector<T>& library, const std::vector<double>& recorded, const tolerance& tol) {
  comparison out;
  out.compared = true;
  for (std::size_t i = 0; i < library.size(); ++i) {
    const T expected = static_cast<T>(recorded[i]);
    const std::uint64_t ulp = ulp_distance(library[i], expected);
    const double rel = relative_difference(library[i], expected);
    if (i == 0 || ulp > out.max_ulp) {
      out.max_ulp = ulp;
      out.worst_index = i;
      out.library_value = library[i];
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
  return std::vector<T>(v.begin(), v.end());
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

template <class T>
case_report replay_typed(const trajectory_case& c, const replay_options& o) {
  optimizer_handle handle(c.variant);
  for (const setting& s : c.settings) handle.apply(s);  // each was checked when the case was loaded
  for (const auto& [key, value] : c.initial_scalars) handle.set(key, value);
  // weight_ema keeps no param of its own: the weights of each step are it.
  const std::size_t n = c.reads_weights ? c.initial_states.at(0)->size() : c.initial_param.size();
  std::vector<T> param = c.reads_weights ? std::vector<T>(n) : as<T>(c.initial_param);
  std::vector<std::vector<T>> states;
  for (const auto& initial : c.initial_states) states.push_back(as<T>(initial.value()));  // settled by the loader
  std::vector<void*> state_pointers;
  for (auto& state : states) state_pointers.push_back(state.data());

  case_report report;
  for (std::size_t s = 0; s < c.steps.size(); ++s) {
    const recorded_step& rec = c.steps[s];
    if (!c.lr.empty()) handle.set("lr", c.lr[s]);
    const std::vector<T> grad = as<T>(rec.grad);
    if (c.reads_weights) param = grad;
    step_report r;
    r.step = s + 1;
    r.t = c.first_step + static_cast<long long>(s);
    handle.step(std::is_same_v<T, double>, param.data(), c.reads_weights ? nullptr : grad.data(), state_pointers, n,
                r.t);

    if (!rec.param.empty()) r.param = compare(param, rec.param, o.tol);
    for (std::size_t i = 0; i < states.size(); ++i)
      if (rec.states[i]) r.states.push_back({c.state_names[i], compare(states[i], *rec.states[i], o.tol)});
    for (const auto& [key, recorded] : rec.scalars)
      r.states.push_back({key, compare(std::vector<T>{static_cast<T>(handle.get(key))}, {recorded}, o.tol)});
    for (const auto& [name, result] : r.states) {
      if (worse(result, r.state)) {
        r.state = result;
        r.state_name = name;
      }
      r.passed = r.passed && result.out_of_tolerance == 0;
    }
    r.passed = r.passed && r.param.out_of_tolerance == 0;
    report.max_ulp = std::max({report.max_ulp, r.param.max_ulp, r.state.max_ulp});
    report.max_rel = std::max({report.max_rel, r.param.max_rel, r.state.max_rel});
    if (!r.passed && report.passed) {
      report.passed = false;
      report.first_failing_step = r.step;
    }
    report.steps.push_back(std::move(r));

    if (o.resync) {
      if (!rec.param.empty()) param = as<T>(rec.param);
      for (std::size_t i = 0; i < states.size(); ++i)
        if (rec.states[i]) std::copy(rec.states[i]->begin(), rec.states[i]->end(), states[i].begin());
      for (const auto& [key, recorded] : rec.scalars) handle.set(key, recorded);
    }
  }
  return report;
}

}  // namespace

case_report replay(const trajectory_case& c, const replay_options& options) {
  return c.dtype == "float32" ? replay_typed<float>(c, options) : replay_typed<double>(c, options);
}

}  // namespace inertia::check
