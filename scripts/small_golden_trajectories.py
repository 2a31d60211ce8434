#!/usr/bin/env python3
"""Writes the small framework goldens of tests/test_{qhm,aggmo,lion,weight_ema}.cpp as
"inertia-trajectory" files, so that inertia-check replays them too.

    python3 scripts/small_golden_trajectories.py     # writes tests/data/<variant>_small.json

Those goldens were recorded by scripts/golden_momentum_family.py (qhm, aggmo and
weight_ema from torch 1.13, lion from Optax run eagerly) and are printed into the
C++ tests as hexadecimal literals: each case is 3 steps of 16 elements from a
zero state, with the framework's parameter and state after the last step only.
This script reads them back out of the C++ (the tests stay their source of
truth) and writes one file per variant with a float32 and a float64 case each;
the first two steps record neither param nor state (null: not compared), the
third both. The hyperparameters are the comment above each case, translated to
the library's keys (Optax's b1/b2 are betas).
"""

import ast
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = {
    "qhm": ("tests/test_qhm.cpp", "torch_golden", "torch 1.13 (CPU capability AVX2): qhoptim's QHM ops (facebookresearch/qhoptim)"),
    "aggmo": ("tests/test_aggmo.cpp", "torch_golden", "torch 1.13 (CPU capability AVX2): the authors' AggMo ops (AtheMathmo/AggMo); velocities v = -buf"),
    "lion": ("tests/test_lion.cpp", "optax_golden", "Optax 0.2.8, jax 0.10.2: optax.lion update and apply_updates run eagerly"),
    "weight_ema": ("tests/test_weight_ema.cpp", "torch_golden", "torch 1.13 (CPU capability AVX2): ema.lerp_(param, 1 - decay_t) (torch_lerp) and timm ModelEmaV2's ema.copy_(decay * ema + (1 - decay) * param) (mul_add)"),
}
HEX = re.compile(r"-?0x[0-9a-fA-F.]+p[+-]?\d+")


def cases_of(path, table):
    text = (ROOT / path).read_text()
    start = text.index(f"const std::vector<small_golden> {table} = {{")
    body = text[text.index("{", start) : text.index("\n};", start) + 2]
    # Each case is preceded by its comment: "// variant {options}[; notes]".
    headers = [ast.literal_eval(m.group(1)) for m in re.finditer(r"//\s*\w+\s*(\{'[^}]*\})", body)]
    literal = re.sub(r"//[^\n]*", "", body)
    literal = HEX.sub(lambda m: repr(float.fromhex(m.group(0))), literal).replace("{", "[").replace("}", "]")
    cases = ast.literal_eval(literal.rstrip().rstrip(";"))
    assert len(cases) == len(headers), (path, len(cases), len(headers))
    return list(zip(headers, cases))


def hyperparameters(variant, options):
    """The library's keys (inertia.h, inertia_optimizer_set) for the comment's options."""
    out = dict(options)
    if "b1" in out:
        out["betas"] = [out.pop("b1"), out.pop("b2")]
    return out


def trajectory(variant, source, cases):
    out = []
    for index, (options, (initial, inputs, float32, float64)) in enumerate(cases):
        hp = hyperparameters(variant, options)
        lr = hp.pop("lr", None)
        for dtype, (param, state) in (("float32", float32), ("float64", float64)):
            name = f"{index}_{dtype}: " + ", ".join(f"{k} {v}" for k, v in options.items())
            case = {"name": name, "variant": variant, "dtype": dtype, "hyperparameters": hp}
            n = len(initial)
            if variant == "weight_ema":
                # The golden's param slot is the average; its inputs are the model's weights.
                case["initial"] = {"average": initial, "step": 0}
                case["steps"] = [{"weights": w, "average": None} for w in inputs]
                case["steps"][-1]["average"] = param
            else:
                case["lr"] = lr
                case["initial"] = {"param": initial}
                steps = [{"grad": g, "param": None} for g in inputs]
                steps[-1]["param"] = param
                if variant == "aggmo":
                    steps[-1]["velocities"] = [state[k * n : (k + 1) * n] for k in range(len(state) // n)]
                elif variant == "qhm":
                    steps[-1]["momentum_buffer"] = state
                else:
                    steps[-1]["exp_avg"] = state
                case["steps"] = steps
            out.append(case)
    return {
        "format": "inertia-trajectory",
        "version": 1,
        "source": source + ("; 3 updates of 16 elements from the initial average" if variant == "weight_ema"
                            else "; 3 steps of 16 elements from a zero state") + "; only the last step is recorded",
        "generator": "scripts/small_golden_trajectories.py, from the C++ goldens of scripts/golden_momentum_family.py",
        "cases": out,
    }


def main():
    for variant, (path, table, source) in SOURCES.items():
        doc = trajectory(variant, source, cases_of(path, table))
        target = ROOT / "tests" / "data" / f"{variant}_small.json"
        target.write_text(json.dumps(doc, indent=None) + "\n")
        print(f"{target.relative_to(ROOT)}: {len(doc['cases'])} cases")


if __name__ == "__main__":
    main()
