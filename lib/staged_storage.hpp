#pragma once
// Mixed storage and master weights (inertia.h: inertia_optimizer_step_storage).
//
// No rule is compiled again for these types. A call is cut into chunks of up
// to staged_chunk elements (whole tensors, or pieces of one that start at
// multiples of staged_chunk from the tensor's start); each thread, for each of
// its chunks:
//   1. widens every buffer that is not float32 into its own float32 scratch
//      (which stays in L1): bf16/fp16 params, grads and state, or the two
//      halves of a split-bf16 master;
//   2. runs the variant's own float32 step on those pieces (the registry's
//      step, single-threaded: every rule, check and option of
//      inertia_optimizer_step with INERTIA_FLOAT32);
//   3. rounds back what the step wrote: params, state, the model copy of a
//      float32 master (to nearest even, or stochastically:
//      variants/stochastic_narrow.hpp).
// So a float32 buffer ends with exactly the float32 step's bits, and each
// buffer is read and written once per step, in its own type, as in a fused
// kernel. The price is the in-cache passes and one small inner call per chunk.
//
// What the float32 step depends on besides each element: rules with
// pytorch_fused numerics order the last size % 8 elements of a tensor
// differently (heavy_ball, adam). A piece starts at a multiple of staged_chunk
// (a multiple of 8) from its tensor's start and the last piece ends at the
// tensor's end, so each piece's tail is the tensor's tail. The policy's
// call-wide part (non-finite check, global norm) is computed here once, on
// the call's own gradients, and handed to every piece's step
// (step_groups.hpp: staged_call_wide). A variant that is not elementwise
// (lars, lamb: per-tensor norms) is staged whole tensor by whole tensor.
#include <cstddef>
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/inertia.h"
#include "inertia/step_policy.hpp"
#include "validate.hpp"

namespace inertia::detail {

/// Elements per chunk: 8 KiB per float32 scratch buffer, so that a chunk's
/// scratch stays in L1 while it is widened, stepped and rounded back. Measured
/// on GPT-2-sized tensors (1 thread, heavy_ball, bf16 weights with a float32
/// master, staged): 1.09 ns per element at DRAM sizes against 1.30 with
/// 16384-element chunks; the one inner step call per chunk does not show.
inline constexpr std::size_t staged_chunk = 2048;

/// What the variant's declaration says about the buffers of a staged call.
struct staged_layout {
  inertia_storage storage;
  std::size_t state_count;               ///< state buffers per tensor, with the options set now
  const char* const* state_names;        ///< [state_count]
  std::uint32_t states_written_unread;   ///< bit j: this step writes state j without reading it (first step)
  bool reads_grad;                       ///< false: param is read only (weight_ema) and grad NULL
  bool elementwise;                      ///< false: stage whole tensors (lars, lamb)
};

/// Whether a call with these types is the plain one-dtype step (inertia_optimizer_step).
bool is_single_dtype(const inertia_storage& storage);

/// That each field of a caller's inertia_storage, read as an int (a C caller
/// may pass any int where C++ may hold only the enum's values), is a value of
/// its enum. The C ABI checks this first; everything after reads the enums.
void check_storage_values(const argument_checks& check, int param, int grad, int state, int master, int rounding);

/// master against storage.master_weights: NULL without master weights, an
/// array (for count > 0) with them. A one-dtype call (is_single_dtype) makes
/// this check alone; check_staged_call makes it first.
void check_master_pointers(const argument_checks& check, const inertia_storage& storage, void* const* master,
                           std::size_t count);

/// Every check of a staged call that the inner float32 step cannot make:
/// the types, NULL pointers, unused state and master pointers, and that no two
/// buffers of the call (masters included) share memory. Writes nothing.
void check_staged_call(const argument_checks& check, const staged_layout& layout,
                       std::span<const inertia_tensor> tensors, void* const* master);

/// The variant's float32 step over float32 pieces: called once per chunk, on
/// the chunk's thread, concurrently with other chunks. Must not throw for
/// tensors laid out as check_staged_call allowed (the options and the policy
/// are checked by the caller's own zero-tensor step before run_staged).
struct staged_inner_step {
  void (*step)(void* context, std::span<const inertia_tensor> pieces, const execution& exec);
  void* context;
};

/// Runs a checked staged call: the policy's call-wide part (nothing written
/// when a non-finite gradient skips it), then every chunk as the file's
/// comment says. The report's grad_norm is the call's.
step_report run_staged(const staged_layout& layout, std::span<const inertia_tensor> tensors, void* const* master,
                       long long step, const step_policy* policy, const execution& exec, staged_inner_step inner);

}  // namespace inertia::detail
