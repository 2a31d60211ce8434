#pragma once
// The roofline of a step whose streams are not all of one width (bf16 params
// with float32 state, a float32 master beside a bf16 model copy, ...): one
// kernel, not a template per type combination, that loads every stream the
// step reads and stores every stream it writes, each in its own width (2, 4
// or 8 bytes), with integer arithmetic trivial enough to stay memory-bound.
// Its bytes per element are the step's: every stream's width counted once per
// read and once per write. The fixed-width patterns keep their own kernels
// (roofline_kernels.hpp); this one is for the storage modes of inertia-profile.
#include <cstddef>
#include <span>
#include <string>

namespace inertia::bench {

/// One stream of a step, per element: its width in bytes and how it is accessed.
struct stream_access {
  std::size_t width = 4;  ///< 2, 4 or 8
  bool read = true;
  bool written = false;
};

/// A stream's memory: size elements of access.width bytes.
struct mixed_stream {
  stream_access access;
  void* data = nullptr;
};

/// Bytes moved per element: sum of width x (read + written) over the streams.
std::size_t moved_bytes(std::span<const stream_access> streams);

/// Over elements [begin, end): loads every read stream, stores every written
/// one (a written stream that is also read gets its old value mixed with every
/// read value; a write-only stream gets the mix), so every read feeds every
/// store and nothing can be dropped. Needs at least one written stream. Compiled
/// -O3 -march=native as the other roofline kernels. `prefetch`: each stream's
/// lines are also requested 1 KB ahead in software (the same values written).
/// At most 16 streams.
void mixed_update(std::span<const mixed_stream> streams, std::size_t begin, std::size_t end, bool prefetch = false);

/// mixed_update over [0, size) on `threads` threads (contiguous chunks, as the
/// other roofline kernels: common/parallel_chunks.hpp).
void run_mixed_roofline(std::span<const mixed_stream> streams, std::size_t size, int threads, bool prefetch = false);

}  // namespace inertia::bench
