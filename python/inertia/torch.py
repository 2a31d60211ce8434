"""Drop-in ``torch.optim`` optimizers whose step is one inertia call per parameter group.

``SGD``, ``Adam``, ``AdamW``, ``NAdam`` and ``Adagrad`` are subclasses of the installed torch's own
classes: the constructor (signature, defaults, validation), ``param_groups``, ``add_param_group``,
``zero_grad``, LR schedulers, ``state_dict``/``load_state_dict`` (the same format and state keys, so
checkpoints move both ways) and step hooks are torch's; only ``step`` is inertia's. Each also takes
``numerics=`` (keyword), which overrides the numerics mode that ``foreach=``/``fused=`` and the
installed torch select (``numerics_mode``).

``Lion``, ``Signum``, ``QHM``, ``AggMo``, ``LARS``, ``Sutskever`` and ``EMA`` (EMA momentum, Optax
``ema`` + ``scale(-lr)``) are ``torch.optim.Optimizer`` subclasses whose defaults are the library's
(read from it); see each class's signature.

CPU tensors, float32 and float64, contiguous parameters. A step validates every group (devices,
sparse or mismatched gradients, layout, hyperparameters) before it writes anything.
"""

import inspect
import warnings

import torch as _torch

from . import _capi

__all__ = ["SGD", "Adam", "AdamW", "NAdam", "Adagrad", "Lion", "Signum", "QHM", "AggMo", "LARS", "Sutskever",
           "EMA", "numerics_mode", "TORCH_VERSION"]


def _version_tuple(text):
    parts = []
    for piece in text.split("+")[0].split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


TORCH_VERSION = _version_tuple(_torch.__version__)

# The numerics modes a variant may declare (the library's names), each reproducing one torch path.
NUMERICS_MODES = ("pytorch_loop", "pytorch_foreach", "pytorch_fused", "pytorch_1_13")
_declared_cache = {}


def declared_numerics(variant):
    """The numerics modes `variant` accepts, asked of the library (None: it has no numerics option)."""
    if variant not in _declared_cache:
        handle = _capi.Handle(variant)
        if not handle.has("numerics"):
            _declared_cache[variant] = None
        else:
            modes = []
            for mode in NUMERICS_MODES:
                try:
                    handle.set("numerics", mode)
                    modes.append(mode)
                except _capi.InertiaError:
                    pass
            _declared_cache[variant] = tuple(modes)
    return _declared_cache[variant]


def numerics_mode(variant, *, foreach=None, fused=None, numerics=None, torch_version=TORCH_VERSION):
    """The `numerics` string that reproduces torch's path, or None to leave the library's only order.

    - an explicit `numerics` wins (it must be a mode the variant declares);
    - fused=True: "pytorch_fused";
    - torch < 2: "pytorch_1_13" where the variant has it, else "pytorch_loop" (torch 1.13's loop and
      foreach give the same bits as the loop mode where no 1.13 mode is declared);
    - torch >= 2, foreach=True: "pytorch_foreach", else (as heavy_ball, whose foreach and loop agree)
      "pytorch_loop";
    - torch >= 2 otherwise (torch's CPU default is the loop): "pytorch_loop".
    A variant without a `numerics` option has one order (torch 1.13's for adam, adamw, nadam,
    adagrad): None, with a warning when the installed torch's path is another.
    """
    declared = declared_numerics(variant)
    if numerics is not None:
        if declared is None:
            raise ValueError(f"numerics={numerics!r}: {variant} has no numerics option in this build of inertia")
        if numerics not in declared:
            raise ValueError(f"numerics={numerics!r}: {variant} declares {list(declared)}")
        return numerics
    if fused:
        wanted = ("pytorch_fused",)
    elif torch_version < (2, 0):
        wanted = ("pytorch_1_13", "pytorch_loop")
    elif foreach:
        wanted = ("pytorch_foreach", "pytorch_loop")
    else:
        wanted = ("pytorch_loop",)
    if declared is not None:
        for mode in wanted:
            if mode in declared:
                return mode
    if torch_version >= (2, 0) or fused:
        path = "fused" if fused else ("foreach" if foreach else "loop")
        warnings.warn(f"inertia: {variant} has no numerics mode for torch {torch_version[0]}.{torch_version[1]}'s "
                      f"{path} path in this build; steps follow the library's order (torch 1.13's)", stacklevel=3)
    return None


# ---- validation --------------------------------------------------------------------------------

_DTYPE_CODES = {_torch.float32: _capi.FLOAT32, _torch.float64: _capi.FLOAT64}


def _check_param(name, p, index):
    where = f"{name}: parameter {index}"
    if p.device.type != "cpu":
        raise RuntimeError(f"{where} is on {p.device}; inertia steps CPU tensors only")
    if p.is_sparse or p.layout != _torch.strided:
        raise RuntimeError(f"{where} has layout {p.layout}; inertia steps dense (strided) tensors")
    if p.dtype not in _DTYPE_CODES:
        raise TypeError(f"{where} has dtype {p.dtype}; inertia steps float32 and float64")
    if not p.is_contiguous():
        raise ValueError(f"{where} is not contiguous (shape {tuple(p.shape)}, stride {p.stride()}); "
                         f"inertia steps contiguous memory")
    g = p.grad
    if g.is_sparse:
        raise RuntimeError(f"{name} does not support sparse gradients (parameter {index})")
    if g.device != p.device:
        raise RuntimeError(f"{where}: grad is on {g.device} and the parameter on {p.device}")
    if g.dtype != p.dtype:
        raise TypeError(f"{where}: grad has dtype {g.dtype} and the parameter {p.dtype}")
    if g.shape != p.shape:
        raise ValueError(f"{where}: grad has shape {tuple(g.shape)} and the parameter {tuple(p.shape)}")


# ---- the shared step machinery --------------------------------------------------------------------


class _InertiaStep:
    """The step of every inertia optimizer: per group, gather (param, grad, state) of the params with a
    gradient, bucket them by dtype and by step count (torch keeps one per parameter), and step each
    bucket with one library call. Subclasses say how torch's group options and state map to the variant."""

    _step_supports_amp_scaling = True
    _variant = None
    _options = ()  # (torch group key, library key)
    _step_key = "step"  # the per-parameter step counter in state, or None (SGD keeps none)

    # -- what subclasses tailor
    def _variant_of(self, group):
        return self._variant

    def _library_options(self, group):
        return {key: group[torch_key] for torch_key, key in self._options if torch_key in group}

    def _new_state(self, p, name, group):
        return _torch.zeros_like(p, memory_format=_torch.contiguous_format)

    # -- machinery
    def _handle(self, index, dtype_code, variant):
        handles = self.__dict__.setdefault("_inertia_handles", {})
        key = (index, dtype_code, variant)
        handle = handles.get(key)
        if handle is None:
            handle = handles[key] = _capi.Handle(variant)
        return handle

    def _configure(self, index, group, dtype_code):
        variant = self._variant_of(group)
        handle = self._handle(index, dtype_code, variant)
        options = self._library_options(group)
        mode = numerics_mode(variant, foreach=group.get("foreach"), fused=group.get("fused"),
                             numerics=group.get("numerics", self.__dict__.get("_inertia_numerics")))
        if mode is not None:
            options["numerics"] = mode
        try:
            for key, value in options.items():
                if isinstance(value, _torch.Tensor):
                    value = value.item()
                handle.set(key, value)
        except _capi.InertiaError as error:
            raise ValueError(f"{type(self).__name__}: {error}") from None
        return handle

    def _steps_of(self, state):
        """The step count t - 1 of a parameter (0 before its first step), read without a tensor op when
        the counter is one this optimizer wrote."""
        counter = state.get(self._step_key)
        if counter is None:
            return 0
        known = self.__dict__.setdefault("_inertia_counters", {})
        value = known.get(id(counter))
        if value is not None and value[0] is counter:
            return value[1]
        return int(counter.item()) if isinstance(counter, _torch.Tensor) else int(counter)

    def _counter(self, steps):
        """The 0-d float32 tensor of a step count, as torch keeps it; shared by every parameter at that count
        (state_dict hands out copies, so a checkpoint holds one per parameter as torch's does)."""
        tensors = self.__dict__.setdefault("_inertia_counter_tensors", {})
        tensor = tensors.get(steps)
        if tensor is None:
            tensor = tensors[steps] = _torch.tensor(float(steps))
            self.__dict__.setdefault("_inertia_counters", {})[id(tensor)] = (tensor, steps)
        return tensor

    def _bucket_key(self, state, group):
        """What parameters must share to be stepped by one call: the step count (t)."""
        return self._steps_of(state)

    def _scalars_before(self, handle, key, members):
        pass

    def _scalars_after(self, handle, key, members):
        pass

    def _amp_scaling(self, grad_scaler):
        """(grad_scale, found_inf) as floats: from torch 1.13's grad_scaler= argument or the attributes
        torch 2.x's GradScaler sets on the optimizer."""
        grad_scale = found_inf = None
        if grad_scaler is not None:
            grad_scale = grad_scaler._get_scale_async()
            found = grad_scaler._check_inf_per_device(self)
            found_inf = sum(float(v.item()) for v in found.values()) if found else None
        else:
            grad_scale = getattr(self, "grad_scale", None)
            found_inf = getattr(self, "found_inf", None)
        if isinstance(grad_scale, _torch.Tensor):
            grad_scale = float(grad_scale.item())
        if isinstance(found_inf, _torch.Tensor):
            found_inf = float(found_inf.sum().item())
        return grad_scale, found_inf

    @_torch.no_grad()
    def step(self, closure=None, **kwargs):
        """One optimizer step; `closure` re-evaluates the model and returns the loss."""
        grad_scaler = kwargs.pop("grad_scaler", None)
        if kwargs:
            raise TypeError(f"step() got an unexpected keyword argument {next(iter(kwargs))!r}")
        loss = None
        if closure is not None:
            with _torch.enable_grad():
                loss = closure()
        grad_scale, found_inf = self._amp_scaling(grad_scaler)
        if found_inf:
            return loss  # GradScaler found an Inf or NaN: the whole step is skipped, as torch's fused steps do
        policy = None
        if grad_scale is not None:
            policy = _capi.StepPolicy(grad_scale=grad_scale, skip_non_finite=True)
        name = type(self).__name__

        # Phase 1: validate and lay out every group; nothing is written (state buffers this step creates are
        # removed again if anything fails).
        plans = []
        created = []  # (state, name) of buffers created for this step, for the rollback
        keepalive = []  # contiguous copies of gradients, alive until the calls are done
        try:
            self._plan(name, plans, created, keepalive)
        except BaseException:
            for state, state_name in created:
                del state[state_name]
            raise

        # Phase 2: one library call per bucket (normally one per group).
        report = _capi.StepReport()
        for number, (handle, code, bucket, members, rows, bucket_created, group) in enumerate(plans):
            steps = bucket if isinstance(bucket, int) else bucket[0]
            self._scalars_before(handle, bucket, members)
            table = _capi.pack(rows)
            try:
                handle.step(code, table, len(members), steps + 1, policy, report)
            except _capi.InertiaError as error:
                for later in plans[number:]:
                    for state, state_name in later[5]:
                        del state[state_name]
                if isinstance(error, ValueError):
                    raise ValueError(f"{name}: {error}") from None
                raise RuntimeError(f"{name}: {error}") from None
            if report.skipped:
                for state, state_name in bucket_created:
                    del state[state_name]
                continue
            self._scalars_after(handle, bucket, members)
            if self._step_key is not None:
                counter = self._counter(steps + 1)
                for p in members:
                    self.state[p][self._step_key] = counter
            self._after_step(members, group)
        return loss

    def _plan(self, name, plans, all_created, keepalive):
        index_base = 0
        for index, group in enumerate(self.param_groups):
            buckets = {}
            for offset, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                _check_param(name, p, index_base + offset)
                state = self.state[p]
                key = (p.dtype, self._bucket_key(state, group))
                members = buckets.get(key)
                if members is None:
                    members = buckets[key] = []
                members.append(p)
            index_base += len(group["params"])
            for (dtype, bucket), members in buckets.items():
                code = _DTYPE_CODES[dtype]
                handle = self._configure(index, group, code)
                names = handle.state_names()
                rows = []
                created = []
                plans.append((handle, code, bucket, members, rows, created, group))
                for p in members:
                    state = self.state[p]
                    g = p.grad
                    if not g.is_contiguous():
                        g = g.contiguous()  # read only: a contiguous copy gives the same bits
                        keepalive.append(g)
                    row = [p.data_ptr(), g.data_ptr()]
                    for state_name in names:
                        buffer = state.get(state_name)
                        if buffer is None:
                            buffer = self._new_state(p, state_name, group)
                            state[state_name] = buffer
                            created.append((state, state_name))
                            all_created.append((state, state_name))
                        elif (buffer.dtype != p.dtype or buffer.shape != p.shape or not buffer.is_contiguous()
                              or buffer.device != p.device):
                            buffer = buffer.to(device=p.device, dtype=p.dtype).contiguous().view_as(p).clone()
                            state[state_name] = buffer
                        row.append(buffer.data_ptr())
                    row.extend((0,) * (_capi.MAX_STATE - len(names)))
                    row.append(p.numel())
                    rows.extend(row)

    def _after_step(self, members, group):
        pass

    def state_dict(self):
        """torch's state_dict, with each parameter's scalar counters as its own tensors (as torch keeps them)."""
        packed = super().state_dict()
        for entry in packed["state"].values():
            for key, value in list(entry.items()):
                if isinstance(value, _torch.Tensor) and value.dim() == 0:
                    entry[key] = value.clone()
        return packed


def _with_numerics(torch_class):
    """The signature of torch_class.__init__ with a keyword-only numerics=None added."""
    signature = inspect.signature(torch_class.__init__)
    parameters = list(signature.parameters.values())
    parameters.append(inspect.Parameter("numerics", inspect.Parameter.KEYWORD_ONLY, default=None))
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters[:-1]):
        parameters = [p for p in parameters if p.kind != inspect.Parameter.VAR_KEYWORD] + [parameters[-1]]
    return signature.replace(parameters=parameters)


class _TorchDropIn(_InertiaStep):
    def __init__(self, params, *args, numerics=None, **kwargs):
        self._inertia_numerics = numerics
        super().__init__(params, *args, **kwargs)
        # What torch's constructor does not check and the library refuses (momentum >= 1, ...): now, not at
        # the first step.
        for index, group in enumerate(self.param_groups):
            self._configure(index, group, _capi.FLOAT32)
        self._inertia_ready = True

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        if self.__dict__.get("_inertia_ready"):
            try:
                self._configure(len(self.param_groups) - 1, self.param_groups[-1], _capi.FLOAT32)
            except ValueError:
                self.param_groups.pop()
                raise

    def _library_options(self, group):
        for flag in ("differentiable", "capturable"):
            if group.get(flag):
                raise ValueError(f"{type(self).__name__}: {flag}=True is not supported by inertia")
        return super()._library_options(group)


# ---- torch.optim's five -------------------------------------------------------------------------------


class SGD(_TorchDropIn, _torch.optim.SGD):
    __doc__ = ("torch.optim.SGD, stepped by inertia's heavy_ball (bit for bit torch's loop and foreach paths; "
               "fused=True on torch >= 2 with numerics pytorch_fused).")
    _variant = "heavy_ball"
    _options = (("lr", "lr"), ("momentum", "momentum"), ("dampening", "dampening"),
                ("weight_decay", "weight_decay"), ("nesterov", "nesterov"), ("maximize", "maximize"))
    _step_key = None

    def _new_state(self, p, name, group):
        return _torch.empty_like(p, memory_format=_torch.contiguous_format)  # t == 1 writes it whole

    def _bucket_key(self, state, group):
        # torch's first step (no buffer yet) initialises the buffer: inertia's t == 1; any later step is t == 2.
        return 0 if state.get("momentum_buffer") is None else 1

    def _after_step(self, members, group):
        if not group["momentum"]:
            for p in members:
                self.state[p]["momentum_buffer"] = None  # as torch records plain SGD


class Adam(_TorchDropIn, _torch.optim.Adam):
    __doc__ = "torch.optim.Adam, stepped by inertia's adam."
    _variant = "adam"
    _options = (("lr", "lr"), ("betas", "betas"), ("eps", "eps"), ("weight_decay", "weight_decay"),
                ("amsgrad", "amsgrad"), ("maximize", "maximize"))


class AdamW(_TorchDropIn, _torch.optim.AdamW):
    __doc__ = "torch.optim.AdamW, stepped by inertia's adamw."
    _variant = "adamw"
    _options = Adam._options


class NAdam(_TorchDropIn, _torch.optim.NAdam):
    __doc__ = "torch.optim.NAdam, stepped by inertia's nadam; mu_product per parameter, as torch keeps it."
    _variant = "nadam"
    _options = (("lr", "lr"), ("betas", "betas"), ("eps", "eps"), ("weight_decay", "weight_decay"),
                ("momentum_decay", "momentum_decay"))

    def _library_options(self, group):
        options = super()._library_options(group)
        for flag in ("decoupled_weight_decay", "maximize", "capturable", "differentiable"):
            if group.get(flag):
                raise ValueError(f"NAdam: {flag}=True is not supported by inertia's nadam")
        return options

    def _bucket_key(self, state, group):
        mu = state.get("mu_product")
        return (self._steps_of(state), 1.0 if mu is None else float(mu))

    def _scalars_before(self, handle, bucket, members):
        handle.forget("mu_product")
        handle.set("mu_product", bucket[1])

    def _scalars_after(self, handle, bucket, members):
        product = _torch.tensor(handle.get("mu_product"), dtype=_torch.float32)
        handle.forget("mu_product")
        for p in members:
            self.state[p]["mu_product"] = product


class Adagrad(_TorchDropIn, _torch.optim.Adagrad):
    __doc__ = "torch.optim.Adagrad, stepped by inertia's adagrad."
    _variant = "adagrad"
    _options = (("lr", "lr"), ("lr_decay", "lr_decay"), ("weight_decay", "weight_decay"), ("eps", "eps"),
                ("initial_accumulator_value", "initial_accumulator_value"), ("maximize", "maximize"))

    def _new_state(self, p, name, group):
        return _torch.full_like(p, group["initial_accumulator_value"], memory_format=_torch.contiguous_format)


for _class in (SGD, Adam, AdamW, NAdam, Adagrad):
    _signature = _with_numerics(_class.__bases__[1])  # torch's own class: its parameters, then numerics=
    _class.__signature__ = _signature.replace(parameters=list(_signature.parameters.values())[1:])
del _signature


# ---- the library's other variants -------------------------------------------------------------------------


def _default(variant, key):
    handle = _capi.Handle(variant)
    try:
        length = int(handle.get(key + "#"))
        return tuple(handle.get(f"{key}[{i}]") for i in range(length))
    except _capi.InertiaError:
        pass
    value = handle.get(key)
    return value


class _LibraryOptimizer(_InertiaStep, _torch.optim.Optimizer):
    """An optimizer whose group options are the variant's own keys."""

    _keys = ()
    _flags = ()

    def __init__(self, params, **options):
        super().__init__(params, dict(options))
        for index, group in enumerate(self.param_groups):
            self._configure(index, group, _capi.FLOAT32)

    def _library_options(self, group):
        return {key: (bool(group[key]) if key in self._flags else group[key]) for key in self._keys}

    def _configure(self, index, group, dtype_code):
        handle = self._handle(index, dtype_code, self._variant)
        try:
            for key, value in self._library_options(group).items():
                handle.set(key, value)
        except _capi.InertiaError as error:
            raise ValueError(f"{type(self).__name__}: {error}") from None
        return handle


def _library_class(class_name, variant, keys, flags=(), doc="", required_lr=False):
    defaults = {key: _default(variant, key) for key in keys}
    for flag in flags:
        defaults[flag] = bool(defaults[flag])
    parameters = [inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for key in keys:
        parameters.append(inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=defaults[key]))
    signature = inspect.Signature(parameters)

    def __init__(self, params, *args, **kwargs):
        bound = signature.bind(params, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        params = arguments.pop("params")
        _LibraryOptimizer.__init__(self, params, **arguments)

    cls = type(class_name, (_LibraryOptimizer,), {
        "__init__": __init__, "_variant": variant, "_keys": tuple(keys), "_flags": tuple(flags),
        "__doc__": f"{doc}\n\nSignature: {class_name}{signature}; state per parameter: "
                   f"{_capi.Handle(variant).state_names()} and step. Defaults are the library's.",
        "__module__": __name__})
    cls.__signature__ = signature.replace(parameters=parameters)
    return cls


Lion = _library_class("Lion", "lion", ("lr", "betas", "weight_decay"),
                      doc="Lion (Optax lion, op by op): sign of the interpolated momentum, decoupled weight decay.")
Signum = _library_class("Signum", "signum", ("lr", "beta"), doc="Signum: sign momentum (beta = 0 is signSGD).")
QHM = _library_class("QHM", "qhm", ("lr", "nu", "beta", "weight_decay"),
                     doc="QHM, quasi-hyperbolic momentum (qhoptim's QHM).")
AggMo = _library_class("AggMo", "aggmo", ("lr", "betas", "weight_decay"),
                       doc="AggMo, aggregated momentum (the authors' PyTorch AggMo); one velocity per beta.")
LARS = _library_class("LARS", "lars", ("lr", "momentum", "weight_decay", "eta"),
                      doc="LARS: layer-wise adaptive rate scaling; each parameter tensor is one layer.")
Sutskever = _library_class("Sutskever", "sutskever", ("lr", "momentum", "nesterov"), flags=("nesterov",),
                           doc="Sutskever momentum, v = mu*v - lr*g; w += v (Keras SGD).")
EMA = _library_class("EMA", "ema", ("lr", "beta", "bias_correction"), flags=("bias_correction",),
                     doc="EMA momentum: v = beta*v + (1-beta)*g; w -= lr*v (Optax ema + scale(-lr)).")
del _class
