"""Checking one setting of the playground: its text, as a URL gives it, into canonical text
(``"1e-3"`` → ``"0.001"``), or a one-line BackproplabError naming the setting. A setting that
does not apply to the others (the momentum of adam, the noise of the lab's linear set) becomes
"" whatever was given, so that it can neither fail nor count as a change.

``PARSE[key](value, settings)``: ``settings`` are all the values given, for the checks that
depend on another setting (how many activations the hidden layers take, which settings the
schedule takes)."""

import math

from ...data.datasets import FIXED, GENERATORS, NOISELESS
from ...errors import BackproplabError, unknown_name
from ...limits import (
    PLAYGROUND_MAX_EPOCHS,
    PLAYGROUND_MAX_LAYERS,
    PLAYGROUND_MAX_POINTS,
    PLAYGROUND_MAX_UNITS,
)
from ...nn.activations import ACTIVATIONS
from ...nn.losses import LOSSES, OUTPUTS
from ...nn.optimizers import OPTIMIZERS
from ...nn.schedules import SCHEDULES
from ..config import MOMENTUM_OPTIMIZERS

POINTS = "points"  # the data set of clicked, removed or uploaded points
# the built-in sets in the page's order — the lab's linear and XOR first — each once (no alias)
DATASETS = [name for i, (name, make) in enumerate(GENERATORS.items())
            if make not in list(GENERATORS.values())[:i]]
SEED_MAX = 2**31 - 1


def number(text):
    """A canonical number's value; None for ""."""
    return None if text == "" else float(text)


def whole(text):
    """A canonical whole number's value; None for ""."""
    return None if text == "" else int(text)


def _named(kind, names):
    def parse(value, _):
        if value not in names:
            raise unknown_name(kind, value, names)
        return value
    return parse


def _whole_in(key, lo, hi, blank=()):
    """A whole number lo…hi; a value in ``blank`` means "not set" and becomes ""."""
    def parse(value, _):
        if value in blank:
            return ""
        try:
            v = int(value)
        except ValueError:
            raise BackproplabError(f"{key} must be a whole number, got {value[:40]!r}") \
                from None
        if not lo <= v <= hi:
            raise BackproplabError(f"{key} must be from {lo} to {hi}, got {v}")
        return str(v)
    return parse


def _real(key, lo=None, above=None, below=None, blank=False):
    """A finite number within the bounds given; "" stays "" if ``blank``."""
    def parse(value, _):
        if value == "" and blank:
            return ""
        try:
            v = float(value)
        except ValueError:
            raise BackproplabError(f"{key} must be a number, got {value[:40]!r}") from None
        for bad, text in ((not math.isfinite(v), "a finite number"),
                          (lo is not None and v < lo, f"a number >= {lo}"),
                          (above is not None and v <= above, f"a number > {above}"),
                          (below is not None and v >= below, f"a number < {below}")):
            if bad:
                raise BackproplabError(f"{key} must be {text}, got {value[:40]}")
        return repr(v)
    return parse


def _when(applies, parse):
    """``parse`` where the setting applies to these settings; "" where it does not."""
    return lambda value, new: parse(value, new) if applies(new) else ""


def _hidden(value, _):
    try:
        units = [int(u) for u in value.split(",")]
    except ValueError:
        raise BackproplabError(f"hidden must be units per layer joined by commas, such as 4,4; "
                               f"got {value[:40]!r}") from None
    if not 1 <= len(units) <= PLAYGROUND_MAX_LAYERS:
        raise BackproplabError(f"hidden: from 1 to {PLAYGROUND_MAX_LAYERS} hidden layers, got "
                               f"{len(units)}")
    for u in units:
        if not 1 <= u <= PLAYGROUND_MAX_UNITS:
            raise BackproplabError(f"hidden: from 1 to {PLAYGROUND_MAX_UNITS} units a layer, "
                                   f"got {u}")
    return ",".join(map(str, units))


def _activation(value, new):
    names = [_named("activation", ACTIVATIONS)(a.strip(), new) for a in value.split(",")]
    layers = len(new["hidden"].split(","))
    if len(names) not in (1, layers):
        raise BackproplabError(f"{len(names)} activations for {layers} hidden layers: give one "
                               "name for all of them or one per layer")
    return names[0] if len(set(names)) == 1 else ",".join(names)


def _takes(new, key):
    """Whether the schedule chosen takes setting ``key``."""
    schedule = SCHEDULES.get(new["schedule"])
    return schedule is not None and key.replace("-", "_") in schedule.defaults


def _generated(new):
    return new["data"] in GENERATORS and new["data"] not in FIXED


def _speed(value, new):
    return "max" if value == "max" else _real("speed (epochs a second, or max)", above=0)(
        value, new)


def _play(value, new):
    """1 to start training on load; "", 0, false or true are understood too."""
    value = {"": "0", "false": "0", "true": "1"}.get(value, value)
    return _named("play", ("0", "1"))(value, new)


PARSE = {
    "data": _named("data set", [*DATASETS, POINTS]),
    "n": _when(_generated, _whole_in("n", 2, PLAYGROUND_MAX_POINTS)),
    "noise": _when(lambda new: _generated(new) and new["data"] not in NOISELESS,
                   _real("noise", lo=0)),
    "test-fraction": _real("test-fraction", lo=0, below=1),
    "data-seed": _whole_in("data-seed", 0, SEED_MAX),
    "hidden": _hidden,
    "activation": _activation,
    "output": _named("output", OUTPUTS),
    "loss": _named("loss", LOSSES),
    "optimizer": _named("optimizer", OPTIMIZERS),
    "lr": _real("lr", above=0),
    "momentum": _when(lambda new: new["optimizer"] in MOMENTUM_OPTIMIZERS,
                      _real("momentum", lo=0, below=1)),
    "weight-decay": _real("weight-decay", lo=0),
    "l1": _real("l1", lo=0),
    "batch-size": _whole_in("batch-size", 1, PLAYGROUND_MAX_POINTS, blank=("", "0", "full")),
    "schedule": _named("schedule", SCHEDULES),
    "step-size": _when(lambda new: _takes(new, "step-size"),
                       _whole_in("step-size", 1, PLAYGROUND_MAX_EPOCHS)),
    "gamma": _when(lambda new: _takes(new, "gamma"), _real("gamma", above=0)),
    "t-max": _when(lambda new: _takes(new, "t-max"),
                   _whole_in("t-max", 1, PLAYGROUND_MAX_EPOCHS, blank=("",))),
    "eta-min": _when(lambda new: _takes(new, "eta-min"), _real("eta-min", lo=0)),
    "seed": _whole_in("seed", 0, SEED_MAX),
    "epochs": _whole_in("epochs", 1, PLAYGROUND_MAX_EPOCHS),
    "stop-at-loss": _real("stop-at-loss", lo=0, blank=True),
    "speed": _speed,
    "play": _play,
}
