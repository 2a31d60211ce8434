#!/usr/bin/python3
"""Record torch.optim.swa_utils.AveragedModel's EMA as an inertia-check trajectory of weight_ema.

    /tmp/torch2/bin/python scripts/record_swa_ema.py swa_ema.json     # torch >= 2.1 (get_ema_*_fn)
    inertia-check swa_ema.json

A model (tensors of 1, 7, 37 and 1003 elements, float32 and float64) takes
`--updates` random SGD steps; after each, AveragedModel.update_parameters
averages it in, through both EMA paths torch offers:
  multi_avg_fn=get_ema_multi_avg_fn(decay): torch._foreach_lerp_(ema, w, 1 - decay)
      -> weight_ema with rounding "torch_lerp"
  avg_fn=get_ema_avg_fn(decay): decay * ema + (1 - decay) * w, one tensor at a time
      -> weight_ema with rounding "mul_add"
torch has no warm-up (warmup false). AveragedModel's first update copies the
weights; that copy is the case's initial average, and every later update is
a recorded step ("weights" the model's, "average" the result).
"""

import argparse
import json
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output")
    ap.add_argument("--updates", type=int, default=30)
    ap.add_argument("--decays", type=float, nargs="*", default=[0.999, 0.9, 0.3])
    args = ap.parse_args(argv)

    import torch
    from torch.optim.swa_utils import AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn
    cases = []
    for dtype in (torch.float32, torch.float64):
        for decay in args.decays:
            for path, rounding in (("multi_avg_fn", "torch_lerp"), ("avg_fn", "mul_add")):
                torch.manual_seed(7)
                model = torch.nn.ParameterList(
                    [torch.nn.Parameter(torch.randn(n, dtype=dtype)) for n in (1, 7, 37, 1003)])
                fn = get_ema_multi_avg_fn(decay) if path == "multi_avg_fn" else get_ema_avg_fn(decay)
                averaged = AveragedModel(model, **{path: fn})
                averaged.update_parameters(model)  # the copy: the initial average
                name = f"{str(dtype).split('.')[-1]} decay {decay} {path}"
                per_tensor = [{"name": f"{name} [{p.numel()}]", "variant": "weight_ema",
                               "dtype": "float32" if dtype == torch.float32 else "float64",
                               "hyperparameters": {"decay": decay, "warmup": False, "rounding": rounding},
                               "initial": {"average": a.detach().double().tolist(), "step": 0}, "steps": []}
                              for p, a in zip(model, averaged.parameters())]
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                for _ in range(args.updates):
                    for p in model:
                        p.grad = torch.randn_like(p)
                    opt.step()
                    averaged.update_parameters(model)
                    for case, p, a in zip(per_tensor, model, averaged.parameters()):
                        case["steps"].append({"weights": p.detach().double().tolist(),
                                              "average": a.detach().double().tolist()})
                cases += per_tensor
    doc = {"format": "inertia-trajectory", "version": 1,
           "source": f"PyTorch {torch.__version__}: torch.optim.swa_utils.AveragedModel with get_ema_multi_avg_fn "
                     f"and get_ema_avg_fn, {args.updates} updates, recorded by scripts/record_swa_ema.py",
           "cases": cases}
    with open(args.output, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {args.output}: {len(cases)} cases (PyTorch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
