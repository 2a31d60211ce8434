"""bfloat16 and float16 parameters through inertia.torch: torch 2.x's fused semantics (state in the
parameter's dtype, float math, each stored value rounded to nearest even).

On every torch: each step equals the float32 step of the same optimizer on the widened values, every
buffer rounded (the library's definition, include/inertia/half.hpp). On a torch with fused CPU optimizers
(2.x): bit for bit torch's own fused=True step on the half parameters.
"""

import pytest
import torch

import inertia.torch as it

SIZES = (1, 7, 33, 1003)
CASES = [
    ("SGD", dict(lr=1e-2, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=1e-2, weight_decay=0.1)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.1)),
    ("Adagrad", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True)),
    ("Lion", dict(lr=1e-3)),
]


def make_params(dtype, seed):
    generator = torch.Generator().manual_seed(seed)
    params = [torch.nn.Parameter((torch.rand(n, generator=generator) * 2 - 1).to(dtype)) for n in SIZES]
    grads = [[(torch.rand(n, generator=generator) * 2 - 1).to(dtype) for n in SIZES] for _ in range(5)]
    return params, grads


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_half_step_is_the_float_step_on_widened_values_rounded(case, dtype):
    name, options = CASES[case]
    params, grads = make_params(dtype, case)
    optimizer = getattr(it, name)(params, **options)
    # The reference: a float32 optimizer on widened copies, with the numerics mode half parameters get.
    declared = it.declared_numerics(optimizer._variant_of(optimizer.param_groups[0]))
    numerics = {"numerics": "pytorch_fused"} if declared and "pytorch_fused" in declared else {}
    wide = [torch.nn.Parameter(p.detach().float()) for p in params]
    reference = getattr(it, name)(wide, **options, **numerics)
    for step_grads in grads:
        for p, w, g in zip(params, wide, step_grads):
            p.grad = g
            w.grad = g.float()
            with torch.no_grad():
                w.copy_(p.float())
            for key, buffer in optimizer.state[p].items():
                if isinstance(buffer, torch.Tensor) and buffer.shape == p.shape:
                    reference.state[w][key].copy_(buffer.float())
        optimizer.step()
        reference.step()
        for p, w in zip(params, wide):
            assert torch.equal(p.detach().view(torch.int16), w.detach().to(dtype).view(torch.int16))
            for key, buffer in optimizer.state[p].items():
                if isinstance(buffer, torch.Tensor) and buffer.shape == p.shape:
                    assert buffer.dtype == dtype, key
                    expected = reference.state[w][key].to(dtype)
                    assert torch.equal(buffer.view(torch.int16), expected.view(torch.int16)), key


FUSED = [c for c in CASES if c[0] in ("SGD", "Adam", "AdamW")]


def torch_has_fused_cpu(name):
    try:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(1, dtype=torch.bfloat16))], lr=0.1, fused=True)
        return True
    except (TypeError, RuntimeError, ValueError):
        return False


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("case", range(len(FUSED)))
def test_half_step_is_torch_fused_bit_for_bit(case, dtype):
    name, options = FUSED[case]
    if not torch_has_fused_cpu(name):
        pytest.skip(f"torch {torch.__version__} has no fused CPU {name}")
    params, grads = make_params(dtype, 100 + case)
    mine = [torch.nn.Parameter(p.detach().clone()) for p in params]
    theirs = getattr(torch.optim, name)(params, **options, fused=True)
    ours = getattr(it, name)(mine, **options)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # torch's fused kernels cut tensors per thread, each piece with its own tail
    try:
        for step_grads in grads:
            for p, q, g in zip(params, mine, step_grads):
                p.grad, q.grad = g, g.clone()
            theirs.step()
            ours.step()
    finally:
        torch.set_num_threads(threads)
    for p, q in zip(params, mine):
        assert torch.equal(p.detach().view(torch.int16), q.detach().view(torch.int16))
