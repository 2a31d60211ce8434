"""Real training on scikit-learn's bundled 8x8 digits: torch.optim vs inertia.torch, bit for bit."""

import copy

import pytest
import torch
from sklearn.datasets import load_digits

import inertia.torch as it

EPOCHS = 3
BATCH = 64


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    return x, y


def make_model(seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)).to(dtype)


def train(model, optimizer, digits, epochs=EPOCHS, scheduler=None, dtype=torch.float32):
    x, y = digits
    x = x.to(dtype)
    losses = []
    generator = torch.Generator().manual_seed(1)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), BATCH):
            batch = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if scheduler is not None:
            scheduler.step()
    return losses


def assert_same_weights(a, b):
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(pa, pb), f"{name} differs: max |diff| {(pa - pb).abs().max().item()}"


CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4), True),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-4), True),
    ("SGD", dict(lr=0.5), False),
    ("Adam", dict(lr=3e-3, weight_decay=1e-4), False),
    ("Adam", dict(lr=3e-3, amsgrad=True), False),
    ("AdamW", dict(lr=3e-3), True),
    ("NAdam", dict(lr=3e-3), False),
    ("Adagrad", dict(lr=0.05, lr_decay=1e-3, weight_decay=1e-4), False),
    ("RMSprop", dict(lr=1e-2), True),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, momentum=0.9, centered=True, weight_decay=1e-4), False),
    ("RMSprop", dict(lr=1e-3, centered=True, maximize=False, eps=1e-6), False),
]


@pytest.mark.parametrize("name,options,schedule", CASES)
def test_digits_training_is_bit_identical(digits, name, options, schedule):
    reference_model, inertia_model = make_model(), make_model()
    reference = getattr(torch.optim, name)(reference_model.parameters(), **options)
    ours = getattr(it, name)(inertia_model.parameters(), **options)
    assert isinstance(ours, torch.optim.Optimizer)
    schedulers = [None, None]
    if schedule:
        schedulers = [torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5) for o in (reference, ours)]
    reference_losses = train(reference_model, reference, digits, scheduler=schedulers[0])
    inertia_losses = train(inertia_model, ours, digits, scheduler=schedulers[1])
    assert reference_losses == inertia_losses  # the loss curve, every step, bit for bit
    assert reference_losses[-1] < reference_losses[0] * 0.5  # it trained
    assert_same_weights(reference_model, inertia_model)
    for pa, pb in zip(reference_model.parameters(), inertia_model.parameters()):
        sa, sb = reference.state[pa], ours.state[pb]
        assert sorted(sa) == sorted(sb)
        for key in sa:
            if sa[key] is None:
                assert sb[key] is None
            elif not isinstance(sa[key], torch.Tensor):  # torch 1.13's RMSprop counts steps in an int
                assert type(sb[key]) is type(sa[key]) and sb[key] == sa[key], key
            else:
                assert torch.equal(sa[key], sb[key]), key


def test_float64_and_mixed_dtype_groups(digits):
    """A group mixing float32 and float64 parameters: one call per dtype, each torch's bits."""
    models = [make_model(), make_model()]
    for model in models:
        model[2].double()
    x, y = digits

    def run(optimizer_class, model):
        optimizer = optimizer_class(model.parameters(), lr=3e-3)
        losses = []
        for start in range(0, 640, BATCH):
            optimizer.zero_grad()
            hidden = model[1](model[0](x[start:start + BATCH])).double()
            loss = torch.nn.functional.cross_entropy(model[2](hidden), y[start:start + BATCH])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    assert run(torch.optim.Adam, models[0]) == run(it.Adam, models[1])
    assert_same_weights(*models)


@pytest.mark.parametrize("name,options", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=3e-3)),
                                          ("AdamW", dict(lr=3e-3)), ("NAdam", dict(lr=3e-3)),
                                          ("Adagrad", dict(lr=0.05)),
                                          ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True))])
def test_switch_mid_training_through_state_dict(digits, name, options):
    """torch -> inertia -> torch through state_dict (and torch.save/load), continuing bit for bit."""
    import io

    reference_model = make_model()
    reference = getattr(torch.optim, name)(reference_model.parameters(), **options)
    train(reference_model, reference, digits, epochs=1)

    switched_model = copy.deepcopy(reference_model)
    buffer = io.BytesIO()
    torch.save(reference.state_dict(), buffer)
    buffer.seek(0)
    ours = getattr(it, name)(switched_model.parameters(), **options)
    ours.load_state_dict(torch.load(buffer))

    reference_losses = train(reference_model, reference, digits, epochs=1)
    inertia_losses = train(switched_model, ours, digits, epochs=1)
    assert reference_losses == inertia_losses
    assert_same_weights(reference_model, switched_model)

    # ... and back: inertia's checkpoint into torch.
    back = getattr(torch.optim, name)(switched_model.parameters(), **options)
    back.load_state_dict(ours.state_dict())
    assert train(reference_model, reference, digits, epochs=1) == train(switched_model, back, digits, epochs=1)
    assert_same_weights(reference_model, switched_model)


def test_state_dict_has_one_counter_per_parameter(digits):
    model = make_model()
    ours = it.Adam(model.parameters())
    train(model, ours, digits, epochs=1)
    state = ours.state_dict()["state"]
    counters = [entry["step"] for entry in state.values()]
    assert len({id(c) for c in counters}) == len(counters)
    assert all(c.dtype == torch.float32 and c.dim() == 0 and c.item() == 29 for c in counters)


def test_state_dict_mid_training_changes_nothing(digits):
    """state_dict() hands out copies of the counters: the optimizer keeps counting in its own."""
    models = [make_model(), make_model()]
    reference, ours = torch.optim.Adam(models[0].parameters()), it.Adam(models[1].parameters())
    for _ in range(2):
        assert train(models[0], reference, digits, epochs=1) == train(models[1], ours, digits, epochs=1)
        saved = ours.state_dict()
    assert_same_weights(*models)
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert reference.state[p]["step"].item() == ours.state[q]["step"].item() == 58
    assert all(entry["step"].item() == 58 for entry in saved["state"].values())
    assert all(entry["step"] is not ours.state[q]["step"] for entry, q in zip(saved["state"].values(),
                                                                             models[1].parameters()))


def test_none_grads_are_skipped_and_counted_per_parameter():
    torch.manual_seed(3)
    a, b = torch.randn(5, requires_grad=True), torch.randn(7, requires_grad=True)
    a2, b2 = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    reference, ours = torch.optim.Adam([a, b], lr=0.1), it.Adam([a2, b2], lr=0.1)
    for step in range(4):
        ga, gb = torch.randn(5), torch.randn(7)
        a.grad, a2.grad = ga.clone(), ga.clone()
        b.grad = b2.grad = None
        if step % 2:
            b.grad, b2.grad = gb.clone(), gb.clone()
        reference.step()
        ours.step()
    assert torch.equal(a, a2) and torch.equal(b, b2)
    assert ours.state[a2]["step"].item() == 4 and ours.state[b2]["step"].item() == 2


def test_zero_grad_closure_and_add_param_group():
    torch.manual_seed(4)
    start, extra_start = torch.randn(6), torch.randn(3)
    results = []
    for module in (torch.optim, it):
        w, extra = start.clone().requires_grad_(), extra_start.clone().requires_grad_()
        optimizer = module.SGD([w], lr=0.1, momentum=0.5)

        def closure():
            optimizer.zero_grad()
            loss = (w ** 2).sum() + (extra ** 3).sum()
            loss.backward()
            return loss

        losses = [optimizer.step(closure).item()]
        optimizer.add_param_group({"params": [extra], "lr": 0.01, "nesterov": True})
        losses += [optimizer.step(closure).item() for _ in range(3)]
        results.append((losses, w.detach(), extra.detach()))
    assert results[0][0] == results[1][0]
    assert torch.equal(results[0][1], results[1][1]) and torch.equal(results[0][2], results[1][2])
    assert not torch.equal(results[1][2], extra_start)


LIBRARY_OPTIMIZERS = [("Lion", "lion", dict(lr=1e-3)), ("Signum", "signum", dict(lr=1e-3, beta=0.9)),
                      ("QHM", "qhm", dict(lr=0.1)), ("AggMo", "aggmo", dict(lr=0.1)),
                      ("LARS", "lars", dict(lr=0.5, momentum=0.9, weight_decay=1e-4)),
                      ("Sutskever", "sutskever", dict(lr=0.1, momentum=0.9, nesterov=True)),
                      ("EMA", "ema", dict(lr=0.1, beta=0.9, bias_correction=True)),
                      ("Adan", "adan", dict(lr=1e-2, weight_decay=0.02)),
                      ("Lamb", "lamb", dict(lr=1e-2, weight_decay=0.01))]


@pytest.mark.parametrize("name,variant,options", LIBRARY_OPTIMIZERS)
def test_library_optimizers_train_and_match_the_numpy_step(digits, name, variant, options):
    import numpy as np

    import inertia.numpy as inp

    model = make_model()
    optimizer = getattr(it, name)(model.parameters(), **options)
    assert isinstance(optimizer, torch.optim.Optimizer)
    losses = train(model, optimizer, digits, epochs=2)
    assert losses[-1] < losses[0], f"{name} did not train: {losses[0]} -> {losses[-1]}"

    # The same three steps through inertia.numpy, from the same start: the torch binding's state and step
    # counting against the plain call.
    torch.manual_seed(5)
    w = torch.randn(37, requires_grad=True)
    optimizer = getattr(it, name)([w], **options)
    w_np = w.detach().numpy().copy()
    state_np = {key: np.zeros_like(w_np) for key in inp.state_names(variant, **options)}
    for t in range(1, 4):
        g = torch.randn(37)
        w.grad = g.clone()
        optimizer.step()
        getattr(inp, variant)(w_np, g.numpy(), step=t, **state_np, **options)
    np.testing.assert_array_equal(w.detach().numpy(), w_np)
    assert optimizer.state[w]["step"].item() == 3


def test_lamb_trust_ratio_is_per_parameter_tensor():
    """Two parameters in one group step as each alone (each its own ||w|| / ||u||), not as their concatenation."""
    torch.manual_seed(8)
    starts, grads = [torch.randn(40), torch.randn(9) * 5], [torch.randn(40), torch.randn(9)]
    together = [s.clone().requires_grad_() for s in starts]
    optimizer = it.Lamb(together, lr=0.1, weight_decay=0.01)
    for p, g in zip(together, grads):
        p.grad = g.clone()
    optimizer.step()
    for p, s, g in zip(together, starts, grads):
        alone = s.clone().requires_grad_()
        alone.grad = g.clone()
        it.Lamb([alone], lr=0.1, weight_decay=0.01).step()
        assert torch.equal(p.detach(), alone.detach())
    joined = torch.cat(starts).requires_grad_()
    joined.grad = torch.cat(grads)
    it.Lamb([joined], lr=0.1, weight_decay=0.01).step()
    assert not torch.equal(joined.detach(), torch.cat([p.detach() for p in together]))
    assert set(optimizer.state[together[0]]) >= {"mu", "nu"}


@pytest.mark.parametrize("name,options", [("SGD", dict(lr=0.1, momentum=0.0)), ("Adam", dict(lr=0.01)),
                                          ("NAdam", dict(lr=0.01))])
def test_reused_layouts_follow_every_change(name, options):
    """A step reuses the last step's layout of a group only while nothing it was made from changed; each
    change below must reach the library (torch's bits every step)."""
    torch.manual_seed(6)
    shapes = [(5, 3), (7,), (64,)]
    starts = [torch.randn(s) for s in shapes]
    runs = []
    for module in (torch.optim, it):
        params = [s.clone().requires_grad_() for s in starts]
        optimizer = getattr(module, name)(params, **options)
        generator = torch.Generator().manual_seed(7)
        history = []
        for step in range(13):
            if step == 3:
                params[0].data = params[0].data.clone()  # a new pointer behind the same parameter
            if step == 6 and name == "SGD":
                optimizer.param_groups[0]["momentum"] = 0.9  # now a buffer: another state layout
            state = optimizer.state
            if step == 10 and state[params[2]]:
                # A state buffer replaced by a new tensor: the next step must update the new one (the
                # last step's table held the old one's pointer).
                key = next(k for k, v in state[params[2]].items() if isinstance(v, torch.Tensor) and v.dim() > 0)
                state[params[2]][key] = state[params[2]][key].clone()
            if step == 11 and state[params[0]]:
                # The whole per-parameter dict replaced, with copies of its tensors.
                state[params[0]] = {k: (v.clone() if isinstance(v, torch.Tensor) else v)
                                    for k, v in state[params[0]].items()}
            optimizer.zero_grad(set_to_none=step in (5, 6, 9))
            for i, p in enumerate(params):
                if step in (4, 8) and i == 1:
                    continue  # no gradient this step: skipped, its step count falls behind
                p.grad = torch.randn(p.shape, generator=generator) if p.grad is None else p.grad.copy_(
                    torch.randn(p.shape, generator=generator))
            optimizer.step()
            history.append([p.detach().clone() for p in params])
        runs.append((history, optimizer, params))
    for step, (a, b) in enumerate(zip(runs[0][0], runs[1][0])):
        for i, (x, y) in enumerate(zip(a, b)):
            assert torch.equal(x, y), f"step {step}, parameter {i}"
    for p, q in zip(runs[0][2], runs[1][2]):
        sa, sb = runs[0][1].state[p], runs[1][1].state[q]
        assert sorted(sa) == sorted(sb)
        for key in sa:
            assert (sa[key] is None and sb[key] is None) or torch.equal(sa[key], sb[key]), key
