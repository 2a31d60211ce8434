"""scripts/record_trajectory.py, the standalone recorder for inertia-check.

Its option and path mapping must be the package's (inertia.torch.numerics_mode)
and the library's (the modes each variant declares), though it imports
neither; and its recording must be what torch did. The replay itself at
0 ULP is the ctest inertia-check/torch-record-replay-* (tests/check_tool).
"""

import importlib.util
import os

import pytest
import torch

import inertia.torch as itorch

_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "record_trajectory.py")
_spec = importlib.util.spec_from_file_location("record_trajectory", _SCRIPT)
rt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rt)


def test_torch_versions_parse():
    assert rt.torch_version("2.15.0+cu132") == (2, 15)
    assert rt.torch_version("1.13.0a0") == (1, 13)
    assert rt.torch_version("2.1.0.dev20230801") == (2, 1)


@pytest.mark.parametrize("variant", sorted(rt._MODES))
def test_modes_are_the_librarys(variant):
    assert set(rt._MODES[variant]) == set(itorch.declared_numerics(variant))


@pytest.mark.parametrize("variant", sorted(rt._MODES))
@pytest.mark.parametrize("version", [(1, 13), (2, 0), (2, 15)])
@pytest.mark.parametrize("foreach,fused", [(None, None), (False, False), (True, None), (None, True)])
def test_numerics_mode_is_the_packages(variant, version, foreach, fused):
    if fused and "pytorch_fused" not in rt._MODES[variant]:
        with pytest.raises(ValueError, match="no numerics mode"):
            rt.numerics_mode(variant, version, foreach, fused)
        return
    assert rt.numerics_mode(variant, version, foreach, fused) == itorch.numerics_mode(
        variant, foreach=foreach, fused=fused, torch_version=version)


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))


def _train(model, opt, steps):
    x = torch.randn(16, 5)
    for _ in range(steps):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()


def test_records_what_torch_did_and_detaches(tmp_path):
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99), amsgrad=True)
    _train(model, opt, 2)  # recording starts mid-run: state and step count are the initial values
    path = tmp_path / "run.json"
    rec = rt.record(opt, str(path), steps=3, names=model.named_parameters(), params=["0.weight", "2.bias"],
                    max_elements=3)
    before = model[0].weight.detach().reshape(-1)[:3].double().tolist()
    _train(model, opt, 5)
    assert rec.saved == path.stat().st_size and rec.steps == 3
    doc = rec.document()
    assert [c["name"] for c in doc["cases"]] == ["0.weight", "2.bias"]
    case = doc["cases"][0]
    assert case["variant"] == "adam" and case["dtype"] == "float32"
    expected = {"betas": [0.8, 0.99], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": True, "maximize": False}
    if "decoupled_weight_decay" in opt.param_groups[0]:  # torch 2.x's Adam has it
        expected["decoupled_weight_decay"] = False
    assert case["hyperparameters"] == expected
    assert case["numerics"] == rt.numerics_mode("adam", rt.torch_version(torch.__version__))
    assert case["initial"]["param"] == before
    assert case["initial"]["step"] == 2
    assert set(case["initial"]) >= {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert len(case["steps"]) == 3 and all(len(s["grad"]) == 3 for s in case["steps"])
    assert case["lr"] == [0.01] * 3
    # Detached after 3 steps: 5 were taken, the last state is not the last recorded one.
    assert case["steps"][-1]["param"] != model[0].weight.detach().reshape(-1)[:3].double().tolist()


def test_unsupported_or_unreplayable_runs_are_refused():
    model = _model()
    with pytest.raises(TypeError, match="inertia has no variant"):
        rt.record(torch.optim.RMSprop(model.parameters()))
    with pytest.raises(ValueError, match="no parameter named 'nope'"):
        rt.record(torch.optim.SGD(model.parameters(), lr=0.1), names=model.named_parameters(), params=["nope"])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rt.record(opt, steps=3)
    _train(model, opt, 1)
    opt.param_groups[0]["momentum"] = 0.5
    with pytest.raises(ValueError, match="only lr may change"):
        _train(model, opt, 1)
    opt = torch.optim.Adam(model.parameters())
    opt.param_groups[0]["fused"] = True  # as torch 2.x's fused=True writes it
    rt.record(opt, max_elements=4)
    with pytest.raises(ValueError, match="max_elements cannot be used with fused=True"):
        _train(model, opt, 1)
