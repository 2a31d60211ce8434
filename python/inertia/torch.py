"""Drop-in ``torch.optim`` optimizers whose step is one inertia call per parameter group.

``SGD``, ``Adam``, ``AdamW``, ``NAdam``, ``Adagrad`` and ``RMSprop`` are subclasses of the installed torch's own
classes: the constructor (signature, defaults, validation), ``param_groups``, ``add_param_group``,
``zero_grad``, LR schedulers, ``state_dict``/``load_state_dict`` (the same format and state keys, so
checkpoints move both ways) and step hooks are torch's; only ``step`` is inertia's. Each also takes
``numerics=`` (keyword), which overrides the numerics mode that ``foreach=``/``fused=`` and the
installed torch select (``numerics_mode``).

``Lion``, ``Signum``, ``QHM``, ``AggMo``, ``LARS``, ``Sutskever``, ``EMA`` (EMA momentum, Optax
``ema`` + ``scale(-lr)``), ``Adan`` (Optax ``adan``) and ``Lamb`` (Optax ``lamb``) are ``torch.optim.Optimizer`` subclasses whose
defaults are the library's (read from it); see each class's signature.

CPU tensors, float32, float64, bfloat16 and float16, contiguous parameters. bfloat16 and float16 parameters
step with torch 2.x's fused semantics whatever ``foreach=``/``fused=`` say: the state is kept in the
parameter's dtype and every element is computed in float and rounded to nearest even as it is stored
(``fused=True``'s bits; torch's loop and foreach paths compute op by op in the half type instead). Where the
variant declares ``pytorch_fused``, that is the numerics mode they get unless ``numerics=`` says otherwise. A step validates every group (devices,
sparse or mismatched gradients, layout, hyperparameters) before it writes anything.

Mixed storage (every class but the schedule-free ones; keyword options, also per parameter group as group
keys): ``master_weights=True`` keeps a float32 copy of each bf16/fp16 parameter in ``state[p]["master_weight"]``
(made from the parameter at its first step); the step is the float32 optimizer's on it (float32 numerics, state
float32 unless ``state_dtype`` says otherwise) and the parameter is written as the master rounded to nearest
even. ``master_weights="split"`` (bfloat16 parameters only) keeps only the master's low 16 bits, as
``state[p]["master_weight_low"]`` (torch.int16, 0 at first), the parameter being its top half. With
``master_weights=True`` the master is the weights: new values written into the parameter are overwritten by the
next step unless the master is written too (or removed, to be made again from the parameter).
``master_weights`` is ignored for float32 and float64 parameters.
``state_dtype=torch.float32`` or ``torch.bfloat16`` is the dtype of every state buffer (``torch.bfloat16`` with
float32 parameters: Adam's moments in half the memory); None keeps today's (the parameter's dtype, float32 with
a master); float64 parameters refuse it (TypeError at the step). With either option a half parameter's
``.grad`` may be float32 (torch refuses ``p.grad = g`` for that; ``p.grad.data = g`` or torch 2's ``p.grad_dtype``
allow it). The math is float32 whatever the types (include/inertia/inertia.h, "Mixed storage and master weights"); state_dict/load_state_dict keep the
entries in their dtypes. Without the options every step is the one described above, bit for bit.

Stochastic rounding (the same classes and keys; torchao's ``bf16_stochastic_round=True``):
``stochastic_rounding=True`` rounds every bfloat16/float16 value a step writes (the parameter, its half state,
the model copy of a master) to one of its two neighbours, the upper with probability (x - lower) / (upper -
lower), so that the stored value is the float32 step's in expectation: an update far below the half type's
spacing, which nearest even drops every step, moves the weights on average. The random bits are Philox's,
keyed by ``rounding_seed`` (an int in [0, 2**64), default 0) and counted by the element's index within its
tensor, the step number and the buffer: the same seed and the same steps give the same bits on every machine
and thread count, each step draws anew, and two tensors at the same step share their draws element by element
(give groups different seeds to decorrelate them). float32 parameters with float32 state round nothing and
step as without it, bit for bit; float64 parameters are unaffected. SGD, whose steps torch does not count,
keeps ``state[p]["step"]`` for each stochastically rounded parameter, so that a resumed checkpoint draws on.
"""

import inspect
import operator
import warnings

import torch as _torch

from . import _capi

__all__ = ["SGD", "Adam", "AdamW", "NAdam", "Adagrad", "RMSprop", "Lion", "Signum", "QHM", "AggMo", "LARS",
           "Sutskever", "EMA", "Adan", "Lamb", "SGDScheduleFree", "AdamWScheduleFree", "numerics_mode", "TORCH_VERSION"]


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

_DTYPE_CODES = {_torch.float32: _capi.FLOAT32, _torch.float64: _capi.FLOAT64, _torch.bfloat16: _capi.BFLOAT16,
                _torch.float16: _capi.FLOAT16}
_HALF_CODES = (_capi.BFLOAT16, _capi.FLOAT16)
_CODE_DTYPES = {code: dtype for dtype, code in _DTYPE_CODES.items()}
_MASTER_KEYS = {_capi.MASTER_FLOAT32: ("master_weight", _torch.float32),
                _capi.MASTER_SPLIT: ("master_weight_low", _torch.int16)}  # int16: the uint16 halves' bits


def _master_option(name, value):
    """The MASTER_* code of a master_weights option (False/None, True or "split")."""
    if value is None or value is False:
        return _capi.MASTER_NONE
    if value is True:
        return _capi.MASTER_FLOAT32
    if isinstance(value, str) and value == "split":
        return _capi.MASTER_SPLIT
    raise ValueError(f"{name}: master_weights must be False, True or 'split', got {value!r}")


def _state_dtype_option(name, value):
    """A state_dtype option checked: None, torch.float32 or torch.bfloat16."""
    if value is None or value is _torch.float32 or value is _torch.bfloat16:
        return value
    if not isinstance(value, _torch.dtype):
        raise TypeError(f"{name}: state_dtype must be None, torch.float32 or torch.bfloat16, got {value!r}")
    raise ValueError(f"{name}: state_dtype={value} is not supported; it must be None (the parameter's dtype), "
                     "torch.float32 or torch.bfloat16")


def _stochastic_option(name, value):
    """A stochastic_rounding option checked: True or False (not merely truthy: a seed or a string passed in
    its place is a mistake)."""
    if value is True or value is False:
        return value
    raise TypeError(f"{name}: stochastic_rounding must be True or False, got {value!r}")


_SEED_LIMIT = 1 << 64  # inertia_storage.seed is an unsigned 64-bit Philox key


def _seed_option(name, value):
    """A rounding_seed option checked: an int in [0, 2^64) (numpy and 0-d integer tensors through
    __index__; bool refused, as True is an int but not a seed anyone means)."""
    if isinstance(value, bool):
        raise TypeError(f"{name}: rounding_seed must be an int in [0, 2**64), got {value!r}")
    try:
        seed = operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: rounding_seed must be an int in [0, 2**64), got {value!r}") from None
    if not 0 <= seed < _SEED_LIMIT:
        raise ValueError(f"{name}: rounding_seed={seed} is out of range; it must be in [0, 2**64)")
    return seed


def _check_param(name, p, index, float32_grad=False):
    # Ordered so that a good tensor costs few attribute reads (is_cpu, not device.type, which builds objects).
    if not p.is_cpu:
        raise RuntimeError(f"{name}: parameter {index} is on {p.device}; inertia steps CPU tensors only")
    if p.layout is not _torch.strided:
        raise RuntimeError(f"{name}: parameter {index} has layout {p.layout}; inertia steps dense (strided) tensors")
    if p.dtype not in _DTYPE_CODES:
        raise TypeError(f"{name}: parameter {index} has dtype {p.dtype}; inertia steps float32, float64, bfloat16 and "
                        "float16")
    if not p.is_contiguous():
        raise ValueError(f"{name}: parameter {index} is not contiguous (shape {tuple(p.shape)}, stride "
                         f"{p.stride()}); inertia steps contiguous memory")
    g = p.grad
    if g.layout is not _torch.strided:
        raise RuntimeError(f"{name} does not support sparse gradients (parameter {index} has a {g.layout} grad)")
    if not g.is_cpu:
        raise RuntimeError(f"{name}: parameter {index}: grad is on {g.device} and the parameter on {p.device}")
    if g.dtype is not p.dtype and not (float32_grad and g.dtype is _torch.float32):
        raise TypeError(f"{name}: parameter {index}: grad has dtype {g.dtype} and the parameter {p.dtype}")
    if g.shape != p.shape:
        raise ValueError(f"{name}: parameter {index}: grad has shape {tuple(g.shape)} and the parameter "
                         f"{tuple(p.shape)}")


# ---- the shared step machinery --------------------------------------------------------------------


class _Plan:
    """One library call of a step: the tensors of one group that share a dtype and a step count, their
    inertia_tensor table, and what the step changes in their state."""

    __slots__ = ("handle", "code", "names", "steps", "extra", "members", "states", "table", "created", "group",
                 "table_keepalive", "counter", "storage", "master", "watched_states", "watched_keys",
                 "watched_buffers")

    def __init__(self, handle, code, names, steps, extra, members, states, table, created, group):
        self.handle, self.code, self.names, self.steps, self.extra = handle, code, names, steps, extra
        self.members, self.states, self.table, self.created, self.group = members, states, table, created, group
        self.counter = None  # the plan's shared state["step"] tensor, made at its first step
        # Mixed storage: the call's _capi.Storage and master pointers (array('Q') or None); None for the
        # plain call, whose dtype is `code` (with a storage, `code` is the dtype its numerics follow).
        self.storage = None
        self.master = None
        # Every state buffer (and master) whose pointer the table holds, as (state dict, key, tensor) in three
        # lists: a step reuses the table only while each key still holds that tensor (_tables_hold_state).
        self.watched_states, self.watched_keys, self.watched_buffers = [], [], []


class _GroupLayout:
    """A group's plans as the last step laid them out, with what they were made from. The next step reuses
    them when nothing they depend on changed: the same parameter list, the same gradient objects (None
    where they were None), the same data pointers, the same state dict, the same state buffers by the
    library's count (options such as momentum or amsgrad may change that)."""

    __slots__ = ("params", "count", "grads", "live_params", "live_grads", "param_pointers", "grad_pointers",
                 "state", "plans", "has_grad", "dtypes", "shapes", "grad_words", "options")


try:  # torch 2.x: the step hooks every optimizer runs (torch 1.13 has none)
    from torch.optim.optimizer import _global_optimizer_post_hooks, _global_optimizer_pre_hooks
except ImportError:
    _global_optimizer_pre_hooks = _global_optimizer_post_hooks = None
_profiler_enabled = _torch.autograd._profiler_enabled

_grad_of = operator.attrgetter("grad")
_data_ptr = _torch.Tensor.data_ptr


def _watch(plan, state, key, buffer):
    """Record that plan's table holds buffer's pointer, taken from state[key]."""
    plan.watched_states.append(state)
    plan.watched_keys.append(key)
    plan.watched_buffers.append(buffer)


def _tables_hold_state(plan, state):
    """Whether every state buffer (and master) the plan's table points into is still the tensor in its state
    entry, in the parameter's own state dict. A buffer replaced between steps (optimizer.state[p]["exp_avg"]
    = t, or optimizer.state[p] = {...}) must be laid out again: the table would write the old tensor, freed
    memory once nothing else holds it."""
    return (all(map(operator.is_, map(state.get, plan.members), plan.states))
            and all(map(operator.is_, map(dict.get, plan.watched_states, plan.watched_keys), plan.watched_buffers)))


class _InertiaStep:
    """The step of every inertia optimizer: per group, gather (param, grad, state) of the params with a
    gradient, bucket them by dtype and by step count (torch keeps one per parameter), and step each
    bucket with one library call. Subclasses say how torch's group options and state map to the variant.

    A step first lays out and checks every group, then calls the library: a bad tensor or option in any
    group raises before anything is written. The layout of a group is kept for the next step and reused
    while its parameters, gradients, pointers and state are the ones it was made from, so that a
    steady-state step costs a few attribute reads per parameter."""

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

    def _bucket_key(self, state, group):
        """What parameters must share to be stepped by one call: (steps taken, anything else)."""
        return self._steps_of(state), None

    def _rounding_bucket_key(self, state, group):
        """_bucket_key for a parameter whose step rounds stochastically: its step number is also the draws'
        counter, so it must differ from step to step (every class that counts steps per parameter already
        does; SGD overrides this)."""
        return self._bucket_key(state, group)

    def _scalars_before(self, plan):
        pass

    def _scalars_after(self, plan):
        pass

    def _after_step(self, plan):
        pass

    def add_param_group(self, param_group):
        """torch's, then the new group's options checked by the library (momentum >= 1 raises here)."""
        super().add_param_group(param_group)
        if self.__dict__.get("_inertia_ready"):  # the constructor checks its groups itself
            try:
                self._storage_options(self.param_groups[-1])
                self._configure(len(self.param_groups) - 1, self.param_groups[-1], _capi.FLOAT32)
            except (ValueError, TypeError):
                self.param_groups.pop()
                raise

    # -- mixed storage (master_weights=, state_dtype=)
    def _raw_storage_options(self, group):
        """A group's master_weights, state_dtype, stochastic_rounding and rounding_seed as given: its own keys,
        else the constructor's."""
        d = self.__dict__
        return (group.get("master_weights", d.get("_inertia_master_weights")),
                group.get("state_dtype", d.get("_inertia_state_dtype")),
                group.get("stochastic_rounding", d.get("_inertia_stochastic_rounding", False)),
                group.get("rounding_seed", d.get("_inertia_rounding_seed", 0)))

    def _storage_options(self, group):
        """(MASTER_* code, state dtype or None, ROUND_* code, seed) of a group, checked (ValueError / TypeError
        naming the option)."""
        master_weights, state_dtype, stochastic, seed = self._raw_storage_options(group)
        name = type(self).__name__
        rounding = _capi.ROUND_STOCHASTIC if _stochastic_option(name, stochastic) else _capi.ROUND_NEAREST_EVEN
        return (_master_option(name, master_weights), _state_dtype_option(name, state_dtype), rounding,
                _seed_option(name, seed))

    @staticmethod
    def _storage_of(name, index, p, g, master_mode, state_dtype, rounding, seed):
        """The (param, grad, state, master, rounding, seed) of one parameter's step under a group's options
        (a _capi.Storage's fields), or None for the plain call (every type the parameter's, no master and
        nothing rounded stochastically: today's step, bit for bit)."""
        code = _DTYPE_CODES[p.dtype]
        if code == _capi.FLOAT64:
            if state_dtype is not None:
                raise TypeError(f"{name}: parameter {index} is float64; state_dtype={state_dtype} applies to "
                                "float32, bfloat16 and float16 parameters only")
            return None
        master = master_mode if code in _HALF_CODES else _capi.MASTER_NONE  # a float32 parameter is its master
        if master == _capi.MASTER_SPLIT and code != _capi.BFLOAT16:
            raise TypeError(f"{name}: master_weights='split' needs bfloat16 parameters (the master's top halves); "
                            f"parameter {index} has dtype {p.dtype} (master_weights=True keeps a float32 copy)")
        if state_dtype is not None:
            state_code = _DTYPE_CODES[state_dtype]
        else:
            state_code = _capi.FLOAT32 if master != _capi.MASTER_NONE else code
        grad_code = _DTYPE_CODES[g.dtype]
        # Stochastic rounding only where the step writes a half buffer (the parameter, its state, or the
        # model copy of a master, which is the parameter): float32 parameters with float32 state round
        # nothing, and keep the plain call.
        if rounding != _capi.ROUND_STOCHASTIC or (code not in _HALF_CODES and state_code not in _HALF_CODES):
            rounding, seed = _capi.ROUND_NEAREST_EVEN, 0
        if (master == _capi.MASTER_NONE and state_code == code and grad_code == code
                and rounding == _capi.ROUND_NEAREST_EVEN):
            return None
        return code, grad_code, state_code, master, rounding, seed

    def _master_of(self, p, state, mode, created):
        """state["master_weight"] (float32, made from the parameter) or state["master_weight_low"] (int16
        bottom halves, made 0) for a step, contiguous, in its dtype."""
        key, dtype = _MASTER_KEYS[mode]
        buffer = state.get(key)
        if buffer is not None and (not isinstance(buffer, _torch.Tensor) or buffer.numel() != p.numel()):
            shape = tuple(buffer.shape) if isinstance(buffer, _torch.Tensor) else type(buffer).__name__
            raise ValueError(f"{type(self).__name__}: state[{key!r}] of a parameter of shape {tuple(p.shape)} is "
                             f"{shape}; it must hold one value per element of the parameter")
        if buffer is None:
            if mode == _capi.MASTER_FLOAT32:
                buffer = p.detach().to(dtype=dtype, memory_format=_torch.contiguous_format, copy=True)
            else:
                buffer = _torch.zeros(p.shape, dtype=dtype, device=p.device)
            state[key] = buffer
            created.append((state, key))
        elif (buffer.dtype != dtype or buffer.shape != p.shape or not buffer.is_contiguous()
              or buffer.device != p.device):
            buffer = buffer.to(device=p.device, dtype=dtype).contiguous().view_as(p).clone()
            state[key] = buffer
        return buffer

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
        # Half parameters: torch's one path with float math is the fused one (see the module's docstring).
        fused = group.get("fused") or (dtype_code in _HALF_CODES and "pytorch_fused" in (declared_numerics(variant) or ()))
        mode = numerics_mode(variant, foreach=group.get("foreach"), fused=fused,
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

    def _steps_of(self, state, key=None):
        """The step count t - 1 of a parameter (0 before its first step), read without a tensor op when
        the counter is one this optimizer advances. key: the counter's state key (default _step_key)."""
        counter = state.get(key or self._step_key)
        if counter is None:
            return 0
        steps = getattr(counter, "_inertia_steps", None)  # a counter this optimizer advances
        if steps is not None:
            return steps
        return int(counter.item()) if isinstance(counter, _torch.Tensor) else int(counter)

    def _advance_counter(self, plan, key=None):
        """state["step"] after a plan's step: a 0-d float32 tensor, as torch keeps it. The parameters of one
        plan share one, owned by the plan and advanced in place (one tensor op a step, not one per
        parameter); state_dict hands out a copy per parameter, as torch's checkpoints hold. key: the
        counter's state key (default _step_key)."""
        counter = plan.counter
        if counter is None:
            plan.counter = counter = _torch.tensor(float(plan.steps))
            key = key or self._step_key
            for state in plan.states:
                state[key] = counter
        else:
            counter.fill_(float(plan.steps))
        counter._inertia_steps = plan.steps  # read back by _steps_of without a tensor op

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

    def step(self, *args, **kwargs):
        """One optimizer step: step(closure=None); `closure` re-evaluates the model and returns the loss.

        torch's Optimizer wraps each subclass's step() in its profile_hook_step (a profiler scope and, on
        torch 2, the step pre- and post-hooks) unless the function is marked hooked. This one is: it runs
        the same hooks in torch's order, with torch's (optimizer, args, kwargs), and opens the
        "Optimizer.step#<class>.step" scope only while a profiler records. That saves about 20 us a step on
        torch 2.15, where the scope costs that much even with no profiler."""
        if _profiler_enabled():
            with _torch.autograd.profiler.record_function(f"Optimizer.step#{type(self).__name__}.step"):
                out = self._step_with_hooks((self,) + args, kwargs)
                self._optimizer_step_code()
                return out
        return self._step_with_hooks((self,) + args, kwargs)

    step.hooked = True  # torch's Optimizer: do not wrap it again

    def _step_with_hooks(self, args, kwargs):
        if _global_optimizer_pre_hooks is None:  # torch 1.13
            return self._step(*args[1:], **kwargs)
        pre_hooks, post_hooks = self._optimizer_step_pre_hooks, self._optimizer_step_post_hooks
        if not (pre_hooks or post_hooks or _global_optimizer_pre_hooks or _global_optimizer_post_hooks):
            return self._step(*args[1:], **kwargs)
        for pre_hook in (*_global_optimizer_pre_hooks.values(), *pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{type(self).__name__}.step: a step pre-hook must return None or a tuple "
                                       f"of (new_args, new_kwargs), but got {result}.")
        out = self._step(*args[1:], **kwargs)
        for post_hook in (*post_hooks.values(), *_global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    @_torch.no_grad()
    def _step(self, closure=None, **kwargs):
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

        # Phase 1: lay out and check every group; nothing is written (state buffers made for this step are
        # removed again if anything fails).
        layouts = self.__dict__.setdefault("_inertia_layouts", {})
        plans = []
        try:
            first_index = 0
            for index, group in enumerate(self.param_groups):
                plans.extend(self._group_plans(index, group, first_index, layouts))
                first_index += len(group["params"])
        except BaseException:
            layouts.clear()
            for plan in plans:
                self._remove_created(plan)
            raise

        # Phase 2: one library call per plan (normally one per group).
        report = _capi.StepReport()
        for number, plan in enumerate(plans):
            self._scalars_before(plan)
            try:
                if plan.storage is None:
                    plan.handle.step(plan.code, plan.table, len(plan.members), plan.steps + 1, policy, report)
                else:
                    plan.handle.step_storage(plan.storage, plan.table, plan.master, len(plan.members),
                                             plan.steps + 1, policy, report)
            except _capi.InertiaError as error:
                layouts.clear()
                for later in plans[number:]:
                    self._remove_created(later)
                kind = ValueError if isinstance(error, ValueError) else RuntimeError
                raise kind(f"{type(self).__name__}: {error}") from None
            if report.skipped:
                layouts.clear()
                self._remove_created(plan)
                continue
            plan.created = ()
            self._scalars_after(plan)
            plan.steps += 1
            if self._step_key is not None:
                self._advance_counter(plan)
            self._after_step(plan)
        return loss

    @staticmethod
    def _remove_created(plan):
        for state, name in plan.created:
            state.pop(name, None)
        plan.created = ()

    def _group_plans(self, index, group, first_index, layouts):
        params = group["params"]
        grads = list(map(_grad_of, params))
        layout = layouts.get(index)
        if (layout is not None and layout.params is params and layout.count == len(params)
                and layout.state is self.state and self._same_options(layout.options, group)
                and list(map(_data_ptr, layout.live_params)) == layout.param_pointers
                and self._same_or_fitting_grads(layout, grads)):
            for plan in layout.plans:
                if (self._configure(index, group, plan.code).state_names() != plan.names
                        or not _tables_hold_state(plan, self.state)):
                    break
            else:
                return layout.plans
        layouts.pop(index, None)
        options = self._raw_storage_options(group)
        plans = self._lay_out(index, group, first_index, grads)
        layout = _GroupLayout()
        layout.options = options
        layout.params, layout.count, layout.grads, layout.state = params, len(params), grads, self.state
        layout.live_params = [p for p, g in zip(params, grads) if g is not None]
        layout.live_grads = [g for g in grads if g is not None]
        layout.param_pointers = list(map(_data_ptr, layout.live_params))
        layout.grad_pointers = list(map(_data_ptr, layout.live_grads))
        layout.plans = plans
        layout.has_grad = [g is not None for g in grads]
        layout.dtypes = [g.dtype for g in layout.live_grads]  # the parameters' but for float32 grads (mixed)
        layout.shapes = [p.shape for p in layout.live_params]
        # Where each live gradient's pointer sits: (table, word), in live_params' order.
        words = {}
        for plan in plans:
            for row, p in enumerate(plan.members):
                words[id(p)] = (plan.table, row * _capi.TENSOR_WORDS + 1)
        layout.grad_words = [words[id(p)] for p in layout.live_params]
        # A gradient that had to be copied to be contiguous is a new tensor every step: no reuse.
        if all(g.is_contiguous() for g in layout.live_grads):
            layouts[index] = layout
        return plans

    def _same_options(self, options, group):
        """Whether a group's master_weights, state_dtype, stochastic_rounding and rounding_seed are the ones
        its layout was made with (the plans hold their Storage, seed included)."""
        master_weights, state_dtype, stochastic, seed = self._raw_storage_options(group)
        return (state_dtype is options[1] and stochastic is options[2]
                and (seed is options[3] or (type(seed) is int and type(options[3]) is int and seed == options[3]))
                and (master_weights is options[0] or (isinstance(master_weights, str) and isinstance(options[0], str)
                                                      and master_weights == options[0])))

    @staticmethod
    def _same_or_fitting_grads(layout, grads):
        """Whether the layout's tables hold these gradients: the same objects at the same pointers, or new
        objects (zero_grad(set_to_none=True), torch 2's default) where the old ones were, each dense, on the
        CPU, contiguous and of the dtype and shape of the gradient before; their pointers are then written into the
        tables. Anything else is laid out (and checked, with its error) again."""
        if all(map(operator.is_, grads, layout.grads)):
            return list(map(_data_ptr, layout.live_grads)) == layout.grad_pointers
        if [g is not None for g in grads] != layout.has_grad:
            return False
        live = [g for g in grads if g is not None]
        strided = _torch.strided
        for g, dtype, shape in zip(live, layout.dtypes, layout.shapes):
            if (g.layout is not strided or not g.is_cpu or g.dtype is not dtype or not g.is_contiguous()
                    or g.shape != shape):
                return False
        pointers = list(map(_data_ptr, live))
        for (table, word), pointer in zip(layout.grad_words, pointers):
            table[word] = pointer
        layout.grads, layout.live_grads, layout.grad_pointers = grads, live, pointers
        return True

    def _lay_out(self, index, group, first_index, grads):
        name = type(self).__name__
        master_mode, state_dtype, rounding, seed = self._storage_options(group)
        mixed = master_mode != _capi.MASTER_NONE or state_dtype is not None or rounding == _capi.ROUND_STOCHASTIC
        buckets = {}
        for offset, (p, g) in enumerate(zip(group["params"], grads)):
            if g is None:
                continue
            # float32 gradients of half parameters only where an option puts the step on the storage call.
            _check_param(name, p, first_index + offset, float32_grad=mixed and _DTYPE_CODES.get(p.dtype) in _HALF_CODES)
            storage = (self._storage_of(name, first_index + offset, p, g, master_mode, state_dtype, rounding, seed)
                       if mixed else None)
            state = self.state[p]
            if storage is not None and storage[4] == _capi.ROUND_STOCHASTIC:
                key = (p.dtype, storage, self._rounding_bucket_key(state, group))
            else:
                key = (p.dtype, storage, self._bucket_key(state, group))
            members = buckets.get(key)
            if members is None:
                members = buckets[key] = []
            members.append((p, g, state))
        plans = []
        try:
            for (dtype, storage, (steps, extra)), members in buckets.items():
                plans.append(self._plan(index, group, dtype, storage, steps, extra, members))
        except BaseException:
            for plan in plans:
                self._remove_created(plan)
            raise
        return plans

    def _plan(self, index, group, dtype, storage, steps, extra, members):
        """One library call: its handle, its tensor table and the state buffers (made where missing)."""
        code = _DTYPE_CODES[dtype]
        master_mode = storage[3] if storage is not None else _capi.MASTER_NONE
        # With a master the step is a float32 optimizer's on the master: its numerics are float32's.
        numerics_code = _capi.FLOAT32 if master_mode != _capi.MASTER_NONE else code
        handle = self._configure(index, group, numerics_code)
        names = handle.state_names()
        state_type = dtype if storage is None else _CODE_DTYPES[storage[2]]
        rows = []
        plan = _Plan(handle, numerics_code, names, steps, extra, [m[0] for m in members], [m[2] for m in members],
                     None, [], group)
        keepalive = []
        masters = [] if master_mode != _capi.MASTER_NONE else None
        try:
            for p, g, state in members:
                if not g.is_contiguous():
                    g = g.contiguous()  # read only: a contiguous copy gives the same bits
                    keepalive.append(g)
                row = [p.data_ptr(), g.data_ptr()]
                template = p  # what new state is made like: the parameter, or its values in the state's dtype
                if masters is not None:
                    master = self._master_of(p, state, master_mode, plan.created)
                    keepalive.append(master)
                    masters.append(master.data_ptr())
                    _watch(plan, state, _MASTER_KEYS[master_mode][0], master)
                    if state_type is not dtype:
                        template = master if master.dtype is state_type else None
                elif state_type is not dtype:
                    template = None
                for state_name in names:
                    buffer = state.get(state_name)
                    if buffer is None:
                        if template is None:
                            template = p.detach().to(dtype=state_type, memory_format=_torch.contiguous_format)
                        buffer = self._new_state(template, state_name, group)
                        state[state_name] = buffer
                        plan.created.append((state, state_name))
                    elif (buffer.dtype != state_type or buffer.shape != p.shape or not buffer.is_contiguous()
                          or buffer.device != p.device):
                        buffer = buffer.to(device=p.device, dtype=state_type).contiguous().view_as(p).clone()
                        state[state_name] = buffer
                    row.append(buffer.data_ptr())
                    _watch(plan, state, state_name, buffer)
                row.extend((0,) * (_capi.MAX_STATE - len(names)))
                row.append(p.numel())
                rows.extend(row)
        except BaseException:
            self._remove_created(plan)
            raise
        plan.table = _capi.pack(rows)
        plan.table_keepalive = keepalive
        if storage is not None:
            plan.storage = _capi.Storage(*storage)
            if masters is not None:
                plan.master = _capi.pack(masters)
        return plan

    def load_state_dict(self, state_dict):
        """torch's load_state_dict, keeping the dtypes mixed storage saved: torch casts every floating
        parameter's state tensors to the parameter's dtype, which would round a float32 master (or float32
        state of a half parameter) and scramble the int16 halves of a split master. Each such entry is
        loaded as saved instead: state["master_weight"] / ["master_weight_low"] always, a state buffer
        when its saved dtype is the one this optimizer's options give that parameter's state."""
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        super().load_state_dict(state_dict)
        master_keys = {key for key, _ in _MASTER_KEYS.values()}
        saved_ids = (i for g in saved_groups for i in g["params"])
        for group_index, group in enumerate(self.param_groups):
            master_mode, state_dtype, _, _ = self._storage_options(group)
            names = ()
            if master_mode != _capi.MASTER_NONE or state_dtype is not None:
                names = self._configure(group_index, group, _capi.FLOAT32).state_names()
            for p in group["params"]:
                saved = saved_state.get(next(saved_ids))
                if not saved or not p.is_floating_point() or p not in self.state:
                    continue
                state_type = self._state_type_of(p, master_mode, state_dtype)
                state = self.state[p]
                for key, value in saved.items():
                    loaded = state.get(key)
                    if (not isinstance(value, _torch.Tensor) or not isinstance(loaded, _torch.Tensor)
                            or loaded.dtype == value.dtype):
                        continue
                    if key in master_keys or (key in names and value.dtype is state_type):
                        state[key] = value.detach().to(device=p.device, copy=True)

    @staticmethod
    def _state_type_of(p, master_mode, state_dtype):
        """The dtype of a parameter's state under the options (as _storage_of, without the checks)."""
        if state_dtype is not None:
            return state_dtype
        if master_mode != _capi.MASTER_NONE and p.dtype in (_torch.bfloat16, _torch.float16):
            return _torch.float32
        return p.dtype

    def state_dict(self):
        """torch's state_dict, with each parameter's scalar counters as its own tensors (as torch keeps them)."""
        packed = super().state_dict()
        # torch's entries are the live per-parameter dicts: copy them, so the optimizer keeps its own counters.
        state = packed["state"]
        for index, entry in list(state.items()):
            state[index] = {key: (value.clone() if isinstance(value, _torch.Tensor) and value.dim() == 0 else value)
                            for key, value in entry.items()}
        return packed


_STORAGE_PARAMETERS = [inspect.Parameter("master_weights", inspect.Parameter.KEYWORD_ONLY, default=False),
                       inspect.Parameter("state_dtype", inspect.Parameter.KEYWORD_ONLY, default=None),
                       inspect.Parameter("stochastic_rounding", inspect.Parameter.KEYWORD_ONLY, default=False),
                       inspect.Parameter("rounding_seed", inspect.Parameter.KEYWORD_ONLY, default=0)]


def _with_numerics(torch_class):
    """The signature of torch_class.__init__ with keyword-only numerics=None, master_weights=False,
    state_dtype=None, stochastic_rounding=False and rounding_seed=0 added."""
    signature = inspect.signature(torch_class.__init__)
    parameters = list(signature.parameters.values())
    added = [inspect.Parameter("numerics", inspect.Parameter.KEYWORD_ONLY, default=None)] + _STORAGE_PARAMETERS
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters):
        parameters = [p for p in parameters if p.kind != inspect.Parameter.VAR_KEYWORD]
    return signature.replace(parameters=parameters + added)


def _set_storage_options(optimizer, master_weights, state_dtype, stochastic_rounding=False, rounding_seed=0):
    """The constructor's master_weights=, state_dtype=, stochastic_rounding= and rounding_seed=, checked
    before anything is built."""
    name = type(optimizer).__name__
    _master_option(name, master_weights)
    _state_dtype_option(name, state_dtype)
    _stochastic_option(name, stochastic_rounding)
    _seed_option(name, rounding_seed)
    optimizer._inertia_master_weights = master_weights
    optimizer._inertia_state_dtype = state_dtype
    optimizer._inertia_stochastic_rounding = stochastic_rounding
    optimizer._inertia_rounding_seed = rounding_seed


class _TorchDropIn(_InertiaStep):
    def __init__(self, params, *args, numerics=None, master_weights=False, state_dtype=None,
                 stochastic_rounding=False, rounding_seed=0, **kwargs):
        self._inertia_numerics = numerics
        _set_storage_options(self, master_weights, state_dtype, stochastic_rounding, rounding_seed)
        super().__init__(params, *args, **kwargs)
        # What torch's constructor does not check and the library refuses (momentum >= 1, ...): now, not at
        # the first step.
        for index, group in enumerate(self.param_groups):
            self._storage_options(group)
            self._configure(index, group, _capi.FLOAT32)
        self._inertia_ready = True

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
        # torch's first step (no buffer yet) initialises the buffer: inertia's t == 1; any later step is t >= 2.
        return (0 if state.get("momentum_buffer") is None else 1), None

    def _rounding_bucket_key(self, state, group):
        # heavy_ball reads t only as t == 1 (make the buffer) or not, but stochastic rounding draws by t:
        # t == 2 on every later step would round every step with the same bits (a weight whose update is
        # below its spacing would then never move, or always). So a stochastically rounded parameter counts
        # its steps in state["step"], as Adam does (torch's SGD ignores the key), and steps at t = that + 1,
        # kept at 1 while the momentum buffer is still to be made and at >= 2 once it exists (a torch
        # checkpoint has a buffer and no count).
        steps = self._steps_of(state, "step")
        if group.get("momentum"):
            steps = max(steps, 1) if state.get("momentum_buffer") is not None else 0
        return steps, None

    def _after_step(self, plan):
        # Plain SGD: torch 1.13 records momentum_buffer = None; torch 2.x (read in 2.15's sgd.py)
        # writes the key only when momentum != 0.
        if not plan.names and TORCH_VERSION < (2, 0):
            for state in plan.states:
                state["momentum_buffer"] = None
        if plan.storage is not None and plan.storage.rounding == _capi.ROUND_STOCHASTIC:
            self._advance_counter(plan, "step")


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
        return self._steps_of(state), (1.0 if mu is None else float(mu))

    def _scalars_before(self, plan):
        plan.handle.forget("mu_product")
        plan.handle.set("mu_product", plan.extra)

    def _scalars_after(self, plan):
        plan.extra = plan.handle.get("mu_product")
        plan.handle.forget("mu_product")
        product = _torch.tensor(plan.extra, dtype=_torch.float32)
        for state in plan.states:
            state["mu_product"] = product


class Adagrad(_TorchDropIn, _torch.optim.Adagrad):
    __doc__ = "torch.optim.Adagrad, stepped by inertia's adagrad."
    _variant = "adagrad"
    _options = (("lr", "lr"), ("lr_decay", "lr_decay"), ("weight_decay", "weight_decay"), ("eps", "eps"),
                ("initial_accumulator_value", "initial_accumulator_value"), ("maximize", "maximize"))

    def _new_state(self, p, name, group):
        return _torch.full_like(p, group["initial_accumulator_value"], memory_format=_torch.contiguous_format)


class RMSprop(_TorchDropIn, _torch.optim.RMSprop):
    __doc__ = ("torch.optim.RMSprop, stepped by inertia's rmsprop (bit for bit torch 2.x's loop and foreach "
               "paths and torch 1.13's); state square_avg, momentum_buffer (momentum > 0), grad_avg (centered).")
    _variant = "rmsprop"
    _options = (("lr", "lr"), ("alpha", "alpha"), ("eps", "eps"), ("weight_decay", "weight_decay"),
                ("momentum", "momentum"), ("centered", "centered"), ("maximize", "maximize"))

    def _advance_counter(self, plan):
        # torch 1.13's RMSprop counts steps in a Python int (state['step'] += 1, rmsprop.py); 2.x in a tensor.
        if TORCH_VERSION >= (2, 0):
            return super()._advance_counter(plan)
        for state in plan.states:
            state[self._step_key] = plan.steps


for _class in (SGD, Adam, AdamW, NAdam, Adagrad, RMSprop):
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

    def __init__(self, params, master_weights=False, state_dtype=None, stochastic_rounding=False, rounding_seed=0,
                 **options):
        _set_storage_options(self, master_weights, state_dtype, stochastic_rounding, rounding_seed)
        super().__init__(params, dict(options))
        for index, group in enumerate(self.param_groups):
            self._storage_options(group)
            self._configure(index, group, _capi.FLOAT32)
        self._inertia_ready = True

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
    parameters.extend(_STORAGE_PARAMETERS)
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


class _ScheduleFree(_InertiaStep, _torch.optim.Optimizer):
    """schedulefree's SGDScheduleFree / AdamWScheduleFree (PyPI `schedulefree`), stepped by inertia: the same
    group keys (k, lr_max, weight_sum, scheduled_lr, train_mode), state z (and exp_avg_sq), and train() /
    eval(), which must be called as schedulefree's are. Bit for bit with schedulefree on the same torch (on
    torch 2.x wheels, up to MKL's sqrt in AdamW: include/inertia/schedule_free_adamw.hpp). A group's k,
    lr_max and weight_sum advance when a step runs for it, as in schedulefree; a group none of whose
    parameters has a gradient is not stepped and does not advance (schedulefree advances it)."""

    _step_key = None  # schedulefree counts steps per group (group['k']), not per parameter
    _beta_key = None

    def __init__(self, params, defaults):
        super().__init__(params, defaults)
        for index, group in enumerate(self.param_groups):
            self._storage_options(group)
            self._configure(index, group, _capi.FLOAT32)
        self._inertia_ready = True

    def _storage_options(self, group):
        # eval()/train() swap the parameters with z in their own dtype: no master, state in the parameter's;
        # and their steps' storage call is not wired (no stochastic rounding).
        master_weights, state_dtype, stochastic, seed = self._raw_storage_options(group)
        if (_master_option(type(self).__name__, master_weights) != _capi.MASTER_NONE or state_dtype is not None
                or stochastic not in (None, False) or not (isinstance(seed, int) and seed == 0)):
            raise ValueError(f"{type(self).__name__}: master_weights, state_dtype, stochastic_rounding and "
                             "rounding_seed are not supported by the schedule-free optimizers")
        return _capi.MASTER_NONE, None, _capi.ROUND_NEAREST_EVEN, 0

    def _configure(self, index, group, dtype_code):
        # One order, the same on every torch: no numerics to choose (and no warning on torch 2).
        handle = self._handle(index, dtype_code, self._variant)
        try:
            for key, value in self._library_options(group).items():
                handle.set(key, value.item() if isinstance(value, _torch.Tensor) else value)
        except _capi.InertiaError as error:
            raise ValueError(f"{type(self).__name__}: {error}") from None
        return handle

    def _beta(self, group):
        return group["momentum"] if self._variant == "schedule_free_sgd" else group["betas"][0]

    def _new_state(self, p, name, group):
        if name == "z":  # schedulefree: torch.clone(p) at the first step
            return p.detach().clone(memory_format=_torch.contiguous_format)
        return _torch.zeros_like(p, memory_format=_torch.contiguous_format)

    def _bucket_key(self, state, group):
        return group["k"], None

    def _scalars_before(self, plan):
        # Every plan of a group starts from the group's scalars before this step (a group with tensors of
        # two dtypes is two plans, each one library call).
        lr_max, weight_sum = plan.group.get("_inertia_before", (plan.group["lr_max"], plan.group["weight_sum"]))
        plan.group["_inertia_before"] = (lr_max, weight_sum)
        for key, value in (("lr_max", lr_max), ("weight_sum", weight_sum)):
            plan.handle.forget(key)
            plan.handle.set(key, value)

    def _scalars_after(self, plan):
        group = plan.group
        group["lr_max"], group["weight_sum"] = plan.handle.get("lr_max"), plan.handle.get("weight_sum")
        for key in ("lr_max", "weight_sum"):
            plan.handle.forget(key)
        warmup = group["warmup_steps"]
        group["scheduled_lr"] = group["lr"] * ((plan.steps + 1) / warmup if plan.steps < warmup else 1.0)
        group["k"] = plan.steps + 1

    @_torch.no_grad()
    def step(self, closure=None, **kwargs):
        if not self.param_groups[0]["train_mode"]:
            raise Exception("Optimizer was not in train mode when step is called. Please insert .train() and "
                            ".eval() calls on the optimizer. See documentation for details.")
        try:
            return super().step(closure, **kwargs)
        finally:
            for group in self.param_groups:
                group.pop("_inertia_before", None)

    @_torch.no_grad()
    def _swap(self, to_eval):
        # Every parameter is checked before the first one is swapped: an error leaves them all as they were.
        for group in self.param_groups:
            if group["train_mode"] != to_eval:
                continue
            for p in group["params"]:
                if self.state[p].get("z") is None:
                    continue
                _check_param(type(self).__name__, p, 0)
                if _DTYPE_CODES[p.dtype] in _HALF_CODES:
                    raise TypeError(f"{type(self).__name__}.{'eval' if to_eval else 'train'}: a parameter has "
                                    f"dtype {p.dtype}; the swap is float32 and float64 only")
        for group in self.param_groups:
            if group["train_mode"] != to_eval:
                continue
            beta = self._beta(group)
            for p in group["params"]:
                z = self.state[p].get("z")
                if z is None:
                    continue
                z = z.to(device=p.device, dtype=p.dtype).contiguous()
                _capi.schedule_free_swap(to_eval, _DTYPE_CODES[p.dtype], p.data_ptr(), z.data_ptr(), p.numel(), beta)
            group["train_mode"] = not to_eval

    def eval(self):
        """Sets each parameter to x, the point to evaluate (and checkpoint) at: p.lerp_(z, 1 - 1/beta)."""
        self._swap(True)

    def train(self):
        """Sets each parameter back to y, where gradients are taken: p.lerp_(z, 1 - beta)."""
        self._swap(False)


class SGDScheduleFree(_ScheduleFree):
    _variant = "schedule_free_sgd"
    _options = (("lr", "lr"), ("momentum", "momentum"), ("weight_decay", "weight_decay"),
                ("warmup_steps", "warmup_steps"), ("r", "r"), ("weight_lr_power", "weight_lr_power"))

    def __init__(self, params, lr=1.0, momentum=0.9, weight_decay=0, warmup_steps=0, r=0.0, weight_lr_power=2,
                 foreach=None):
        if momentum <= 0 or momentum >= 1:  # as SGDScheduleFree's constructor (the library checks it per step)
            raise ValueError(f"Momentum must be between 0 and 1 exclusive: {momentum}")
        super().__init__(params, dict(lr=lr, momentum=momentum, r=r, k=0, warmup_steps=warmup_steps,
                                      train_mode=False, weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0,
                                      weight_lr_power=weight_lr_power, weight_decay=weight_decay, foreach=foreach))


class AdamWScheduleFree(_ScheduleFree):
    _variant = "schedule_free_adamw"
    _options = (("lr", "lr"), ("betas", "betas"), ("eps", "eps"), ("weight_decay", "weight_decay"),
                ("warmup_steps", "warmup_steps"), ("r", "r"), ("weight_lr_power", "weight_lr_power"))

    def __init__(self, params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0, foreach=None):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, r=r, k=0, warmup_steps=warmup_steps,
                                      train_mode=False, weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0,
                                      weight_lr_power=weight_lr_power, weight_decay=weight_decay, foreach=foreach))


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
Adan = _library_class("Adan", "adan", ("lr", "b1", "b2", "b3", "eps", "eps_root", "weight_decay"),
                      doc="Adan (optax.adan's equations; bias corrections multiplied): Nesterov momentum on "
                          "gradient differences; state m, v, n and g (the previous gradient).")
Lamb = _library_class("Lamb", "lamb", ("lr", "b1", "b2", "eps", "eps_root", "weight_decay"),
                      doc="LAMB (optax.lamb's equations; bias corrections multiplied): Adam's direction plus weight "
                          "decay, scaled by each parameter tensor's trust ratio ||w|| / ||u||; state mu and nu.")
EMA = _library_class("EMA", "ema", ("lr", "beta", "bias_correction"), flags=("bias_correction",),
                     doc="EMA momentum: v = beta*v + (1-beta)*g; w -= lr*v (Optax ema + scale(-lr)).")
del _class
