// Prints the target chosen at start-up, so ctest can check INERTIA_ARCH.
#include <cstdio>

#include "inertia/arch.hpp"

int main() {
  std::printf("active=%s best=%s\n", inertia::arch_name(inertia::active_arch()).data(),
              inertia::arch_name(inertia::best_arch()).data());
}
