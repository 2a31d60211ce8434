#!/usr/bin/env python3
"""Paired before/after timing of two inertia-bench binaries.

DRAM bandwidth on the reference VMs moves by 1.5x from minute to minute, so
two builds are only comparable when measured in the same interleaved rounds:
each round runs every selected row once on the "before" binary and once on
the "after" binary (in alternating order), and a row's ratio is taken per
round, then summarised as the median with its min-max spread.

  scripts/compare_bench_builds.py BEFORE AFTER [--filter REGEX] [--rounds N]
      [--min-time S] [--markdown]

BEFORE/AFTER: paths to inertia-bench. The filter is Google Benchmark's
(default: every variant's f32 inertia rows at L1, L2 and DRAM). Prints one
row per benchmark: before and after medians (ns), after/before (median,
min-max over rounds); < 1 means the after build is faster.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile


def run(binary, pattern, min_time):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [binary, f"--benchmark_filter={pattern}", f"--benchmark_min_time={min_time}",
             "--benchmark_format=console", f"--benchmark_out={out.name}", "--benchmark_out_format=json"],
            check=True, stdout=subprocess.DEVNULL)
        data = json.load(open(out.name))
    return {b["name"]: b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
            for b in data["benchmarks"] if b.get("run_type", "iteration") == "iteration"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--filter", default=r"^[a-z_0-9]+/f32/inertia/(L1|L2|DRAM)/")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    before, after = {}, {}
    for r in range(args.rounds):
        order = [(args.before, before), (args.after, after)]
        if r % 2:
            order.reverse()
        for binary, store in order:
            for name, ns in run(binary, args.filter, args.min_time).items():
                store.setdefault(name, []).append(ns)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    names = [n for n in after if n in before]
    if not names:
        sys.exit("no benchmark name is in both builds for this filter")
    if args.markdown:
        print("| benchmark | before (ns) | after (ns) | after/before | spread |")
        print("|---|---:|---:|---:|---|")
    ratios = []
    for name in names:
        pairs = [a / b for a, b in zip(after[name], before[name])]
        ratio = statistics.median(pairs)
        ratios.append(ratio)
        b, a = statistics.median(before[name]), statistics.median(after[name])
        if args.markdown:
            print(f"| `{name}` | {b:.0f} | {a:.0f} | {ratio:.3f} | {min(pairs):.3f}-{max(pairs):.3f} |")
        else:
            print(f"{name:70s} {b:12.0f} {a:12.0f}  {ratio:6.3f}  ({min(pairs):.3f}-{max(pairs):.3f})")
    print(f"\n{len(names)} rows; after/before: median {statistics.median(ratios):.3f}, "
          f"min {min(ratios):.3f}, max {max(ratios):.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
