"""Loss scaling: the grad_scale/found_inf that GradScaler hands to optimizers declaring
_step_supports_amp_scaling; unscaling and the Inf/NaN check run inside inertia's step.

Torch 1.13 has no CPU GradScaler (torch.cuda.amp.GradScaler disables itself without CUDA), so these
tests drive the optimizer exactly as GradScaler.step does: torch 2.x sets optimizer.grad_scale and
optimizer.found_inf; torch 1.13 passes itself as step(grad_scaler=...). Where the installed torch has
a CPU GradScaler (torch.amp.GradScaler("cpu"), torch >= 2.3), the real one runs too."""

import pytest
import torch

import inertia.torch as it

SCALE = 65536.0  # GradScaler's initial scale: a power of two, so unscaling is exact


def losses_of(w):
    return (w ** 2).sum() * 0.5 + w.sum()


def test_scaled_steps_match_unscaled_torch_and_an_inf_skips_the_step():
    torch.manual_seed(0)
    start = torch.randn(50)
    w_ref, w = start.clone().requires_grad_(), start.clone().requires_grad_()
    reference = torch.optim.Adam([w_ref], lr=0.01)
    ours = it.Adam([w], lr=0.01)
    assert ours._step_supports_amp_scaling
    for step in range(6):
        reference.zero_grad()
        losses_of(w_ref).backward()
        ours.zero_grad()
        (losses_of(w) * SCALE).backward()
        inject = step == 3
        if inject:
            w.grad[7] = float("inf")
        ours.grad_scale = torch.tensor(SCALE)   # as torch 2.x's GradScaler.step sets them
        ours.found_inf = torch.tensor(1.0 if inject else 0.0)
        before = w.detach().clone(), {k: v.clone() for k, v in ours.state[w].items()} if ours.state[w] else {}
        ours.step()
        del ours.grad_scale, ours.found_inf
        if inject:
            assert torch.equal(w, before[0])
            assert all(torch.equal(v, before[1][k]) for k, v in ours.state[w].items())
            continue
        reference.step()
        assert torch.equal(w, w_ref), step
    assert ours.state[w]["step"].item() == reference.state[w_ref]["step"].item() == 5


def test_the_in_step_check_skips_a_non_finite_gradient_that_found_inf_missed():
    w = torch.ones(9, requires_grad=True)
    ours = it.SGD([w], lr=0.1, momentum=0.9)
    w.grad = torch.full((9,), SCALE)
    w.grad[4] = float("nan")
    ours.grad_scale, ours.found_inf = torch.tensor(SCALE), torch.tensor(0.0)
    ours.step()
    assert torch.equal(w, torch.ones(9))
    assert "momentum_buffer" not in ours.state[w]  # the first step did not happen: no buffer made


class OneThirteenScaler:
    """What torch 1.13's GradScaler offers an optimizer that declares _step_supports_amp_scaling."""

    def __init__(self, scale, found_inf):
        self.scale, self.found = scale, found_inf

    def _get_scale_async(self):
        return torch.tensor(self.scale)

    def _check_inf_per_device(self, optimizer):
        return {"cpu": torch.tensor(self.found)}


def test_the_torch_1_13_grad_scaler_argument():
    torch.manual_seed(1)
    start, g = torch.randn(20), torch.randn(20)
    w_ref, w = start.clone().requires_grad_(), start.clone().requires_grad_()
    reference, ours = torch.optim.SGD([w_ref], lr=0.1, momentum=0.9), it.SGD([w], lr=0.1, momentum=0.9)
    w_ref.grad, w.grad = g.clone(), g * SCALE
    reference.step()
    ours.step(grad_scaler=OneThirteenScaler(SCALE, 0.0))
    assert torch.equal(w, w_ref)
    w.grad = g * SCALE
    ours.step(grad_scaler=OneThirteenScaler(SCALE, 1.0))  # found an Inf: skipped
    assert torch.equal(w, w_ref)


def test_real_cpu_grad_scaler_where_torch_has_one():
    if not hasattr(torch, "amp") or not hasattr(torch.amp, "GradScaler"):
        pytest.skip(f"torch {torch.__version__} has no CPU GradScaler (torch.amp.GradScaler: torch >= 2.3)")
    scaler = torch.amp.GradScaler("cpu")
    torch.manual_seed(2)
    w = torch.randn(10, requires_grad=True)
    ours = it.Adam([w], lr=0.01)
    for inject in (False, True, False):
        ours.zero_grad()
        scaler.scale(losses_of(w)).backward()
        if inject:
            w.grad[0] = float("inf")
        before = w.detach().clone()
        scale = scaler.get_scale()
        scaler.step(ours)
        scaler.update()
        if inject:
            assert torch.equal(w, before) and scaler.get_scale() < scale
        else:
            assert not torch.equal(w, before)


def test_step_hooks_where_torch_has_them():
    if not hasattr(torch.optim.Optimizer, "register_step_pre_hook"):
        pytest.skip(f"torch {torch.__version__} has no optimizer step hooks")
    w = torch.ones(3, requires_grad=True)
    w.grad = torch.ones(3)
    ours = it.SGD([w], lr=0.1)
    calls = []
    ours.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
    ours.register_step_post_hook(lambda opt, args, kwargs: calls.append("post"))
    ours.step()
    assert calls == ["pre", "post"]
