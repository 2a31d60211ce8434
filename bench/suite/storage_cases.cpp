#include "suite/storage_cases.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace inertia::bench {
namespace {

inertia_storage make_storage(inertia_dtype param, inertia_dtype state, inertia_master_weights master) {
  inertia_storage s{};
  s.param_dtype = param;
  s.grad_dtype = param;  // a model's gradients are in its weights' type, as inertia-profile steps them
  s.state_dtype = state;
  s.master_weights = master;
  s.rounding = INERTIA_ROUND_NEAREST_EVEN;
  s.seed = 0;
  return s;
}

storage_mode named(const inertia_storage& s) { return {storage_mode_name(s), s}; }

/// s with stochastic rounding, seed 2026 as inertia-profile's --rounding stochastic.
inertia_storage stochastic(inertia_storage s) {
  s.rounding = INERTIA_ROUND_STOCHASTIC;
  s.seed = 2026;
  return s;
}

}  // namespace

std::string storage_mode_name(const inertia_storage& s) {
  std::string name(storage_dtype_name(s.param_dtype));
  if (s.grad_dtype != s.param_dtype) name += "+grad_" + std::string(storage_dtype_name(s.grad_dtype));
  const inertia_dtype default_state = s.master_weights != INERTIA_MASTER_NONE ? INERTIA_FLOAT32 : s.param_dtype;
  if (s.state_dtype != default_state) name += "+state_" + std::string(storage_dtype_name(s.state_dtype));
  if (s.master_weights == INERTIA_MASTER_FLOAT32) name += "+master_f32";
  if (s.master_weights == INERTIA_MASTER_SPLIT) name += "+master_split";
  if (s.rounding == INERTIA_ROUND_STOCHASTIC) name += "+stochastic";
  return name;
}

const std::vector<storage_mode>& storage_modes() {
  // inertia-profile's combinations that an engine runs: the plain half steps,
  // a half model beside a float32 master (both half types), bf16's split
  // master (bf16 halves of the float32 value: no f16 form), a bf16 model with
  // float32 state and no master, float32 params with bf16 state, and the plain
  // bf16 step stochastically rounded (the same streams as "bf16").
  static const std::vector<storage_mode> modes = {
      named(make_storage(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_MASTER_NONE)),
      named(make_storage(INERTIA_FLOAT16, INERTIA_FLOAT16, INERTIA_MASTER_NONE)),
      named(make_storage(INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32)),
      named(make_storage(INERTIA_FLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32)),
      named(make_storage(INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_SPLIT)),
      named(make_storage(INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_NONE)),
      named(make_storage(INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE)),
      named(stochastic(make_storage(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_MASTER_NONE))),
  };
  return modes;
}

const storage_mode* find_storage_mode(std::string_view name) {
  for (const storage_mode& m : storage_modes())
    if (m.name == name) return &m;
  return nullptr;
}

dtype_selection parse_dtype_selection(std::string_view list) {
  dtype_selection out;
  out.f32 = out.f64 = false;
  if (list.empty()) throw std::invalid_argument("--inertia_dtypes: empty list");
  std::vector<bool> chosen(storage_modes().size(), false);
  for (std::size_t begin = 0; begin <= list.size();) {
    std::size_t end = list.find(',', begin);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view entry = list.substr(begin, end - begin);
    if (entry == "f32") {
      out.f32 = true;
    } else if (entry == "f64") {
      out.f64 = true;
    } else if (entry == "all") {
      out.f32 = out.f64 = true;
      std::fill(chosen.begin(), chosen.end(), true);
    } else if (const storage_mode* mode = find_storage_mode(entry)) {
      chosen[static_cast<std::size_t>(mode - storage_modes().data())] = true;
    } else {
      std::string known = "f32, f64";
      for (const storage_mode& m : storage_modes()) known += ", " + m.name;
      throw std::invalid_argument("--inertia_dtypes: unknown entry '" + std::string(entry) + "' (" + known + ", all)");
    }
    begin = end + 1;
  }
  for (std::size_t k = 0; k < chosen.size(); ++k)
    if (chosen[k]) out.modes.push_back(&storage_modes()[k]);
  return out;
}

std::string stream_pattern_name(const std::vector<storage_stream>& streams) {
  std::string name = storage_pattern_name(streams);
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

std::size_t storage_case::bytes_per_element() const {
  std::vector<stream_access> accesses;
  for (const storage_stream& s : streams) accesses.push_back(s.access);
  return moved_bytes(accesses);
}

std::size_t storage_case::footprint_per_element() const {
  std::size_t bytes = 0;
  for (const storage_stream& s : streams) bytes += s.access.width;
  return bytes;
}

std::vector<storage_case> storage_cases(std::span<const storage_mode* const> modes, std::size_t working_set,
                                        const std::string& suffix, int threads, std::vector<std::string>* refused) {
  std::vector<std::string> patterns;  // first-appearance order
  std::map<std::string, std::vector<storage_case>> library_rows;
  for (const storage_mode* mode : modes)
    for (const variant& v : all_variants()) {
      std::string why = storage_unsupported(v);
      if (why.empty()) {
        try {
          check_storage(v, mode->storage);
        } catch (const std::exception& error) {
          why = error.what();
        }
      }
      if (!why.empty()) {
        if (refused) refused->push_back(v.name + "/" + mode->name + ": " + why);
        continue;
      }
      storage_case c;
      c.v = &v;
      c.mode = *mode;
      c.streams = storage_streams(v, mode->storage);
      c.pattern = stream_pattern_name(c.streams);
      c.name = v.name + "/" + mode->name + "/inertia/" + suffix;
      c.size = working_set / c.footprint_per_element();
      c.working_set_bytes = working_set;
      c.threads = threads;
      if (!library_rows.count(c.pattern)) patterns.push_back(c.pattern);
      library_rows[c.pattern].push_back(std::move(c));
    }
  std::vector<storage_case> out;
  for (const std::string& pattern : patterns) {
    std::vector<storage_case>& rows = library_rows[pattern];
    // The roofline rows take the last row's layout, whose buffers are the
    // ones allocated when they run (the mixed kernel reads only widths and
    // accesses, the same in every row of the pattern).
    const storage_case last = rows.back();
    for (storage_case& c : rows) out.push_back(std::move(c));
    for (const bool prefetch : {false, true}) {
      storage_case roof = last;
      roof.roofline_row = true;
      roof.prefetch = prefetch;
      roof.name = pattern + "/mixed/" + (prefetch ? "prefetch" : "loop") + "/" + suffix;
      out.push_back(std::move(roof));
    }
  }
  return out;
}

}  // namespace inertia::bench
