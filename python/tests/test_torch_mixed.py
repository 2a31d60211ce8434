"""Mixed storage through inertia.torch: master_weights= (a float32 master beside bf16/fp16 parameters, or
split bf16), state_dtype= (bf16 state with float32 parameters, float32 state with half ones) and float32
gradients on half parameters.

The library's definition (include/inertia/inertia.h, "Mixed storage and master weights"): the math is the
float32 step on the widened values, every buffer that is not float32 holds the float32 result rounded to
nearest even. So each case is checked bit for bit against a float32 optimizer of the same class on float32
copies, rounded where the storage is narrower (torch's .to(torch.bfloat16) / .to(torch.float16) round to
nearest even).
"""

import io

import pytest
import torch

import inertia.torch as it

SIZES = (1, 7, 33, 1003)
CASES = [
    ("SGD", dict(lr=1e-2, momentum=0.9, weight_decay=0.01)),
    ("Adam", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.1)),
    ("Lion", dict(lr=1e-3)),
]
HALVES = [torch.bfloat16, torch.float16]


def make(dtype, seed, steps=5, grad_dtype=None):
    generator = torch.Generator().manual_seed(seed)
    params = [torch.nn.Parameter((torch.rand(n, generator=generator) * 2 - 1).to(dtype)) for n in SIZES]
    grads = [[(torch.rand(n, generator=generator) * 2 - 1).to(grad_dtype or dtype) for n in SIZES]
             for _ in range(steps)]
    return params, grads


def bits(t):
    t = t.detach()
    return t.view(torch.int32) if t.dtype == torch.float32 else t.view(torch.int16)


def same_bits(a, b):
    return a.dtype == b.dtype and torch.equal(bits(a), bits(b))


def buffers(optimizer, p):
    """The state buffers of a parameter shaped like it (the moments), by key, without the master entries."""
    return {k: v for k, v in optimizer.state[p].items()
            if isinstance(v, torch.Tensor) and v.shape == p.shape and not k.startswith("master_weight")}


def set_grad(p, g):
    """p.grad = g, also where g is float32 and p half: torch refuses that assignment (1.13 and, unless
    p.grad_dtype allows it, 2.x) but not a gradient whose data is replaced."""
    if g.dtype == p.dtype:
        p.grad = g
    else:
        p.grad = torch.zeros_like(p)
        p.grad.data = g


def run(optimizer, params, grads, reference=None, wide=None, after=None):
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            set_grad(params[i], g)
            if reference is not None:
                wide[i].grad = g.to(wide[i].dtype)
        optimizer.step()
        if reference is not None:
            reference.step()
            if after is not None:
                after()


def joined_split(p, low):
    """The float32 master of split bf16: the parameter's bits on top, the int16 halves below."""
    top = p.detach().view(torch.int16).to(torch.int32) << 16
    return (top | (low.to(torch.int32) & 0xFFFF)).view(torch.float32)


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_master_weights_are_the_float32_run_and_the_param_its_rounding(case, dtype):
    name, options = CASES[case]
    params, grads = make(dtype, case)
    wide = [torch.nn.Parameter(p.detach().float()) for p in params]
    optimizer = getattr(it, name)(params, **options, master_weights=True)
    reference = getattr(it, name)(wide, **options)
    run(optimizer, params, grads, reference, wide)
    for p, w in zip(params, wide):
        master = optimizer.state[p]["master_weight"]
        assert master.dtype == torch.float32 and master.is_contiguous()
        assert same_bits(master, w)
        assert same_bits(p, master.to(dtype))
        ours, theirs = buffers(optimizer, p), buffers(reference, w)
        assert sorted(ours) == sorted(theirs) and ours
        for key in ours:
            assert same_bits(ours[key], theirs[key]), key  # state in float32 by default


@pytest.mark.parametrize("case", range(len(CASES)))
def test_split_master_is_the_float32_run_and_the_param_its_top_half(case):
    name, options = CASES[case]
    params, grads = make(torch.bfloat16, 10 + case)
    wide = [torch.nn.Parameter(p.detach().float()) for p in params]
    optimizer = getattr(it, name)(params, **options, master_weights="split")
    reference = getattr(it, name)(wide, **options)
    run(optimizer, params, grads, reference, wide)
    for p, w in zip(params, wide):
        low = optimizer.state[p]["master_weight_low"]
        assert low.dtype == torch.int16 and "master_weight" not in optimizer.state[p]
        assert same_bits(joined_split(p, low), w)
        assert torch.equal(p.detach().view(torch.int16), (bits(w) >> 16).to(torch.int16))
        for key, buffer in buffers(optimizer, p).items():
            assert same_bits(buffer, reference.state[w][key]), key


def test_split_master_starts_from_the_param_with_zero_low_halves():
    params, grads = make(torch.bfloat16, 20, steps=1)
    optimizer = it.SGD(params, lr=0.0, master_weights="split")  # lr 0: the master stays as it was made
    before = [p.detach().clone() for p in params]
    run(optimizer, params, grads)
    for p, b in zip(params, before):
        assert torch.equal(optimizer.state[p]["master_weight_low"], torch.zeros(p.shape, dtype=torch.int16))
        assert same_bits(p, b)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_bf16_state_with_float32_params_is_the_float32_run_with_moments_rounded(name):
    params, grads = make(torch.float32, 30)
    wide = [torch.nn.Parameter(p.detach().clone()) for p in params]
    options = dict(lr=1e-2, weight_decay=0.1) if name == "AdamW" else dict(lr=1e-2, amsgrad=True)
    optimizer = getattr(it, name)(params, **options, state_dtype=torch.bfloat16)
    reference = getattr(it, name)(wide, **options)

    def round_reference_moments():
        for w in wide:
            for buffer in buffers(reference, w).values():
                buffer.copy_(buffer.to(torch.bfloat16).float())

    run(optimizer, params, grads, reference, wide, after=round_reference_moments)
    for p, w in zip(params, wide):
        assert same_bits(p, w)
        ours, theirs = buffers(optimizer, p), buffers(reference, w)
        assert sorted(ours) == sorted(theirs) == sorted(["exp_avg", "exp_avg_sq"] + (
            ["max_exp_avg_sq"] if name == "Adam" else []))
        for key in ours:
            assert ours[key].dtype == torch.bfloat16
            assert same_bits(ours[key], theirs[key].to(torch.bfloat16)), key


@pytest.mark.parametrize("dtype", HALVES)
def test_float32_state_with_half_params_and_no_master(dtype):
    # The parameter is the only copy (rounded each step); numerics as for half parameters (pytorch_fused).
    params, grads = make(dtype, 40)
    wide = [torch.nn.Parameter(p.detach().float()) for p in params]
    optimizer = it.Adam(params, lr=1e-2, state_dtype=torch.float32)
    reference = it.Adam(wide, lr=1e-2, numerics="pytorch_fused")

    def round_reference_params():
        with torch.no_grad():
            for w in wide:
                w.copy_(w.to(dtype).float())

    run(optimizer, params, grads, reference, wide, after=round_reference_params)
    for p, w in zip(params, wide):
        assert "master_weight" not in optimizer.state[p]
        assert same_bits(p, w.detach().to(dtype))
        for key, buffer in buffers(optimizer, p).items():
            assert same_bits(buffer, reference.state[w][key]), key


@pytest.mark.parametrize("case", range(len(CASES)))
def test_float32_grads_on_bf16_params_with_master_weights(case):
    name, options = CASES[case]
    params, grads = make(torch.bfloat16, 50 + case, grad_dtype=torch.float32)
    wide = [torch.nn.Parameter(p.detach().float()) for p in params]
    optimizer = getattr(it, name)(params, **options, master_weights=True)
    reference = getattr(it, name)(wide, **options)
    run(optimizer, params, grads, reference, wide)  # the reference gets the same float32 grads
    assert all(p.grad.dtype == torch.float32 and p.dtype == torch.bfloat16 for p in params)
    for p, w in zip(params, wide):
        assert same_bits(optimizer.state[p]["master_weight"], w)
        assert same_bits(p, w.detach().to(torch.bfloat16))


def test_float32_grads_on_half_params_without_an_option_still_raise():
    p = torch.nn.Parameter(torch.ones(3, dtype=torch.bfloat16))
    set_grad(p, torch.ones(3))
    with pytest.raises(TypeError, match="grad has dtype"):
        it.Adam([p]).step()


def snapshot(optimizer):
    params = [p.detach().clone() for g in optimizer.param_groups for p in g["params"]]
    state = {id(p): {k: (v.clone() if torch.is_tensor(v) else v) for k, v in s.items()}
             for p, s in optimizer.state.items() if s}
    return params, state


def assert_unchanged(optimizer, before):
    params, state = before
    for a, b in zip(params, [p for g in optimizer.param_groups for p in g["params"]]):
        assert same_bits(a, b)
    assert set(state) == {id(p) for p, s in optimizer.state.items() if s}
    for p, s in optimizer.state.items():
        if s:
            assert sorted(s) == sorted(state[id(p)])
            for k, v in s.items():
                assert (v is None and state[id(p)][k] is None) or torch.equal(v, state[id(p)][k]), k


def test_split_with_fp16_params_raises_before_any_write():
    # Group 0 (bf16) is fine and comes first: nothing of it may be written either.
    good, grads = make(torch.bfloat16, 60, steps=2)
    bad = [torch.nn.Parameter(torch.ones(5, dtype=torch.float16))]
    optimizer = it.Adam([{"params": good}, {"params": bad}], lr=1e-2, master_weights="split")
    optimizer.param_groups[1]["master_weights"] = False
    run(optimizer, good, grads[:1])  # some state to keep
    optimizer.param_groups[1]["master_weights"] = "split"
    before = snapshot(optimizer)
    for p, g in zip(good, grads[1]):
        p.grad = g
    bad[0].grad = torch.ones(5, dtype=torch.float16)
    with pytest.raises(TypeError, match="master_weights='split'.*float16"):
        optimizer.step()
    assert_unchanged(optimizer, before)
    with pytest.raises(TypeError, match="master_weights='split'"):
        it.Lion(bad, master_weights="split").step()
    assert "master_weight_low" not in it.Lion(bad).state[bad[0]]


def test_a_bad_master_in_a_later_call_removes_the_state_made_for_this_step():
    # Two calls in one group (bf16, then fp16): the first makes its state, the second finds a master of the
    # wrong size. Nothing of the first may stay.
    a = torch.nn.Parameter(torch.ones(4, dtype=torch.bfloat16))
    b = torch.nn.Parameter(torch.ones(3, dtype=torch.float16))
    optimizer = it.Adam([a, b], lr=1e-2, master_weights=True)
    optimizer.state[b]["master_weight"] = torch.zeros(5)
    a.grad, b.grad = torch.ones_like(a), torch.ones_like(b)
    before = snapshot(optimizer)
    with pytest.raises(ValueError, match="master_weight"):
        optimizer.step()
    assert_unchanged(optimizer, before)
    del optimizer.state[b]["master_weight"]
    optimizer.step()
    assert optimizer.state[b]["master_weight"].dtype == torch.float32


@pytest.mark.parametrize("value,error", [(torch.float16, ValueError), (torch.float64, ValueError),
                                         ("bfloat16", TypeError), (2, TypeError)])
def test_bad_state_dtype_raises_naming_it_and_writes_nothing(value, error):
    with pytest.raises(error, match="state_dtype"):
        it.Adam([torch.nn.Parameter(torch.ones(3))], state_dtype=value)
    with pytest.raises(error, match="state_dtype"):
        it.Lion([torch.nn.Parameter(torch.ones(3))], state_dtype=value)
    # Set on a group after some steps: the step raises before it writes.
    params, grads = make(torch.bfloat16, 70, steps=2)
    optimizer = it.AdamW(params, lr=1e-2, master_weights=True)
    run(optimizer, params, grads[:1])
    optimizer.param_groups[0]["state_dtype"] = value
    before = snapshot(optimizer)
    for p, g in zip(params, grads[1]):
        p.grad = g
    with pytest.raises(error, match="state_dtype"):
        optimizer.step()
    assert_unchanged(optimizer, before)


def test_other_bad_options_raise_naming_them():
    p = [torch.nn.Parameter(torch.ones(3))]
    with pytest.raises(ValueError, match="master_weights"):
        it.SGD(p, lr=0.1, master_weights="yes")
    with pytest.raises(ValueError, match="master_weights"):
        it.Lion(p, master_weights=2)
    optimizer = it.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="master_weights"):
        optimizer.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], "master_weights": "half"})
    assert len(optimizer.param_groups) == 1
    with pytest.raises(ValueError, match="master_weights"):
        it.SGDScheduleFree(p).add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], "master_weights": True})
    double = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    double.grad = torch.ones(3, dtype=torch.float64)
    with pytest.raises(TypeError, match="state_dtype"):
        it.Adam([double], state_dtype=torch.bfloat16).step()
    assert not it.Adam([double]).state[double]


def test_master_weights_are_ignored_for_float32_and_float64_params():
    for dtype in (torch.float32, torch.float64):
        params, grads = make(dtype, 80)
        plain = [torch.nn.Parameter(p.detach().clone()) for p in params]
        optimizer = it.Adam(params, lr=1e-2, master_weights=True)
        reference = it.Adam(plain, lr=1e-2)
        run(optimizer, params, grads, reference, plain)
        for p, q in zip(params, plain):
            assert torch.equal(p, q) and "master_weight" not in optimizer.state[p]


def test_options_per_group_and_changed_between_steps():
    params, grads = make(torch.bfloat16, 90)
    optimizer = it.Adam([{"params": params[:2]}, {"params": params[2:], "master_weights": True}], lr=1e-2)
    run(optimizer, params, grads[:2])
    assert all("master_weight" not in optimizer.state[p] for p in params[:2])
    assert all(optimizer.state[p]["exp_avg"].dtype == torch.bfloat16 for p in params[:2])
    assert all(optimizer.state[p]["exp_avg"].dtype == torch.float32 for p in params[2:])
    optimizer.param_groups[0]["state_dtype"] = torch.float32  # the next step lays the group out again
    run(optimizer, params, grads[2:3])
    assert all(optimizer.state[p]["exp_avg"].dtype == torch.float32 for p in params[:2])


def checkpoint(optimizer):
    buffer = io.BytesIO()
    torch.save(optimizer.state_dict(), buffer)
    buffer.seek(0)
    return torch.load(buffer)


@pytest.mark.parametrize("dtype,options", [
    (torch.bfloat16, dict(master_weights=True)),
    (torch.float16, dict(master_weights=True, state_dtype=torch.bfloat16)),
    (torch.bfloat16, dict(master_weights="split")),
    (torch.float32, dict(state_dtype=torch.bfloat16)),
    (torch.bfloat16, dict(state_dtype=torch.float32)),
])
@pytest.mark.parametrize("name", ["Adam", "Lion"])
def test_state_dict_round_trip_continues_bit_for_bit(name, dtype, options):
    params, grads = make(dtype, 100, steps=6)
    optimizer = getattr(it, name)(params, lr=1e-3, **options)
    run(optimizer, params, grads[:3])
    saved = checkpoint(optimizer)
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    resumed = getattr(it, name)(copies, lr=1e-3, **options)
    resumed.load_state_dict(saved)
    for p, q in zip(params, copies):  # loaded in the saved dtypes, not cast to the parameter's
        assert sorted(optimizer.state[p]) == sorted(resumed.state[q])
        for key, value in optimizer.state[p].items():
            if isinstance(value, torch.Tensor) and value.dim():
                assert same_bits(resumed.state[q][key], value), key
    run(optimizer, params, grads[3:])
    run(resumed, copies, grads[3:])
    for p, q in zip(params, copies):
        assert same_bits(p, q)
        for key, value in optimizer.state[p].items():
            if isinstance(value, torch.Tensor) and value.dim():
                assert same_bits(resumed.state[q][key], value), key
