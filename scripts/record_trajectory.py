#!/usr/bin/python3
"""Record a torch.optim.SGD run in the "inertia-trajectory" JSON format, for inertia-check.

The loop: record a few steps of your own training in PyTorch, commit the file,
and have CI run `inertia-check run.json`: exit 0 means inertia's heavy_ball
step reproduces your PyTorch run bit for bit (or within --max-ulp), on the CPU
and ISA target CI has.

In your training loop (run with any Python that has torch; Debian's
/usr/bin/python3 with python3-torch works):

    import sys; sys.path.insert(0, "path/to/inertia/scripts")
    from record_trajectory import SGDRecorder

    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rec = SGDRecorder(opt, names=model.named_parameters())  # names are optional
    for step, batch in zip(range(20), loader):
        opt.zero_grad()
        loss_fn(model(batch.x), batch.y).backward()
        rec.step()                  # instead of opt.step(): records grad and lr, steps, records param and buffer
    rec.save("run.json")            # one case per parameter tensor

    $ inertia-check run.json

Every parameter tensor becomes one case (flattened; max_elements= keeps the
first elements of each tensor only, which is exact for the default for-loop
path). The learning rate may change between steps (schedulers); the other
hyperparameters must stay fixed. Recording may start mid-training: a momentum
buffer that already exists is written as the case's initial state. Each
parameter must get a gradient on every recorded step. float32 and float64 only;
fused=True is recorded with numerics "pytorch_fused" (torch 2.x on CPU).

As a command, records a small demonstration (a linear model on random data):

    /usr/bin/python3 scripts/record_trajectory.py demo.json --momentum 0.9 --nesterov --dtype float64
    inertia-check demo.json
"""

import argparse
import json
import math
import sys

FORMAT_VERSION = 1


def _floats(tensor, limit=None):
    """Exact Python floats of a tensor, flattened (float32 values are exact in a double)."""
    flat = tensor.detach().reshape(-1)
    if limit is not None:
        flat = flat[:limit]
    values = flat.cpu().double().tolist()
    for x in values:
        if not math.isfinite(x):
            raise ValueError("a non-finite value (NaN or infinity) cannot be written to JSON; "
                             "stop the recording before the run diverges")
    return values


class SGDRecorder:
    """Wraps a torch.optim.SGD and records every step() it makes."""

    HYPERPARAMETERS = ("momentum", "dampening", "weight_decay", "nesterov", "maximize")

    def __init__(self, optimizer, names=None, max_elements=None):
        import torch
        if not isinstance(optimizer, torch.optim.SGD):
            raise TypeError("SGDRecorder records torch.optim.SGD only (inertia's heavy_ball variant)")
        self.torch = torch
        self.optimizer = optimizer
        self.max_elements = max_elements
        self.names = {}
        if names is not None:
            items = names.items() if isinstance(names, dict) else names
            for name, p in items:
                self.names[id(p)] = name
        self.cases = []      # one per parameter, in param_groups order
        self._by_param = {}  # id(param) -> case
        self.steps = 0
        self.devices = set()

    def _group_settings(self, group):
        hp = {k: group.get(k, False if k in ("nesterov", "maximize") else 0.0) for k in self.HYPERPARAMETERS}
        hp = {k: (bool(v) if k in ("nesterov", "maximize") else float(v)) for k, v in hp.items()}
        numerics = "pytorch_fused" if group.get("fused") else "pytorch_loop"
        lr = group["lr"]
        lr = float(lr.item()) if hasattr(lr, "item") else float(lr)
        return hp, numerics, lr

    def step(self, closure=None):
        """Records the gradients and the learning rate, calls optimizer.step(), records the results."""
        pending = []
        for gi, group in enumerate(self.optimizer.param_groups):
            hp, numerics, lr = self._group_settings(group)
            for pi, p in enumerate(group["params"]):
                if p.grad is None:
                    raise ValueError(f"parameter {self.names.get(id(p), f'group{gi}.param{pi}')} has no gradient "
                                     f"at recorded step {self.steps + 1}; PyTorch would skip it, which the format "
                                     "cannot express: record only parameters that get a gradient every step")
                if p.grad.is_sparse:
                    raise ValueError("sparse gradients are not supported")
                if p.dtype not in (self.torch.float32, self.torch.float64):
                    raise ValueError(f"dtype {p.dtype} is not supported (float32 and float64 only)")
                self.devices.add(str(p.device))
                case = self._by_param.get(id(p))
                if case is None:
                    if self.steps != 0:
                        raise ValueError("a parameter was added to the optimizer during the recording")
                    limit = self.max_elements
                    if limit is not None and numerics == "pytorch_fused":
                        raise ValueError("max_elements cannot be used with fused=True: the fused kernel's "
                                         "rounding depends on an element's position in the whole tensor")
                    state = self.optimizer.state.get(p, {})
                    buffer = state.get("momentum_buffer")
                    initial = {"param": _floats(p, limit)}
                    if buffer is not None:
                        initial["momentum_buffer"] = _floats(buffer, limit)
                    case = {
                        "name": self.names.get(id(p), f"group{gi}.param{pi}"),
                        "variant": "heavy_ball",
                        "dtype": "float32" if p.dtype == self.torch.float32 else "float64",
                        "numerics": numerics,
                        "hyperparameters": hp,
                        "lr": [],
                        "initial": initial,
                        "steps": [],
                        "_param": p,
                    }
                    self._by_param[id(p)] = case
                    self.cases.append(case)
                elif case["hyperparameters"] != hp or case["numerics"] != numerics:
                    raise ValueError(f"{case['name']}: hyperparameters changed at step {self.steps + 1} "
                                     f"({case['hyperparameters']} -> {hp}); only lr may change")
                case["lr"].append(lr)
                pending.append((case, _floats(p.grad, self.max_elements)))
        loss = self.optimizer.step(closure)
        for case, grad in pending:
            p = case["_param"]
            buffer = self.optimizer.state.get(p, {}).get("momentum_buffer")
            case["steps"].append({
                "grad": grad,
                "param": _floats(p, self.max_elements),
                "momentum_buffer": None if (buffer is None or case["hyperparameters"]["momentum"] == 0)
                else _floats(buffer, self.max_elements),
            })
        self.steps += 1
        return loss

    def document(self, source=None):
        if source is None:
            source = (f"PyTorch {self.torch.__version__}: torch.optim.SGD on {', '.join(sorted(self.devices))}, "
                      f"recorded by scripts/record_trajectory.py")
        cases = []
        for c in self.cases:
            cases.append({k: v for k, v in c.items() if not k.startswith("_")})
        return {"format": "inertia-trajectory", "version": FORMAT_VERSION, "source": source,
                "generator": "scripts/record_trajectory.py", "cases": cases}

    def save(self, path, source=None):
        """Writes the recording (compact arrays, one step per line)."""
        if not self.cases or self.steps == 0:
            raise ValueError("nothing recorded: call step() at least once")
        if any(d != "cpu" for d in self.devices):
            print("record_trajectory: warning: parameters not on the CPU; inertia reproduces PyTorch's CPU "
                  "kernels, other devices may round differently", file=sys.stderr)
        doc = self.document(source)
        dump = lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
        lines = ["{", '"format":"inertia-trajectory","version":%d,' % FORMAT_VERSION,
                 '"source":' + dump(doc["source"]) + ",", '"generator":' + dump(doc["generator"]) + ",", '"cases":[']
        for ci, c in enumerate(doc["cases"]):
            head = {k: c[k] for k in ("name", "variant", "dtype", "numerics", "hyperparameters", "lr", "initial")}
            lines.append(dump(head)[:-1] + ',"steps":[')
            for si, s in enumerate(c["steps"]):
                lines.append(dump(s) + ("," if si + 1 < len(c["steps"]) else ""))
            lines.append("]}" + ("," if ci + 1 < len(doc["cases"]) else ""))
        lines += ["]", "}"]
        text = "\n".join(lines) + "\n"
        json.loads(text)
        with open(path, "w") as f:
            f.write(text)
        return len(text.encode())


def demo(argv=None):
    ap = argparse.ArgumentParser(description="Record a demonstration torch.optim.SGD run (a linear model on "
                                             "random data) for inertia-check.")
    ap.add_argument("output", help="the JSON file to write")
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--lr", type=float, default=0.1, help="lr of the first half; the second half uses lr/7")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--dampening", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--nesterov", action="store_true")
    ap.add_argument("--maximize", action="store_true")
    ap.add_argument("--fused", action="store_true", help="torch.optim.SGD(fused=True) (torch 2.x)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import torch
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    model = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).to(dtype)
    x = torch.randn(64, 7, dtype=dtype)
    y = torch.randn(64, 3, dtype=dtype)
    extra = {"fused": True} if args.fused else {}
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, dampening=args.dampening,
                          weight_decay=args.weight_decay, nesterov=args.nesterov, maximize=args.maximize, **extra)
    rec = SGDRecorder(opt, names=model.named_parameters())
    for step in range(args.steps):
        if step == args.steps // 2:
            for group in opt.param_groups:
                group["lr"] = args.lr / 7
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        rec.step()
    size = rec.save(args.output)
    print(f"wrote {args.output}: {len(rec.cases)} parameter tensors, {args.steps} steps, {size} bytes "
          f"(PyTorch {torch.__version__}); check it with: inertia-check {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(demo())
