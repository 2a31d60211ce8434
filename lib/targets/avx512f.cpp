// The avx512f target: compiled with its own flags (lib/CMakeLists.txt).
#define INERTIA_TARGET ::inertia::arch::avx512f
#include "targets/instantiate.hpp"
