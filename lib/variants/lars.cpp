// lars entry points and its two-pass runner (norms, then update).
#include "variants/lars.hpp"

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
void step_groups(std::span<lars_group<T>> groups, const execution& exec);

struct lars_variant {
  static constexpr const char* function = "inertia::lars_step";
  static constexpr const char* name = "lars";
  using options_type = lars_options;
  /// Its norms are of the gradients as given: no step policy (yet).
  static constexpr bool takes_policy = false;

  static constexpr std::array options{
      number<&lars_options::lr>("lr", value_range::nonnegative),
      number<&lars_options::momentum>("momentum", value_range::unit_open),
      number<&lars_options::weight_decay>("weight_decay", value_range::nonnegative),
      number<&lars_options::eta>("eta", value_range::positive, "the trust coefficient")};
  static constexpr std::array state{
      detail::state_buffer<lars_options>{"momentum_buffer", detail::always<lars_options>}};

  template <class T>
  using tensor_type = lars_tensor<T>;
  template <class T>
  static lars_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                  std::vector<std::span<T>>&) {
    return {param, grad, state[0]};
  }
  /// Its own two-pass runner (norms, then update), not the shared one.
  static constexpr bool group_step_declared = true;
  /// The norms pass reads param and grad before the update pass.
  static constexpr std::size_t norm_pass_reads = 2;
  template <class T>
  static step_report group_step(lars_options& o, detail::no_scalars&, std::span<const lars_tensor<T>> tensors,
                                std::int64_t steps_taken, const step_policy*, const execution& exec) {
    lars_group<T> group{o, tensors, steps_taken};
    step_groups(std::span(&group, 1), exec);
    return {};
  }

  static void check_options(const detail::argument_checks& check, const lars_options& o) {
    detail::check_declared<options>(check, o);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const lars_tensor<T>& t, const lars_options&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("momentum_buffer", t.momentum_buffer.size(), "param", t.param.size());
    check.disjoint("param", t.param, "grad", t.grad);
    check.disjoint("momentum_buffer", t.momentum_buffer, "param", t.param);
    check.disjoint("momentum_buffer", t.momentum_buffer, "grad", t.grad);
  }

  template <class T, class Visit>
  static void for_each_buffer(const lars_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("momentum_buffer", t.momentum_buffer);
  }
};

/// A tensor whose param and grad fit in this many bytes is reduced and
/// updated by one thread back-to-back, so its second pass hits L2.
constexpr std::size_t l2_resident_bytes = 512 * 1024;

template <class T>
struct lars_job {
  lars_tensor<T> tensor;
  lars_options options;
};

/// One parallel region: small tensors whole on one thread each (contiguous
/// runs balanced by size, the same every step); then each large tensor by
/// every thread: chunk sums of squares, combine in chunk order, update the
/// chunks each thread reduced.
template <class T>
void run_lars(const std::vector<lars_job<T>>& jobs, const execution& exec) {
  using rule = detail::lars_rule<T>;
  const arch target = active_arch();
  const auto update = detail::kernel_for<rule>(target);
  const auto squares = detail::sum_squares_kernel_for<T>(target);

  std::vector<std::size_t> small, large;
  std::size_t total = 0, small_total = 0, largest_chunks = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const std::size_t n = jobs[j].tensor.param.size();
    total += n;
    if (n == 0) continue;
    if (2 * n * sizeof(T) <= l2_resident_bytes) {
      small.push_back(j);
      small_total += n;
    } else {
      large.push_back(j);
      largest_chunks = std::max(largest_chunks, detail::chunk_count(n));
    }
  }
  // Norm pass reads 2 elements, update pass moves 5.
  const int threads = detail::plan_blocks(total, sizeof(T), total * 7 * sizeof(T), exec).threads;
  std::vector<double> param_partials(largest_chunks), grad_partials(largest_chunks);
  rule shared_rule{};

  const auto make_rule = [](const lars_job<T>& job, double param_squares, double grad_squares) {
    return rule::make(job.tensor.param.data(), job.tensor.grad.data(), job.tensor.momentum_buffer.data(), job.options,
                      param_squares, grad_squares);
  };

#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int thread = omp_get_thread_num(), team = omp_get_num_threads();
    // Small tensors: thread t takes those whose first element falls in its
    // share [t*S/team, (t+1)*S/team) of the small tensors' elements.
    std::size_t seen = 0;
    for (std::size_t j : small) {
      const std::size_t n = jobs[j].tensor.param.size();
      const auto owner = static_cast<int>((static_cast<unsigned __int128>(seen) * team) / small_total);
      seen += n;
      if (owner != thread) continue;
      const lars_job<T>& job = jobs[j];
      const rule r = make_rule(job, detail::sum_squares(squares, job.tensor.param.data(), n),
                               detail::sum_squares(squares, job.tensor.grad.data(), n));
      update(r, 0, n);
    }
    for (std::size_t j : large) {
      const lars_job<T>& job = jobs[j];
      const std::size_t n = job.tensor.param.size(), chunks = detail::chunk_count(n);
      const std::size_t first = chunks * thread / team, last = chunks * (thread + 1) / team;
      for (std::size_t c = first; c < last; ++c) {
        param_partials[c] = detail::chunk_sum_squares(squares, job.tensor.param.data(), n, c);
        grad_partials[c] = detail::chunk_sum_squares(squares, job.tensor.grad.data(), n, c);
      }
#pragma omp barrier
#pragma omp single
      {
        double param_squares = 0.0, grad_squares = 0.0;
        for (std::size_t c = 0; c < chunks; ++c) {
          param_squares += param_partials[c];
          grad_squares += grad_partials[c];
        }
        shared_rule = make_rule(job, param_squares, grad_squares);
      }  // implicit barrier: every thread sees the rule
      update(shared_rule, first * detail::reduction_chunk, std::min(n, last * detail::reduction_chunk));
#pragma omp barrier  // the next tensor's partials overwrite these
    }
  }
}

template <class T>
void step_groups(std::span<lars_group<T>> groups, const execution& exec) {
  std::vector<lars_job<T>> jobs;
  detail::check_groups<lars_variant>(groups, [&](const lars_group<T>& group, const lars_tensor<T>& tensor) {
    jobs.push_back({tensor, group.options});
  });
  run_lars(jobs, exec);
  for (auto& group : groups) ++group.step;
}

/// One tensor: a group of one, through LARS's own runner.
template <class T>
step_report lars_one(std::span<T> param, std::span<const T> grad, std::span<T> momentum_buffer,
                     const lars_options& options, std::int64_t step, const step_policy& policy,
                     const execution& exec) {
  detail::check_step(lars_variant::function, step);
  detail::refuse_policy(lars_variant::function, policy);
  const lars_tensor<T> tensor{param, grad, momentum_buffer};
  lars_group<T> group{options, std::span<const lars_tensor<T>>(&tensor, 1), step - 1};
  step_groups(std::span<lars_group<T>>(&group, 1), exec);
  return {};
}

}  // namespace

step_report lars_step(std::span<float> param, std::span<const float> grad, std::span<float> momentum_buffer,
                      const lars_options& options, std::int64_t step, const step_policy& policy,
                      const execution& exec) {
  return lars_one(param, grad, momentum_buffer, options, step, policy, exec);
}

step_report lars_step(std::span<double> param, std::span<const double> grad, std::span<double> momentum_buffer,
                      const lars_options& options, std::int64_t step, const step_policy& policy,
                      const execution& exec) {
  return lars_one(param, grad, momentum_buffer, options, step, policy, exec);
}

step_report lars_step(std::span<lars_group<float>> groups, const step_policy& policy, const execution& exec) {
  detail::refuse_policy(lars_variant::function, policy);
  step_groups(groups, exec);
  return {};
}

step_report lars_step(std::span<lars_group<double>> groups, const step_policy& policy, const execution& exec) {
  detail::refuse_policy(lars_variant::function, policy);
  step_groups(groups, exec);
  return {};
}

}  // namespace inertia

INERTIA_REGISTER_VARIANT(lars, lars_variant)
