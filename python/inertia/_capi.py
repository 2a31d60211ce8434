"""ctypes over libinertia's generic C ABI (include/inertia/inertia.h, `inertia_optimizer_*`).

Why ctypes and not a compiled extension: one optimizer step is one foreign call
per parameter group, so the call itself costs about a microsecond either way;
what costs is gathering the tensors' pointers, which is Python work in both
designs. ctypes needs no Python or torch headers at build time, so one
libinertia.so serves every CPython 3 and every torch (README, "Python").

The tensor table of a step is packed as a flat array of 64-bit words laid out
as `inertia_tensor` (param, grad, state[8], size) and handed over by address.
"""

import array
import ctypes
import os

MAX_STATE = 8
TENSOR_WORDS = 2 + MAX_STATE + 1  # param, grad, state[MAX_STATE], size

FLOAT32 = 0
FLOAT64 = 1
BFLOAT16 = 2  # 16-bit storage, float math (include/inertia/half.hpp)
FLOAT16 = 3

# inertia_master_weights (inertia_storage.master_weights): where a step's float32 weights live.
MASTER_NONE = 0  # the parameter is the only copy
MASTER_FLOAT32 = 1  # a float32 master array beside a bf16/fp16 parameter (the parameter: the master rounded)
MASTER_SPLIT = 2  # split bf16: the parameter holds the master's top 16 bits, a uint16 array the bottom 16

# inertia_status, in the header's order.
OK = 0
ERROR_NULL_POINTER = 1
ERROR_LENGTH = 2
ERROR_OVERLAP = 3
ERROR_HYPERPARAMETER = 4
ERROR_INTERNAL = 5
ERROR_UNKNOWN_NAME = 6
ERROR_WRONG_KIND = 7
ERROR_UNUSED_STATE = 8
ERROR_DTYPE = 9


class InertiaError(Exception):
    """A failing C call: `status` is the inertia_status, the message the library's."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class InertiaValueError(InertiaError, ValueError):
    pass


class InertiaTypeError(InertiaError, TypeError):
    pass


class InertiaRuntimeError(InertiaError, RuntimeError):
    pass


_ERROR_CLASS = {
    ERROR_NULL_POINTER: InertiaValueError,
    ERROR_LENGTH: InertiaValueError,
    ERROR_OVERLAP: InertiaValueError,
    ERROR_HYPERPARAMETER: InertiaValueError,
    ERROR_UNKNOWN_NAME: InertiaValueError,
    ERROR_WRONG_KIND: InertiaTypeError,
    ERROR_UNUSED_STATE: InertiaValueError,
    ERROR_DTYPE: InertiaTypeError,
}


class StepPolicy(ctypes.Structure):
    """inertia_step_policy: per element g / grad_scale, then global-norm clip, then value clip;
    skip_non_finite skips the whole call on a NaN/Inf gradient (GradScaler's rule)."""

    _fields_ = [
        ("grad_scale", ctypes.c_double),
        ("skip_non_finite", ctypes.c_int),
        ("clip_value", ctypes.c_double),
        ("max_norm", ctypes.c_double),
        ("flush_denormals", ctypes.c_int),
    ]

    def __init__(self, grad_scale=1.0, skip_non_finite=False, clip_value=0.0, max_norm=0.0, flush_denormals=False):
        super().__init__(float(grad_scale), int(bool(skip_non_finite)), float(clip_value), float(max_norm),
                         int(bool(flush_denormals)))

    def __repr__(self):
        return (f"StepPolicy(grad_scale={self.grad_scale}, skip_non_finite={bool(self.skip_non_finite)}, "
                f"clip_value={self.clip_value}, max_norm={self.max_norm}, "
                f"flush_denormals={bool(self.flush_denormals)})")


class StepReport(ctypes.Structure):
    """inertia_step_report: skipped (a non-finite gradient, nothing written); grad_norm (NaN unless max_norm)."""

    _fields_ = [("skipped", ctypes.c_int), ("grad_norm", ctypes.c_double)]

    def __repr__(self):
        return f"StepReport(skipped={bool(self.skipped)}, grad_norm={self.grad_norm})"


ROUND_NEAREST_EVEN, ROUND_STOCHASTIC = 0, 1


class Storage(ctypes.Structure):
    """inertia_storage: the dtype codes of a step's parameters, gradients and state, and its master weights
    (MASTER_*). The math is float32 whatever they are; see the header's "Mixed storage and master weights"."""

    _fields_ = [
        ("param_dtype", ctypes.c_int),
        ("grad_dtype", ctypes.c_int),
        ("state_dtype", ctypes.c_int),
        ("master_weights", ctypes.c_int),
        ("rounding", ctypes.c_int),  # ROUND_NEAREST_EVEN or ROUND_STOCHASTIC
        ("seed", ctypes.c_ulonglong),  # ROUND_STOCHASTIC's Philox key
    ]

    def __init__(self, param_dtype=FLOAT32, grad_dtype=None, state_dtype=None, master_weights=MASTER_NONE,
                 rounding=0, seed=0):
        super().__init__(int(param_dtype), int(param_dtype if grad_dtype is None else grad_dtype),
                         int(param_dtype if state_dtype is None else state_dtype), int(master_weights),
                         int(rounding), int(seed))

    def key(self):
        return (self.param_dtype, self.grad_dtype, self.state_dtype, self.master_weights, self.rounding, self.seed)

    def __repr__(self):
        return (f"Storage(param_dtype={self.param_dtype}, grad_dtype={self.grad_dtype}, "
                f"state_dtype={self.state_dtype}, master_weights={self.master_weights}, rounding={self.rounding}, "
                f"seed={self.seed})")


def _library_path():
    override = os.environ.get("INERTIA_LIBRARY")
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "libinertia.so")


def _load():
    path = _library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(f"inertia: cannot load the native library {path} ({error}); "
                          "install the package with `pip install .` from the repository root") from None
    c_char_p, c_void_p, c_size_t, c_double, c_int = (ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t,
                                                     ctypes.c_double, ctypes.c_int)
    signatures = {
        "inertia_status_string": (c_char_p, [c_int]),
        "inertia_last_error": (c_char_p, []),
        "inertia_version": (c_char_p, []),
        "inertia_set_num_threads": (None, [c_int]),
        "inertia_set_arch": (c_int, [c_char_p]),
        "inertia_arch": (c_char_p, []),
        "inertia_variant_count": (c_size_t, []),
        "inertia_variant_name": (c_char_p, [c_size_t]),
        "inertia_optimizer_create": (c_int, [c_char_p, ctypes.POINTER(c_void_p)]),
        "inertia_optimizer_destroy": (None, [c_void_p]),
        "inertia_optimizer_variant": (c_char_p, [c_void_p]),
        "inertia_optimizer_set": (c_int, [c_void_p, c_char_p, c_double]),
        "inertia_optimizer_set_array": (c_int, [c_void_p, c_char_p, ctypes.POINTER(c_double), c_size_t]),
        "inertia_optimizer_set_string": (c_int, [c_void_p, c_char_p, c_char_p]),
        "inertia_optimizer_get": (c_int, [c_void_p, c_char_p, ctypes.POINTER(c_double)]),
        "inertia_optimizer_state_count": (c_size_t, [c_void_p]),
        "inertia_optimizer_state_name": (c_char_p, [c_void_p, c_size_t]),
        # tensors: the packed table's address (an int); policy, report: structures or None.
        "inertia_optimizer_step": (c_int, [c_void_p, c_int, c_void_p, c_size_t, ctypes.c_longlong,
                                           ctypes.POINTER(StepPolicy), ctypes.POINTER(StepReport)]),
        # The same with the buffers' types in a Storage; master: an array of count pointers (an int) or None.
        "inertia_optimizer_step_storage": (c_int, [c_void_p, ctypes.POINTER(Storage), c_void_p, c_void_p, c_size_t,
                                                   ctypes.c_longlong, ctypes.POINTER(StepPolicy),
                                                   ctypes.POINTER(StepReport)]),
        # Schedule-Free's eval()/train() swap: param (in place), z, n, beta; pointers as ints.
        "inertia_schedule_free_eval_f32": (c_int, [c_void_p, c_void_p, c_size_t, c_double]),
        "inertia_schedule_free_eval_f64": (c_int, [c_void_p, c_void_p, c_size_t, c_double]),
        "inertia_schedule_free_train_f32": (c_int, [c_void_p, c_void_p, c_size_t, c_double]),
        "inertia_schedule_free_train_f64": (c_int, [c_void_p, c_void_p, c_size_t, c_double]),
        # float32 <-> bfloat16 / float16: destination dtype, destination, source dtype, source, count.
        "inertia_convert": (c_int, [c_int, c_void_p, c_int, c_void_p, c_size_t]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


lib = _load()
_step = lib.inertia_optimizer_step
_step_storage = lib.inertia_optimizer_step_storage


def last_error():
    return lib.inertia_last_error().decode()


def raise_status(status, context=None):
    """Raises the Python exception for a failing inertia_status, with the library's message."""
    message = last_error()
    if context:
        message = f"{context}: {message}"
    raise _ERROR_CLASS.get(status, InertiaRuntimeError)(message, status)


def version():
    return lib.inertia_version().decode()


def variant_names():
    return [lib.inertia_variant_name(i).decode() for i in range(lib.inertia_variant_count())]


def set_num_threads(threads):
    """OpenMP threads of every later step; 0 = OpenMP's default."""
    lib.inertia_set_num_threads(int(threads))


def set_arch(name):
    """Forces the ISA target ("scalar", "sse2", "avx2", "avx512f", "avx512bf16", or "auto"); every target gives the same bits."""
    status = lib.inertia_set_arch(name.encode())
    if status != OK:
        raise_status(status)


def arch():
    return lib.inertia_arch().decode()


class Handle:
    """One inertia_optimizer: one parameter group of one variant, its options and scalar state."""

    __slots__ = ("_pointer", "variant", "_values", "_state_names", "__weakref__")

    def __init__(self, variant):
        pointer = ctypes.c_void_p()
        status = lib.inertia_optimizer_create(variant.encode(), ctypes.byref(pointer))
        if status != OK:
            raise_status(status)
        self._pointer = pointer.value
        self.variant = variant
        self._values = {}  # what was set last, so that an unchanged option costs no call
        self._state_names = None  # state_names() until an option changes

    def __reduce__(self):
        # A copy would share the C handle and free it twice.
        raise TypeError("an inertia handle cannot be copied or pickled; make another with Handle(variant)")

    def __del__(self):
        pointer = getattr(self, "_pointer", None)
        if pointer:
            lib.inertia_optimizer_destroy(pointer)
            self._pointer = None

    def set(self, key, value):
        """Sets an option by its framework key: a number or flag, a sequence (betas), or a string (numerics)."""
        previous = self._values.get(key, _UNSET)
        if previous is not _UNSET and type(previous) is type(value) and previous == value:
            return
        encoded = key.encode()
        self._state_names = None  # options decide which state buffers a step takes
        if isinstance(value, str):
            status = lib.inertia_optimizer_set_string(self._pointer, encoded, value.encode())
        elif isinstance(value, (tuple, list)):
            try:
                values = (ctypes.c_double * len(value))(*[float(v) for v in value])
            except (TypeError, ValueError):
                raise TypeError(f"{self.variant}: option {key} must be a sequence of numbers, got {value!r}") from None
            status = lib.inertia_optimizer_set_array(self._pointer, encoded, values, len(value))
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"{self.variant}: option {key} must be a number, got {value!r}") from None
            status = lib.inertia_optimizer_set(self._pointer, encoded, number)
        if status != OK:
            self._values.pop(key, None)
            raise_status(status)
        self._values[key] = tuple(value) if isinstance(value, list) else value

    def get(self, key):
        out = ctypes.c_double()
        status = lib.inertia_optimizer_get(self._pointer, key.encode(), ctypes.byref(out))
        if status != OK:
            raise_status(status)
        return out.value

    def has(self, key):
        """Whether the variant declares the option (or scalar state) `key`: a get that fails with unknown name."""
        out = ctypes.c_double()
        status = lib.inertia_optimizer_get(self._pointer, key.encode(), ctypes.byref(out))
        return status != ERROR_UNKNOWN_NAME

    def forget(self, key):
        """Scalar state written by a step (NAdam's mu_product): the next set must reach the library."""
        self._values.pop(key, None)

    def state_names(self):
        """The state buffers a step takes with the options set now (a new list each call)."""
        names = self._state_names
        if names is None:
            names = self._state_names = tuple(lib.inertia_optimizer_state_name(self._pointer, i).decode()
                                              for i in range(lib.inertia_optimizer_state_count(self._pointer)))
        return list(names)

    def step(self, dtype, table, count, step, policy=None, report=None):
        """One step of `count` tensors packed in `table` (array('Q'), TENSOR_WORDS words each)."""
        status = _step(self._pointer, dtype, table.buffer_info()[0] if count else None, count, step, policy, report)
        if status != OK:
            raise_status(status)

    def step_storage(self, storage, table, master, count, step, policy=None, report=None):
        """One step of `count` tensors whose buffers have the types in `storage` (a Storage); `master`: None
        (MASTER_NONE) or an array('Q') of count master pointers (float32, or uint16 bottom halves for
        MASTER_SPLIT; 0 only for an empty tensor)."""
        status = _step_storage(self._pointer, storage, table.buffer_info()[0] if count else None,
                               master.buffer_info()[0] if master is not None and count else None, count, step,
                               policy, report)
        if status != OK:
            raise_status(status)


_UNSET = object()


def schedule_free_swap(to_eval, dtype, param_pointer, z_pointer, n, beta):
    """schedulefree's optimizer.eval() (to_eval) or .train() on one tensor, in place (include/inertia/schedule_free.hpp)."""
    name = f"inertia_schedule_free_{'eval' if to_eval else 'train'}_{'f32' if dtype == FLOAT32 else 'f64'}"
    status = getattr(lib, name)(param_pointer, z_pointer, n, float(beta))
    if status != OK:
        raise_status(status)


def convert(destination_dtype, destination_pointer, source_dtype, source_pointer, count):
    """count elements from source into destination (float32 <-> bfloat16 / float16; include/inertia/half.hpp)."""
    status = lib.inertia_convert(destination_dtype, destination_pointer, source_dtype, source_pointer, count)
    if status != OK:
        raise_status(status)


def pack(rows):
    """The inertia_tensor table of a step from a flat list of ints (TENSOR_WORDS per tensor; 0 is NULL)."""
    return array.array("Q", rows)


assert array.array("Q").itemsize == 8 and ctypes.sizeof(ctypes.c_void_p) == 8, "inertia: a 64-bit platform only"
