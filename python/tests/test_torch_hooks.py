"""Step hooks and the profiler scope: inertia.torch's step() is not wrapped by torch's Optimizer (it is
marked hooked), so it runs torch 2's step pre/post hooks itself, in torch's order and with torch's
arguments, and opens the profiler's "Optimizer.step#<class>.step" scope while a profiler records."""

import pytest
import torch
import torch.optim.optimizer as optimizer_module

import inertia.torch as it

HAS_HOOKS = hasattr(torch.optim.Optimizer, "register_step_pre_hook")


def make(cls, **options):
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(37))
    p.grad = torch.randn(37)
    return p, cls([p], **options)


@pytest.mark.parametrize("torch_class,inertia_class", [(torch.optim.SGD, it.SGD), (torch.optim.Adam, it.Adam)])
@pytest.mark.skipif(not HAS_HOOKS, reason="this torch has no step hooks (torch 1.13)")
def test_step_hooks_run_as_torch_runs_them(torch_class, inertia_class):
    calls = {}
    for cls in (torch_class, inertia_class):
        log = calls[cls] = []
        p, opt = make(cls, lr=0.1)
        global_pre = optimizer_module.register_optimizer_step_pre_hook(
            lambda o, args, kwargs, log=log: log.append(("global pre", len(args), sorted(kwargs))))
        global_post = optimizer_module.register_optimizer_step_post_hook(
            lambda o, args, kwargs, log=log: log.append(("global post", len(args), sorted(kwargs))))
        try:
            opt.register_step_pre_hook(lambda o, args, kwargs: log.append(("pre", o is opt, p.detach().clone())))
            opt.register_step_post_hook(lambda o, args, kwargs: log.append(("post", o is opt, p.detach().clone())))
            opt.step()
            opt.step(closure=None)
        finally:
            global_pre.remove()
            global_post.remove()
    ours, theirs = calls[inertia_class], calls[torch_class]
    assert [entry[:2] for entry in ours] == [entry[:2] for entry in theirs]
    assert [entry[0] for entry in ours[:4]] == ["global pre", "pre", "post", "global post"]
    # The pre-hook saw the weights before the step, the post-hook after it: the same bits as torch's.
    for mine, reference in zip(ours, theirs):
        if mine[0] in ("pre", "post"):
            assert torch.equal(mine[2], reference[2]), mine[0]


@pytest.mark.skipif(not HAS_HOOKS, reason="this torch has no step hooks (torch 1.13)")
def test_a_pre_hook_can_replace_the_arguments():
    p, opt = make(it.SGD, lr=0.1)
    closure_calls = []

    def closure():
        closure_calls.append(1)
        return torch.tensor(3.0)

    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": closure}))
    assert opt.step().item() == 3.0 and closure_calls == [1]
    opt.register_step_pre_hook(lambda o, args, kwargs: "not a pair")
    with pytest.raises(RuntimeError, match="pre-hook must return None or a tuple"):
        opt.step()


@pytest.mark.parametrize("cls", [it.SGD, it.AdamW, it.Lion])
def test_the_profiler_sees_the_step(cls):
    _, opt = make(cls, lr=0.1)
    assert getattr(type(opt).step, "hooked", False)  # torch did not wrap it
    with torch.autograd.profiler.profile() as profile:
        opt.step()
    names = [event.name for event in profile.function_events]
    assert f"Optimizer.step#{cls.__name__}.step" in names
