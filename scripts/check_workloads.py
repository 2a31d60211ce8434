#!/usr/bin/env python3
"""Validate the model workload files in bench/workloads/.

File format: UTF-8 text, one tensor per line: `name dim0 [dim1 ...]`, fields
separated by single spaces, dims positive integers. Lines starting with '#'
are comments; blank lines are ignored.

Prints per file: tensor count, total parameters, largest and smallest tensor.
Exits non-zero if a file is malformed or its total/count differs from the
expected value. Plain python3, no third-party imports.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = os.path.join(ROOT, "bench", "workloads")

# file -> (expected total parameters, expected tensor count or None)
EXPECTED = {
    "resnet50.txt": (25_557_032, 161),
    "bert_base_uncased.txt": (109_482_240, 199),
    "gpt2_small.txt": (124_439_808, 148),
}


def parse(path):
    tensors = []
    seen = set()
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.endswith("\r"):
                raise ValueError(f"{path}:{lineno}: CRLF line ending")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split(" ")
            if any(x == "" for x in fields):
                raise ValueError(f"{path}:{lineno}: fields must be separated by single spaces")
            if len(fields) < 2:
                raise ValueError(f"{path}:{lineno}: need a name and at least one dimension")
            name, dims = fields[0], fields[1:]
            if name in seen:
                raise ValueError(f"{path}:{lineno}: duplicate tensor name {name!r}")
            seen.add(name)
            shape = []
            for d in dims:
                if not d.isdigit() or int(d) <= 0:
                    raise ValueError(f"{path}:{lineno}: bad dimension {d!r}")
                shape.append(int(d))
            numel = 1
            for d in shape:
                numel *= d
            tensors.append((name, tuple(shape), numel))
    return tensors


def fmt(t):
    name, shape, numel = t
    return f"{name} [{' x '.join(map(str, shape))}] = {numel:,}"


def main():
    ok = True
    for fname, (want_total, want_count) in EXPECTED.items():
        path = os.path.join(WORKLOADS, fname)
        try:
            tensors = parse(path)
        except (OSError, ValueError) as e:
            print(f"FAIL {fname}: {e}")
            ok = False
            continue
        if not tensors:
            print(f"FAIL {fname}: no tensors")
            ok = False
            continue
        total = sum(t[2] for t in tensors)
        largest = max(tensors, key=lambda t: t[2])    # first one on ties
        smallest = min(tensors, key=lambda t: t[2])
        good = total == want_total and (want_count is None or len(tensors) == want_count)
        ok &= good
        print(f"{'OK  ' if good else 'FAIL'} {fname}")
        print(f"     tensors : {len(tensors)}" + (f" (expected {want_count})" if want_count else ""))
        print(f"     total   : {total:,} (expected {want_total:,})")
        print(f"     largest : {fmt(largest)}")
        print(f"     smallest: {fmt(smallest)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
