// The avx2 target: compiled with its own flags (lib/CMakeLists.txt).
#define INERTIA_TARGET ::inertia::arch::avx2
#include "targets/instantiate.hpp"
