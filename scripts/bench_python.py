#!/usr/bin/env python3
"""One optimizer step through inertia.torch against torch.optim, interleaved, on GPT-2 small
(bench/workloads/gpt2_small.txt, 148 tensors, 124 M floats), on its LoRA adapters (rank 8 on
c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj of the 12 blocks: 96 tensors, 1.18 M floats), and on
148 tensors of 16 floats (tiny148: almost no arithmetic, so inertia.torch minus the C ABI call is
the Python side of a step; timed 200 steps at a time).

Contenders, each timed once per round, rounds interleaved, median over rounds reported:
- inertia.torch: the optimizer's step() (Python side + the library call);
- C ABI alone: the same library call with the tensor table packed once (what Python adds is the
  difference);
- torch loop (foreach=False), torch foreach (foreach=True), torch fused (fused=True, torch >= 2.4).

Usage: python3 scripts/bench_python.py [--rounds N] [--workloads gpt2,lora] [--optimizers sgd,adam]
(with the inertia package installed: bash scripts/test_python.sh makes build/venv).
"""

import argparse
import os
import random
import statistics
import sys
import time

import torch

import inertia
import inertia.torch as it
from inertia import _capi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def interleaved_rounds(contenders, rounds, repeat=1, seed=1):
    """Times every callable of `contenders` (label -> step) once per round, `repeat` calls at a time, in a
    new random order each round (no contender always runs after the same other one): label -> the seconds
    per call of each round, so that ratios can be taken within a round."""
    times = {k: [] for k in contenders}
    order = list(contenders)
    shuffler = random.Random(seed)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for key in order:
            step = contenders[key]
            start = time.perf_counter()
            for _ in range(repeat):
                step()
            times[key].append((time.perf_counter() - start) / repeat)
    return times


def quartiles(values):
    """(first quartile, median, third quartile)."""
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], statistics.median(values), q[2]


def gpt2_shapes():
    shapes = []
    with open(os.path.join(ROOT, "bench", "workloads", "gpt2_small.txt")) as listing:
        for line in listing:
            if line.startswith("#") or not line.strip():
                continue
            shapes.append(tuple(int(d) for d in line.split()[1:]))
    return shapes


def lora_shapes(rank=8, layers=12, width=768):
    shapes = []
    for _ in range(layers):
        for fan_in, fan_out in [(width, 3 * width), (width, width), (width, 4 * width), (4 * width, width)]:
            shapes += [(rank, fan_in), (fan_out, rank)]  # A, B
    return shapes


def parse():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--workloads", default="tiny148,lora,gpt2")
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument("--statistic", choices=["median", "min"], default="median",
                        help="over the rounds; min: the least disturbed round on a shared machine")
    return parser.parse_args()


def torch_version():
    return tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in torch.__version__.split("+")[0].split(".")[:2])


def main():
    args = parse()
    torch.set_num_threads(os.cpu_count())  # torch and inertia (OpenMP's default) on every CPU
    version = torch_version()
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), inertia {inertia.__version__} "
          f"({inertia.arch()}), {os.cpu_count()} CPUs, {args.rounds} interleaved rounds, {args.statistic} ms per step")
    for workload in args.workloads.split(","):
        shapes = {"gpt2": gpt2_shapes, "lora": lora_shapes, "tiny148": lambda: [(16,)] * 148}[workload]()
        repeat = 200 if workload == "tiny148" else 1  # tiny148: 148 tensors of 16 floats, the Python side alone
        torch.manual_seed(0)
        params = [torch.randn(s).mul_(0.02).requires_grad_() for s in shapes]
        for p in params:
            p.grad = torch.randn(p.shape).mul_(1e-3)
        floats = sum(p.numel() for p in params)
        for name in args.optimizers.split(","):
            make_torch = {"sgd": lambda **k: torch.optim.SGD(params, lr=1e-3, momentum=0.9, **k),
                          "adam": lambda **k: torch.optim.Adam(params, lr=1e-3, **k)}[name]
            make_inertia = {"sgd": lambda: it.SGD(params, lr=1e-3, momentum=0.9),
                            "adam": lambda: it.Adam(params, lr=1e-3)}[name]
            contenders = {}
            ours = make_inertia()
            ours.step()
            contenders["inertia.torch"] = ours.step
            plan = ours._inertia_layouts[0].plans[0]
            report = _capi.StepReport()
            contenders["C ABI alone"] = lambda plan=plan: plan.handle.step(plan.code, plan.table, len(plan.members),
                                                                          plan.steps + 1, None, report)
            loop = make_torch(foreach=False)
            loop.step()
            contenders["torch loop"] = loop.step
            foreach = make_torch(foreach=True)
            foreach.step()
            contenders["torch foreach"] = foreach.step
            if version >= (2, 4):
                fused = make_torch(fused=True)
                fused.step()
                contenders["torch fused"] = fused.step
            times = {k: [t * 1e3 for t in v] for k, v in interleaved_rounds(contenders, args.rounds, repeat).items()}
            reduce = statistics.median if args.statistic == "median" else min
            medians = {k: reduce(v) for k, v in times.items()}
            base = medians["inertia.torch"]
            cells = ", ".join(f"{k} {v:.3f}" + ("" if k == "inertia.torch" else f" ({v / base:.2f}x)")
                              for k, v in medians.items())
            python_us = (base - medians["C ABI alone"]) * 1e3
            print(f"{workload} ({len(shapes)} tensors, {floats / 1e6:.2f} M floats) {name}: {cells}; "
                  f"Python side {python_us:.0f} us")
            del contenders, ours, loop, foreach, plan
    return 0


if __name__ == "__main__":
    sys.exit(main())
