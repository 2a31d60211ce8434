"""inertia: SIMD, OpenMP momentum-family optimizer steps (the C++ library's generic C ABI).

- ``inertia.numpy``: in-place steps on NumPy arrays, one function per registered variant.
- ``inertia.torch``: drop-in ``torch.optim`` optimizers (SGD, Adam, AdamW, NAdam, Adagrad, and
  Lion, Signum, QHM, AggMo, LARS, Sutskever, EMA) with torch's bits and state_dict format.

``inertia.torch`` is imported on its own (``import inertia.torch``), so that torch stays optional.
"""

from ._capi import (InertiaError, StepPolicy, StepReport, arch, set_arch, set_num_threads,
                    variant_names, version)

__version__ = version()

__all__ = ["InertiaError", "StepPolicy", "StepReport", "arch", "set_arch", "set_num_threads", "variant_names",
           "version", "__version__"]
