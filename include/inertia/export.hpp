#pragma once
// Symbols of the public API; everything else in libinertia is hidden.
#if defined(_WIN32)
#define INERTIA_API
#else
#define INERTIA_API __attribute__((visibility("default")))
#endif
