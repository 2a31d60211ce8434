#!/usr/bin/python3
"""torch.optim (SGD, Adam, AdamW, NAdam) against inertia-profile on GPT-2 small (float32, all threads).

    /usr/bin/python3 scripts/compare_pytorch.py build/bench/inertia-profile [--steps 10] [--threads N]

Builds GPT-2 small's parameter list from bench/workloads/gpt2_small.txt (one
float32 tensor per line, as the model holds them), times torch.optim.SGD
steps (median ms per step after warm-up, torch.set_num_threads(all)) for
  SGD lr 0.01, momentum 0.9                              (inertia variant heavy_ball)
  SGD lr 0.01, momentum 0.9, nesterov, weight_decay 0.01 (inertia variant heavy_ball_nesterov_wd)
  Adam lr 1e-3                                           (adam)
  AdamW lr 1e-3, weight_decay 0.01                       (adamw)
  NAdam lr 2e-3                                          (nadam)
in torch's default for-loop path and with foreach=True, then runs
`inertia-profile --workload gpt2_small --json` for the same configurations
and prints both side by side. GB/s counts the bytes the step must move (SGD:
w, g, v read, w, v written, 20 bytes per parameter; the Adam family 28) for
every column, whatever each implementation actually moves. Needs Debian's
python3-torch only. --only NAME runs the configurations whose inertia
variant is NAME.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = os.path.join(ROOT, "bench", "workloads", "gpt2_small.txt")

# (label, inertia variant, optimizer, keyword arguments, bytes per parameter): the settings
# bench/variant.cpp uses.
CONFIGURATIONS = [
    ("SGD momentum 0.9", "heavy_ball", torch.optim.SGD, dict(lr=0.01, momentum=0.9), 20),
    ("SGD + nesterov, wd 0.01", "heavy_ball_nesterov_wd", torch.optim.SGD,
     dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01), 20),
    ("Adam lr 1e-3", "adam", torch.optim.Adam, dict(lr=1e-3), 28),
    ("AdamW lr 1e-3, wd 0.01", "adamw", torch.optim.AdamW, dict(lr=1e-3, weight_decay=0.01), 28),
    ("NAdam lr 2e-3", "nadam", torch.optim.NAdam, dict(lr=2e-3), 28),
]


def read_shapes(path):
    shapes = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields and not fields[0].startswith("#"):
                shapes.append((fields[0], [int(d) for d in fields[1:]]))
    return shapes


def time_torch(shapes, optimizer_class, kwargs, foreach, steps, warmup):
    """Median seconds of optimizer.step() over `steps` steps after `warmup` (the first creates the buffers)."""
    generator = torch.Generator().manual_seed(0)
    params = []
    for _, dims in shapes:
        p = torch.nn.Parameter(torch.rand(dims, generator=generator, dtype=torch.float32))
        p.grad = torch.rand(dims, generator=generator, dtype=torch.float32) - 0.5
        params.append(p)
    optimizer = optimizer_class(params, foreach=foreach, **kwargs)
    with torch.no_grad():
        for _ in range(warmup):
            optimizer.step()
        seconds = []
        for _ in range(steps):
            start = time.perf_counter()
            optimizer.step()
            seconds.append(time.perf_counter() - start)
    del optimizer, params
    return statistics.median(seconds)


def run_inertia(binary, variant, threads, steps, warmup):
    command = [binary, "--workload", "gpt2_small", "--variant", variant, "--dtype", "f32", "--threads", str(threads),
               "--steps", str(steps), "--warmup", str(warmup), "--json"]
    result = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(result.stdout)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inertia_profile", help="path of the inertia-profile binary")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for torch and inertia")
    parser.add_argument("--only", choices=[c[1] for c in CONFIGURATIONS], action="append",
                        help="only this inertia variant's configuration (repeatable)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    shapes = read_shapes(SHAPES)
    elements = sum(torch.Size(dims).numel() for _, dims in shapes)
    print(f"GPT-2 small: {elements:,} float32 parameters in {len(shapes)} tensors; {args.threads} threads; "
          f"torch {torch.__version__}; median of {args.steps} steps after {args.warmup} warm-up")
    print("GB/s = bytes the step must move (SGD 20 per parameter: w, g, v read, w, v written; "
          "Adam family 28) / time per step\n", flush=True)

    rows = []
    for label, variant, optimizer_class, kwargs, bytes_per_parameter in CONFIGURATIONS:
        if args.only and variant not in args.only:
            continue
        print(f"  timing torch {variant} ...", file=sys.stderr, flush=True)
        loop = time_torch(shapes, optimizer_class, kwargs, foreach=False, steps=args.steps, warmup=args.warmup)
        foreach = time_torch(shapes, optimizer_class, kwargs, foreach=True, steps=args.steps, warmup=args.warmup)
        print(f"  timing inertia {variant} ...", file=sys.stderr, flush=True)
        inertia = run_inertia(args.inertia_profile, variant, args.threads, args.steps, args.warmup)
        rows.append((label, loop, foreach, inertia, bytes_per_parameter * elements))

    header = (f"{'optimizer':<32} {'torch loop':>22} {'torch foreach':>22} {'inertia':>22} "
              f"{'vs loop':>8} {'vs foreach':>10} {'inertia % roof':>15}")
    print(header)
    print("-" * len(header))
    for label, loop, foreach, inertia, bytes_per_step in rows:
        inertia_seconds = inertia["ms_per_step"] / 1e3

        def cell(seconds):
            return f"{seconds * 1e3:7.2f} ms {bytes_per_step / seconds / 1e9:5.1f} GB/s"

        print(f"{label:<32} {cell(loop):>22} {cell(foreach):>22} {cell(inertia_seconds):>22} "
              f"{loop / inertia_seconds:7.2f}x {foreach / inertia_seconds:9.2f}x "
              f"{inertia['pct_of_roofline']:14.1f}%")
    first = rows[0][3]
    print(f"\ninertia: {first['strategy']} calls, arch {first['arch']}; same-pattern roofline "
          f"{first['roofline_gbps']:.1f} GB/s ({first['roofline_kernel']})")


if __name__ == "__main__":
    main()
