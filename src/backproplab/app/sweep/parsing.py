"""Sweep files: a TOML file read and checked into the list of TrainConfigs it asks for.

A sweep file's keys are ``backproplab train``'s options. A list value is a grid axis (for
``hidden`` and a per-layer ``activation``, a list of lists); ``seeds = N`` means seeds 0..N−1
(a list also works). A table value gives one value per data set
(``epochs = {linear = 3000, xor = 6000}``). ``[[grid]]`` tables, if present, are grids of their
own that inherit the top-level keys; the sweep is their union::

    data = "xor"
    hidden = [4, 4]
    lr = [0.01, 0.1, 1.0]
    seeds = 20
    epochs = 5000

Every mistake is a BackproplabError that names the file and the key.
"""

import itertools

from ...errors import BackproplabError
from ..config import CONFIG_KEYS, TrainConfig

# key -> (kind of one value, description for messages)
_KINDS = {
    "data": (str, "a data set name or CSV path"),
    "n": (int, "a whole number"),
    "noise": (float, "a number"),
    "hidden": ("ints", "a list of layer sizes"),
    "activation": ("names", "an activation name or a list of them per layer"),
    "loss": (str, "a loss name"),
    "output": (str, "an output name"),
    "optimizer": (str, "an optimizer name"),
    "lr": (float, "a number"),
    "momentum": (float, "a number"),
    "weight_decay": (float, "a number"),
    "l1": (float, "a number"),
    "schedule": (str, "a schedule name"),
    "step_size": (int, "a whole number"),
    "gamma": (float, "a number"),
    "t_max": (int, "a whole number"),
    "eta_min": (float, "a number"),
    "epochs": (int, "a whole number"),
    "batch_size": (int, "a whole number"),
    "seed": (int, "a whole number"),
    "data_seed": (int, "a whole number"),
    "dtype": (str, "float64 or float32"),
    "standardize": (bool, "true or false"),
    "stop_at_loss": (float, "a number"),
    "init": (str, "a model file path"),
    "test_n": (int, "a whole number"),
}
assert set(_KINDS) == set(CONFIG_KEYS)


def _is(value, kind):
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "ints":
        return isinstance(value, list) and all(_is(v, int) for v in value)
    if kind == "names":
        return isinstance(value, str) or (isinstance(value, list)
                                          and all(isinstance(v, str) for v in value))
    return isinstance(value, kind)


def _axis(path, key, value):
    """The values a key takes: one, or a grid axis of several.

    A list is an axis, except for ``hidden``, whose single value is itself a list (so its axis
    is a list of lists); ``activation`` takes a name or, per layer, a list of names.
    """
    kind, description = _KINDS[key]
    if isinstance(value, dict):  # one value per data set: {linear = 3000, xor = 6000}
        if key == "data" or not value:
            raise BackproplabError(f"{path}: key {key!r} cannot be a table here")
        for name, v in value.items():
            if not _is(v, kind) or (kind == "ints" and not v):
                raise BackproplabError(f"{path}: key {key!r}, data set {name!r}: must be "
                                       f"{description}, got {v!r}")
        return [value]
    if kind == "ints":
        is_axis = isinstance(value, list) and any(isinstance(v, list) for v in value)
    else:
        is_axis = isinstance(value, list)
    values = value if is_axis else [value]
    if is_axis and not values:
        raise BackproplabError(f"{path}: key {key!r} is an empty list; a grid axis needs at "
                               "least one value")
    for v in values:
        if not _is(v, kind) or (kind == "ints" and not v):
            also = " (a grid axis: a list of such lists)" if kind == "ints" else \
                " (a grid axis: a list of them)"
            raise BackproplabError(f"{path}: key {key!r} must be {description}{also}, "
                                   f"got {v!r}")
    return values


def _seeds(path, table):
    if "seeds" in table and "seed" in table:
        raise BackproplabError(f"{path}: give 'seeds' or 'seed', not both")
    if "seeds" not in table:
        return None
    s = table["seeds"]
    if _is(s, int):
        if s < 1:
            raise BackproplabError(f"{path}: key 'seeds' must be >= 1, got {s}")
        return list(range(s))
    if isinstance(s, list):
        if not s:
            raise BackproplabError(f"{path}: key 'seeds' is an empty list")
        if all(_is(v, int) and v >= 0 for v in s):
            return list(s)
    raise BackproplabError(f"{path}: key 'seeds' must be a count N (seeds 0..N-1) or a list of "
                           f"whole numbers >= 0, got {s!r}")


def _normalise(path, table, where=""):
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in _KINDS and name not in ("seeds", "grid"):
            raise BackproplabError(
                f"{path}: unknown key {key!r}{where}; valid keys: seeds, "
                + ", ".join(CONFIG_KEYS))
        out[name] = value
    return out


def parse(path, text=None):
    """The list of TrainConfigs a sweep file asks for, each checked."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    if text is None:
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
        except FileNotFoundError:
            raise BackproplabError(f"{path}: no such sweep file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise BackproplabError(f"{path}: cannot read it ({e})") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        if "at end of document" in message:  # name the line there too: the file's last
            message = message.replace("at end of document",
                                      f"at line {text.count(chr(10)) + 1}, the end of the file")
        raise BackproplabError(f"{path}: not valid TOML: {message}") from None
    top = _normalise(path, table)
    grids = top.pop("grid", [{}])
    if not isinstance(grids, list) or not grids or not all(isinstance(g, dict) for g in grids):
        raise BackproplabError(f"{path}: 'grid' must be a list of tables ([[grid]] sections)")
    configs = []
    for i, grid in enumerate(grids):
        merged = {**top, **_normalise(path, grid, f" in [[grid]] number {i + 1}")}
        if "grid" in merged:
            raise BackproplabError(f"{path}: [[grid]] tables cannot hold more [[grid]] tables")
        seeds = _seeds(path, merged)
        merged.pop("seeds", None)
        axes = {key: _axis(path, key, value) for key, value in merged.items()}
        if seeds is not None:
            axes["seed"] = seeds
        for combo in itertools.product(*axes.values()):
            settings = dict(zip(axes, combo))
            for key, value in settings.items():
                if isinstance(value, dict):
                    data = settings.get("data", TrainConfig.data)
                    if data not in value:
                        raise BackproplabError(f"{path}: key {key!r} gives no value for data "
                                               f"set {data!r}")
                    settings[key] = value[data]
            try:
                cfg = TrainConfig(**settings).check()
            except BackproplabError as e:
                raise BackproplabError(f"{path}: {e}") from None
            if cfg.images:
                raise BackproplabError(f"{path}: a sweep trains MLPs on two-class data; train "
                                       f"on the {cfg.data} with backproplab train")
            configs.append(cfg)
    return configs
