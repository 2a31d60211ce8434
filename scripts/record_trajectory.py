#!/usr/bin/python3
"""Record a torch.optim run from your own training loop, for inertia-check.

The loop: record a few steps of your own training in PyTorch, commit the file,
and have CI run `inertia-check run.json`: exit 0 means inertia's step
reproduces your PyTorch run bit for bit (or within --max-ulp), on the CPU and
ISA target CI has.

Any optimizer inertia has: torch.optim.SGD (heavy_ball), Adam (adam), AdamW
(adamw), NAdam (nadam) and Adagrad (adagrad). Their group options become the
variant's keys, and the path torch took (torch 1.13, or torch 2.x's loop,
foreach=True or fused=True) becomes inertia's `numerics` mode. The two lines
(run with any Python that has torch; this script needs nothing else, in
particular not inertia's Python package):

    sys.path.insert(0, "path/to/inertia/scripts"); from record_trajectory import record
    record(opt, "run.json", steps=20, names=model.named_parameters())   # then train as usual

    $ inertia-check run.json

After `steps` calls of opt.step() the file is written and the recorder
detaches itself. It hooks the optimizer's step: torch 2.x's
register_step_pre_hook / register_step_post_hook, or, on torch 1.13, which has
no step hooks, a wrapper around opt.step. record() returns the recorder:
rec.save(path) writes what it has so far, rec.detach() stops it.

What is recorded, per parameter tensor (one "case" each, flattened): the
parameter and every optimizer state tensor of its shape (exp_avg, sum,
momentum_buffer, ..., torch's state_dict names, which are inertia's) before the
first recorded step, the step count torch had then, and after every step the
gradient it read, the learning rate, the parameter and the state (NAdam's
mu_product as a number). Choose the parameters with params= (None: all;
names, given names=; or the tensors themselves) and max_elements= (the first N
elements of each; not with fused=True, whose kernel rounds an element by its
place in the whole tensor). The learning rate may change between steps
(schedulers); the other options must stay fixed. Each recorded parameter must
get a gradient on every recorded step. float32 and float64 CPU tensors only.

As a command, it trains a small demonstration (a 2-layer MLP on synthetic
data) with the recipe above and writes the recording:

    /usr/bin/python3 scripts/record_trajectory.py demo.json --optimizer adamw --steps 20
    inertia-check demo.json
"""

import argparse
import json
import math
import sys

FORMAT_VERSION = 1

# torch.optim class -> (inertia variant, the group options that are its keys).
# Checked most derived first: torch 2.x's AdamW is an Adam.
_OPTIMIZERS = (
    ("AdamW", "adamw", ("betas", "eps", "weight_decay", "amsgrad", "maximize")),
    ("Adam", "adam", ("betas", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay")),
    ("NAdam", "nadam", ("betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize")),
    ("Adagrad", "adagrad", ("lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")),
    ("SGD", "heavy_ball", ("momentum", "dampening", "weight_decay", "nesterov", "maximize")),
)
# The numerics modes each variant has (inertia-check --help lists them from the registry).
_MODES = {
    "heavy_ball": ("pytorch_loop", "pytorch_fused"),
    "adam": ("pytorch_loop", "pytorch_foreach", "pytorch_fused", "pytorch_1_13"),
    "adamw": ("pytorch_loop", "pytorch_foreach", "pytorch_fused", "pytorch_1_13"),
    "nadam": ("pytorch_loop", "pytorch_foreach", "pytorch_1_13"),
    "adagrad": ("pytorch_loop", "pytorch_foreach", "pytorch_fused", "pytorch_1_13"),
}
# Group options that change what torch computes and that inertia has no key for.
_UNSUPPORTED = {"capturable": False, "differentiable": False}


def torch_version(text):
    """(major, minor) of a torch.__version__ such as '2.15.0+cu132' or '1.13.0a0'."""
    parts = []
    for piece in text.split("+")[0].split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit()) if not piece.isdigit() else piece
        parts.append(int(digits or 0))
    return tuple(parts + [0] * (2 - len(parts)))


def numerics_mode(variant, version, foreach=None, fused=None):
    """inertia's numerics mode for the path torch `version` takes on the CPU.

    The same rule as python/inertia/torch.py's numerics_mode, for the modes
    _MODES lists: fused=True is pytorch_fused; torch 1.x is pytorch_1_13 where
    the variant has it (heavy_ball's loop is 1.13's); torch 2.x with
    foreach=True is pytorch_foreach where the variant has it (heavy_ball's
    foreach and loop agree), else, as torch's CPU default is its loop,
    pytorch_loop.
    """
    modes = _MODES[variant]
    if fused:
        wanted = ("pytorch_fused",)
    elif version < (2, 0):
        wanted = ("pytorch_1_13", "pytorch_loop")
    elif foreach:
        wanted = ("pytorch_foreach", "pytorch_loop")
    else:
        wanted = ("pytorch_loop",)
    for mode in wanted:
        if mode in modes:
            return mode
    raise ValueError(f"inertia's {variant} has no numerics mode for torch {version[0]}.{version[1]}'s "
                     f"{'fused' if fused else 'foreach' if foreach else 'loop'} path (it has {', '.join(modes)})")


def _number(x):
    return float(x.item()) if hasattr(x, "item") else float(x)


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


class TrajectoryRecorder:
    """Records every step() of a torch.optim optimizer that inertia has; see the module's help."""

    def __init__(self, optimizer, path=None, steps=None, names=None, params=None, max_elements=None):
        import torch
        self.torch = torch
        self.version = torch_version(torch.__version__)
        self.optimizer = optimizer
        for class_name, variant, keys in _OPTIMIZERS:
            cls = getattr(torch.optim, class_name, None)
            if cls is not None and isinstance(optimizer, cls):
                self.variant, self.keys, self.class_name = variant, keys, class_name
                break
        else:
            raise TypeError(f"{type(optimizer).__name__}: inertia has no variant for it (it has "
                            + ", ".join(f"torch.optim.{c} ({v})" for c, v, _ in _OPTIMIZERS) + ")")
        self.path, self.limit, self.max_elements = path, steps, max_elements
        self.names = {}
        if names is not None:
            for name, p in (names.items() if isinstance(names, dict) else names):
                self.names[id(p)] = name
        self.selected = None  # ids of the chosen tensors; None: all
        if params is not None:
            by_name = {name: pid for pid, name in self.names.items()}
            self.selected = set()
            for p in params:
                if isinstance(p, str):
                    if p not in by_name:
                        raise ValueError(f"params: no parameter named {p!r} (pass names=model.named_parameters(); "
                                         f"the names: {', '.join(sorted(by_name)) or 'none given'})")
                    self.selected.add(by_name[p])
                else:
                    self.selected.add(id(p))
        self.cases = []      # one per recorded parameter, in param_groups order
        self._by_param = {}  # id(param) -> case
        self._pending = []
        self.steps = 0
        self.saved = None
        self._handles = []
        self._original_step = None
        self._attach()

    # ---- hooking the step ----------------------------------------------------------------------

    def _attach(self):
        opt = self.optimizer
        if hasattr(opt, "register_step_pre_hook") and hasattr(opt, "register_step_post_hook"):
            self._handles = [opt.register_step_pre_hook(lambda o, args, kwargs: self._before()),
                             opt.register_step_post_hook(lambda o, args, kwargs: self._after())]
            self.hooked_by = "register_step_pre_hook/register_step_post_hook"
        else:  # torch 1.13: no step hooks; wrap the bound step (what torch's profiler hook wrapped too)
            original = opt.step
            recorder = self

            def step(*args, **kwargs):
                recorder._before()
                result = original(*args, **kwargs)
                recorder._after()
                return result

            opt.step = step
            self._original_step = original
            self.hooked_by = "a wrapper around optimizer.step"

    def detach(self):
        """Stops recording; the optimizer steps as before."""
        for h in self._handles:
            h.remove()
        self._handles = []
        if self._original_step is not None:
            self.optimizer.step = self._original_step
            self._original_step = None

    # ---- what a step reads and writes ----------------------------------------------------------

    def _group_settings(self, group):
        for key, harmless in _UNSUPPORTED.items():
            if group.get(key, harmless) != harmless:
                raise ValueError(f"{key}={group[key]!r}: inertia reproduces the plain CPU step only")
        hp = {}
        for key in self.keys:
            if key not in group:
                continue  # an option this torch lacks (1.13's NAdam has no maximize): the library's default is torch's
            value = group[key]
            if key == "betas":
                hp[key] = [_number(b) for b in value]
            elif isinstance(value, bool):
                hp[key] = value
            else:
                hp[key] = _number(value)
        numerics = numerics_mode(self.variant, self.version, group.get("foreach"), group.get("fused"))
        return hp, numerics, _number(group["lr"])

    def _state_of(self, p, limit):
        """The state tensors of p's shape by their names, and its scalar state (not 'step')."""
        arrays, scalars, step = {}, {}, None
        for key, value in self.optimizer.state.get(p, {}).items():
            if key == "step":
                step = int(_number(value))
            elif self.torch.is_tensor(value) and value.shape == p.shape:
                arrays[key] = _floats(value, limit)
            elif (self.torch.is_tensor(value) and value.numel() == 1) or isinstance(value, float):
                scalars[key] = _number(value)
        return arrays, scalars, step

    def _before(self):
        if self.limit is not None and self.steps >= self.limit:
            return
        self._pending = []
        for gi, group in enumerate(self.optimizer.param_groups):
            hp, numerics, lr = self._group_settings(group)
            for pi, p in enumerate(group["params"]):
                if self.selected is not None and id(p) not in self.selected:
                    continue
                name = self.names.get(id(p), f"group{gi}.param{pi}")
                if p.grad is None:
                    raise ValueError(f"parameter {name} has no gradient at recorded step {self.steps + 1}; torch "
                                     "skips it, which the format cannot express: record only parameters that get "
                                     "a gradient every step (params=)")
                if p.grad.is_sparse:
                    raise ValueError(f"{name}: sparse gradients are not supported")
                if p.dtype not in (self.torch.float32, self.torch.float64):
                    raise ValueError(f"{name}: dtype {p.dtype} is not supported (float32 and float64 only)")
                if p.device.type != "cpu":
                    raise ValueError(f"{name} is on {p.device}: inertia reproduces torch's CPU kernels")
                case = self._by_param.get(id(p))
                if case is None:
                    if self.steps != 0:
                        raise ValueError(f"{name} was added to the optimizer during the recording")
                    if self.max_elements is not None and numerics == "pytorch_fused":
                        raise ValueError("max_elements cannot be used with fused=True: the fused kernel rounds an "
                                         "element by its place in the whole tensor")
                    arrays, scalars, step = self._state_of(p, self.max_elements)
                    initial = {"param": _floats(p, self.max_elements), **arrays, **scalars}
                    if step is not None:
                        initial["step"] = step
                    case = {"name": name, "variant": self.variant,
                            "dtype": "float32" if p.dtype == self.torch.float32 else "float64",
                            "numerics": numerics, "hyperparameters": hp, "lr": [], "initial": initial,
                            "steps": [], "_param": p}
                    self._by_param[id(p)] = case
                    self.cases.append(case)
                elif case["hyperparameters"] != hp or case["numerics"] != numerics:
                    raise ValueError(f"{name}: options changed at step {self.steps + 1} ({case['hyperparameters']}, "
                                     f"{case['numerics']} -> {hp}, {numerics}); only lr may change")
                case["lr"].append(lr)
                self._pending.append((case, _floats(p.grad, self.max_elements)))

    def _after(self):
        if not self._pending:
            return
        for case, grad in self._pending:
            arrays, scalars, _ = self._state_of(case["_param"], self.max_elements)
            case["steps"].append({"grad": grad, "param": _floats(case["_param"], self.max_elements),
                                  **arrays, **scalars})
        self._pending = []
        self.steps += 1
        if self.limit is not None and self.steps >= self.limit:
            self.detach()
            if self.path is not None:
                self.saved = self.save(self.path)

    # ---- the file -------------------------------------------------------------------------------

    def document(self, source=None):
        if source is None:
            paths = sorted({c["numerics"] for c in self.cases})
            source = (f"PyTorch {self.torch.__version__}: torch.optim.{self.class_name} on CPU (numerics "
                      f"{', '.join(paths)}), {self.steps} steps recorded with {self.hooked_by} by "
                      "scripts/record_trajectory.py")
        cases = [{k: v for k, v in c.items() if not k.startswith("_")} for c in self.cases]
        return {"format": "inertia-trajectory", "version": FORMAT_VERSION, "source": source,
                "generator": "scripts/record_trajectory.py", "cases": cases}

    def save(self, path, source=None):
        """Writes the recording (compact arrays, one step per line); returns its size in bytes."""
        if not self.cases or self.steps == 0:
            raise ValueError("nothing recorded: the optimizer has not stepped since record()")
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
        with open(path, "w") as f:
            f.write(text)
        return len(text.encode())


def record(optimizer, path=None, steps=None, names=None, params=None, max_elements=None):
    """Starts recording `optimizer`'s steps; after `steps` of them writes `path` and stops. See the module's help."""
    return TrajectoryRecorder(optimizer, path, steps, names, params, max_elements)


# Kept for code written against the SGD-only recorder: rec.step() in place of opt.step().
class SGDRecorder(TrajectoryRecorder):
    def __init__(self, optimizer, names=None, max_elements=None):
        import torch
        if not isinstance(optimizer, torch.optim.SGD):
            raise TypeError("SGDRecorder records torch.optim.SGD only; use record() for any optimizer")
        super().__init__(optimizer, names=names, max_elements=max_elements)

    def step(self, closure=None):
        return self.optimizer.step(closure)


def demo(argv=None):
    ap = argparse.ArgumentParser(description="Train a 2-layer MLP on synthetic data with a torch.optim optimizer "
                                             "and record its steps for inertia-check (the module's recipe).")
    ap.add_argument("output", help="the JSON file to write")
    ap.add_argument("--optimizer", choices=("sgd", "adam", "adamw", "nadam", "adagrad"), default="adamw")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--lr", type=float, default=None, help="default: torch's for the optimizer (SGD: 0.1)")
    ap.add_argument("--schedule", action="store_true", help="halve lr every 5 steps (StepLR)")
    ap.add_argument("--foreach", action="store_true", help="foreach=True (torch's multi-tensor path)")
    ap.add_argument("--fused", action="store_true", help="fused=True (torch 2.x's fused CPU kernel)")
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                    help="another option of the optimizer, e.g. amsgrad=True, momentum=0.9, weight_decay=0.1")
    ap.add_argument("--params", nargs="*", default=None, help="record only these parameters (0.weight, 2.bias, ...)")
    ap.add_argument("--max-elements", type=int, default=None, help="record the first N elements of each")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--hidden", type=int, default=37, help="hidden units (37: sizes no vector width divides)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import torch
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    model = torch.nn.Sequential(torch.nn.Linear(13, args.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(args.hidden, 3)).to(dtype)
    x = torch.randn(256, 13, dtype=dtype)
    y = x[:, :3].sin() + 0.1 * torch.randn(256, 3, dtype=dtype)
    options = {}
    for text in args.option:
        key, _, value = text.partition("=")
        options[key] = {"True": True, "False": False}.get(value) if value in ("True", "False") else float(value)
    if args.foreach:
        options["foreach"] = True
    if args.fused:
        options["fused"] = True
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "nadam": torch.optim.NAdam, "adagrad": torch.optim.Adagrad}[args.optimizer]
    if args.lr is not None or args.optimizer == "sgd":
        options["lr"] = args.lr if args.lr is not None else 0.1
    opt = cls(model.parameters(), **options)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, 5, 0.5) if args.schedule else None

    # The recipe: one line before the loop, the loop as it was.
    rec = record(opt, args.output, steps=args.steps, names=model.named_parameters(), params=args.params,
                 max_elements=args.max_elements)
    for step in range(args.steps + 2):  # the last two steps run after the recording has detached
        batch = slice(64 * (step % 4), 64 * (step % 4 + 1))
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x[batch]), y[batch]).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
    if rec.saved is None:
        raise SystemExit("record_trajectory: the recording did not complete")
    print(f"wrote {args.output}: {len(rec.cases)} parameter tensors, {rec.steps} steps of torch.optim."
          f"{rec.class_name} ({rec.cases[0]['numerics']}), {rec.saved} bytes (PyTorch {torch.__version__}, "
          f"hooked by {rec.hooked_by}); check it with: inertia-check {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(demo())
