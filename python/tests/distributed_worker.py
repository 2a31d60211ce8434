"""One rank of the sharded-training test (test_distributed.py launches world_size of these).

Trains the digits MLP under DistributedDataParallel on gloo, on CPU, three ways from the same seed:
  reference  DDP + the torch.optim optimizer
  inertia    DDP + the inertia.torch optimizer
  zero       DDP + ZeroRedundancyOptimizer(optimizer_class=the inertia.torch optimizer): each rank steps
             only its shard of the parameters and broadcasts it
and a fourth, "resumed": the zero run's state consolidated on rank 0 after half the steps, saved, loaded
into an unsharded inertia.torch optimizer on every rank, and trained on to the end. Writes, per way, the
final weights, the loss curve, and (for the consolidated state) the checkpoint, for the parent to compare.

usage: distributed_worker.py RANK WORLD_SIZE PORT OPTIMIZER[,OPTIMIZER...] STEPS OUT_DIR
"""

import datetime
import os
import sys

import torch
import torch.distributed as dist
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel
from sklearn.datasets import load_digits

import inertia.torch as it

BATCH_PER_RANK = 32
OPTIONS = {
    "AdamW": dict(lr=3e-3, weight_decay=1e-2),
    "SGD": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
}
# Every collective waits at most this long: a hung rank fails the run instead of hanging CI.
TIMEOUT = datetime.timedelta(seconds=60)


def make_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))


def batches(rank, world_size, steps):
    """The same global batch order on every rank; each rank takes its slice of every global batch."""
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    generator = torch.Generator().manual_seed(1)
    global_batch = BATCH_PER_RANK * world_size
    order = torch.randperm(len(x), generator=generator)
    for step in range(steps):
        start = (step * global_batch) % (len(x) - global_batch)
        mine = order[start + rank * BATCH_PER_RANK:start + (rank + 1) * BATCH_PER_RANK]
        yield x[mine], y[mine]


def train(model, optimizer, data):
    losses = []
    for x, y in data:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main():
    rank, world_size, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    names, steps, out = sys.argv[4].split(","), int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size,
                            timeout=TIMEOUT)
    for name in names:
        train_three_ways(rank, world_size, name, steps, out)
    dist.destroy_process_group()


def train_three_ways(rank, world_size, name, steps, out):
    options = OPTIONS[name]
    torch_class, inertia_class = getattr(torch.optim, name), getattr(it, name)
    results = {}

    def run(make_optimizer, first, last, model=None):
        model = model if model is not None else DistributedDataParallel(make_model())
        optimizer = make_optimizer(model)
        losses = train(model, optimizer, list(batches(rank, world_size, last))[first:])
        return model, optimizer, losses

    def weights(model):
        return [p.detach().clone() for p in model.parameters()]

    model, _, results["reference"] = run(lambda m: torch_class(m.parameters(), **options), 0, steps)
    results["reference_weights"] = weights(model)

    model, _, results["inertia"] = run(lambda m: inertia_class(m.parameters(), **options), 0, steps)
    results["inertia_weights"] = weights(model)

    zero = lambda m: ZeroRedundancyOptimizer(m.parameters(), optimizer_class=inertia_class, **options)
    model, optimizer, results["zero"] = run(zero, 0, steps)
    results["zero_weights"] = weights(model)
    # The parameters this rank stepped itself: the shards must cover every parameter once.
    results["zero_shard_sizes"] = [p.numel() for g in optimizer.optim.param_groups for p in g["params"]]

    # Sharded for the first half, consolidated on rank 0, saved, resumed unsharded for the second half.
    half = steps // 2
    model, optimizer, first_losses = run(zero, 0, half)
    optimizer.consolidate_state_dict(to=0)
    checkpoint = os.path.join(out, f"{name}_zero_state.pt")
    if rank == 0:
        torch.save(optimizer.state_dict(), checkpoint)
    dist.barrier()
    resumed = inertia_class(model.parameters(), **options)
    resumed.load_state_dict(torch.load(checkpoint))
    model, _, second_losses = run(lambda m: resumed, half, steps, model=model)
    results["resumed"] = first_losses + second_losses
    results["resumed_weights"] = weights(model)
    torch.save(results, os.path.join(out, f"{name}_rank{rank}.pt"))


if __name__ == "__main__":
    main()
