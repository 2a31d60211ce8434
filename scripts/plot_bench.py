#!/usr/bin/python3
"""Plot inertia-bench JSON: GB/s against working-set size, one line per kernel.

    inertia-bench --benchmark_format=json --benchmark_out=bench.json ...
    /usr/bin/python3 scripts/plot_bench.py bench.json --out bench        # bench.png, bench.svg
    /usr/bin/python3 scripts/plot_bench.py bench.json --table            # markdown tables, no plot

    /usr/bin/python3 scripts/plot_bench.py --profile profile.json --out profile   # inertia-profile --json

In the tables, "roofline" and "% roof" are paired counters: inertia-bench times each kernel in batches,
each batch next to a batch of the calibrated roofline kernel on the same buffers in the same repetition,
and "% roof" is the median over those pairs of roofline time / kernel time (IQR in parentheses). With
--benchmark_repetitions the median of the repetitions' paired medians is shown. A roofline-kernel row
of another benchmark, run seconds or minutes apart, is never a denominator: on a shared host the memory
bandwidth moves by tens of percent between the two.
    /usr/bin/python3 scripts/plot_bench.py 1thread.json 2threads.json    # several runs merged

One panel per (variant, dtype, threads): the library, its peers, the measured
same-pattern roofline (dashed), copy and triad for reference (grey), cache
sizes from the JSON context marked. The `threshold` family, when present,
gets its own figure (PREFIX_threshold.png/.svg) and table.

Benchmark names: <family>/<dtype>/<kernel>/<size class>/ws:<size>/threads:<n>,
threshold/heavy_ball/f32/n:<n>/threads:<n>. With --benchmark_repetitions the
median of the repetitions is used. Needs Debian's python3-matplotlib only.
"""
import argparse
import collections
import json
import statistics
import sys

PEERS = ["inertia", "naive", "autovec", "eigen"]
STYLE = {  # kernel -> (colour, line width, marker)
    "inertia": ("#d62728", 2.4, "o"),
    "naive": ("#7f7f7f", 1.4, "v"),
    "autovec": ("#1f77b4", 1.4, "s"),
    "eigen": ("#2ca02c", 1.4, "^"),
}


def fields(name):
    """'heavy_ball/f32/inertia/L1/ws:4KiB/threads:1/real_time' -> dict."""
    parts = [p for p in name.split("/") if p != "real_time"]
    out = {"family": parts[0]}
    positional = []
    for p in parts[1:]:
        if ":" in p:
            key, value = p.split(":", 1)
            out[key] = value
        else:
            positional.append(p)
    if out["family"] == "threshold":
        out["variant"], out["dtype"] = positional[0], positional[1]
    else:
        out["dtype"], out["kernel"], out["size_class"] = positional[0], positional[1], positional[2]
    return out


def load(paths):
    """Returns (context of the first file, rows): one row per benchmark, repetitions (and the same
    benchmark in several files) reduced to their median."""
    context, benchmarks = None, []
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        context = context if context is not None else data.get("context", {})
        benchmarks += data["benchmarks"]
    runs = collections.OrderedDict()
    for b in benchmarks:
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        runs.setdefault(b["run_name"], []).append(b)
    rows = []
    for name, reps in runs.items():
        row = fields(name)
        row["name"] = name
        row["threads"] = int(row["threads"])
        for key in ("bytes_per_second", "real_time", "pct_of_roofline", "pct_of_roofline_q1", "pct_of_roofline_q3",
                    "roofline_gbps", "roofline_spread_pct", "working_set_bytes", "elements"):
            values = [r[key] for r in reps if key in r]
            if values:
                row[key] = statistics.median(values)
        row["time_unit"] = reps[0].get("time_unit", "ns")
        row["gbps"] = row.get("bytes_per_second", 0.0) / 1e9
        rows.append(row)
    return context, rows


def cache_levels(context):
    """[(label, bytes)] for L1d, L2, L3 from the JSON context."""
    levels = []
    for c in context.get("caches", []):
        if c.get("type") in ("Data", "Unified"):
            levels.append((f"L{c['level']}", int(c["size"])))
    if not levels:
        for level in ("l1d", "l2", "l3"):
            if f"inertia_cache_{level}" in context:
                levels.append((level.upper().rstrip("D"), int(context[f"inertia_cache_{level}"])))
    return sorted(levels, key=lambda item: item[1])


def human_bytes(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if abs(value - round(value)) < 0.05 else f"{value:.1f} {unit}"
    return f"{n:.0f} B"


def series(rows, family, dtype, threads, kernel):
    pts = sorted((r["working_set_bytes"], r["gbps"]) for r in rows
                 if r["family"] == family and r["dtype"] == dtype and r["threads"] == threads
                 and r.get("kernel") == kernel and "working_set_bytes" in r)
    return [p[0] for p in pts], [p[1] for p in pts]


def best_of(rows, family, dtype, threads):
    """Per working set, the best kernel of a roofline pattern (copy, triad)."""
    best = {}
    for r in rows:
        if r["family"] == family and r["dtype"] == dtype and r["threads"] == threads:
            best[r["working_set_bytes"]] = max(best.get(r["working_set_bytes"], 0.0), r["gbps"])
    xs = sorted(best)
    return xs, [best[x] for x in xs]


def roofline_series(rows, variant, dtype, threads):
    pts = {}
    for r in rows:
        if r["family"] == variant and r["dtype"] == dtype and r["threads"] == threads and "roofline_gbps" in r:
            pts[r["working_set_bytes"]] = r["roofline_gbps"]
    xs = sorted(pts)
    return xs, [pts[x] for x in xs]


def variants_of(context, rows):
    """The measured variants, in the suite's order: the JSON context's inertia_variants (inertia-bench takes
    them from the library's registry, bench/common/variant.cpp), else the families that have a library
    ("inertia") row, in the order they appear."""
    listed = [v for v in context.get("inertia_variants", "").split(",") if v]
    if not listed:
        for r in rows:
            if r.get("kernel") == "inertia" and r["family"] != "threshold" and r["family"] not in listed:
                listed.append(r["family"])
    return [v for v in listed if any(r["family"] == v for r in rows)]


def plot(context, rows, prefix):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    variants = variants_of(context, rows)
    panels = sorted({(r["dtype"], r["threads"]) for r in rows if r["family"] in variants})
    if not variants or not panels:
        print("plot_bench: no variant benchmarks in the JSON", file=sys.stderr)
        return
    levels = cache_levels(context)
    fig, axes = plt.subplots(len(variants), len(panels), figsize=(4.6 * len(panels), 3.4 * len(variants)),
                             squeeze=False, sharex=True)
    for i, variant in enumerate(variants):
        for j, (dtype, threads) in enumerate(panels):
            ax = axes[i][j]
            for pattern, label, style in (("copy_1r1w", "copy (best)", ":"), ("triad_2r1w", "triad (best)", "-.")):
                xs, ys = best_of(rows, pattern, dtype, threads)
                if xs:
                    ax.plot(xs, ys, style, color="#bbbbbb", lw=1.2, label=label)
            xs, ys = roofline_series(rows, variant, dtype, threads)
            if xs:
                ax.plot(xs, ys, "--", marker="_", ms=14, mew=2.0, color="black", lw=2.0, label="roofline (measured)")
            for kernel in PEERS:
                xs, ys = series(rows, variant, dtype, threads, kernel)
                if xs:
                    colour, width, marker = STYLE[kernel]
                    ax.plot(xs, ys, marker=marker, color=colour, lw=width, ms=4, label=kernel,
                            zorder=3 if kernel == "inertia" else 2)
            for label, size in levels:
                ax.axvline(size, color="#9467bd", lw=0.8, alpha=0.6)
                ax.text(size, 0.98, f" {label}\n {human_bytes(size)}", transform=ax.get_xaxis_transform(),
                        va="top", ha="left", fontsize=7, color="#9467bd")
            ax.set_xscale("log", base=2)
            # Log GB/s: DRAM (tens of GB/s) and L1 (hundreds) both stay
            # readable, and equal ratios to the roofline look equal.
            ax.set_yscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: human_bytes(x)))
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.grid(True, which="both", alpha=0.25)
            ax.set_title(f"{variant}  {dtype}  {threads} thread{'s' if threads > 1 else ''}", fontsize=10)
            if j == 0:
                ax.set_ylabel("GB/s (bytes the step must move)")
            if i == len(variants) - 1:
                ax.set_xlabel("working set")
            ax.tick_params(labelsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    arch = context.get("inertia_arch", "?")
    top = 1.0 - 0.55 / fig.get_figheight()  # room for the title and the legend, in inches
    fig.suptitle(f"inertia-bench on {context.get('host_name', '?')} ({context.get('num_cpus', '?')} CPUs, "
                 f"arch {arch}): GB/s against working set, cache sizes per core", y=0.999, fontsize=11)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0 - 0.3 / fig.get_figheight()),
               ncol=len(labels), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, top))
    for ext in ("png", "svg"):
        fig.savefig(f"{prefix}.{ext}", dpi=110)
        print(f"wrote {prefix}.{ext}")
    plt.close(fig)


def threshold_rows(rows):
    """{threads: {n: microseconds per call}} of the threshold family."""
    out = collections.defaultdict(dict)
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    for r in rows:
        if r["family"] == "threshold":
            out[r["threads"]][int(r["n"])] = r["real_time"] * scale[r["time_unit"]]
    return out


def crossover(times):
    """Smallest n from which every larger n is faster on all threads than on one; None if never."""
    threads = sorted(times)
    if len(threads) < 2:
        return None
    one, many = times[threads[0]], times[threads[-1]]
    sizes = sorted(set(one) & set(many))
    answer = None
    for n in reversed(sizes):
        if many[n] < one[n]:
            answer = n
        else:
            break
    return answer


def plot_threshold(rows, prefix):
    times = threshold_rows(rows)
    if len(times) < 2:
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ratio_ax) = plt.subplots(1, 2, figsize=(10, 3.8))
    for threads in sorted(times):
        ns = sorted(times[threads])
        ax.plot(ns, [times[threads][n] for n in ns], marker="o", label=f"{threads} thread{'s' if threads > 1 else ''}")
    threads = sorted(times)
    ns = sorted(set(times[threads[0]]) & set(times[threads[-1]]))
    ratio_ax.plot(ns, [times[threads[0]][n] / times[threads[-1]][n] for n in ns], marker="o", color="#d62728")
    ratio_ax.axhline(1.0, color="black", lw=0.8)
    n = crossover(times)
    for a in (ax, ratio_ax):
        a.set_xscale("log", base=2)
        a.grid(True, alpha=0.3)
        a.set_xlabel("elements (heavy_ball f32, 20 B moved each)")
        if n:
            a.axvline(n, color="#9467bd", ls="--", lw=1)
    ax.set_yscale("log")
    ax.set_ylabel("µs per call")
    ax.legend()
    ratio_ax.set_ylabel(f"speedup of {threads[-1]} threads over 1")
    title = "parallel region forced (min_bytes_per_thread = 1)"
    if n:
        title += f"; pays from n = {n} ({human_bytes(n * 20 / threads[-1])} moved per thread)"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{prefix}_threshold.{ext}", dpi=110)
        print(f"wrote {prefix}_threshold.{ext}")
    plt.close(fig)


def print_tables(context, rows):
    kernels_present = [k for k in PEERS if any(r.get("kernel") == k for r in rows)]
    for variant in variants_of(context, rows):
        for dtype, threads in sorted({(r["dtype"], r["threads"]) for r in rows if r["family"] == variant}):
            print(f"\n### {variant} {dtype}, {threads} thread{'s' if threads > 1 else ''} (GB/s)\n")
            header = ["class", "working set"] + kernels_present + ["roofline (paired)", "inertia % roof (IQR)",
                                                                   "roof IQR"]
            header += [f"x {k}" for k in kernels_present if k != "inertia"]
            print("| " + " | ".join(header) + " |")
            print("|" + "---|" * len(header))
            by_size = collections.defaultdict(dict)
            for r in rows:
                if r["family"] == variant and r["dtype"] == dtype and r["threads"] == threads:
                    by_size[(r["working_set_bytes"], r["size_class"], r["ws"])][r["kernel"]] = r
            for (working_set, size_class, ws), kernels in sorted(by_size.items()):
                cells = [size_class, ws]
                cells += [f"{kernels[k]['gbps']:.1f}" if k in kernels else "" for k in kernels_present]
                lib = kernels.get("inertia")
                paired = lib and "pct_of_roofline" in lib
                cells.append(f"{lib['roofline_gbps']:.1f}" if paired else "")
                cells.append(f"{lib['pct_of_roofline']:.0f}% ({lib.get('pct_of_roofline_q1', float('nan')):.0f}-"
                             f"{lib.get('pct_of_roofline_q3', float('nan')):.0f})" if paired else "")
                spread = lib.get("roofline_spread_pct") if lib else None
                cells.append("" if spread is None else f"{spread:.0f}%" + (" !" if spread > 15 else ""))
                for k in kernels_present:
                    if k != "inertia":
                        ok = lib and k in kernels and kernels[k]["gbps"] > 0
                        cells.append(f"{lib['gbps'] / kernels[k]['gbps']:.2f}" if ok else "")
                print("| " + " | ".join(cells) + " |")
    times = threshold_rows(rows)
    if len(times) >= 2:
        threads = sorted(times)
        print(f"\n### threshold: heavy_ball f32, parallel region forced (µs per call)\n")
        print(f"| n | bytes moved per thread at {threads[-1]} | 1 thread | {threads[-1]} threads | speedup |")
        print("|---|---|---|---|---|")
        for n in sorted(set(times[threads[0]]) & set(times[threads[-1]])):
            t1, tn = times[threads[0]][n], times[threads[-1]][n]
            print(f"| {n} | {human_bytes(n * 20 / threads[-1])} | {t1:.2f} | {tn:.2f} | {t1 / tn:.2f} |")
        n = crossover(times)
        if n:
            print(f"\ncrossover: {threads[-1]} threads pay from n = {n} elements, "
                  f"{n * 20 // threads[-1]} bytes moved per thread ({human_bytes(n * 20 / threads[-1])})")
        else:
            print("\ncrossover: more threads never paid in the measured range")


def quartiles(values):
    """(q1, median, q3), linear interpolation as in bench/common/timing.hpp."""
    v = sorted(values)
    def q(p):
        h = p * (len(v) - 1)
        lo = int(h)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (h - lo) * (v[hi] - v[lo])
    return q(0.25), q(0.5), q(0.75)


def plot_profile(path, prefix):
    """inertia-profile --json: per configuration, every contestant's GB/s (median of its per-round
    samples, IQR as the error bar) beside the roofline's, and below, the paired % of roofline."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(path) as f:
        results = json.load(f)
    if not results:
        sys.exit(f"{path}: no results")
    labels = [r["variant"] + ("" if len({x["dtype"] for x in results}) == 1 else " " + r["dtype"]) for r in results]
    names = []
    for r in results:
        for name in r["samples_ms"]:
            if name not in names:
                names.append(name)
    colours = {"roofline": "#000000", "inertia": "#d62728", "baseline": "#7f7f7f"}
    extra = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    for k, name in enumerate(n for n in names if n not in colours):
        colours[name] = extra[k % len(extra)]
    width = 0.8 / len(names)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, 0.9 * len(results) + 3), 8.5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    xs = range(len(results))
    for k, name in enumerate(names):
        centre, low, high, at = [], [], [], []
        for i, r in enumerate(results):
            if name not in r["samples_ms"]:
                continue
            rates = [r["bytes_per_step"] / (ms * 1e6) for ms in r["samples_ms"][name]]
            q1, med, q3 = quartiles(rates)
            at.append(i - 0.4 + width * (k + 0.5))
            centre.append(med)
            low.append(med - q1)
            high.append(q3 - med)
        top.bar(at, centre, width, yerr=[low, high], capsize=2, color=colours[name], label=name,
                alpha=0.55 if name == "roofline" else 0.9, error_kw={"elinewidth": 1})
    for i, r in enumerate(results):
        if r.get("roofline_noisy"):
            top.annotate(f"! roof IQR {r['roofline_spread_pct']:.0f}%", (i, r["roofline_gbps"]), ha="center",
                         va="bottom", fontsize=7, color="#b00000")
    top.set_ylabel("GB/s (bytes the step must move)")
    top.legend(fontsize=8, ncol=min(len(names), 6))
    top.grid(axis="y", alpha=0.3)
    first = results[0]
    top.set_title(f"inertia-profile: {first['workload']}, {first['elements']:,} parameters, {first['threads']} threads, "
                  f"{first['arch']}, {first['strategy']}, {first['rounds']} interleaved rounds\n"
                  "bars: median of the per-round samples; error bars: their IQR", fontsize=9)
    pct = [r["pct_of_roofline"] for r in results]
    err = [[r["pct_of_roofline"] - r["pct_of_roofline_iqr"][0] for r in results],
           [r["pct_of_roofline_iqr"][1] - r["pct_of_roofline"] for r in results]]
    bottom.errorbar(list(xs), pct, yerr=err, fmt="o", color=colours["inertia"], capsize=3, label="inertia % of roofline")
    bottom.axhline(100, color="black", lw=1, ls="--")
    bottom.set_ylabel("% of roofline\n(median of per-round ratios, IQR)")
    bottom.set_ylim(0, max(110, max(r["pct_of_roofline_iqr"][1] for r in results) + 5))
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_xticks(list(xs))
    bottom.set_xticklabels(labels, rotation=35, ha="right", fontsize=8)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{prefix}.{ext}", dpi=110)
        print(f"wrote {prefix}.{ext}")
    plt.close(fig)


def print_profile_table(path):
    """inertia-profile --json as a markdown table: medians, paired ratios with their IQR, peers."""
    with open(path) as f:
        results = json.load(f)
    peers = []
    for r in results:
        for p in r["peers"]:
            if p["name"] not in peers:
                peers.append(p["name"])
    header = ["variant", "dtype", "ms/step", "GB/s", "roofline GB/s", "% of roofline (IQR)", "roof IQR",
              "x naive (IQR)"] + [f"{p} ms (inertia x, IQR)" for p in peers]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in results:
        q1, q3 = r["pct_of_roofline_iqr"]
        s1, s3 = r["speedup_vs_baseline_iqr"]
        cells = [r["variant"], r["dtype"], f"{r['ms_per_step']:.1f}", f"{r['gbps']:.1f}", f"{r['roofline_gbps']:.1f}",
                 f"{r['pct_of_roofline']:.0f}% ({q1:.0f}-{q3:.0f})",
                 f"{r['roofline_spread_pct']:.0f}%" + (" !" if r["roofline_noisy"] else ""),
                 f"{r['speedup_vs_baseline']:.2f} ({s1:.2f}-{s3:.2f})"]
        by_name = {p["name"]: p for p in r["peers"]}
        for name in peers:
            p = by_name.get(name)
            cells.append(f"{p['ms_per_step']:.1f} ({p['speedup']:.2f}x, {p['speedup_iqr'][0]:.2f}-{p['speedup_iqr'][1]:.2f})"
                         if p else "")
        print("| " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="*", help="inertia-bench --benchmark_format=json output (several are merged)")
    parser.add_argument("--profile", metavar="JSON", help="plot inertia-profile --json output instead")
    parser.add_argument("--out", default="bench", help="output prefix (PREFIX.png, PREFIX.svg)")
    parser.add_argument("--table", action="store_true", help="print markdown tables instead of plotting")
    args = parser.parse_args()
    if args.profile:
        if args.table:
            print_profile_table(args.profile)
        else:
            plot_profile(args.profile, args.out)
        return
    if not args.json:
        parser.error("give inertia-bench JSON files, or --profile FILE")
    context, rows = load(args.json)
    if args.table:
        print_tables(context, rows)
        return
    plot(context, rows, args.out)
    plot_threshold(rows, args.out)


if __name__ == "__main__":
    main()
