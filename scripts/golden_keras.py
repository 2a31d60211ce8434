#!/usr/bin/env python3
"""Golden sutskever trajectories from Keras 3's keras.optimizers.SGD (JAX backend).

Keras and JAX are large; install them in a throwaway virtual environment, never
in the project's test environment:

    python3 -m venv /tmp/fw && /tmp/fw/bin/pip install jax optax keras numpy
    /tmp/fw/bin/python scripts/golden_keras.py

Writes, in the "inertia-trajectory" format of scripts/golden_pytorch.py
(variant "sutskever", hyperparameters {momentum, nesterov}, state "velocity",
null when Keras keeps none), for float32 and float64:

  tests/data/sutskever_<dtype>.json      optimizer.apply_gradients() called
                                          eagerly: JAX dispatches every op on
                                          its own, nothing is fused.
  tests/data/sutskever_xla_<dtype>.json  optimizer.stateless_apply() under
                                          jax.jit, which is how model.fit()
                                          runs the update on the JAX backend:
                                          XLA fuses the update into one loop
                                          and contracts multiply-adds to FMA.

Cases: momentum 0 (Keras keeps no velocity), 0.9, 0.9 with nesterov=True; lr
0.1 for 12 steps, then 0.013 (set through optimizer.learning_rate, which Keras
allows). The inputs are those of scripts/golden_pytorch.py (make_inputs, case
indices 100..102). float64 runs with jax_enable_x64 and
keras.config.set_floatx("float64"): with the default floatx float32, Keras
keeps the learning rate in a float32 variable and casts that to float64, so a
float64 model steps with float(float32(lr)) (the script measures this too).

Besides writing the files, the script replays every trajectory with numpy
models of candidate operation orders (libm fma through ctypes) and prints the
max ULP difference of each, per step (restarting each step from the framework's
values) and free-running (the model on its own values, errors accumulate; this
is what tests/test_framework_golden.cpp sees when it replays the files through
inertia::sutskever_step, which follows the documented order).
"""

import argparse
import json
import math
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_pytorch as gp  # noqa: E402  (inputs, lr schedule, fma, ULP distance)

DTYPES = ("float32", "float64")
CASES = [  # (momentum, nesterov)
    (0.0, False),
    (0.9, False),
    (0.9, True),
]
SEED_OFFSET = 100


# ---------------------------------------------------------------------------
# Shared with scripts/golden_optax.py: writing, ULP tables, environment
# ---------------------------------------------------------------------------

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_trajectory(path, source, generator, notes, cases, state_key):
    """One inertia-trajectory file (version 1): compact arrays, one step per line.

    cases: dicts with name, variant, dtype, hyperparameters, lr (list),
    initial {"param": [...]}, steps [{"grad", "param", state_key}].
    """
    dump = lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
    lines = ["{", '"format":"inertia-trajectory","version":1,',
             '"source":' + dump(source) + ",",
             '"generator":' + dump(generator) + ",",
             '"notes":' + dump(notes) + ",",
             '"cases":[']
    for ci, c in enumerate(cases):
        lines.append("{")
        lines.append('"name":' + dump(c["name"]) + ',"variant":' + dump(c["variant"]) +
                     ',"dtype":' + dump(c["dtype"]) + ",")
        lines.append('"hyperparameters":' + dump(c["hyperparameters"]) + ",")
        lines.append('"lr":' + dump(c["lr"]) + ",")
        lines.append('"initial":' + dump(c["initial"]) + ",")
        lines.append('"steps":[')
        for si, s in enumerate(c["steps"]):
            step = {"grad": s["grad"], "param": s["param"], state_key: s[state_key]}
            lines.append(dump(step) + ("," if si + 1 < len(c["steps"]) else ""))
        lines.append("]")
        lines.append("}" + ("," if ci + 1 < len(cases) else ""))
    lines += ["]", "}"]
    text = "\n".join(lines) + "\n"
    doc = json.loads(text)
    # Round trip: every number must come back with the same bits.
    for a, b in zip(doc["cases"], cases):
        for sa, sb in zip(a["steps"], b["steps"]):
            for key in ("grad", "param", state_key):
                if sb[key] is not None:
                    assert gp._bits_equal(sa[key], sb[key]), (path, a["name"], key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return len(text.encode())


def to_list(arr):
    return None if arr is None else gp.to_list(arr)


def compare(models, trajectory, w0, dtype, step_fn):
    """Max ULP of each model against a recorded trajectory.

    models: {label: order}; step_fn(order, w, v, t) -> (w, v) for 1-based step t.
    trajectory: [(param, state or None)] per step.
    Returns {label: (per_step_max, free_running_max)}.
    """
    T = gp.np_dtype(dtype)
    out = {}
    for label, order in models.items():
        per_step = free = 0
        w_f = w0.astype(T)
        v_f = np.zeros_like(w_f)
        for t, (pw, pv) in enumerate(trajectory, 1):
            # Per step: start from the framework's own values of the previous step.
            w_p = w0.astype(T) if t == 1 else trajectory[t - 2][0].copy()
            v_p = np.zeros_like(w_p) if (t == 1 or trajectory[t - 2][1] is None) else trajectory[t - 2][1].copy()
            nw, nv = step_fn(order, w_p, v_p, t)
            per_step = max(per_step, gp.ulp_diff(nw, pw, dtype),
                           gp.ulp_diff(nv, pv, dtype) if pv is not None else 0)
            w_f, v_f = step_fn(order, w_f, v_f, t)
            free = max(free, gp.ulp_diff(w_f, pw, dtype), gp.ulp_diff(v_f, pv, dtype) if pv is not None else 0)
        out[label] = (per_step, free)
    return out


def print_table(title, results, documented, matching):
    print(f"    {title}")
    for label, (ps, fr) in results.items():
        mark = ""
        if label == documented:
            mark += "  <- documented order (the library)"
        if label == matching:
            mark += "  <- the order this recording follows"
        print(f"      {label:<58} per step {ps:>8}   free-running {fr:>8}{mark}")


# ---------------------------------------------------------------------------
# Models of the sutskever update (numpy scalars, libm fma)
# ---------------------------------------------------------------------------

def sutskever_model(dtype, lr, momentum, nesterov, order, grad):
    """Returns step(w, v) for one step with gradient grad, in the given order.

    order: (velocity, nesterov_term, plain):
      velocity / nesterov_term  'sep'  : (v*mu) - (g*lr), both products rounded (Keras' expression)
                                'fma_v': fma(v, mu, -(g*lr))    (g*lr rounded)
                                'fma_g': fma(-g, lr, v*mu)      (v*mu rounded)
      plain (momentum 0)        'sep'  : w - (g*lr)             'fma': fma(-g, lr, w)
    The parameter update w + v (or w + nesterov_term) is one rounded add.
    """
    T = gp.np_dtype(dtype)
    s_lr, s_mu = T(lr), T(momentum)
    fma = lambda a, x, y: gp.fma(a, x, y, dtype)
    v_order, n_order, plain = order

    def combine(v, g, how):
        if how == "sep":
            return T(T(v * s_mu) - T(g * s_lr))
        if how == "fma_v":
            return fma(v, s_mu, -T(g * s_lr))
        return fma(-g, s_lr, T(v * s_mu))

    def step(w, v):
        w = w.copy()
        v = v.copy()
        for i in range(len(w)):
            g = grad[i]
            if momentum == 0:
                w[i] = T(w[i] - T(g * s_lr)) if plain == "sep" else fma(-g, s_lr, w[i])
                continue
            v[i] = combine(v[i], g, v_order)
            w[i] = T(w[i] + (combine(v[i], g, n_order) if nesterov else v[i]))
        return w, v
    return step


def sutskever_orders(momentum, nesterov):
    if momentum == 0:
        return {"w - r(g*lr)": ("sep", "sep", "sep"), "fma(-g, lr, w)": ("sep", "sep", "fma")}
    names = {"sep": "r(v*mu) - r(g*lr)", "fma_v": "fma(v, mu, -r(g*lr))", "fma_g": "fma(-g, lr, r(v*mu))"}
    out = {}
    for vo in ("sep", "fma_v", "fma_g"):
        for no in (("sep", "fma_v", "fma_g") if nesterov else ("sep",)):
            label = "v = " + names[vo] + ("; w += " + names[no] if nesterov else "; w += v")
            out[label] = (vo, no, "sep")
    return out


def documented_sutskever(momentum, nesterov):
    return "w - r(g*lr)" if momentum == 0 else (
        "v = r(v*mu) - r(g*lr)" + ("; w += r(v*mu) - r(g*lr)" if nesterov else "; w += v"))


def xla_sutskever(momentum, nesterov):
    return "fma(-g, lr, w)" if momentum == 0 else (
        "v = fma(v, mu, -r(g*lr))" + ("; w += fma(v, mu, -r(g*lr))" if nesterov else "; w += v"))


# ---------------------------------------------------------------------------
# Keras
# ---------------------------------------------------------------------------

def keras_trajectory(keras, jax, jnp, dtype, momentum, nesterov, w0, grads, lrs, mode):
    T = gp.np_dtype(dtype)
    var = keras.Variable(w0.astype(T), dtype=dtype)
    opt = keras.optimizers.SGD(learning_rate=lrs[0], momentum=momentum, nesterov=nesterov)
    opt.build([var])
    out = []
    if mode == "eager":
        for lr, g in zip(lrs, grads):
            opt.learning_rate = lr
            opt.apply_gradients([(jnp.asarray(g.astype(T)), var)])
            vel = np.asarray(opt.momentums[0].value).copy() if momentum != 0 else None
            out.append((np.asarray(var.value).copy(), vel))
        return out
    # As keras/src/backend/jax/trainer.py: stateless_apply inside jax.jit.
    apply = jax.jit(opt.stateless_apply)
    paths = [v.path for v in opt.variables]
    lr_index = [i for i, p in enumerate(paths) if p.endswith("learning_rate")]
    mom_index = [i for i, p in enumerate(paths) if "momentum" in p]
    assert len(lr_index) == 1 and len(mom_index) == (1 if momentum != 0 else 0), paths
    opt_values = [v.value for v in opt.variables]
    train_values = [var.value]
    for lr, g in zip(lrs, grads):
        opt_values[lr_index[0]] = jnp.asarray(lr, dtype=opt_values[lr_index[0]].dtype)  # = learning_rate.assign(lr)
        train_values, opt_values = apply(opt_values, [jnp.asarray(g.astype(T))], train_values)
        vel = np.asarray(opt_values[mom_index[0]]).copy() if momentum != 0 else None
        out.append((np.asarray(train_values[0]).copy(), vel))
    return out


def case_name(momentum, nesterov):
    return "mu{}_nesterov{}".format(gp._fmt_hp(momentum), int(nesterov))


def main(argv=None):
    repo = os.path.dirname(HERE)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    args = ap.parse_args(argv)

    os.environ["KERAS_BACKEND"] = "jax"  # the XLA recordings jit stateless_apply with jax.jit
    import jax
    import jax.numpy as jnp
    import keras

    lrs = gp.lr_schedule()
    versions = f"Keras {keras.__version__} (backend {keras.backend.backend()}), jax {jax.__version__}, " \
               f"jaxlib {jax.lib.__version__ if hasattr(jax.lib, '__version__') else '?'}, numpy {np.__version__}"
    print(versions)
    print(f"CPU: {cpu_name()}")
    ok = True
    summary = []
    for dtype in DTYPES:
        jax.config.update("jax_enable_x64", dtype == "float64")
        keras.config.set_floatx(dtype)
        T = gp.np_dtype(dtype)
        for mode in ("eager", "xla"):
            cases = []
            print(f"\n{dtype}, {mode}:")
            for ci, (momentum, nesterov) in enumerate(CASES):
                w0, grads = gp.make_inputs(SEED_OFFSET + ci)
                traj = keras_trajectory(keras, jax, jnp, dtype, momentum, nesterov, w0, grads, lrs,
                                        "eager" if mode == "eager" else "jit")
                orders = sutskever_orders(momentum, nesterov)
                step_fn = lambda order, w, v, t: sutskever_model(
                    dtype, lrs[t - 1], momentum, nesterov, order, grads[t - 1].astype(T))(w, v)
                results = compare(orders, traj, w0, dtype, step_fn)
                documented = documented_sutskever(momentum, nesterov)
                expected = documented if mode == "eager" else xla_sutskever(momentum, nesterov)
                name = case_name(momentum, nesterov)
                print_table(name, results, documented, expected)
                if results[expected] != (0, 0):
                    ok = False
                    print(f"    ERROR: {expected!r} does not reproduce Keras ({mode}) bit for bit")
                summary.append((dtype, mode, name, results[documented]))
                cases.append({
                    "name": name, "variant": "sutskever", "dtype": dtype,
                    "hyperparameters": {"momentum": momentum, "nesterov": nesterov},
                    "lr": list(lrs),
                    "initial": {"param": to_list(w0.astype(T))},
                    "steps": [{"grad": to_list(g.astype(T)), "param": to_list(p), "velocity": to_list(v)}
                              for g, (p, v) in zip(grads, traj)],
                })
            how = ("keras.optimizers.SGD(...).apply_gradients() called eagerly (every op dispatched on its own)"
                   if mode == "eager" else
                   "keras.optimizers.SGD(...).stateless_apply() under jax.jit (as model.fit() runs it)")
            source = (f"{versions}; {how}; {dtype} variables"
                      + (", keras floatx float64, jax_enable_x64" if dtype == "float64" else "")
                      + f"; CPU {cpu_name()}; one variable of {gp.N_ELEMENTS} elements, {gp.N_STEPS} steps, "
                      "optimizer.learning_rate set before each step")
            if mode == "eager":
                notes = ("Keras' expression order, every product rounded: v = r(v*mu) - r(g*lr); "
                         "w = w + v (nesterov: w = w + (r(v*mu) - r(g*lr))); momentum 0: w = w - r(g*lr). "
                         "This is inertia's documented order: replays bit for bit.")
            else:
                notes = ("XLA (CPU with FMA) contracts: v = fma(v, mu, -r(g*lr)); w = w + v "
                         "(nesterov: w = w + fma(v, mu, -r(g*lr))); momentum 0: w = fma(-g, lr, w). "
                         "inertia's documented order differs by a few ULP per step.")
            suffix = "" if mode == "eager" else "_xla"
            path = os.path.join(args.out_dir, f"sutskever{suffix}_{dtype}.json")
            size = write_trajectory(path, source, "scripts/golden_keras.py", notes, cases, "velocity")
            print(f"  wrote {os.path.relpath(path, repo)}: {len(cases)} cases, {size} bytes")

    # float64 variables under the default floatx float32: the lr variable is float32.
    print("\nfloat64 variables with keras floatx float32 (the default), eager:")
    jax.config.update("jax_enable_x64", True)
    keras.config.set_floatx("float32")
    for ci, (momentum, nesterov) in enumerate(CASES):
        w0, grads = gp.make_inputs(SEED_OFFSET + ci)
        traj = keras_trajectory(keras, jax, jnp, "float64", momentum, nesterov, w0, grads, lrs, "eager")
        order = sutskever_orders(momentum, nesterov)[documented_sutskever(momentum, nesterov)]
        exact = compare({"lr": order}, traj, w0, "float64", lambda o, w, v, t: sutskever_model(
            "float64", lrs[t - 1], momentum, nesterov, o, grads[t - 1])(w, v))["lr"]
        rounded = compare({"lr": order}, traj, w0, "float64", lambda o, w, v, t: sutskever_model(
            "float64", float(np.float32(lrs[t - 1])), momentum, nesterov, o, grads[t - 1])(w, v))["lr"]
        print(f"    {case_name(momentum, nesterov):<16} documented order with lr: per step / free-running max ULP "
              f"{exact[0]} / {exact[1]};  with lr rounded to float32 first: {rounded[0]} / {rounded[1]}")
    keras.config.set_floatx("float32")

    print("\nSummary: documented order (inertia::sutskever_step) vs Keras, max ULP per step / free-running:")
    for dtype, mode, name, (ps, fr) in summary:
        print(f"  {dtype} {mode:<5} {name:<16} {ps:>6} / {fr}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
