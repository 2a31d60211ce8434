#!/usr/bin/env python3
"""What torch 2's Optimizer wrapper would cost inertia.torch: step() (marked hooked, so torch leaves it alone)
against the same _step wrapped by torch's Optimizer.profile_hook_step, 148 tensors of 16 floats, 21
interleaved rounds of 500 calls, min and median microseconds per call. torch >= 2 only (1.13 has no such
static method). Usage: python scripts/bench_step_wrapper.py SGD|Adam (inertia installed)."""
import statistics, sys, time, torch, inertia.torch as it
torch.manual_seed(0)
ps = [torch.nn.Parameter(torch.randn(16)) for _ in range(148)]
for p in ps: p.grad = torch.randn(16)
name = sys.argv[1]
opt = getattr(it, name)(ps, lr=1e-3, **({"momentum": 0.9} if name == "SGD" else {}))
wrapped = torch.optim.Optimizer.profile_hook_step(type(opt)._step)
for _ in range(100): opt.step(); wrapped(opt)
def t(f, n=500):
    s = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - s) / n * 1e6
ours, theirs = [], []
for r in range(21):
    pair = [("ours", lambda: opt.step()), ("torch-wrapped", lambda: wrapped(opt))]
    if r % 2: pair.reverse()
    for label, f in pair:
        (ours if label == "ours" else theirs).append(t(f))
print(f"torch {torch.__version__} {name}: step() {min(ours):.1f} us (median {statistics.median(ours):.1f}); "
      f"under torch's wrapper {min(theirs):.1f} us (median {statistics.median(theirs):.1f})")
