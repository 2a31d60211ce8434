#include "common/library_kernel.hpp"

#include <array>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "inertia/lookahead.hpp"
#include "registry/optimizer.hpp"

namespace inertia::bench {

template <class T>
inertia_tensor handle_tensor(const variant& v, const step_buffers<T>& b) {
  T* const slots[] = {b.param, b.grad, b.state, b.extra_state[0], b.extra_state[1], b.extra_state[2]};
  inertia_tensor t{};
  t.param = b.param;
  std::size_t next = 1;
  if (v.reads_grad) t.grad = slots[next++];
  if (next + v.state_buffers > std::size(slots))
    throw std::logic_error(v.name + ": more state buffers than step_buffers holds");
  for (std::size_t k = 0; k < v.state_buffers; ++k) t.state[k] = slots[next++];
  t.size = b.size;
  return t;
}

template <class T>
std::function<void(const step_buffers<T>&, int)> library_step(const variant& v, execution base) {
  if (v.is_lookahead())
    return [momentum = v.option("momentum"), base](const step_buffers<T>& b, int threads) {
      execution exec = base;
      exec.threads = threads;
      nesterov_lookahead(std::span<const T>(b.param, b.size), std::span<const T>(b.state, b.size), momentum,
                         std::span<T>(b.grad, b.size), exec);
    };
  // Scalar state to put back: looked up by key here, set by key per call
  // (only variants that keep some, NAdam).
  std::vector<std::pair<std::string, double>> every_call;
  for (const setting& s : v.settings)
    if (s.every_call) every_call.emplace_back(s.key, s.values.at(0));
  constexpr inertia_dtype dtype = sizeof(T) == 4 ? INERTIA_FLOAT32 : INERTIA_FLOAT64;
  return [handle = v.make_handle(), every_call = std::move(every_call), v, base](const step_buffers<T>& b,
                                                                                    int threads) {
    execution exec = base;
    exec.threads = threads;
    for (const auto& [key, value] : every_call) handle->set(key, value);
    const inertia_tensor tensor = handle_tensor(v, b);
    handle->step(dtype, std::span<const inertia_tensor>(&tensor, 1), v.step, nullptr, exec);
  };
}

template inertia_tensor handle_tensor<float>(const variant&, const step_buffers<float>&);
template inertia_tensor handle_tensor<double>(const variant&, const step_buffers<double>&);
template std::function<void(const step_buffers<float>&, int)> library_step<float>(const variant&, execution);
template std::function<void(const step_buffers<double>&, int)> library_step<double>(const variant&, execution);

}  // namespace inertia::bench
