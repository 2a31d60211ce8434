// The storage modes of inertia-profile measure what they say: the mixed-width
// roofline kernel reads every stream it claims to read and writes every stream
// it claims to write, over exactly [begin, end); the streams a storage mode
// counts are the step's (the two examples); and both strategies step
// a mixed-storage model to the same bits.
#include <cstdint>
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "common/variant.hpp"
#include "common/workload.hpp"
#include "profile/storage_mode.hpp"
#include "roofline/mixed_roofline.hpp"

namespace inertia::bench {
namespace {

// Owned bytes for a list of streams, each `size` elements, with a recognisable fill.
struct owned_streams {
  std::vector<std::vector<unsigned char>> bytes;
  std::vector<mixed_stream> streams;
  owned_streams(const std::vector<stream_access>& accesses, std::size_t size) {
    for (std::size_t k = 0; k < accesses.size(); ++k) {
      std::vector<unsigned char>& b = bytes.emplace_back(size * accesses[k].width);
      for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<unsigned char>(i * 7 + k * 31 + 1);
    }
    for (std::size_t k = 0; k < accesses.size(); ++k) streams.push_back({accesses[k], bytes[k].data()});
  }
  owned_streams(const owned_streams& other) : bytes(other.bytes) {
    for (std::size_t k = 0; k < bytes.size(); ++k) streams.push_back({other.streams[k].access, bytes[k].data()});
  }
};

// A storage with these types, every other field zero (nearest-even rounding).
inertia_storage mode(inertia_dtype param, inertia_dtype grad, inertia_dtype state, inertia_master_weights master) {
  inertia_storage s{};
  s.param_dtype = param;
  s.grad_dtype = grad;
  s.state_dtype = state;
  s.master_weights = master;
  return s;
}

const variant& named(const char* name) {
  const variant* v = find_variant(name);
  REQUIRE(v != nullptr);
  return *v;
}

std::size_t bytes_of(const std::vector<storage_stream>& layout) {
  std::vector<stream_access> accesses;
  for (const storage_stream& s : layout) accesses.push_back(s.access);
  return moved_bytes(accesses);
}

TEST_CASE("the mixed roofline kernel reads and writes every stream it claims, in its width", "[bench][storage]") {
  // Every width read-only, read-written and write-only, beside each other.
  const std::vector<stream_access> accesses = {{2, true, false}, {4, true, true},  {8, false, true}, {2, true, true},
                                               {8, true, false}, {4, false, true}, {2, false, true}, {8, true, true},
                                               {4, true, false}};
  CHECK(moved_bytes(accesses) == 2 + 8 + 8 + 4 + 8 + 4 + 2 + 16 + 4);
  // Two blocks of the kernel and a tail, inside a larger span: [begin, end) only.
  constexpr std::size_t size = 2600, begin = 3, end = 2400;
  const owned_streams initial(accesses, size);
  owned_streams once(initial);
  run_mixed_roofline(once.streams, end, 1);  // [0, end): the plain call
  owned_streams ranged(initial);
  mixed_update(ranged.streams, begin, end);
  for (std::size_t k = 0; k < accesses.size(); ++k) {
    INFO("stream " << k);
    const std::size_t w = accesses[k].width;
    // Nothing outside [begin, end) is touched; a read-only stream is not written.
    for (std::size_t i = 0; i < size; ++i) {
      const bool inside = i >= begin && i < end;
      if (!inside || !accesses[k].written)
        REQUIRE(std::memcmp(ranged.bytes[k].data() + i * w, initial.bytes[k].data() + i * w, w) == 0);
    }
    if (!accesses[k].written) REQUIRE(once.bytes[k] == initial.bytes[k]);
  }
  // Every read stream feeds every written one at the same index, and only
  // there: one bit flipped in one read element changes that element of every
  // written stream (so each was read and each was stored) and nothing else.
  for (std::size_t i : {begin, std::size_t{1023}, std::size_t{1024}, std::size_t{2047}, end - 1}) {
    for (std::size_t r = 0; r < accesses.size(); ++r) {
      if (!accesses[r].read) continue;
      INFO("element " << i << ", read stream " << r);
      owned_streams a(initial), b(initial);
      b.bytes[r][i * accesses[r].width] ^= 1;  // the lowest bit (little-endian)
      mixed_update(a.streams, begin, end);
      mixed_update(b.streams, begin, end);
      for (std::size_t k = 0; k < accesses.size(); ++k) {
        if (!accesses[k].written) continue;
        INFO("written stream " << k);
        const std::size_t w = accesses[k].width;
        for (std::size_t j = begin; j < end; ++j) {
          const bool same = std::memcmp(a.bytes[k].data() + j * w, b.bytes[k].data() + j * w, w) == 0;
          REQUIRE(same == (j != i));
        }
      }
    }
  }
  // Threads split the span and prefetching requests lines early: neither changes what is written.
  owned_streams threaded(initial), prefetched(initial);
  run_mixed_roofline(threaded.streams, end, 2);
  run_mixed_roofline(prefetched.streams, end, 2, true);
  for (std::size_t k = 0; k < accesses.size(); ++k) {
    REQUIRE(threaded.bytes[k] == once.bytes[k]);
    REQUIRE(prefetched.bytes[k] == once.bytes[k]);
  }
}

TEST_CASE("the mixed roofline refuses what it cannot move", "[bench][storage]") {
  owned_streams bad({{3, true, true}}, 8);
  REQUIRE_THROWS(run_mixed_roofline(bad.streams, 8, 1));
  owned_streams read_only({{4, true, false}}, 8);
  REQUIRE_THROWS(run_mixed_roofline(read_only.streams, 8, 1));
}

TEST_CASE("a storage mode counts every stream of the step in its own type", "[bench][storage]") {
  // Adam on float32 params with bf16 moments: read 4 + 4 + 2 + 2, write 4 + 2 + 2.
  const std::vector<storage_stream> adam =
      storage_streams(named("adam"), mode(INERTIA_FLOAT32, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE));
  CHECK(storage_pattern_name(adam) == "param:rw4 grad:r4 state0:rw2 state1:rw2");
  CHECK(bytes_of(adam) == 20);
  // SGD with momentum on a bf16 model with a float32 master (and float32
  // momentum): read grad 2, master 4, momentum 4; write master 4, momentum 4, model 2.
  const std::vector<storage_stream> sgd =
      storage_streams(named("heavy_ball"), mode(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32));
  CHECK(storage_pattern_name(sgd) == "param:w2 grad:r2 state0:rw4 master:rw4");
  CHECK(bytes_of(sgd) == 20);
  // Split bf16: both halves read and written.
  const std::vector<storage_stream> split =
      storage_streams(named("heavy_ball"), mode(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_MASTER_SPLIT));
  CHECK(storage_pattern_name(split) == "param:rw2 grad:r2 state0:rw2 master:rw2");
  // Every type one: the fixed-type pattern's elements, in that type's bytes.
  for (const variant& v : all_variants()) {
    if (!storage_unsupported(v).empty()) continue;
    INFO(v.name);
    const std::vector<storage_stream> f16 =
        storage_streams(v, mode(INERTIA_FLOAT16, INERTIA_FLOAT16, INERTIA_FLOAT16, INERTIA_MASTER_NONE));
    CHECK(bytes_of(f16) == 2 * moved_elements(variant_pattern(v)));
  }
}

TEST_CASE("the library's own check refuses the combinations it does not step", "[bench][storage]") {
  const variant& sgd = named("heavy_ball");
  REQUIRE_THROWS_WITH(check_storage(sgd, mode(INERTIA_FLOAT16, INERTIA_FLOAT16, INERTIA_FLOAT16, INERTIA_MASTER_SPLIT)),
                      Catch::Contains("storage.param_dtype"));
  REQUIRE_THROWS_WITH(check_storage(sgd, mode(INERTIA_FLOAT32, INERTIA_FLOAT32, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32)),
                      Catch::Contains("storage.param_dtype"));
  REQUIRE_THROWS_WITH(check_storage(sgd, mode(INERTIA_FLOAT64, INERTIA_FLOAT64, INERTIA_BFLOAT16, INERTIA_MASTER_NONE)),
                      Catch::Contains("float64"));
  REQUIRE_NOTHROW(check_storage(sgd, mode(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32)));
  REQUIRE_THROWS(check_storage(named("lars"), mode(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_MASTER_NONE)));
}

TEST_CASE("both strategies step a mixed-storage model to the same bits", "[bench][storage]") {
  const workload shapes{"three", {{"a", {3, 700}}, {"b", {17}}, {"c", {64, 65}}}};
  const std::vector<inertia_storage> modes = {mode(INERTIA_FLOAT32, INERTIA_FLOAT32, INERTIA_BFLOAT16, INERTIA_MASTER_NONE),
                                              mode(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_FLOAT32, INERTIA_MASTER_FLOAT32),
                                              mode(INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_BFLOAT16, INERTIA_MASTER_SPLIT),
                                              mode(INERTIA_FLOAT16, INERTIA_FLOAT16, INERTIA_FLOAT16, INERTIA_MASTER_NONE)};
  for (const char* name : {"adam", "heavy_ball"})
    for (const inertia_storage& storage : modes) {
      INFO(name << " " << storage_label(storage));
      const variant& v = named(name);
      storage_model per(shapes, v, storage), multi(shapes, v, storage), untouched(shapes, v, storage);
      storage_model_step("per_tensor", v, storage, {})(per, 2);
      storage_model_step("multi_tensor", v, storage, {})(multi, 2);
      for (std::size_t t = 0; t < shapes.tensors.size(); ++t) {
        const std::vector<mixed_stream> a = per.streams(t), b = multi.streams(t), before = untouched.streams(t);
        const std::size_t size = per.tensors()[t].size;
        bool changed = false;
        for (std::size_t k = 0; k < a.size(); ++k) {
          const std::size_t bytes = size * a[k].access.width;
          REQUIRE(std::memcmp(a[k].data, b[k].data, bytes) == 0);
          changed |= a[k].access.written && std::memcmp(a[k].data, before[k].data, bytes) != 0;
        }
        REQUIRE(changed);  // the step ran
      }
    }
}

}  // namespace
}  // namespace inertia::bench
