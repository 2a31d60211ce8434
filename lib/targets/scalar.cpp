// The scalar target: compiled with its own flags (lib/CMakeLists.txt).
#define INERTIA_TARGET ::inertia::arch::scalar
#include "targets/instantiate.hpp"
