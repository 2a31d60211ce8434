"""inertia.numpy: the in-place steps against torch's bits, the multi-tensor form, the policy, and errors."""

import numpy as np
import pytest
import torch

import inertia
import inertia.numpy as inp
from inertia.torch import numerics_mode

# inertia.numpy steps in the library's default order (torch 2.x's loop path);
# against the installed torch, ask for that torch's order, as inertia.torch does.
ADAM_NUMERICS = numerics_mode("adam")
NADAM_NUMERICS = numerics_mode("nadam")

SIZES = [0, 1, 7, 16, 33, 1000, 4099]


def test_one_function_per_registered_variant():
    assert inp.variants() == inertia.variant_names()
    for name in inertia.variant_names():
        assert callable(getattr(inp, name)), name
    assert inp.state_names("heavy_ball", momentum=0.9) == ["momentum_buffer"]
    assert inp.state_names("heavy_ball") == []
    assert inp.state_names("adam", amsgrad=True) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", SIZES)
def test_heavy_ball_is_torch_sgd(dtype, n):
    rng = np.random.default_rng(n)
    w = rng.standard_normal(n).astype(dtype)
    buffer = np.zeros(n, dtype)
    w_t = torch.from_numpy(w.copy()).requires_grad_()
    reference = torch.optim.SGD([w_t], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    for t in range(1, 5):
        g = rng.standard_normal(n).astype(dtype)
        w_t.grad = torch.from_numpy(g.copy())
        reference.step()
        inp.heavy_ball(w, g, momentum_buffer=buffer, step=t, lr=0.05, momentum=0.9, nesterov=True,
                       weight_decay=1e-3)
    np.testing.assert_array_equal(w, w_t.detach().numpy())
    np.testing.assert_array_equal(buffer, reference.state[w_t]["momentum_buffer"].numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_is_torch_adam(dtype, amsgrad):
    rng = np.random.default_rng(7)
    n = 1031
    w = rng.standard_normal(n).astype(dtype)
    states = {name: np.zeros(n, dtype) for name in inp.state_names("adam", amsgrad=amsgrad)}
    w_t = torch.from_numpy(w.copy()).requires_grad_()
    reference = torch.optim.Adam([w_t], lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2, amsgrad=amsgrad)
    for t in range(1, 6):
        g = rng.standard_normal(n).astype(dtype)
        w_t.grad = torch.from_numpy(g.copy())
        reference.step()
        inp.adam(w, g, step=t, lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2, amsgrad=amsgrad,
                 numerics=ADAM_NUMERICS, **states)
    np.testing.assert_array_equal(w, w_t.detach().numpy())
    for name, value in states.items():
        np.testing.assert_array_equal(value, reference.state[w_t][name].numpy())


def test_nadam_reports_mu_product():
    rng = np.random.default_rng(8)
    w = rng.standard_normal(40).astype(np.float32)
    m, v = np.zeros_like(w), np.zeros_like(w)
    w_t = torch.from_numpy(w.copy()).requires_grad_()
    reference = torch.optim.NAdam([w_t])
    mu_product = 1.0
    for t in range(1, 4):
        g = rng.standard_normal(40).astype(np.float32)
        w_t.grad = torch.from_numpy(g.copy())
        reference.step()
        mu_product = inp.nadam(w, g, exp_avg=m, exp_avg_sq=v, step=t, mu_product=mu_product,
                              numerics=NADAM_NUMERICS).mu_product
    np.testing.assert_array_equal(w, w_t.detach().numpy())
    assert mu_product == reference.state[w_t]["mu_product"].item()


def test_list_form_is_each_tensor_alone():
    rng = np.random.default_rng(9)
    sizes = [5, 0, 300, 17]
    params = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    grads = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    alone = [p.copy() for p in params]
    m = [np.zeros(n, np.float32) for n in sizes]
    v = [np.zeros(n, np.float32) for n in sizes]
    m1 = [x.copy() for x in m]
    v1 = [x.copy() for x in v]
    inp.adamw(params, grads, exp_avg=m, exp_avg_sq=v, step=1, lr=1e-2)
    for i in range(len(sizes)):
        inp.adamw(alone[i], grads[i], exp_avg=m1[i], exp_avg_sq=v1[i], step=1, lr=1e-2)
        np.testing.assert_array_equal(params[i], alone[i])


def test_policy_unscales_and_skips():
    rng = np.random.default_rng(10)
    w = rng.standard_normal(64).astype(np.float32)
    g = rng.standard_normal(64).astype(np.float32)
    plain = w.copy()
    inp.heavy_ball(plain, g, step=1, lr=0.1)
    report = inp.heavy_ball(w, g * 1024, step=1, lr=0.1, policy=inertia.StepPolicy(grad_scale=1024))
    assert not report.skipped
    np.testing.assert_array_equal(w, plain)
    g[3] = np.inf
    report = inp.heavy_ball(w, g, step=1, lr=0.1, policy={"skip_non_finite": True})
    assert report.skipped
    np.testing.assert_array_equal(w, plain)
    report = inp.heavy_ball(w, np.ones(64, np.float32), step=1, lr=0.1, policy=inertia.StepPolicy(max_norm=1.0))
    assert report.grad_norm == 8.0


def good_call(**changes):
    """An adam call whose one argument `changes` names is replaced; returns the arrays to check."""
    arrays = dict(param=np.ones(8, np.float32), grad=np.ones(8, np.float32), exp_avg=np.zeros(8, np.float32),
                  exp_avg_sq=np.zeros(8, np.float32))
    arrays.update(changes)
    snapshot = {k: np.array(v, copy=True) for k, v in arrays.items() if isinstance(v, np.ndarray)}
    return arrays, snapshot


def readonly(a):
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("changes,error,match", [
    (dict(param=np.ones(8, np.int32)), TypeError, "param.*dtype"),
    (dict(grad=np.ones(8, np.float64)), TypeError, "grad.*dtype"),
    (dict(exp_avg=np.zeros(8, np.float16)), TypeError, "exp_avg.*dtype"),
    (dict(param=[1.0] * 8), TypeError, "param"),
    (dict(param=np.ones(16, np.float32)[::2]), ValueError, "param.*contiguous"),
    (dict(exp_avg_sq=np.zeros((4, 4), np.float32).T), ValueError, "exp_avg_sq.*contiguous"),
    (dict(param=readonly(np.ones(8, np.float32))), ValueError, "param.*read-only"),
    (dict(exp_avg=readonly(np.zeros(8, np.float32))), ValueError, "exp_avg.*read-only"),
    (dict(grad=np.ones(7, np.float32)), ValueError, "grad.*7"),
    (dict(exp_avg=np.zeros(9, np.float32)), ValueError, "exp_avg.*9"),
])
def test_bad_arrays(changes, error, match):
    arrays, snapshot = good_call(**changes)
    with pytest.raises(error, match=match):
        inp.adam(arrays.pop("param"), arrays.pop("grad"), step=1, **arrays)
    for name, before in snapshot.items():
        current = changes.get(name, None)
        if current is not None and isinstance(current, np.ndarray):
            np.testing.assert_array_equal(current, before)


def test_read_only_grad_is_fine():
    w = np.ones(8, np.float32)
    inp.heavy_ball(w, readonly(np.ones(8, np.float32)), step=1, lr=0.5)
    np.testing.assert_array_equal(w, np.full(8, 0.5, np.float32))


def test_overlap_is_refused_with_nothing_written():
    memory = np.zeros(20, np.float32)
    w, buffer = memory[0:10], memory[5:15]
    with pytest.raises(ValueError, match="overlap|share"):
        inp.heavy_ball(w, np.ones(10, np.float32), momentum_buffer=buffer, step=1, lr=0.1, momentum=0.9)
    np.testing.assert_array_equal(memory, np.zeros(20, np.float32))


def test_keyword_errors():
    w, g = np.ones(4, np.float32), np.ones(4, np.float32)
    with pytest.raises(TypeError, match="bogus"):
        inp.heavy_ball(w, g, step=1, bogus=1.0)
    with pytest.raises(TypeError, match="momentum_buffer"):
        inp.heavy_ball(w, g, step=1, lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="momentum_buffer"):
        inp.heavy_ball(w, g, step=1, lr=0.1, momentum_buffer=np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="lr"):
        inp.heavy_ball(w, g, step=1, lr=-1.0)
    with pytest.raises(ValueError, match="step"):
        inp.heavy_ball(w, g, step=0, lr=0.1)
    with pytest.raises(TypeError, match="step"):
        inp.heavy_ball(w, g, step=1.5, lr=0.1)
    with pytest.raises(ValueError, match="numerics"):
        inp.heavy_ball(w, g, step=1, lr=0.1, numerics="bogus")
    with pytest.raises(ValueError, match="param has 2"):
        inp.heavy_ball([w, w.copy()], [g], step=1, lr=0.1)
    with pytest.raises(TypeError, match="param\\[1\\]"):
        inp.heavy_ball([w, np.ones(4)], [g, g], step=1, lr=0.1)
    np.testing.assert_array_equal(w, np.ones(4, np.float32))


def test_weight_ema_reads_param_and_a_missing_grad_is_refused():
    weights = readonly(np.arange(8, dtype=np.float32))
    average = np.zeros(8, np.float32)
    inp.weight_ema(weights, average=average, step=1, decay=0.5)
    torch_average = torch.zeros(8)
    torch_average.lerp_(torch.from_numpy(weights.copy()), 0.5)  # swa_utils' EMA: average.lerp_(param, 1 - decay)
    np.testing.assert_array_equal(average, torch_average.numpy())
    w = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="grad"):
        inp.heavy_ball(w, None, step=1, lr=0.1)
    np.testing.assert_array_equal(w, np.ones(8, np.float32))
