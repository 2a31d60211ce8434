"""inertia.torch.numerics_mode: installed torch version + foreach=/fused= + numerics= -> the library's mode,
set only where the variant declares a numerics option and that mode (asked of the library)."""

import warnings

import pytest

import inertia.torch as it


def test_heavy_ball_modes():
    assert set(it.declared_numerics("heavy_ball")) >= {"pytorch_loop", "pytorch_fused"}
    for version in [(1, 13), (2, 0), (2, 5)]:
        assert it.numerics_mode("heavy_ball", torch_version=version) == "pytorch_loop"
        assert it.numerics_mode("heavy_ball", foreach=True, torch_version=version) == "pytorch_loop"
    assert it.numerics_mode("heavy_ball", fused=True, torch_version=(2, 5)) == "pytorch_fused"
    assert it.numerics_mode("heavy_ball", numerics="pytorch_fused", foreach=True) == "pytorch_fused"
    with pytest.raises(ValueError, match="declares"):
        it.numerics_mode("heavy_ball", numerics="pytorch_1_12")


@pytest.mark.parametrize("variant", ["adam", "adamw", "nadam", "adagrad"])
def test_adam_family_modes_follow_what_the_library_declares(variant):
    declared = it.declared_numerics(variant)
    if declared is None:
        # Today's library: one order, torch 1.13's. Nothing is set; torch 1.13 needs nothing else.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert it.numerics_mode(variant, torch_version=(1, 13)) is None
        with pytest.warns(UserWarning, match="no numerics mode"):
            assert it.numerics_mode(variant, torch_version=(2, 5)) is None
        with pytest.raises(ValueError, match="no numerics option"):
            it.numerics_mode(variant, numerics="pytorch_loop")
        return
    # With the modes pytorch_loop | pytorch_foreach | pytorch_fused | pytorch_1_13:
    if "pytorch_1_13" in declared:
        assert it.numerics_mode(variant, torch_version=(1, 13)) == "pytorch_1_13"
    for mode, kwargs in [("pytorch_loop", {}), ("pytorch_foreach", dict(foreach=True)),
                         ("pytorch_fused", dict(fused=True))]:
        if mode in declared:
            assert it.numerics_mode(variant, torch_version=(2, 5), **kwargs) == mode
    for mode in declared:
        assert it.numerics_mode(variant, numerics=mode, torch_version=(2, 5)) == mode


def test_the_mode_reaches_the_handle():
    import torch

    w = torch.zeros(3, requires_grad=True)
    w.grad = torch.ones(3)
    optimizer = it.SGD([w], lr=0.1, numerics="pytorch_fused")
    optimizer.step()
    from inertia import _capi

    reference = _capi.Handle("heavy_ball")
    reference.set("numerics", "pytorch_fused")
    handle = optimizer._inertia_handles[(0, _capi.FLOAT32, "heavy_ball")]
    assert handle.get("numerics") == reference.get("numerics") != _capi.Handle("heavy_ball").get("numerics")
