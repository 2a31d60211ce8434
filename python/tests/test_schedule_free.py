"""inertia.torch.SGDScheduleFree / AdamWScheduleFree against schedulefree's loop path, op by op on the
installed torch (schedulefree itself is not a dependency; where it is installed, against it too), bit for bit,
with eval()/train() between steps; and the mode checks."""

import numpy as np
import pytest
import torch

from inertia.torch import AdamWScheduleFree, SGDScheduleFree


class LoopReference:
    """SGDScheduleFree / AdamWScheduleFree's foreach=False step (schedulefree 1.4.1), copied op by op (sqrt_ as IEEE sqrt)."""

    def __init__(self, params, adamw, **hp):
        self.params, self.adamw, self.hp = params, adamw, hp
        self.k, self.lr_max, self.weight_sum = 0, -1.0, 0.0
        self.state = [{} for _ in params]

    @torch.no_grad()
    def step(self, lr):
        hp, k = self.hp, self.k
        sched = (k + 1) / hp["warmup_steps"] if k < hp["warmup_steps"] else 1.0
        lr = lr * sched
        self.lr_max = max(lr, self.lr_max)
        weight = ((k + 1) ** hp["r"]) * (self.lr_max ** hp["weight_lr_power"])
        self.weight_sum = self.weight_sum + weight
        ckp1 = weight / self.weight_sum if self.weight_sum != 0 else 0
        beta1 = hp["betas"][0] if self.adamw else hp["momentum"]
        for y, state in zip(self.params, self.state):
            grad = y.grad.clone()
            if "z" not in state:
                state["z"] = torch.clone(y)
                state["exp_avg_sq"] = torch.zeros_like(y)
            z = state["z"]
            if self.adamw:
                beta2 = hp["betas"][1]
                exp_avg_sq = state["exp_avg_sq"]
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                # sqrt_ as IEEE sqrt (numpy's): torch 2.x wheels take it from MKL, which is not correctly rounded.
                denom = torch.from_numpy(np.sqrt(exp_avg_sq.div(1 - beta2 ** (k + 1)).numpy())).add_(hp["eps"])
                grad.div_(denom)
            if hp["weight_decay"] != 0:
                grad.add_(y, alpha=hp["weight_decay"])
            y.lerp_(end=z, weight=ckp1)
            y.add_(grad, alpha=lr * (beta1 * (1 - ckp1) - 1))
            z.sub_(grad, alpha=lr)
        self.k = k + 1

    @torch.no_grad()
    def swap(self, to_eval):
        beta1 = self.hp["betas"][0] if self.adamw else self.hp["momentum"]
        for p, state in zip(self.params, self.state):
            p.lerp_(end=state["z"], weight=(1 - 1 / beta1) if to_eval else (1 - beta1))


CASES = [
    (SGDScheduleFree, False, dict(momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0)),
    (SGDScheduleFree, False, dict(momentum=0.75, weight_decay=1e-2, warmup_steps=3, r=0.5, weight_lr_power=1.0)),
    (AdamWScheduleFree, True, dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0,
                                   weight_lr_power=2.0)),
    (AdamWScheduleFree, True, dict(betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2, warmup_steps=3, r=1.0,
                                   weight_lr_power=0.0)),
]
LRS = [0.05, 0.05, 0.08, 0.08, 0.03, 0.03]


def bits(t):
    return t.detach().clone().view(torch.int32 if t.dtype == torch.float32 else torch.int64)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("cls, adamw, hp", CASES)
def test_matches_schedulefree_loop_path_op_by_op(cls, adamw, hp, dtype):
    gen = torch.Generator().manual_seed(3)
    shapes = [(37,), (10, 101), (1,)]
    start = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
    ours = [torch.nn.Parameter(t.clone()) for t in start]
    theirs = [torch.nn.Parameter(t.clone()) for t in start]
    opt = cls(ours, lr=LRS[0], **hp)
    ref = LoopReference(theirs, adamw, **hp)
    opt.train()
    for step, lr in enumerate(LRS, start=1):
        grads = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.clone(), g.clone()
        opt.param_groups[0]["lr"] = lr
        opt.step()
        ref.step(lr)
        if step == 3:  # evaluate, then carry on training from the round trip, as schedulefree's users do
            opt.eval()
            ref.swap(True)
            for p, q in zip(ours, theirs):
                assert torch.equal(bits(p), bits(q))
            opt.train()
            ref.swap(False)
        group = opt.param_groups[0]
        assert (group["k"], group["lr_max"], group["weight_sum"]) == (ref.k, ref.lr_max, ref.weight_sum)
        for p, q, state in zip(ours, theirs, ref.state):
            assert torch.equal(bits(p), bits(q)), f"param after step {step}"
            assert torch.equal(bits(opt.state[p]["z"]), bits(state["z"]))
            if adamw:
                assert torch.equal(bits(opt.state[p]["exp_avg_sq"]), bits(state["exp_avg_sq"]))


@pytest.mark.parametrize("cls, adamw, hp", CASES[1::2])
def test_matches_schedulefree_when_installed(cls, adamw, hp):
    schedulefree = pytest.importorskip("schedulefree")
    if adamw and torch.__version__ >= "2":
        pytest.skip("torch 2.x wheels take sqrt_ from MKL (not correctly rounded): see schedule_free_adamw.hpp")
    theirs_class = schedulefree.AdamWScheduleFree if adamw else schedulefree.SGDScheduleFree
    gen = torch.Generator().manual_seed(5)
    start = torch.randn(1000, generator=gen)
    p, q = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    opt, ref = cls([p], lr=0.05, **hp), theirs_class([q], lr=0.05, foreach=False, **hp)
    opt.train(), ref.train()
    for _ in range(4):
        g = torch.randn(1000, generator=gen)
        p.grad, q.grad = g.clone(), g.clone()
        opt.step(), ref.step()
    opt.eval(), ref.eval()
    assert torch.equal(bits(p), bits(q))


def test_step_outside_train_mode_raises_and_swaps_follow_the_mode():
    p = torch.nn.Parameter(torch.ones(5))
    opt = SGDScheduleFree([p], lr=0.1)
    p.grad = torch.ones(5)
    with pytest.raises(Exception, match="train mode"):
        opt.step()
    opt.eval()  # not in train mode: nothing to swap
    opt.train()
    opt.step()
    assert opt.param_groups[0]["k"] == 1 and "z" in opt.state[p]
    before = p.detach().clone()
    opt.train()  # already in train mode: unchanged
    assert torch.equal(p.detach(), before)
    with pytest.raises(ValueError, match="Momentum"):
        SGDScheduleFree([torch.nn.Parameter(torch.ones(2))], momentum=0.0)
