#!/usr/bin/env python3
"""Small golden runs for QHM, AggMo, weight EMA (PyTorch) and Lion (Optax), printed as C++.

    /usr/bin/python3 scripts/golden_momentum_family.py torch    # Debian's python3-torch (1.13)
    /tmp/fw/bin/python scripts/golden_momentum_family.py optax  # a venv with jax + optax (see golden_optax.py)

Each case steps one 16-element parameter 3 times from a zero state with the
framework's own ops and prints the inputs and the final parameter and state as
hexadecimal floating-point literals, for the golden tests in
tests/test_{qhm,aggmo,weight_ema,lion}.cpp (which replay them through the
library on every target and thread count and demand the same bits). The
inputs are quantised to 8 significant bits, so the float32 and float64 cases
start from the same numbers.

torch (CPU, for-loop ops as the reference implementations write them):
  qhm         qhoptim/pyt/qhm.py (facebookresearch/qhoptim), weight_decay_type "grad"
  aggmo       src/aggmo.py (AtheMathmo/AggMo); the printed velocities are v = -buf
  weight_ema  ema.lerp_(param, 1 - decay_t) (swa_utils get_ema_multi_avg_fn, timm
              ModelEmaV3) and ema.copy_(decay * ema + (1 - decay) * param) (timm ModelEmaV2)
optax:
  lion        optax.lion, tx.update + optax.apply_updates run eagerly (op by op); the
              script also prints how far the same step under jax.jit lands.
"""

import sys

import numpy as np

N = 16
STEPS = 3


def quantize(x, bits=8):
    m, e = np.frexp(np.asarray(x, dtype=np.float64))
    return np.ldexp(np.round(np.ldexp(m, bits)), e - bits)


def inputs(seed):
    """w0 and STEPS gradients (float64 arrays exact in float32)."""
    rs = np.random.RandomState(seed)
    w0 = rs.standard_normal(N)
    w0[0] = 1e3 * rs.standard_normal()
    w0[1] = 1e-4 * rs.standard_normal()
    grads = []
    for t in range(STEPS):
        g = 0.5 * rs.standard_normal(N)
        g[2] = 1e3 * rs.standard_normal()
        g[3] = 1e-5 * rs.standard_normal()
        g[4] = 0.0
        grads.append(quantize(g))
    return quantize(w0), grads


def hexfloat(x):
    """float.hex() without the mantissa's trailing zeros: 0x1.7ap+7, -0x0p+0."""
    mantissa, exponent = float(x).hex().split("p")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + "p" + exponent


def cxx(values, indent):
    """A braced list of hex literals, wrapped at 116 columns."""
    items = [hexfloat(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]
    lines, line = [], "{"
    for k, item in enumerate(items):
        piece = item + ("}" if k + 1 == len(items) else ",")
        if len(line) + len(piece) + indent + 1 > 116:
            lines.append(line.rstrip())
            line = ""
        line += piece + " "
    lines.append(line.rstrip() if items else "{}")
    return ("\n" + " " * (indent + 1)).join(lines)


def emit(name, hp, w0, grads, outcomes, note=""):
    """One small_golden initializer (tests/small_golden.hpp); outcomes maps
    "float32" and "float64" to that type's final (param, state)."""
    print(f"  // {name} {hp}{note}")
    print(f"  {{{cxx(w0, 3)},")
    print("   {" + ",\n    ".join(cxx(g, 4) for g in grads) + "},")
    for k, dtype in enumerate(("float32", "float64")):
        param, state = outcomes[dtype]
        print(f"   {{{cxx(param, 4)},  // {dtype}")
        print(f"    {cxx(state, 4)}}}" + ("}," if k else ","))


# --------------------------------------------------------------------------- torch

def torch_qhm(torch, dtype, w0, grads, lr, nu, beta, wd):
    p = torch.tensor(w0, dtype=dtype)
    buf = torch.zeros_like(p)
    for g in grads:
        d_p = torch.tensor(g, dtype=dtype)
        if wd != 0:
            d_p.add_(p, alpha=wd)
        buf.mul_(beta).add_(d_p, alpha=1.0 - beta)
        p.add_(buf, alpha=-lr * nu)
        p.add_(d_p, alpha=-lr * (1.0 - nu))
    return p.numpy(), buf.numpy()


def torch_aggmo(torch, dtype, w0, grads, lr, betas, wd):
    p = torch.tensor(w0, dtype=dtype)
    bufs = [torch.zeros_like(p) for _ in betas]
    for g in grads:
        d_p = torch.tensor(g, dtype=dtype)
        if wd != 0:
            d_p.add_(p, alpha=wd)
        for beta, buf in zip(betas, bufs):
            buf.mul_(beta).add_(d_p)
            p.sub_(buf, alpha=lr / float(len(betas)))
    return p.numpy(), np.concatenate([-b.numpy() for b in bufs])


def torch_weight_ema(torch, dtype, w0, params, decay, warmup, rounding):
    ema = torch.tensor(w0, dtype=dtype)
    for t, w in enumerate(params):
        current = torch.tensor(w, dtype=dtype)
        d = min(decay, (1.0 + t) / (10.0 + t)) if warmup else decay
        if rounding == "torch_lerp":
            ema.lerp_(current, 1.0 - d)
        else:
            ema.copy_(d * ema + (1.0 - d) * current)
    return ema.numpy(), []


def run_torch():
    import torch
    capability = [line.split(":")[-1].strip() for line in torch.__config__.show().splitlines()
                  if "CPU capability" in line]
    print(f"// torch {torch.__version__}, CPU capability {capability[0] if capability else '?'}")
    dtypes = {"float32": torch.float32, "float64": torch.float64}
    for case, (lr, nu, beta, wd) in enumerate([(0.1, 0.7, 0.999, 0.0), (0.05, 0.3, 0.9, 0.01)]):
        w0, grads = inputs(100 + case)
        outcomes = {name: torch_qhm(torch, dtype, w0, grads, lr, nu, beta, wd) for name, dtype in dtypes.items()}
        emit("qhm", dict(lr=lr, nu=nu, beta=beta, weight_decay=wd), w0, grads, outcomes)
    for case, (lr, betas, wd) in enumerate([(0.1, [0.0, 0.9, 0.99], 0.0), (0.03, [0.5, 0.999], 0.01)]):
        w0, grads = inputs(200 + case)
        outcomes = {name: torch_aggmo(torch, dtype, w0, grads, lr, betas, wd) for name, dtype in dtypes.items()}
        emit("aggmo", dict(lr=lr, betas=betas, weight_decay=wd), w0, grads, outcomes)
    for case, (decay, warmup, rounding) in enumerate(
            [(0.999, True, "torch_lerp"), (0.9, False, "torch_lerp"), (0.3, False, "torch_lerp"),
             (0.999, True, "mul_add"), (0.9, False, "mul_add")]):
        w0, params = inputs(300 + case)
        outcomes = {name: torch_weight_ema(torch, dtype, w0, params, decay, warmup, rounding)
                    for name, dtype in dtypes.items()}
        emit("weight_ema", dict(decay=decay, warmup=warmup, rounding=rounding), w0, params, outcomes)


# --------------------------------------------------------------------------- optax

def optax_lion(jax, optax, name, w0, grads, lr, b1, b2, wd):
    """Eager and jitted runs; returns the eager (param, mu) and how many final
    values the jitted run gives differently."""
    jax.config.update("jax_enable_x64", name == "float64")
    import jax.numpy as jnp
    tx = optax.lion(learning_rate=lr, b1=b1, b2=b2, weight_decay=wd)

    def step(p, s, g):
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    jitted = jax.jit(step)
    p = p_jit = jnp.asarray(w0, dtype=name)
    s = s_jit = tx.init(p)
    for g in grads:
        g = jnp.asarray(g, dtype=name)
        p, s = step(p, s, g)
        p_jit, s_jit = jitted(p_jit, s_jit, g)
    mu = np.asarray(s[0].mu)
    differ = int(np.sum(np.asarray(p) != np.asarray(p_jit)) + np.sum(mu != np.asarray(s_jit[0].mu)))
    return (np.asarray(p), mu), differ


def run_optax():
    import jax
    import optax
    print(f"// jax {jax.__version__}, optax {optax.__version__}, eager; float64 with jax_enable_x64")
    for case, (lr, b1, b2, wd) in enumerate([(0.01, 0.9, 0.99, 0.1), (0.003, 0.9, 0.99, 0.0), (0.02, 0.5, 0.5, 0.0)]):
        w0, grads = inputs(400 + case)
        runs = {name: optax_lion(jax, optax, name, w0, grads, lr, b1, b2, wd) for name in ("float32", "float64")}
        jit = ", ".join(f"{name} {differ}" for name, (_, differ) in runs.items())
        emit("lion", dict(lr=lr, b1=b1, b2=b2, weight_decay=wd), w0, grads,
             {name: outcome for name, (outcome, _) in runs.items()},
             f"; under jax.jit these final values of {2 * N} differ: {jit}")


if __name__ == "__main__":
    {"torch": run_torch, "optax": run_optax}[sys.argv[1]]()
