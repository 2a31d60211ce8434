#!/usr/bin/python3
"""torch.optim as an external peer of inertia-profile, timed in the profiler's own rounds.

    /usr/bin/python3 scripts/compare_pytorch.py build/release/bench/inertia-profile [inertia-profile args]
    e.g. ... --workload gpt2_small --dtype f32 --rounds 10 --json-file profile.json

Runs inertia-profile with the given arguments and serves its external-peer
protocol (bench/profile/peer_channel.hpp): for every configuration the
profiler's rounds then take, besides one sample each of the roofline, the
library and the naive baseline, one sample of each torch.optim path below,
in an order that rotates from round to round. inertia-profile prints the
table (torch under "external peers"), and its JSON carries each peer's
median ms/step, GB/s and the median and IQR of the per-round ratio
torch time / inertia time, so a speedup is never a ratio of two numbers
measured minutes apart.

Peers, on the model's own tensor list (one tensor per shape, as the model
holds them), with bench/common/variant.cpp's settings:
  heavy_ball               SGD(lr=0.01, momentum=0.9)
  heavy_ball_nesterov_wd   SGD(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01)
  adam                     Adam(lr=1e-3)
  adamw                    AdamW(lr=1e-3, weight_decay=0.01)
  nadam                    NAdam(lr=2e-3)
  adagrad                  Adagrad(lr=0.01)
as "torch_loop" (foreach=False, torch's for-loop), "torch_foreach"
(foreach=True) and, on torch >= 2.4, "torch_fused" (fused=True, where the
optimizer has a fused CPU path). The other variants have no torch.optim
counterpart and get no peer. GB/s counts the bytes the step must move (the
same count as inertia's), whatever torch actually moves. The parameters and
gradients are shared by the paths; each path's optimizer keeps its own state.

Needs Debian's python3-torch only (torch 1.13: loop and foreach).
--torch-peers loop,foreach,fused picks the paths.
"""
import argparse
import os
import subprocess
import sys
import time

import torch

VARIANTS = {
    "heavy_ball": (torch.optim.SGD, dict(lr=0.01, momentum=0.9)),
    "heavy_ball_nesterov_wd": (torch.optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "adam": (torch.optim.Adam, dict(lr=1e-3)),
    "adamw": (torch.optim.AdamW, dict(lr=1e-3, weight_decay=0.01)),
    "nadam": (torch.optim.NAdam, dict(lr=2e-3)),
    "adagrad": (torch.optim.Adagrad, dict(lr=0.01)),  # the registry defaults, as inertia-profile runs it
}
MIN_SAMPLE_SECONDS = 1e-3  # as inertia-profile: shorter steps are timed in batches
PATH_KWARGS = {"loop": dict(foreach=False), "foreach": dict(foreach=True), "fused": dict(fused=True)}


def torch_version():
    parts = []
    for p in torch.__version__.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in p if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


class TorchPeers:
    """The torch side of the protocol: the model's tensors, an optimizer per path, timed steps."""

    def __init__(self, paths):
        self.paths = paths
        self.shapes = []
        self.optimizers = {}  # peer name -> (optimizer, steps per sample)
        self.params = []

    def model(self, shapes):
        self.shapes = shapes

    def prepare(self, variant, dtype, threads, warmup):
        self.optimizers.clear()
        self.params = []
        if variant not in VARIANTS or dtype not in ("f32", "f64"):
            return []
        torch.set_num_threads(threads)
        torch_dtype = torch.float32 if dtype == "f32" else torch.float64
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for dims in self.shapes:
                p = torch.nn.Parameter(torch.rand(dims, generator=generator, dtype=torch_dtype))
                p.grad = torch.rand(dims, generator=generator, dtype=torch_dtype) - 0.5
                self.params.append(p)
        optimizer_class, kwargs = VARIANTS[variant]
        names = []
        for path in self.paths:
            try:
                optimizer = optimizer_class(self.params, **kwargs, **PATH_KWARGS[path])
                with torch.no_grad():
                    optimizer.step()  # creates the state: not a steady-state step
                    for _ in range(warmup):
                        optimizer.step()
                    single = max(self._time(optimizer, 1), 1e-9)
            except (TypeError, RuntimeError, ValueError) as error:  # e.g. no fused CPU path in this torch
                print(f"compare_pytorch: torch_{path} skipped for {variant} {dtype}: {error}", file=sys.stderr)
                continue
            steps = 1 if single >= MIN_SAMPLE_SECONDS else int(MIN_SAMPLE_SECONDS / single) + 1
            name = f"torch_{path}"
            self.optimizers[name] = (optimizer, steps)
            names.append(name)
        return names

    @staticmethod
    def _time(optimizer, steps):
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.step()
        return (time.perf_counter() - start) / steps

    def sample(self, name):
        optimizer, steps = self.optimizers[name]
        with torch.no_grad():
            if steps > 1:
                optimizer.step()  # untimed, as inertia-profile warms a batched sample
            return self._time(optimizer, steps)


def serve(requests, replies, peers):
    """Answers the profiler until it says done (or closes the pipe)."""
    def reply(text):
        replies.write(text + "\n")
        replies.flush()

    for line in requests:
        fields = line.split()
        if not fields:
            continue
        if fields[0] == "model":
            shapes = []
            for _ in range(int(fields[1])):
                tensor = requests.readline().split()
                shapes.append([int(d) for d in tensor[1:]])
            peers.model(shapes)
            reply("ok")
        elif fields[0] == "prepare":
            names = peers.prepare(fields[1], fields[2], int(fields[3]), int(fields[4]))
            reply(" ".join(["ok"] + names))
        elif fields[0] == "sample":
            # inertia-profile's OpenMP workers spin for several ms after its last parallel region (libgomp's
            # GOMP_SPINCOUNT): let them go to sleep first, as it lets torch's workers sleep before its samples.
            time.sleep(0.02)
            reply(repr(peers.sample(fields[1])))
        elif fields[0] == "done":
            return
        else:
            reply(f"error: unknown request {fields[0]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     usage="%(prog)s INERTIA_PROFILE [--torch-peers P,...] [inertia-profile args]")
    parser.add_argument("inertia_profile", help="path of the inertia-profile binary")
    default_paths = "loop,foreach" + (",fused" if torch_version() >= (2, 4) else "")
    parser.add_argument("--torch-peers", default=default_paths,
                        help=f"torch.optim paths, of loop, foreach, fused (default here: {default_paths})")
    args, profile_args = parser.parse_known_args()
    paths = [p for p in args.torch_peers.split(",") if p]
    for p in paths:
        if p not in PATH_KWARGS:
            parser.error(f"--torch-peers: unknown path '{p}'")
    print(f"==> torch {torch.__version__} as external peers: {', '.join('torch_' + p for p in paths)}", flush=True)

    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    command = [args.inertia_profile, *profile_args, "--peer-fds", f"{request_write},{reply_read}"]
    child = subprocess.Popen(command, pass_fds=(request_write, reply_read))
    os.close(request_write)
    os.close(reply_read)
    with os.fdopen(request_read, "r") as requests, os.fdopen(reply_write, "w") as replies:
        try:
            serve(requests, replies, TorchPeers(paths))
        except BrokenPipeError:
            pass
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
