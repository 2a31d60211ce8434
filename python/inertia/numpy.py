"""In-place optimizer steps on NumPy arrays (any C-contiguous float32/float64/float16 buffer;
float16 steps compute in float and round each stored value to nearest even, include/inertia/half.hpp).

One function per variant the library registers (``inertia.variant_names()``), made from the
registry through the generic C ABI, so a new variant appears here without an edit:

    inertia.numpy.adam(w, g, exp_avg=m, exp_avg_sq=v, step=t, lr=1e-3, betas=(0.9, 0.999))
    inertia.numpy.heavy_ball([w0, w1], [g0, g1], momentum_buffer=[b0, b1], step=t, lr=0.1, momentum=0.9)

- ``param`` (updated) and ``grad`` (read) positionally: one array each, or lists for a multi-tensor
  step (one call, bit-identical to stepping each tensor alone).
- State buffers by their torch names as keywords (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``,
  ``max_exp_avg_sq``, ``sum``, ...): exactly those the variant takes with the options given
  (``state_names(variant, **options)``).
- ``step``: t, the 1-based number of this step (heavy_ball's t == 1 initialises its buffer).
- Every other keyword is a hyperparameter, by the C ABI's keys (lr, momentum, betas, numerics, ...).
- ``policy``: an ``inertia.StepPolicy`` (or a dict of its fields): loss-scale division, skip on a
  non-finite gradient, clipping.

Returns an ``inertia.StepReport`` (``skipped``, ``grad_norm``); NAdam's report also carries the
group's new ``mu_product`` (pass it back as ``mu_product=`` next step).

Bad input raises TypeError (not a float32/float64 buffer, mixed dtypes, an unknown keyword) or
ValueError (not C-contiguous, read-only, a length that differs from param's, shared memory, a
hyperparameter out of range), naming the argument, before anything is written.
"""

import numpy as _np

from . import _capi

__all__ = ["state_names", "variants"]

_DTYPES = {_np.dtype(_np.float32): _capi.FLOAT32, _np.dtype(_np.float64): _capi.FLOAT64,
           _np.dtype(_np.float16): _capi.FLOAT16}  # numpy has no bfloat16
# Scalar state a handle keeps between steps and a step changes (the C ABI reads it by key).
_SCALAR_STATE = ("mu_product",)


def variants():
    """The variants this module has a function for (the library's registry)."""
    return _capi.variant_names()


def _as_array(value, name, writable):
    if isinstance(value, _np.ndarray):
        array = value
    else:
        try:
            array = _np.asarray(memoryview(value))
        except TypeError:
            raise TypeError(f"{name} must be a NumPy array or a buffer of float32/float64, "
                            f"got {type(value).__name__}") from None
    if array.dtype not in _DTYPES:
        raise TypeError(f"{name} has dtype {array.dtype}; inertia steps float32, float64 and float16")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} is not C-contiguous (steps work on contiguous memory; pass "
                         f"np.ascontiguousarray of it and copy back)")
    if writable and not array.flags.writeable:
        raise ValueError(f"{name} is read-only, and the step writes it")
    return array


def _configure(variant, options):
    handle = _capi.Handle(variant)
    for key, value in options.items():
        try:
            handle.set(key, value)
        except _capi.InertiaError as error:
            if error.status == _capi.ERROR_UNKNOWN_NAME and not handle.has(key):
                raise TypeError(f"inertia.numpy.{variant}() got an unexpected keyword argument {key!r} "
                                f"(neither an option nor a state buffer of {variant})") from None
            raise
    return handle


def state_names(variant, **options):
    """The state buffers `variant` takes with these options, in the library's order (torch's names)."""
    return _configure(variant, options).state_names()


def _step(variant, param, grad, step, policy, kwargs):
    options, buffers = {}, {}
    probe = _capi.Handle(variant)
    for key, value in kwargs.items():
        (options if probe.has(key) else buffers)[key] = value
    handle = _configure(variant, options)
    names = handle.state_names()
    unexpected = [key for key in buffers if key not in names]
    if unexpected:
        raise TypeError(f"inertia.numpy.{variant}() got an unexpected keyword argument {unexpected[0]!r}; "
                        f"with these options {variant} takes the state buffers {names}")
    missing = [name for name in names if name not in buffers]
    if missing:
        raise TypeError(f"inertia.numpy.{variant}() missing the state buffer {missing[0]!r} "
                        f"(with these options it takes {names})")

    multi = isinstance(param, (list, tuple))
    if multi:
        params = list(param)
        count = len(params)
        columns = {"grad": grad}
        columns.update(buffers)
        lists = {}
        for key, value in columns.items():
            if value is None and key == "grad":
                lists[key] = [None] * count
                continue
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{key} must be a list like param (a multi-tensor step), got {type(value).__name__}")
            if len(value) != count:
                raise ValueError(f"{key} has {len(value)} arrays and param has {count}")
            lists[key] = list(value)
        grads = lists.pop("grad")
        states = [lists[name] for name in names]
    else:
        params, grads, count = [param], [grad], 1
        states = [[buffers[name]] for name in names]

    dtype = None
    rows = []
    for i in range(count):
        suffix = f"[{i}]" if multi else ""
        # Without a gradient (weight_ema) param is only read: the model's weights, averaged into the state.
        p = _as_array(params[i], "param" + suffix, writable=grads[i] is not None)
        if dtype is None:
            dtype = p.dtype
        elif p.dtype != dtype:
            raise TypeError(f"param{suffix} has dtype {p.dtype} and param[0] {dtype}: one call steps one dtype")
        row = [p.ctypes.data, 0]
        if grads[i] is not None:
            g = _as_array(grads[i], "grad" + suffix, writable=False)
            if g.dtype != dtype:
                raise TypeError(f"grad{suffix} has dtype {g.dtype} and param{suffix} {dtype}")
            if g.size != p.size:
                raise ValueError(f"grad{suffix} has {g.size} elements and param{suffix} {p.size}")
            row[1] = g.ctypes.data
        for name, column in zip(names, states):
            s = _as_array(column[i], name + suffix, writable=True)
            if s.dtype != dtype:
                raise TypeError(f"{name}{suffix} has dtype {s.dtype} and param{suffix} {dtype}")
            if s.size != p.size:
                raise ValueError(f"{name}{suffix} has {s.size} elements and param{suffix} {p.size}")
            row.append(s.ctypes.data)
        row.extend([0] * (_capi.MAX_STATE - len(names)))
        row.append(p.size)
        rows.extend(row)

    if policy is not None and not isinstance(policy, _capi.StepPolicy):
        if not isinstance(policy, dict):
            raise TypeError(f"policy must be an inertia.StepPolicy or a dict of its fields, got {type(policy).__name__}")
        policy = _capi.StepPolicy(**policy)
    if isinstance(step, bool) or not isinstance(step, (int, _np.integer)):
        raise TypeError(f"step must be an int (t, the 1-based number of this step), got {step!r}")
    report = _capi.StepReport()
    table = _capi.pack(rows)
    handle.step(_DTYPES[dtype] if dtype is not None else _capi.FLOAT32, table, count, int(step), policy, report)
    for key in _SCALAR_STATE:
        if handle.has(key):
            setattr(report, key, handle.get(key))
    return report


def _make(variant):
    def step_function(param, grad=None, *, step, policy=None, **options):
        return _step(variant, param, grad, step, policy, options)

    probe = _capi.Handle(variant)
    step_function.__name__ = step_function.__qualname__ = variant
    step_function.__doc__ = (f"One in-place {variant} step (see inertia.numpy). State buffers with the default "
                             f"options: {probe.state_names()}.")
    return step_function


for _name in _capi.variant_names():
    globals()[_name] = _make(_name)
    __all__.append(_name)
del _name
