"""The playground's settings: a page's URL query keys — ``train``'s option names, every value a
string — checked, completed and written back in one canonical form; the
:class:`~backproplab.app.config.TrainConfig` they stand for; and the ``train`` command line
that makes the same run.

Why strings in and strings out: the page keeps its state in its URL, so that a link reproduces
it. Normalising (``lr=1e-3`` → ``0.001``, a setting that does not apply → ``""``) makes equal
states equal URLs, and tells the session which keys really changed.

Some settings follow others unless given in the same change, as a person at the page expects:
a new data set brings its own n, noise and test split; a new optimizer its own learning rate,
momentum and weight decay (train's defaults, so ``adam`` does not inherit gd's lr of 1.0); a
new schedule its own settings.
"""

import inspect

from ...data.datasets import CLASSES, FIXED, GENERATORS, NOISELESS
from ...errors import BackproplabError
from ...limits import (
    PLAYGROUND_MAX_EPOCHS,
    PLAYGROUND_MAX_LAYERS,
    PLAYGROUND_MAX_POINTS,
    PLAYGROUND_MAX_UNITS,
)
from ...nn.activations import ACTIVATIONS
from ...nn.losses import LOSSES, OUTPUTS
from ...nn.optimizers import DEFAULT_LR, OPTIMIZERS
from ...nn.schedules import SCHEDULES
from ..config import MOMENTUM_OPTIMIZERS, TrainConfig
from .parsing import DATASETS, PARSE, POINTS, number, whole

KEYS = ("data", "n", "noise", "test-fraction", "data-seed", "hidden", "activation", "output",
        "loss", "optimizer", "lr", "momentum", "weight-decay", "l1", "batch-size", "schedule",
        "step-size", "gamma", "t-max", "eta-min", "seed", "epochs", "stop-at-loss", "speed",
        "play")
LIVE = {"lr", "momentum", "weight-decay", "l1", "stop-at-loss", "epochs", "speed", "play"}
PAGE_FLAGS = {"hide", "lock"}  # the page's classroom flags: for the page, not for training
TEST_FRACTION = "0.3"  # a generated set's default split; the lab's 21 XOR points keep all
SCHEDULE_DEFAULTS = {  # the page's starting values: train needs some of them given
    "constant": {}, "step": {"step-size": "1000", "gamma": "0.5"},
    "exponential": {"gamma": "0.9995"}, "cosine": {"t-max": "", "eta-min": "0.0"},
}
DEFAULTS = {  # train's own defaults (the lab's network), on the lab's XOR points
    "data": "xor", "data-seed": "0", "hidden": "10,10", "activation": "sigmoid",
    "output": "sigmoid", "loss": "mse", "optimizer": "gd", "l1": "0.0", "batch-size": "",
    "schedule": "constant", "seed": "0", "epochs": str(TrainConfig.epochs), "stop-at-loss": "",
    "speed": "max", "play": "0",
}


def choices():
    """The names the page offers, for its menus (the server's hello message)."""
    return {"datasets": [*DATASETS, POINTS], "activations": list(ACTIVATIONS),
            "outputs": list(OUTPUTS), "losses": list(LOSSES), "optimizers": list(OPTIMIZERS),
            "schedules": list(SCHEDULES)}


def limits():
    """The limits the page should know, to say them before the server does."""
    return {"layers": PLAYGROUND_MAX_LAYERS, "units": PLAYGROUND_MAX_UNITS,
            "points": PLAYGROUND_MAX_POINTS, "epochs": PLAYGROUND_MAX_EPOCHS}


def normalise(given, current=None, have_points=False):
    """The complete settings after ``given`` ({key: string}) changes ``current`` (None: the
    page's defaults); every value checked and in canonical form. ``have_points``: whether the
    session holds points of the page's own (else ``data=points`` is refused). Raises
    BackproplabError with a one-line message naming the key."""
    given = _strings(given)
    old = current or {**DEFAULTS, **_follow_data("xor"), **_follow_optimizer("gd"),
                      **_follow_schedule("constant")}
    new = {**old, **given}
    for key, follow in (("data", _follow_data), ("optimizer", _follow_optimizer),
                        ("schedule", _follow_schedule)):
        if current is None or new[key] != old[key]:
            new.update({k: v for k, v in follow(new[key]).items() if k not in given})
    if new["data"] == POINTS and not have_points:
        raise BackproplabError("data=points needs points: click some into the plot or upload "
                               "a CSV file")
    out = {key: PARSE[key](new[key], new) for key in KEYS}  # n of a fixed set: "" (shown)
    config(out).check()  # what train itself refuses (ce without softmax, eta-min ≥ lr, …)
    return out


def changed(old, new):
    """The keys whose change matters: those that differ, but for n when it is only shown."""
    shown = {"n"} if new["data"] in FIXED or new["data"] == POINTS else set()
    return {key for key in KEYS if old.get(key) != new[key] and key not in shown}


# a TrainConfig's settings (as a model file's "training" holds them) → the page's keys
FIELDS = {"data": "data", "n": "n", "noise": "noise", "test_fraction": "test-fraction",
          "data_seed": "data-seed", "hidden": "hidden", "activation": "activation",
          "output": "output", "loss": "loss", "optimizer": "optimizer", "lr": "lr",
          "momentum": "momentum", "weight_decay": "weight-decay", "l1": "l1",
          "batch_size": "batch-size", "schedule": "schedule", "step_size": "step-size",
          "gamma": "gamma", "t_max": "t-max", "eta_min": "eta-min", "seed": "seed",
          "epochs": "epochs", "stop_at_loss": "stop-at-loss"}


def config(values, csv_name="points.csv"):
    """The TrainConfig of normalised settings. Settings at train's defaults are left as None,
    as ``train`` leaves an option not given, so the command line stays short."""
    data = values["data"]
    defaults = _follow_data(data)
    hyper = {k: number(values[key]) for k, key in (("momentum", "momentum"),
                                                    ("weight_decay", "weight-decay"))}
    hyper = {k: v for k, v in hyper.items()
             if v is not None and v != OPTIMIZERS[values["optimizer"]].defaults.get(k)}
    lr = float(values["lr"])
    seed, data_seed = int(values["seed"]), int(values["data-seed"])
    activation = values["activation"].split(",")
    return TrainConfig(
        data=csv_name if data == POINTS else data,
        n=None if values["n"] == defaults.get("n") or data in FIXED or data == POINTS
        else int(values["n"]),
        noise=None if values["noise"] in ("", defaults.get("noise")) else float(values["noise"]),
        test_fraction=number(values["test-fraction"]) or None,
        data_seed=None if data_seed == seed else data_seed, seed=seed,
        hidden=[int(u) for u in values["hidden"].split(",")], activation=activation,
        output=values["output"], loss=values["loss"], optimizer=values["optimizer"],
        lr=None if lr == DEFAULT_LR[values["optimizer"]] else lr,
        l1=number(values["l1"]) or None, schedule=values["schedule"],
        step_size=whole(values["step-size"]), gamma=number(values["gamma"]),
        t_max=whole(values["t-max"]), eta_min=number(values["eta-min"]) or None,
        epochs=int(values["epochs"]), batch_size=whole(values["batch-size"]),
        stop_at_loss=number(values["stop-at-loss"]), **hyper)


def train_args(cfg):
    """``train``'s options for ``cfg``: every setting that differs from train's default."""
    base = TrainConfig()
    args = ["--data", cfg.data]
    for name in list(FIELDS)[1:]:  # in the page's order, after the data
        value, default = getattr(cfg, name), getattr(base, name)
        if name == "activation" and len(set(value)) == 1:
            value = value[:1]
        if value is None or value == default:
            continue
        values = value if isinstance(value, list) else [value]
        args += [f"--{name.replace('_', '-')}", *(repr(v) if isinstance(v, float) else str(v)
                                                   for v in values)]
    return args


def _strings(given):
    if not isinstance(given, dict):
        raise BackproplabError("settings must be an object of keys and values")
    out = {}
    for key, value in given.items():
        if key in PAGE_FLAGS or (isinstance(key, str) and key.startswith("ui-")):
            continue
        if key not in KEYS:
            raise BackproplabError(f"unknown setting {str(key)[:40]!r}; the settings are: "
                                   + ", ".join(KEYS))
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BackproplabError(f"{key} must be given as text, got {type(value).__name__}")
        value = str(value).strip()
        if len(value) > 200:
            raise BackproplabError(f"{key}: a value of {len(value)} characters is too long")
        out[key] = value
    return out


def _follow_data(data):
    """n, noise and the test split of a data set, as a newly chosen one starts (edited points
    keep the split they had)."""
    make = GENERATORS.get(data)
    if data == POINTS or make is None:  # (an unknown name: its parse says so)
        return {"noise": ""}
    if data in FIXED:
        return {"n": "", "noise": "", "test-fraction": "0.0"}
    settings = inspect.signature(make).parameters
    noise = "" if data in NOISELESS else repr(float(settings["noise"].default))
    # a set of more than two classes comes with the output it needs: one unit per class
    output = {"output": "softmax", "loss": "ce"} if data in CLASSES else {}
    return {"n": str(settings["n"].default), "noise": noise, "test-fraction": TEST_FRACTION,
            **output}


def _follow_optimizer(name):
    defaults = OPTIMIZERS[name].defaults if name in OPTIMIZERS else {}
    momentum = repr(float(defaults["momentum"])) if name in MOMENTUM_OPTIMIZERS else ""
    return {"lr": repr(DEFAULT_LR.get(name, 1.0)), "momentum": momentum,
            "weight-decay": repr(float(defaults.get("weight_decay", 0.0)))}


def _follow_schedule(name):
    return {"step-size": "", "gamma": "", "t-max": "", "eta-min": "",
            **SCHEDULE_DEFAULTS.get(name, {})}


def from_training(training):
    """The page's settings ({key: text}) of a run's settings as ``train`` stores them in a
    model file; a CSV file's data becomes the page's own points. Settings the page does not
    offer (images, float32, standardised inputs, a fresh test sample) are refused."""
    for field, usable in (("model", "mlp"), ("dtype", "float64"), ("standardize", False),
                          ("test_n", None), ("standardization", None)):
        if training.get(field, usable) != usable:
            raise BackproplabError(f"its run has {field} {str(training[field])[:40]}, which "
                                   "the playground does not offer")
    out = {}
    for field, key in FIELDS.items():
        value = training.get(field)
        if isinstance(value, list):
            value = ",".join(map(str, value))
        if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
            continue  # not given: the page's default for it, as train's
        out[key] = POINTS if field == "data" and str(value).lower().endswith(".csv") else value
    out.setdefault("data-seed", out.get("seed", "0"))  # train draws the data with the seed
    out.setdefault("test-fraction", "0")
    return {key: str(value) for key, value in out.items()}
