#!/usr/bin/env python3
"""Half-precision steps on GPT-2 small (bench/workloads/gpt2_small.txt, 148 tensors, 124 M parameters):
inertia's bfloat16/float16 steps against its float32 step and against torch 2.x's fused CPU optimizers,
in interleaved rounds, with every ratio taken within a round (paired) and reported as its median and
interquartile range over the rounds.

Contenders per optimizer (SGD with momentum 0.9; Adam), each stepping its own copy of the model:
- inertia f32: inertia.torch on float32 parameters, gradients and state;
- inertia f32 + cast: the same step, then inertia.convert of every parameter to a bfloat16 model copy
  (how an engine without half-precision steps keeps a bf16 model: a second pass);
- inertia bf16 / inertia f16: parameters, gradients and state in the half type, float math (torch's
  fused semantics, bit for bit);
- torch fused f32 / torch fused bf16 / torch fused f16: torch.optim with fused=True (torch >= 2.4).

Bytes moved per parameter element (reads + writes): SGD f32 20 (w, g, v read; w, v written), half 10,
f32 + cast 26; Adam f32 28, half 14. GB/s below use these.

Usage (torch 2.x venv with inertia installed, not CI):
  /tmp/torch2/bin/python scripts/bench_half.py [--rounds 7] [--optimizers sgd,adam] [--threads N]
"""

import argparse
import os
import statistics
import sys

import torch

import inertia
import inertia.torch as it
from inertia import _capi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_python import gpt2_shapes, interleaved_rounds, quartiles  # noqa: E402

BYTES = {("sgd", "f32"): 20, ("sgd", "half"): 10, ("sgd", "f32+cast"): 26,
         ("adam", "f32"): 28, ("adam", "half"): 14, ("adam", "f32+cast"): 34}


def model(shapes, dtype, seed=0):
    generator = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=generator).mul_(0.02).to(dtype).requires_grad_() for s in shapes]
    for p in params:
        p.grad = torch.randn(p.shape, generator=generator).mul_(1e-3).to(dtype)
    return params


def make(library, name, params, **kwargs):
    cls = {"sgd": library.SGD, "adam": library.Adam}[name]
    options = dict(lr=1e-3, momentum=0.9) if name == "sgd" else dict(lr=1e-3)
    return cls(params, **options, **kwargs)


def cast_pass(params, copies):
    """Every float32 parameter into its bfloat16 copy, one inertia_convert call each (threaded)."""
    def run():
        for p, c in zip(params, copies):
            _capi.convert(_capi.BFLOAT16, c.data_ptr(), _capi.FLOAT32, p.data_ptr(), p.numel())
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    _capi.lib.inertia_set_num_threads(args.threads)
    shapes = gpt2_shapes()
    elements = sum(torch.Size(s).numel() for s in shapes)
    fused = hasattr(torch.optim, "Adam") and "fused" in torch.optim.Adam.__init__.__code__.co_varnames
    print(f"torch {torch.__version__}, inertia {inertia.__version__} ({inertia.arch()}), {args.threads} threads, "
          f"GPT-2 small: {len(shapes)} tensors, {elements / 1e6:.1f} M parameters, {args.rounds} interleaved rounds")
    for name in args.optimizers.split(","):
        contenders = {}  # label -> (step, bytes per element)
        f32 = model(shapes, torch.float32)
        ours_f32 = make(it, name, f32)
        contenders["inertia f32"] = (ours_f32.step, BYTES[(name, "f32")])
        f32_cast = model(shapes, torch.float32)
        copies = [torch.empty(p.shape, dtype=torch.bfloat16) for p in f32_cast]
        ours_cast = make(it, name, f32_cast)
        cast = cast_pass(f32_cast, copies)
        contenders["inertia f32 + cast"] = (lambda: (ours_cast.step(), cast()), BYTES[(name, "f32+cast")])
        for label, dtype in (("bf16", torch.bfloat16), ("f16", torch.float16)):
            contenders[f"inertia {label}"] = (make(it, name, model(shapes, dtype)).step, BYTES[(name, "half")])
        if fused:
            for label, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16), ("f16", torch.float16)):
                contenders[f"torch fused {label}"] = (make(torch.optim, name, model(shapes, dtype), fused=True).step,
                                                      BYTES[(name, "f32" if label == "f32" else "half")])
        for step, _ in contenders.values():  # state allocated, first-touch done
            step()
            step()
        times = interleaved_rounds({k: step for k, (step, _) in contenders.items()}, args.rounds)
        print(f"{name}:")
        for key, samples in times.items():
            ms = statistics.median(samples) * 1e3
            gbps = contenders[key][1] * elements / statistics.median(samples) / 1e9
            print(f"  {key:20} {ms:8.2f} ms  {gbps:6.1f} GB/s  ({contenders[key][1]} B/element)")
        pairs = [("inertia bf16", "inertia f32"), ("inertia bf16", "inertia f32 + cast"),
                 ("inertia f16", "inertia f32"), ("inertia bf16", "torch fused bf16"),
                 ("inertia f16", "torch fused f16"), ("inertia f32", "torch fused f32")]
        for fast, slow in pairs:
            if fast in times and slow in times:
                ratios = [s / f for f, s in zip(times[fast], times[slow])]
                low, mid, high = quartiles(ratios)
                print(f"  {fast} vs {slow}: {mid:.2f}x faster (IQR {low:.2f}-{high:.2f}, paired per round)")
        del contenders
    return 0


if __name__ == "__main__":
    sys.exit(main())
