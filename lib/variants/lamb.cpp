// lamb entry points, its declaration (Optax's option and state names) and its
// two-pass runner (moments and norms, then the update), after lars's.
#include "variants/lamb.hpp"

#include <algorithm>
#include <vector>

#include <omp.h>

#include "reduction.hpp"
#include "registry/optimizer.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

template <class T>
step_report step_groups(std::span<lamb_group<T>> groups, const step_policy& policy, const execution& exec);

struct lamb_variant {
  static constexpr const char* function = "inertia::lamb_step";
  static constexpr const char* name = "lamb";
  using options_type = lamb_options;
  /// The policy's transforms are fused into pass 1's gradient load; its
  /// call-wide checks run before anything is written (lamb.cpp's step_groups).
  static constexpr bool takes_policy = true;

  static constexpr std::array options{number<&lamb_options::lr>("lr", value_range::nonnegative),
                                      number<&lamb_options::b1>("b1", value_range::unit_open),
                                      number<&lamb_options::b2>("b2", value_range::unit_open),
                                      number<&lamb_options::eps>("eps", value_range::nonnegative),
                                      number<&lamb_options::eps_root>("eps_root", value_range::nonnegative),
                                      number<&lamb_options::weight_decay>("weight_decay", value_range::nonnegative)};
  /// Optax's ScaleByAdamState fields.
  static constexpr std::array state{detail::state_buffer<lamb_options>{"mu", detail::always<lamb_options>},
                                    detail::state_buffer<lamb_options>{"nu", detail::always<lamb_options>}};

  template <class T>
  using tensor_type = lamb_tensor<T>;
  template <class T>
  static lamb_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                  std::vector<std::span<T>>&) {
    return {param, grad, state[0], state[1]};
  }
  /// Its own two-pass runner, not the shared one.
  static constexpr bool group_step_declared = true;
  /// The first pass reads param, grad, mu and nu (and writes mu, nu) before the update pass.
  static constexpr std::size_t norm_pass_reads = 4;
  template <class T>
  static step_report group_step(lamb_options& o, detail::no_scalars&, std::span<const lamb_tensor<T>> tensors,
                                std::int64_t steps_taken, const step_policy* policy, const execution& exec) {
    lamb_group<T> group{o, tensors, steps_taken};
    return step_groups(std::span(&group, 1), policy != nullptr ? *policy : step_policy{}, exec);
  }

  static void check_options(const detail::argument_checks& check, const lamb_options& o) {
    detail::check_declared<options>(check, o);
    if (o.eps == 0.0 && o.eps_root == 0.0)
      check.fail(error_kind::hyperparameter, "eps", "eps and eps_root are both 0: the denominator can be 0");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const lamb_tensor<T>& t, const lamb_options&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("mu", t.mu.size(), "param", t.param.size());
    check.same_length("nu", t.nu.size(), "param", t.param.size());
    detail::require_pairwise_disjoint<4>(check, [&](auto visit) { for_each_buffer(t, visit); });
  }

  template <class T, class Visit>
  static void for_each_buffer(const lamb_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("mu", t.mu);
    visit("nu", t.nu);
  }
};

/// A tensor whose param, mu and nu (what pass 2 reads again) fit in this many
/// bytes is done by one thread back-to-back, so its second pass hits L2.
constexpr std::size_t l2_resident_bytes = 512 * 1024;
/// The most bytes of u one thread keeps from pass 1 for pass 2 (a tensor it
/// does alone, or its share of a large one): pass 2 then reads u back from
/// cache instead of forming it again (a division and a square root less per
/// element, where the step is bound by them). The buffer lives as long as the
/// thread. Larger shares form u again from the stored moments (there the step
/// waits on memory, not on the divider).
constexpr std::size_t kept_bytes = 512 * 1024;

template <class T>
std::vector<T>& kept_buffer() {
  thread_local std::vector<T> buffer;
  return buffer;
}

template <class T>
struct lamb_job {
  lamb_tensor<T> tensor;
  lamb_options options;
  std::int64_t step;  ///< this step's 1-based number
};

/// Sums of squares of w and u over one reduction chunk, after pass 1 on it.
struct chunk_squares {
  double param = 0.0, update = 0.0;
};

/// One parallel region, as lars's: small tensors whole on one thread each
/// (contiguous runs balanced by size, the same every step); then each large
/// tensor by every thread: pass 1 and the sums of squares chunk by chunk, one
/// barrier, every thread adding the chunk sums up in chunk order itself (the
/// same sum on each), pass 2 on the chunks it did. Each large tensor has its
/// own partials, so the next one needs no barrier before it.
/// clip_coefficient: the global-norm clip's factor (1: none), fused with the
/// policy's loss scale and clamp into pass 1's gradient load.
template <class T>
void run_lamb(const std::vector<lamb_job<T>>& jobs, const step_policy& policy, double clip_coefficient,
              const execution& exec) {
  using moments_rule = detail::lamb_moments_rule<T>;
  using update_rule = detail::lamb_update_rule<T>;
  using apply_rule = detail::lamb_apply_rule<T>;
  using M = detail::math_type_t<T>;  // u is kept and summed in the math type (float for half storage)
  constexpr std::size_t chunk = detail::reduction_chunk;
  const arch target = active_arch();
  const auto moments = detail::kernel_for<moments_rule>(target);
  const auto update = detail::kernel_for<update_rule>(target);
  const auto apply = detail::kernel_for<apply_rule>(target);
  const auto squares = detail::sum_squares_kernel_for<T>(target);
  const auto update_squares_of = detail::sum_squares_kernel_for<M>(target);

  std::vector<std::size_t> small, large, first_partial;
  std::size_t total = 0, small_total = 0, large_chunks = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const std::size_t n = jobs[j].tensor.param.size();
    total += n;
    if (n == 0) continue;
    if (3 * n * sizeof(T) <= l2_resident_bytes) {
      small.push_back(j);
      small_total += n;
    } else {
      large.push_back(j);
      first_partial.push_back(large_chunks);
      large_chunks += detail::chunk_count(n);
    }
  }
  // Pass 1 moves 6 elements, pass 2 4.
  const int threads = detail::plan_blocks(total, sizeof(T), total * 10 * sizeof(T), exec).threads;
  std::vector<chunk_squares> partials(large_chunks);
  const std::size_t kept_capacity = kept_bytes / sizeof(M);
  const bool transforms = policy.grad_scale != 1.0 || clip_coefficient != 1.0 || policy.clip_value > 0.0;

#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int thread = omp_get_thread_num(), team = omp_get_num_threads();
    const detail::denormal_scope floating_point(policy.flush_denormals);
    alignas(64) M scratch[chunk];
    // u for elements [first, end) of one tensor: the kept buffer, or null when they do not fit.
    const auto keep = [&](std::size_t count) -> M* {
      if (count > kept_capacity) return nullptr;
      std::vector<M>& kept = kept_buffer<M>();
      if (kept.size() < count) kept.resize(kept_capacity);
      return kept.data();
    };
    // Pass 1 on chunk c of a job: its moments, and the sums of squares of w
    // and u; u to kept[i - first] when kept, else to the chunk's scratch.
    const auto first_pass = [&](const lamb_job<T>& job, std::size_t c, M* kept, std::size_t first) {
      const std::size_t n = job.tensor.param.size(), begin = c * chunk, end = std::min(n, begin + chunk);
      moments_rule rule = moments_rule::make(job.tensor, job.options, job.step);
      if (transforms) detail::apply_policy(rule.grad, policy, clip_coefficient);
      rule.scratch = kept != nullptr ? kept : scratch;
      rule.first = kept != nullptr ? first : begin;
      moments(rule, begin, end);
      return chunk_squares{detail::chunk_sum_squares(squares, job.tensor.param.data(), n, c),
                           static_cast<double>(update_squares_of(rule.scratch + (begin - rule.first), end - begin))};
    };
    // Pass 2 on elements [first, end) of a job.
    const auto second_pass = [&](const lamb_job<T>& job, std::size_t first, std::size_t end, const M* kept,
                                 double ratio) {
      if (kept != nullptr)
        apply(apply_rule::make(job.tensor.param.data(), kept, first, job.options, ratio), first, end);
      else
        update(update_rule::make(job.tensor, job.options, job.step, ratio), first, end);
    };
    // Small tensors: thread t takes those whose first element falls in its
    // share [t*S/team, (t+1)*S/team) of the small tensors' elements.
    std::size_t seen = 0;
    for (std::size_t j : small) {
      const std::size_t n = jobs[j].tensor.param.size();
      const auto owner = static_cast<int>((static_cast<unsigned __int128>(seen) * team) / small_total);
      seen += n;
      if (owner != thread) continue;
      const lamb_job<T>& job = jobs[j];
      M* const kept = keep(n);
      double param_squares = 0.0, update_squares = 0.0;
      for (std::size_t c = 0; c < detail::chunk_count(n); ++c) {
        const chunk_squares s = first_pass(job, c, kept, 0);
        param_squares += s.param;
        update_squares += s.update;
      }
      second_pass(job, 0, n, kept, detail::lamb_trust_ratio(param_squares, update_squares));
    }
    for (std::size_t k = 0; k < large.size(); ++k) {
      const lamb_job<T>& job = jobs[large[k]];
      const std::size_t n = job.tensor.param.size(), chunks = detail::chunk_count(n);
      const std::size_t first = chunks * thread / team, last = chunks * (thread + 1) / team;
      const std::size_t begin = std::min(n, first * chunk), end = std::min(n, last * chunk);
      chunk_squares* const mine = partials.data() + first_partial[k];
      M* const kept = keep(end - begin);
      for (std::size_t c = first; c < last; ++c) mine[c] = first_pass(job, c, kept, begin);
#pragma omp barrier
      double param_squares = 0.0, update_squares = 0.0;
      for (std::size_t c = 0; c < chunks; ++c) {
        param_squares += mine[c].param;
        update_squares += mine[c].update;
      }
      second_pass(job, begin, end, kept, detail::lamb_trust_ratio(param_squares, update_squares));
    }
  }
}

/// As the shared runner's step_groups: every check, then the policy's
/// call-wide part (the non-finite check, which skips the step writing nothing,
/// and the global norm), then both passes, then the groups' step counters.
template <class T>
step_report step_groups(std::span<lamb_group<T>> groups, const step_policy& policy, const execution& exec) {
  detail::check_policy(detail::argument_checks(lamb_variant::function), policy);
  std::vector<lamb_job<T>> jobs;
  std::vector<std::span<const T>> grads;
  detail::check_groups<lamb_variant>(groups, [&](const lamb_group<T>& group, const lamb_tensor<T>& tensor) {
    jobs.push_back({tensor, group.options, group.step + 1});
    grads.push_back(tensor.grad);
  });
  step_report report;
  double clip_coefficient = 1.0;
  if (policy.skip_non_finite || policy.max_norm > 0.0)
    if (!detail::call_wide_policy(std::span<const std::span<const T>>(grads), policy, exec, report, clip_coefficient))
      return report;
  run_lamb(jobs, policy, clip_coefficient, exec);
  for (auto& group : groups) ++group.step;
  return report;
}

/// One tensor: a group of one, through LAMB's own runner.
template <class T>
step_report lamb_one(const lamb_tensor<T>& tensor, const lamb_options& options, std::int64_t step,
                     const step_policy& policy, const execution& exec) {
  detail::check_step(lamb_variant::function, step);
  lamb_group<T> group{options, std::span<const lamb_tensor<T>>(&tensor, 1), step - 1};
  return step_groups(std::span<lamb_group<T>>(&group, 1), policy, exec);
}

}  // namespace

step_report lamb_step(const lamb_tensor<float>& tensor, const lamb_options& options, std::int64_t step,
                      const step_policy& policy, const execution& exec) {
  return lamb_one(tensor, options, step, policy, exec);
}

step_report lamb_step(const lamb_tensor<double>& tensor, const lamb_options& options, std::int64_t step,
                      const step_policy& policy, const execution& exec) {
  return lamb_one(tensor, options, step, policy, exec);
}

step_report lamb_step(std::span<lamb_group<float>> groups, const step_policy& policy, const execution& exec) {
  return step_groups(groups, policy, exec);
}

step_report lamb_step(std::span<lamb_group<double>> groups, const step_policy& policy, const execution& exec) {
  return step_groups(groups, policy, exec);
}

}  // namespace inertia

INERTIA_REGISTER_VARIANT(lamb, lamb_variant)
