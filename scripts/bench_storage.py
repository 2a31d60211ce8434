#!/usr/bin/env python3
"""Storage modes on GPT-2 small (bench/workloads/gpt2_small.txt, 148 tensors, 124 M parameters): mixed
storage and master weights (inertia_optimizer_step_storage) against the float32 step, the float32 step
followed by a cast pass, inertia's all-bf16 step, torch 2.x's fused optimizers and DeepSpeed's CPU Adam,
in interleaved rounds (a new random order each round), every ratio taken within a round (paired) and
reported as its median and interquartile range over the rounds.

Each contender steps its own copy of the model, all tensors in one library call (torch and DeepSpeed:
one optimizer step). Bytes per parameter element, reads + writes, for the GB/s column:

  SGD (momentum 0.9)                                    | Adam
  f32                 w g v read, w v written   20      | f32                    28
  f32 + cast          20, then w read, bf16 written 26   | f32 params, bf16 m v  4+4+4 + 2*4 = 20
  bf16 + f32 master   g 2, master 8, v 8, bf16 w 2 = 20  | all bf16 (fused)       14
  split bf16          g 2, top 4, bottom 4, v 8 = 18     | both again with stochastic rounding (fused)
  all bf16 (fused)    10                                 |
  all bf16, stochastic rounding (fused) 10               |

Usage (torch 2.x venv, not CI; torch 1.13 runs the library's rows alone; inertia's shared library from a
build of this tree):
  INERTIA_LIBRARY=build/shared/lib/libinertia.so PYTHONPATH=python \\
    /tmp/torch2/bin/python scripts/bench_storage.py [--rounds 9] [--threads 2] [--optimizers sgd,adam]
"""

import argparse
import ctypes
import os
import statistics
import sys

import torch

from inertia import _capi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_python import gpt2_shapes, interleaved_rounds, quartiles  # noqa: E402

# The library's codes, structures and prototypes are _capi's (one binding of the C ABI).
F32, BF16 = _capi.FLOAT32, _capi.BFLOAT16
MASTER_NONE, MASTER_FLOAT32, MASTER_SPLIT = _capi.MASTER_NONE, _capi.MASTER_FLOAT32, _capi.MASTER_SPLIT
Storage = _capi.Storage
lib = _capi.lib


class Tensor(ctypes.Structure):
    """inertia_tensor, for a table built once per model and passed to every step."""
    _fields_ = [("param", ctypes.c_void_p), ("grad", ctypes.c_void_p), ("state", ctypes.c_void_p * _capi.MAX_STATE),
                ("size", ctypes.c_size_t)]


def check(status):
    if status != 0:
        raise RuntimeError(lib.inertia_last_error().decode())


def randn(shapes, dtype, scale, seed):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=generator).mul_(scale).to(dtype) for s in shapes]


class Library:
    """One handle and one model's buffers, stepped in one C call per step."""

    def __init__(self, variant, shapes, param_dtype, grad_dtype, state_dtype, master=MASTER_NONE, cast=False,
                 stochastic=False):
        self.handle = ctypes.c_void_p()
        check(lib.inertia_optimizer_create(variant.encode(), ctypes.byref(self.handle)))
        check(lib.inertia_optimizer_set(self.handle, b"lr", 1e-3))
        if variant == "heavy_ball":
            check(lib.inertia_optimizer_set(self.handle, b"momentum", 0.9))
        states = 1 if variant == "heavy_ball" else 2
        torch_of = {F32: torch.float32, BF16: torch.bfloat16}
        self.params = randn(shapes, torch_of[param_dtype], 0.02, 0)
        self.grads = randn(shapes, torch_of[grad_dtype], 1e-3, 1)
        self.states = [[torch.zeros(s, dtype=torch_of[state_dtype]) for _ in range(states)] for s in shapes]
        self.masters = []
        if master == MASTER_FLOAT32:
            self.masters = [p.float() for p in self.params]
        elif master == MASTER_SPLIT:
            self.masters = [torch.zeros(p.shape, dtype=torch.int16) for p in self.params]
        self.copies = [torch.empty(p.shape, dtype=torch.bfloat16) for p in self.params] if cast else []
        self.tensors = (Tensor * len(shapes))()
        for k, p in enumerate(self.params):
            t = self.tensors[k]
            t.param, t.grad, t.size = p.data_ptr(), self.grads[k].data_ptr(), p.numel()
            for j, s in enumerate(self.states[k]):
                t.state[j] = s.data_ptr()
        self.master_array = (ctypes.c_void_p * len(shapes))(*[m.data_ptr() for m in self.masters]) if self.masters else None
        self.storage = Storage(param_dtype, grad_dtype, state_dtype, master, int(stochastic), 2026)
        self.single = master == MASTER_NONE and param_dtype == grad_dtype == state_dtype and not stochastic
        self.step_number = 0

    def step(self):
        # The same step number every call after the first two: step 1 writes state unread.
        self.step_number = min(self.step_number + 1, 3)
        if self.single:
            check(lib.inertia_optimizer_step(self.handle, self.storage.param_dtype, self.tensors, len(self.params),
                                             self.step_number, None, None))
        else:
            check(lib.inertia_optimizer_step_storage(self.handle, ctypes.byref(self.storage), self.tensors,
                                                     self.master_array, len(self.params), self.step_number, None,
                                                     None))
        for p, c in zip(self.params, self.copies):  # the cast pass of an engine without master weights
            check(lib.inertia_convert(BF16, c.data_ptr(), F32, p.data_ptr(), p.numel()))


def torch_fused(name, shapes, dtype):
    params = [p.requires_grad_() for p in randn(shapes, dtype, 0.02, 0)]
    for p, g in zip(params, randn(shapes, dtype, 1e-3, 1)):
        p.grad = g
    try:  # torch before 2.x has no fused CPU step: the row is left out and said so
        if name == "sgd":
            optimizer = torch.optim.SGD(params, lr=1e-3, momentum=0.9, fused=True)
        else:
            optimizer = torch.optim.Adam(params, lr=1e-3, fused=True)
        optimizer.step()
    except Exception as error:
        print(f"  (torch {torch.__version__} fused {name} {dtype}: {type(error).__name__}: {error})")
        return None
    return optimizer.step


def deepspeed_adam(shapes, dtype):
    try:
        from deepspeed.ops.adam import DeepSpeedCPUAdam
    except Exception as error:  # not installed: the row is left out and said so
        print(f"  (DeepSpeed CPU Adam: {type(error).__name__}: {error})")
        return None
    params = [torch.nn.Parameter(p) for p in randn(shapes, dtype, 0.02, 0)]
    for p, g in zip(params, randn(shapes, dtype, 1e-3, 1)):
        p.grad = g
    return DeepSpeedCPUAdam(params, lr=1e-3, adamw_mode=False).step


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lib.inertia_set_num_threads(args.threads)
    shapes = gpt2_shapes()
    elements = sum(torch.Size(s).numel() for s in shapes)
    print(f"torch {torch.__version__}, inertia ({_capi.arch()}), "
          f"{args.threads} threads, GPT-2 small: {len(shapes)} tensors, {elements / 1e6:.1f} M parameters, "
          f"{args.rounds} interleaved rounds")
    for name in args.optimizers.split(","):
        contenders = {}  # label -> (step, bytes per element)
        if name == "sgd":
            v = "heavy_ball"
            contenders["f32"] = (Library(v, shapes, F32, F32, F32).step, 20)
            contenders["f32 + cast pass"] = (Library(v, shapes, F32, F32, F32, cast=True).step, 26)
            contenders["bf16 + f32 master"] = (Library(v, shapes, BF16, BF16, F32, MASTER_FLOAT32).step, 20)
            contenders["split bf16"] = (Library(v, shapes, BF16, BF16, F32, MASTER_SPLIT).step, 18)
            contenders["all bf16"] = (Library(v, shapes, BF16, BF16, BF16).step, 10)
            contenders["all bf16, stochastic rounding"] = (Library(v, shapes, BF16, BF16, BF16, stochastic=True).step, 10)
            fused = torch_fused("sgd", shapes, torch.bfloat16)
            if fused is not None:
                contenders["torch fused bf16"] = (fused, 10)
            pairs = [("bf16 + f32 master", "f32 + cast pass"), ("split bf16", "bf16 + f32 master"),
                     ("split bf16", "f32"), ("bf16 + f32 master", "f32"), ("all bf16", "torch fused bf16"),
                     ("all bf16, stochastic rounding", "all bf16")]
        else:
            v = "adam"
            contenders["f32"] = (Library(v, shapes, F32, F32, F32).step, 28)
            contenders["f32 params, bf16 moments"] = (Library(v, shapes, F32, F32, BF16).step, 20)
            contenders["all bf16"] = (Library(v, shapes, BF16, BF16, BF16).step, 14)
            contenders["f32 params, bf16 moments, stochastic"] = (Library(v, shapes, F32, F32, BF16, stochastic=True).step, 20)
            contenders["all bf16, stochastic rounding"] = (Library(v, shapes, BF16, BF16, BF16, stochastic=True).step, 14)
            for label, dtype, size in (("f32", torch.float32, 28), ("bf16", torch.bfloat16, 14)):
                fused = torch_fused("adam", shapes, dtype)
                if fused is not None:
                    contenders[f"torch fused {label}"] = (fused, size)
            for label, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
                ds = deepspeed_adam(shapes, dtype)
                if ds is not None:
                    contenders[f"DeepSpeed CPU Adam {label}"] = (ds, 28 if label == "f32" else 14)
            pairs = [("f32 params, bf16 moments", "f32"), ("f32 params, bf16 moments", "DeepSpeed CPU Adam bf16"),
                     ("f32 params, bf16 moments", "DeepSpeed CPU Adam f32"), ("all bf16", "torch fused bf16"),
                     ("f32", "torch fused f32"), ("f32 params, bf16 moments, stochastic", "f32 params, bf16 moments"),
                     ("all bf16, stochastic rounding", "all bf16"), ("all bf16, stochastic rounding", "torch fused bf16")]
        for step, _ in contenders.values():  # state allocated, first touch done
            step()
            step()
        times = interleaved_rounds({k: step for k, (step, _) in contenders.items()}, args.rounds)
        print(f"{name}:")
        for key, samples in times.items():
            seconds = statistics.median(samples)
            gbps = contenders[key][1] * elements / seconds / 1e9
            print(f"  {key:38} {seconds * 1e3:8.2f} ms  {gbps:6.1f} GB/s  ({contenders[key][1]} B/element)")
        for fast, slow in pairs:
            if fast in times and slow in times:
                low, mid, high = quartiles([s / f for f, s in zip(times[fast], times[slow])])
                print(f"  {fast} vs {slow}: {mid:.2f}x (IQR {low:.2f}-{high:.2f}, paired per round)")
        del contenders
    return 0


if __name__ == "__main__":
    sys.exit(main())
