// ademamix entry points and its declaration: options, state, rule.
#include "variants/ademamix.hpp"

#include <string>
#include <vector>

#include "entry_points.hpp"
#include "registry/optimizer.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

struct ademamix_variant {
  static constexpr const char* function = "inertia::ademamix_step";
  static constexpr const char* name = "ademamix";
  using options_type = ademamix_options;
  static constexpr bool takes_policy = true;

  static constexpr std::array options{
      number<&ademamix_options::lr>("lr", value_range::nonnegative),
      number<&ademamix_options::b1>("b1", value_range::unit_open),
      number<&ademamix_options::b2>("b2", value_range::unit_open),
      number<&ademamix_options::b3>("b3", value_range::unit_open),
      number<&ademamix_options::alpha>("alpha", value_range::nonnegative),
      number<&ademamix_options::eps>("eps", value_range::positive, "it keeps the denominator from 0"),
      number<&ademamix_options::eps_root>("eps_root", value_range::nonnegative),
      number<&ademamix_options::weight_decay>("weight_decay", value_range::nonnegative),
      number<&ademamix_options::alpha_warmup>("alpha_warmup", value_range::nonnegative),
      number<&ademamix_options::b3_warmup>("b3_warmup", value_range::nonnegative)};
  static constexpr std::array state{detail::state_buffer<ademamix_options>{"m1", detail::always<ademamix_options>},
                                    detail::state_buffer<ademamix_options>{"m2", detail::always<ademamix_options>},
                                    detail::state_buffer<ademamix_options>{"nu", detail::always<ademamix_options>}};

  template <class T>
  using tensor_type = ademamix_tensor<T>;
  template <class T>
  static ademamix_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad,
                                      std::span<const std::span<T>> state, std::vector<std::span<T>>&) {
    return {param, grad, state[0], state[1], state[2]};
  }

  static void check_options(const detail::argument_checks& check, const ademamix_options& o) {
    detail::check_declared<options>(check, o);
    // The b3 warm-up starts at b1 and takes logarithms of both.
    if (o.b3_warmup != 0.0 && !(o.b1 > 0.0 && o.b3 > 0.0))
      check.fail(error_kind::hyperparameter, "b3_warmup",
                 "b3_warmup needs b1 > 0 and b3 > 0 (it interpolates between their logarithms)");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const ademamix_tensor<T>& t,
                           const ademamix_options&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("m1", t.m1.size(), "param", t.param.size());
    check.same_length("m2", t.m2.size(), "param", t.param.size());
    check.same_length("nu", t.nu.size(), "param", t.param.size());
    check.disjoint("grad", t.grad, "param", t.param);
    check.disjoint("m1", t.m1, "param", t.param);
    check.disjoint("m1", t.m1, "grad", t.grad);
    check.disjoint("m2", t.m2, "param", t.param);
    check.disjoint("m2", t.m2, "grad", t.grad);
    check.disjoint("m2", t.m2, "m1", t.m1);
    check.disjoint("nu", t.nu, "param", t.param);
    check.disjoint("nu", t.nu, "grad", t.grad);
    check.disjoint("nu", t.nu, "m1", t.m1);
    check.disjoint("nu", t.nu, "m2", t.m2);
  }

  template <class T, class Visit>
  static void for_each_buffer(const ademamix_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("m1", t.m1);
    visit("m2", t.m2);
    visit("nu", t.nu);
  }

  template <class T>
  static detail::ademamix_rule<T> make_rule(const ademamix_tensor<T>& t, const ademamix_options& o,
                                            std::int64_t steps_taken) {
    return detail::ademamix_rule<T>::make(t, o, steps_taken + 1);
  }
};

}  // namespace

ademamix_schedule ademamix_schedule_at(const ademamix_options& options, std::int64_t step) {
  detail::check_step("inertia::ademamix_schedule_at", step);
  return detail::ademamix_at(options, step);
}

INERTIA_TENSOR_ENTRY_POINTS(ademamix_step, ademamix_options, ademamix_tensor, ademamix_variant)
INERTIA_GROUP_ENTRY_POINTS(ademamix_step, ademamix_group, ademamix_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(ademamix, ademamix_variant)
