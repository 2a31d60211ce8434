"""Sharded training on torch.distributed (gloo, CPU, loopback): DDP + torch.optim, DDP + inertia.torch and
DDP + ZeroRedundancyOptimizer(optimizer_class=inertia.torch...) give the same bits on every rank, and the
sharded state, consolidated and loaded into an unsharded inertia optimizer, trains on bit-identically.

Each world is world_size processes of distributed_worker.py; every collective has a 60 s timeout and every
process a wall-clock limit, so a hung rank fails the test instead of hanging CI."""

import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributed_worker.py")
STEPS = 200
PROCESS_LIMIT_S = 240

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="this torch has no gloo backend")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


OPTIMIZERS = ["AdamW", "SGD"]


def run_world(world_size, out):
    port = free_port()
    # loopback only: gloo must not pick an interface that leads nowhere
    env = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive", GLOO_SOCKET_IFNAME="lo")
    ranks = [subprocess.Popen([sys.executable, WORKER, str(rank), str(world_size), str(port), ",".join(OPTIMIZERS),
                               str(STEPS), str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for rank in range(world_size)]
    failures = []
    try:
        for rank, process in enumerate(ranks):
            output, _ = process.communicate(timeout=PROCESS_LIMIT_S)
            if process.returncode != 0:
                failures.append(f"rank {rank} exited {process.returncode}:\n{output[-3000:]}")
    except subprocess.TimeoutExpired:
        failures.append(f"a rank ran past {PROCESS_LIMIT_S} s (hung collective?)")
    finally:
        for process in ranks:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert not failures, "\n".join(failures)
    return {name: [torch.load(os.path.join(out, f"{name}_rank{rank}.pt")) for rank in range(world_size)]
            for name in OPTIMIZERS}


@pytest.fixture(scope="module", params=[2, 4], ids=lambda n: f"{n}ranks")
def world(request, tmp_path_factory):
    """One world of processes trains every optimizer (one torch start-up per rank, not per optimizer)."""
    return request.param, run_world(request.param, tmp_path_factory.mktemp(f"world{request.param}"))


def assert_same(a, b, what):
    assert len(a) == len(b), what
    for index, (x, y) in enumerate(zip(a, b)):
        assert torch.equal(x, y), f"{what}: parameter {index} differs by up to {(x - y).abs().max().item()}"


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_ddp_and_zero_are_bit_identical(world, optimizer):
    world_size, results = world
    results = results[optimizer]
    first = results[0]
    assert first["reference"][-1] < first["reference"][0] * 0.5, "it trained"
    for rank, result in enumerate(results):
        for way in ("inertia", "zero", "resumed"):
            # each rank's loss is on its own slice of the batch
            assert result[way] == result["reference"], f"rank {rank}: the {way} loss curve differs"
            assert_same(result[f"{way}_weights"], first["reference_weights"], f"rank {rank}, {way}")
        assert_same(result["reference_weights"], first["reference_weights"], f"rank {rank}, reference")
    # ZeRO sharded: every rank stepped a part, and the parts add up to the model once.
    shards = [sum(r["zero_shard_sizes"]) for r in results]
    total = sum(p.numel() for p in first["reference_weights"])
    assert sum(shards) == total
    assert sum(1 for s in shards if s > 0) == min(world_size, len(first["reference_weights"]))
