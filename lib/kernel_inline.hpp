#pragma once
// INERTIA_KERNEL_INLINE marks a non-template member function that the target
// loops call on a type every translation unit shares: a rule's anchor() and
// runtime_flags(), gradient_source::transforms().
//
// The generic variant sources make rules; each target's translation unit
// (lib/targets/instantiate.hpp), compiled with that target's -m flags, runs
// them. A plain inline member that a target's loop calls and the compiler
// leaves out of line (as -O0 does, or any build whose inlining heuristics say
// so) is emitted there, compiled with those flags, as a weak symbol that the
// generic sources and the other targets emit too; the linker keeps one copy
// for every caller, which may be the avx512f one on an AVX2 machine. Always
// inlined, such a function has no body of its own: each caller gets the code,
// built with its own flags. (Member templates instantiated on a target's
// lanes, like apply<Lanes>, are the target's own symbols and need no mark.)
#define INERTIA_KERNEL_INLINE [[gnu::always_inline]] inline
