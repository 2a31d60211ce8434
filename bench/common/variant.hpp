#pragma once
// The optimizer steps the suite and the profiler measure, and the one set of
// hyperparameters each is measured with. The list comes from the library's
// registry (inertia_variant_count / inertia_variant_name): every registered
// variant is measured, with its registry defaults unless variant.cpp names
// settings for it; its state buffers (the handle's state_count with those
// settings) say how many arrays it moves. A variant registered tomorrow is in
// inertia-bench and inertia-profile without an edit here.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/access_pattern.hpp"
#include "inertia/inertia.h"

namespace inertia::bench {

/// One hyperparameter set on a fresh handle, by its registry key.
struct setting {
  std::string key;
  std::vector<double> values;  ///< one for a number or flag, several for an array (betas)
  std::string text;            ///< inertia_optimizer_set_string's value instead, when not empty
  /// Scalar state put back before every measured call (NAdam's mu_product),
  /// so that every call is the same step.
  bool every_call = false;
};

struct variant {
  std::string name;           ///< the row name: the registry name, or a named setting of it
  std::string registry_name;  ///< the registered variant stepped; empty for the look-ahead
  std::vector<setting> settings;
  long long step = 1;  ///< the 1-based step t measured
  std::string note;    ///< what the settings stand for ("torch SGD"), for the settings text
  // Derived from the registry with these settings:
  std::size_t state_buffers = 0;  ///< per tensor
  bool reads_grad = true;         ///< false: param is read only, the state is what changes (weight_ema)
  bool takes_policy = false;
  std::size_t norm_pass_reads = 0;  ///< arrays read once more before the update (LARS's norms)
  access_pattern pattern = access_pattern::update_3r2w;

  /// The nesterov_lookahead helper (w + momentum * v): no registry variant.
  bool is_lookahead() const { return registry_name.empty(); }
  /// A new handle with these settings; not for the look-ahead.
  std::shared_ptr<inertia_optimizer> make_handle() const;
  /// An option's (or scalar state's) value with these settings, as the handle
  /// holds it ("betas[1]" for an element): what the peers read their settings from.
  double option(std::string_view key) const;
  /// Every element of an array option.
  std::vector<double> array_option(std::string_view key) const;

 private:
  friend struct variant_list;
  std::shared_ptr<inertia_optimizer> options_;  ///< a handle holding the settings, never stepped
};

/// Every variant the suite measures: those variant.cpp names settings for, in
/// its order, then the other registered variants in registry order.
const std::vector<variant>& all_variants();
/// Registered variants the suite cannot lay out (more state buffers than
/// step_buffers holds), each with why: inertia-bench and inertia-profile say so.
const std::vector<std::string>& skipped_variants();

/// One line per variant: name, access pattern, state buffers per tensor,
/// "policy" or "no_policy", settings text (inertia-bench
/// --inertia_list_variants, inertia-profile --list-variants).
std::string variant_table();

const variant* find_variant(std::string_view name);
inline std::string_view variant_name(const variant& v) { return v.name; }
/// One line saying which call and settings the name stands for.
std::string variant_settings_text(const variant& v);
inline access_pattern variant_pattern(const variant& v) { return v.pattern; }
/// Whether the variant's multi-tensor call takes a step_policy (lars and
/// weight_ema do not; the look-ahead reads no gradient).
inline bool variant_takes_policy(const variant& v) { return v.takes_policy; }

}  // namespace inertia::bench
