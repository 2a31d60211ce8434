"""Bad input to inertia.torch: an exception naming the problem, as torch raises it, and nothing written."""

import pytest
import torch

import inertia.torch as it


def snapshot(optimizer):
    params = [p.detach().clone() for g in optimizer.param_groups for p in g["params"] if p.device.type == "cpu"]
    state = {id(p): {k: (v.clone() if torch.is_tensor(v) else v) for k, v in s.items()}
             for p, s in optimizer.state.items() if s}
    return params, state


def assert_unchanged(optimizer, before):
    params, state = before
    now = [p for g in optimizer.param_groups for p in g["params"] if p.device.type == "cpu"]
    for a, b in zip(params, now):
        assert torch.equal(a, b.detach())
    # (an empty entry is what torch's own steps leave too: optimizer.state is a defaultdict)
    assert set(state) == {id(p) for p, s in optimizer.state.items() if s}
    for p, s in optimizer.state.items():
        if not s:
            continue
        assert sorted(s) == sorted(state[id(p)])
        for k, v in s.items():
            assert (v is None and state[id(p)][k] is None) or torch.equal(v, state[id(p)][k])


@pytest.mark.parametrize("make,match", [
    (lambda p: it.SGD(p, lr=-0.1), "Invalid learning rate"),
    (lambda p: it.SGD(p, lr=0.1, momentum=1.0), "momentum"),
    (lambda p: it.SGD(p, lr=0.1, momentum=1.5), "momentum"),
    (lambda p: it.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "[Nn]esterov"),
    (lambda p: it.Adam(p, lr=-1.0), "Invalid learning rate"),
    (lambda p: it.Adam(p, betas=(1.0, 0.999)), "beta"),
    (lambda p: it.AdamW(p, eps=-1.0), "epsilon"),
    (lambda p: it.Lion(p, lr=-1.0), "lr"),
    (lambda p: it.QHM(p, nu=2.0), "nu"),
    (lambda p: it.Adam(p, numerics="no_such_mode"), "numerics"),
])
def test_bad_hyperparameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make([torch.zeros(3, requires_grad=True)])


def test_bad_hyperparameter_in_a_later_group_leaves_the_optimizer_as_it_was():
    optimizer = it.SGD([torch.zeros(3, requires_grad=True)], lr=0.1, momentum=0.5)
    with pytest.raises(ValueError, match="momentum"):
        optimizer.add_param_group({"params": [torch.zeros(2, requires_grad=True)], "momentum": 1.0})
    assert len(optimizer.param_groups) == 1
    lion = it.Lion([torch.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match="beta2"):
        lion.add_param_group({"params": [torch.zeros(2, requires_grad=True)], "betas": (0.9, 1.5)})
    assert len(lion.param_groups) == 1


def test_a_scheduled_bad_value_raises_at_the_step_before_any_write():
    w = torch.ones(4, requires_grad=True)
    optimizer = it.SGD([w], lr=0.1, momentum=0.5)
    w.grad = torch.ones(4)
    optimizer.step()
    optimizer.param_groups[0]["momentum"] = 1.0
    before = snapshot(optimizer)
    with pytest.raises(ValueError, match="momentum"):
        optimizer.step()
    assert_unchanged(optimizer, before)


def bad_params():
    cases = []
    # a sparse gradient
    p = torch.zeros(4, requires_grad=True)
    p.grad = torch.zeros(4).to_sparse()
    cases.append(("sparse", p, RuntimeError, "sparse"))
    # a meta tensor
    p = torch.zeros(4, device="meta", requires_grad=True)
    p.grad = torch.zeros(4, device="meta")
    cases.append(("meta", p, RuntimeError, "meta"))
    # a non-contiguous parameter
    base = torch.zeros(4, 4)
    p = base.t().requires_grad_()
    p.grad = torch.zeros(4, 4)
    cases.append(("non-contiguous", p, ValueError, "contiguous"))
    # a gradient of another dtype or shape (assigned through .data, as autograd refuses it otherwise)
    p = torch.zeros(4, requires_grad=True)
    p.grad = torch.zeros(4)
    p.grad.data = torch.zeros(4, dtype=torch.float64)
    cases.append(("grad dtype", p, TypeError, "dtype"))
    p = torch.zeros(4, requires_grad=True)
    p.grad = torch.zeros(4)
    p.grad.data = torch.zeros(5)
    cases.append(("grad shape", p, ValueError, "shape"))
    # a dtype inertia has no step for
    p = torch.zeros(4, dtype=torch.complex64, requires_grad=True)
    p.grad = torch.zeros(4, dtype=torch.complex64)
    cases.append(("complex64", p, TypeError, "dtype"))
    return cases


@pytest.mark.parametrize("case", range(len(bad_params())))
@pytest.mark.parametrize("optimizer_class", [it.SGD, it.Adam, it.Lion])
def test_bad_tensors_raise_before_anything_is_written(case, optimizer_class):
    label, bad, error, match = bad_params()[case]
    good = torch.ones(8, requires_grad=True)
    good.grad = torch.ones(8)
    options = dict(lr=0.1, momentum=0.9) if optimizer_class is it.SGD else {}
    optimizer = optimizer_class([{"params": [good]}, {"params": [bad]}], **options)
    before = snapshot(optimizer)
    with pytest.raises(error, match=match):
        optimizer.step()
    assert_unchanged(optimizer, before)
    assert not optimizer.state[good]  # no buffer was left behind for the good parameter


def test_cuda_tensor_is_refused():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: the device check is the meta case above")
    p = torch.zeros(4, device="cuda", requires_grad=True)
    p.grad = torch.zeros(4, device="cuda")
    with pytest.raises(RuntimeError, match="cuda"):
        it.SGD([p], lr=0.1).step()


def test_overlapping_parameters_are_refused_with_nothing_written():
    storage = torch.zeros(10)
    a, b = storage[0:6], storage[4:10]
    a.requires_grad_()
    b.requires_grad_()
    a.grad, b.grad = torch.ones(6), torch.ones(6)
    optimizer = it.Adam([a, b])
    before = snapshot(optimizer)
    with pytest.raises(ValueError, match="overlap|share"):
        optimizer.step()
    assert_unchanged(optimizer, before)
    assert torch.equal(storage, torch.zeros(10))


def test_unknown_step_keyword():
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="bogus"):
        it.SGD([p], lr=0.1).step(bogus=1)
