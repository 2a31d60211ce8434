// The sse2 target: compiled with its own flags (lib/CMakeLists.txt).
#define INERTIA_TARGET ::inertia::arch::sse2
#include "targets/instantiate.hpp"
