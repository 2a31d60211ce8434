"""Stochastic rounding through inertia.torch: stochastic_rounding=True, rounding_seed= (constructor-wide and per
parameter group).

The library's definition (include/inertia/inertia.h, inertia_rounding): the math is the float32 step on the
widened values, and every bf16/fp16 value the step writes is one of the two neighbours of the float32 result,
the upper with probability (x - lower) / (upper - lower); the bits are Philox's, a function of the seed, the
element's index in its tensor, the step number and the buffer only. So each result is checked to be a
neighbour of the float32 step (computed by torch ops and, exactly, by inertia's float32 optimizer), the rounding
to be unbiased where nearest even is stuck, and the bits to be reproducible.
"""

import numpy
import pytest
import torch

import inertia
import inertia.torch as it
from test_torch_mixed import assert_unchanged, checkpoint, make, same_bits, snapshot


def neighbours(x, dtype):
    """The bit patterns (int32 holding the int16 bits) of the two `dtype` values around float32 `x`: the
    nearest and the one on x's other side (both the nearest where x is exact). Bit patterns of halves are
    sign and magnitude, so a step away from zero is +1 and towards it -1, across exponents and subnormals."""
    nearest = x.to(dtype)
    wide = nearest.float()
    b = nearest.view(torch.int16).to(torch.int32)
    other = torch.where(wide.abs() < x.abs(), b + 1, b - 1)
    return b, torch.where(wide == x, b, other)


def is_neighbour(stored, x):
    """Whether each half value of `stored` is one of the two neighbours of the float32 value `x`."""
    s = stored.detach().view(torch.int16).to(torch.int32)
    low, high = neighbours(x.detach().float(), stored.dtype)
    return (s == low) | (s == high)


def is_neighbour_within(stored, x, slack):
    """is_neighbour for a float32 value known only to within +-slack (a torch-op reference whose float32 op
    order is not the library's): between the lower neighbour of x - slack and the upper one of x + slack
    (where a sum cancels, the slack may span more than one spacing)."""
    def value(bits):
        return bits.to(torch.int16).view(stored.dtype).float()
    low = torch.minimum(*map(value, neighbours((x - slack).float(), stored.dtype)))
    high = torch.maximum(*map(value, neighbours((x + slack).float(), stored.dtype)))
    s = stored.detach().float()
    return (low <= s) & (s <= high)


def rounded_away(stored, x):
    """Which values were not rounded to nearest even (their float32 value x not exact)."""
    return stored.detach().view(torch.int16) != x.detach().float().to(stored.dtype).view(torch.int16)


F32_SLACK = 2.0 ** -22  # 2 float32 units in the last place (relative 2^-23) of a sum's largest term


def torch_sgd(p, buf, g, t, lr, momentum, wd):
    """torch.optim.SGD's float32 step (dampening 0, no nesterov) on widened values; with the slacks."""
    d = g + wd * p
    new_buf = d if t == 1 else momentum * buf + d
    buf_slack = F32_SLACK * (d.abs() + wd * p.abs() + (0 if t == 1 else momentum * buf.abs()))
    new_p = p - lr * new_buf
    return new_p, new_buf, F32_SLACK * (p.abs() + lr * new_buf.abs()) + lr * buf_slack, buf_slack


def torch_adam(p, m, v, g, t, lr, betas, eps):
    """torch.optim.Adam's float32 step on widened values; with the slacks (m's terms may cancel)."""
    b1, b2 = betas
    new_m = b1 * m + (1 - b1) * g
    new_v = b2 * v + (1 - b2) * g * g
    denom = new_v.sqrt() / (1 - b2 ** t) ** 0.5 + eps
    update = lr / (1 - b1 ** t) * new_m / denom
    m_slack = F32_SLACK * (b1 * m.abs() + (1 - b1) * g.abs())
    # p's: its own sum's, plus what m's slack moves the update by (v has no cancellation: relative slack).
    p_slack = F32_SLACK * (p.abs() + 4 * update.abs()) + lr / (1 - b1 ** t) * m_slack / denom
    return p - update, new_m, new_v, p_slack, m_slack, F32_SLACK * new_v


def copy_state_into(reference, wide, optimizer, params):
    """The reference's parameters and state set to the widened values ours hold now."""
    with torch.no_grad():
        for p, w in zip(params, wide):
            w.copy_(p.float())
            for key, buffer in optimizer.state[p].items():
                if isinstance(buffer, torch.Tensor) and buffer.shape == p.shape:
                    reference.state[w][key].copy_(buffer.float())  # in place: its layout holds the pointer


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("name,options", [("SGD", dict(lr=1e-2, momentum=0.9, weight_decay=0.01)),
                                          ("Adam", dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8))])
def test_every_stored_half_is_a_neighbour_of_the_float32_step(name, options, dtype):
    params, grads = make(dtype, 1, steps=4)
    optimizer = getattr(it, name)(params, **options, stochastic_rounding=True, rounding_seed=11)
    # Exact: inertia's float32 step on the widened values, with the numerics half parameters get.
    wide = [torch.nn.Parameter(p.detach().float()) for p in params]
    reference = getattr(it, name)(wide, **options, numerics="pytorch_fused")
    away = total = 0
    for t, step_grads in enumerate(grads, 1):
        copy_state_into(reference, wide, optimizer, params)
        before = [(p.detach().float(), {k: b.float() for k, b in optimizer.state[p].items()
                                        if isinstance(b, torch.Tensor) and b.shape == p.shape}) for p in params]
        for p, w, g in zip(params, wide, step_grads):
            p.grad, w.grad = g, g.float()
        optimizer.step()
        reference.step()
        for p, w, g, (p0, s0) in zip(params, wide, step_grads, before):
            stored = {"param": (p, w)}
            stored.update({k: (b, reference.state[w][k]) for k, b in optimizer.state[p].items()
                           if isinstance(b, torch.Tensor) and b.shape == p.shape})
            assert sorted(stored) == (["exp_avg", "exp_avg_sq", "param"] if name == "Adam"
                                      else ["momentum_buffer", "param"])
            for key, (ours, exact) in stored.items():
                assert ours.dtype == dtype, key
                assert bool(is_neighbour(ours, exact).all()), (key, t)
                away += int(rounded_away(ours, exact).sum())
                total += int((exact.float().to(dtype).float() != exact.float()).sum())
            # The same against torch's formula in float32, up to the float32 ops' own rounding.
            g = g.float()
            if name == "SGD":
                ref_p, ref_buf, p_slack, buf_slack = torch_sgd(p0, s0.get("momentum_buffer"), g, t, options["lr"],
                                                               options["momentum"], options["weight_decay"])
                assert bool(is_neighbour_within(optimizer.state[p]["momentum_buffer"], ref_buf, buf_slack).all())
            else:
                zero = torch.zeros_like(p0)  # the moments before the first step
                ref_p, ref_m, ref_v, p_slack, m_slack, v_slack = torch_adam(
                    p0, s0.get("exp_avg", zero), s0.get("exp_avg_sq", zero), g, t, options["lr"], options["betas"],
                    options["eps"])
                assert bool(is_neighbour_within(optimizer.state[p]["exp_avg"], ref_m, m_slack).all())
                assert bool(is_neighbour_within(optimizer.state[p]["exp_avg_sq"], ref_v, v_slack).all())
            assert bool(is_neighbour_within(p, ref_p, p_slack).all()), t
    # Nearest even would also pass the checks above: about a quarter of the inexact values (E[min(f, 1 - f)]
    # for a uniform position f between the neighbours) must have gone the other way.
    assert total > 2000 and 0.18 < away / total < 0.32, (away, total)


def test_unbiased_where_nearest_even_never_moves():
    # w in [1, 2) (bf16 spacing 2^-7 = 0.0078), lr * grad = 1e-4 each step: w - 1e-4 rounds back to w.
    n, steps, lr = 4096, 100, 1e-4
    start = (1.0 + torch.arange(n, dtype=torch.float32) / n).to(torch.bfloat16)
    runs = {}
    for stochastic in (False, True):
        w = torch.nn.Parameter(start.clone())
        optimizer = it.SGD([w], lr=lr, stochastic_rounding=stochastic, rounding_seed=3)
        for _ in range(steps):
            w.grad = torch.ones_like(w)
            optimizer.step()
        runs[stochastic] = w.detach().float()
    wide = torch.nn.Parameter(start.float())  # the float32 trajectory
    optimizer = it.SGD([wide], lr=lr)
    for _ in range(steps):
        wide.grad = torch.ones_like(wide)
        optimizer.step()
    assert torch.equal(runs[False], start.float())  # nearest even: stuck
    # Stochastic: each step adds a zero-mean error of variance p (1 - p) s^2 <= s * 1e-4 (p = 1e-4 / s, s the
    # spacing, <= 2^-7), independent across steps and elements: the mean over n elements of the distance to
    # the float32 trajectory has standard deviation <= sqrt(steps * 2^-7 * 1e-4 / n) = 1.4e-4. Bound: 5 of
    # those, against a drift of steps * 1e-4 = 0.01.
    bound = 5 * (steps * 2.0 ** -7 * lr / n) ** 0.5
    drift = (runs[True] - start.float()).mean().item()
    assert abs((runs[True] - wide.detach()).mean().item()) < bound, drift
    assert abs(drift + steps * lr) < bound
    assert (runs[True] != start.float()).float().mean() > 0.5  # most weights moved, not a few by a lot


def run_sgd(params, grads, **options):
    optimizer = it.SGD(params, lr=1e-2, momentum=0.9, stochastic_rounding=True, **options)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = g
        optimizer.step()
    return optimizer


def copies(params):
    return [torch.nn.Parameter(p.detach().clone()) for p in params]


def test_same_seed_same_bits_another_seed_or_step_other_bits():
    params, grads = make(torch.bfloat16, 2, steps=3)
    runs = {}
    for seed in (7, 7, 8):
        mine = copies(params)
        optimizer = run_sgd(mine, grads, rounding_seed=seed)
        runs.setdefault(seed, []).append(mine + [optimizer.state[p]["momentum_buffer"] for p in mine])
    assert all(same_bits(a, b) for a, b in zip(*runs[7]))
    assert not same_bits(runs[7][0][-1], runs[8][0][-1])  # 1003 elements: the other seed rounds some otherwise
    # The same update at step 1 and at step 2 (after a step with lr 0, which writes the exact values back):
    w = [torch.nn.Parameter(torch.linspace(1, 2, 1000).to(torch.bfloat16))]
    first, second = copies(w), copies(w)
    optimizer = it.SGD(first, lr=1e-3, stochastic_rounding=True)
    first[0].grad = torch.ones_like(first[0])
    optimizer.step()
    optimizer = it.SGD(second, lr=0.0, stochastic_rounding=True)
    second[0].grad = torch.ones_like(second[0])
    optimizer.step()
    assert same_bits(second[0], w[0]) and int(optimizer.state[second[0]]["step"]) == 1
    optimizer.param_groups[0]["lr"] = 1e-3
    optimizer.step()
    assert not same_bits(first[0], second[0])


def test_sgd_counts_its_steps_so_a_resumed_run_draws_as_the_uninterrupted_one():
    params, grads = make(torch.bfloat16, 3, steps=4)
    whole = copies(params)
    run_sgd(whole, grads, rounding_seed=5)
    halves = copies(params)
    saved = checkpoint(run_sgd(halves, grads[:2], rounding_seed=5))
    resumed = it.SGD(halves, lr=1e-2, momentum=0.9, stochastic_rounding=True, rounding_seed=5)
    resumed.load_state_dict(saved)
    for step_grads in grads[2:]:
        for p, g in zip(halves, step_grads):
            p.grad = g
        resumed.step()
    assert all(same_bits(a, b) for a, b in zip(whole, halves))
    assert all(int(resumed.state[p]["step"]) == 4 for p in halves)


def test_one_and_two_threads_give_the_same_bits():
    generator = torch.Generator().manual_seed(4)
    start = torch.randn(1 << 17, generator=generator).to(torch.bfloat16)
    grad = torch.randn(1 << 17, generator=generator).to(torch.bfloat16)
    results = []
    try:
        for threads in (1, 2):
            inertia.set_num_threads(threads)
            w = torch.nn.Parameter(start.clone())
            optimizer = it.Adam([w], lr=1e-2, stochastic_rounding=True, rounding_seed=2**64 - 1)
            for _ in range(2):
                w.grad = grad
                optimizer.step()
            results.append([w] + [optimizer.state[w][k] for k in ("exp_avg", "exp_avg_sq")])
    finally:
        inertia.set_num_threads(0)
    assert all(same_bits(a, b) for a, b in zip(*results))


@pytest.mark.parametrize("name", ["SGD", "Adam", "Lion"])
def test_float32_and_float64_params_step_as_without_it(name):
    for dtype in (torch.float32, torch.float64):
        params, grads = make(dtype, 5)
        plain = copies(params)
        options = dict(lr=1e-2, momentum=0.9) if name == "SGD" else dict(lr=1e-2)
        optimizer = getattr(it, name)(params, **options, stochastic_rounding=True, rounding_seed=9)
        reference = getattr(it, name)(plain, **options)
        for step_grads in grads:
            for p, q, g in zip(params, plain, step_grads):
                p.grad, q.grad = g, g.clone()
            optimizer.step()
            reference.step()
        assert all(plan.storage is None for plan in optimizer._inertia_layouts[0].plans)  # the plain call
        for p, q in zip(params, plain):
            assert same_bits(p, q)
            assert sorted(optimizer.state[p]) == sorted(reference.state[q])  # SGD: no step counter added
            for key, value in optimizer.state[p].items():
                if isinstance(value, torch.Tensor) and value.dim():
                    assert same_bits(value, reference.state[q][key]), key


def test_bf16_moments_of_float32_params_and_the_model_copy_of_a_master():
    # float32 params, bf16 state: the moments are rounded stochastically, the params exact float32.
    params, grads = make(torch.float32, 6, steps=3)
    optimizer = it.Adam(params, lr=1e-2, state_dtype=torch.bfloat16, stochastic_rounding=True)
    wide = copies(params)
    reference = it.Adam(wide, lr=1e-2)
    away = 0
    for step_grads in grads:
        copy_state_into(reference, wide, optimizer, params)
        for p, w, g in zip(params, wide, step_grads):
            p.grad, w.grad = g, g.clone()
        optimizer.step()
        reference.step()
        for p, w in zip(params, wide):
            assert same_bits(p, w)
            for key in ("exp_avg", "exp_avg_sq"):
                ours = optimizer.state[p][key]
                assert ours.dtype == torch.bfloat16 and bool(is_neighbour(ours, reference.state[w][key]).all())
                away += int(rounded_away(ours, reference.state[w][key]).sum())
    assert away > 100
    # A float32 master: the master is the float32 run's, the bf16 parameter one of its neighbours.
    params, grads = make(torch.bfloat16, 7, steps=3)
    optimizer = it.SGD(params, lr=1e-2, momentum=0.9, master_weights=True, stochastic_rounding=True)
    wide = [torch.nn.Parameter(p.detach().float()) for p in params]
    reference = it.SGD(wide, lr=1e-2, momentum=0.9)
    for step_grads in grads:
        for p, w, g in zip(params, wide, step_grads):
            p.grad, w.grad = g, g.float()
        optimizer.step()
        reference.step()
    away = 0
    for p, w in zip(params, wide):
        assert same_bits(optimizer.state[p]["master_weight"], w)
        assert bool(is_neighbour(p, w).all())
        away += int(rounded_away(p, w).sum())
    assert away > 100


@pytest.mark.parametrize("key,value,error", [
    ("stochastic_rounding", "yes", TypeError), ("stochastic_rounding", 1, TypeError),
    ("stochastic_rounding", None, TypeError), ("rounding_seed", -1, ValueError),
    ("rounding_seed", 2**64, ValueError), ("rounding_seed", 1.0, TypeError), ("rounding_seed", "3", TypeError),
    ("rounding_seed", True, TypeError)])
def test_bad_options_raise_naming_them_before_anything_is_written(key, value, error):
    p = [torch.nn.Parameter(torch.ones(3, dtype=torch.bfloat16))]
    for name in ("SGD", "Adam", "Lion"):
        with pytest.raises(error, match=key):
            getattr(it, name)(p, lr=0.1, **{key: value})
    optimizer = it.SGD(p, lr=0.1)
    with pytest.raises(error, match=key):
        optimizer.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], key: value})
    assert len(optimizer.param_groups) == 1
    # Set on a group after some steps: the step raises before it writes (the other group included).
    params, grads = make(torch.bfloat16, 8, steps=2)
    optimizer = it.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=1e-2, stochastic_rounding=True)
    for p, g in zip(params, grads[0]):
        p.grad = g
    optimizer.step()
    optimizer.param_groups[1][key] = value
    before = snapshot(optimizer)
    for p, g in zip(params, grads[1]):
        p.grad = g
    with pytest.raises(error, match=key):
        optimizer.step()
    assert_unchanged(optimizer, before)


def test_good_seeds_and_the_schedule_free_refusal():
    p = [torch.nn.Parameter(torch.ones(3, dtype=torch.bfloat16))]
    for seed in (0, 2**64 - 1, numpy.int64(3), torch.tensor(5)):
        it.Adam(p, stochastic_rounding=True, rounding_seed=seed)
    with pytest.raises(TypeError):
        it.SGDScheduleFree(p, stochastic_rounding=True)  # not in its signature, as master_weights is not
    with pytest.raises(ValueError, match="stochastic_rounding"):
        it.SGDScheduleFree(p).add_param_group({"params": [torch.nn.Parameter(torch.ones(2))],
                                               "stochastic_rounding": True})
    with pytest.raises(ValueError, match="rounding_seed"):
        it.AdamWScheduleFree([{"params": p, "rounding_seed": 4}])


def test_changing_the_options_on_a_group_lays_it_out_again():
    params, grads = make(torch.bfloat16, 9, steps=3)
    a, b, c = copies(params), copies(params), copies(params)
    optimizers = [it.Adam(x, lr=1e-2) for x in (a, b, c)]
    for step, step_grads in enumerate(grads):
        if step == 1:  # b: stochastic from the second step on; c: then with another seed at the third
            optimizers[1].param_groups[0]["stochastic_rounding"] = True
            optimizers[2].param_groups[0]["stochastic_rounding"] = True
        if step == 2:
            optimizers[2].param_groups[0]["rounding_seed"] = 1
        for optimizer, x in zip(optimizers, (a, b, c)):
            for p, g in zip(x, step_grads):
                p.grad = g.clone()
            optimizer.step()
        if step == 1:
            assert not same_bits(a[-1], b[-1]) and same_bits(b[-1], c[-1])
            assert optimizers[1]._inertia_layouts[0].plans[0].storage.rounding == 1
    assert optimizers[2]._inertia_layouts[0].plans[0].storage.seed == 1
    assert not same_bits(b[-1], c[-1])
    optimizers[1].param_groups[0]["stochastic_rounding"] = False  # back to the plain call
    for p, g in zip(b, grads[0]):
        p.grad = g
    optimizers[1].step()
    assert all(plan.storage is None for plan in optimizers[1]._inertia_layouts[0].plans)
