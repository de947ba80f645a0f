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

Every mistake is a BackproplabError that names the file, the key and the key's line
(``lr.toml, line 4: 'lr' must be a number, got 'fast'``). The file is read only if it is a
regular file of at most limits.MAX_TEXT_FILE, its brackets may nest limits.MAX_TOML_DEPTH deep,
and the networks it asks for are counted before any is built (limits.MAX_SWEEP_NETWORKS).
"""

import itertools
import math
import re
import reprlib

from ... import limits
from ...errors import BackproplabError
from ...files import read_text_capped
from ..config import CONFIG_KEYS, TrainConfig
from .tomltext import key_line, too_deep

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
    "test_fraction": (float, "a number between 0 and 1"),
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


_SHORT = reprlib.Repr()  # a value in a message: short, however long or deep it is
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 3, 8, 4, 60


class _Source:
    """A sweep file's name and text: its errors name the line of the key they are about."""

    def __init__(self, path, text):
        self.path, self.text = path, text

    def error(self, message, key=None, grid=None):
        """The error, at the line of ``key`` (in the ``grid``-th [[grid]] table, if given)."""
        line = None
        for name in (key, "seeds") if key == "seed" else (key,):  # seed's axis is 'seeds'
            line = line or (name and key_line(self.text, name, grid))
        return BackproplabError(f"{self.path}, line {line}: {message}" if line else
                                f"{self.path}: {message}")


def _axis(src, key, value, grid):
    """The values a key takes: one, or a grid axis of several.

    A list is an axis, except for ``hidden``, whose single value is itself a list (so its axis
    is a list of lists); ``activation`` takes a name or, per layer, a list of names.
    """
    kind, description = _KINDS[key]
    if isinstance(value, dict):  # one value per data set: {linear = 3000, xor = 6000}
        if key == "data" or not value:
            raise src.error(f"{key!r} cannot be a table here", key, grid)
        for name, v in value.items():
            if not _is(v, kind) or (kind == "ints" and not v):
                raise src.error(f"{key!r}, data set {name!r}: must be {description}, got "
                                f"{_SHORT.repr(v)}", key, grid)
        return [value]
    if kind == "ints":
        is_axis = isinstance(value, list) and any(isinstance(v, list) for v in value)
    else:
        is_axis = isinstance(value, list)
    values = value if is_axis else [value]
    if is_axis and not values:
        raise src.error(f"{key!r} is an empty list; a grid axis needs at least one value", key,
                        grid)
    for v in values:
        if not _is(v, kind) or (kind == "ints" and not v):
            also = (" (a grid axis: a list of such lists)" if kind == "ints" else
                    " (a grid axis: a list of them)" if is_axis else "")
            raise src.error(f"{key!r} must be {description}{also}, got {_SHORT.repr(v)}", key,
                            grid)
    return values


def _seeds(src, table, grid):
    """The seeds asked for: a range for ``seeds = N`` (so a huge N costs nothing to count)."""
    if "seeds" in table and "seed" in table:
        raise src.error("give 'seeds' or 'seed', not both", "seeds", grid)
    if "seeds" not in table:
        return None
    s = table["seeds"]
    if _is(s, int):
        if s < 1:
            raise src.error(f"'seeds' must be >= 1, got {s}", "seeds", grid)
        return range(s)
    if isinstance(s, list):
        if not s:
            raise src.error("'seeds' is an empty list", "seeds", grid)
        if all(_is(v, int) and v >= 0 for v in s):
            return list(s)
    raise src.error(f"'seeds' must be a count N (seeds 0..N-1) or a list of whole numbers "
                    f">= 0, got {_SHORT.repr(s)}", "seeds", grid)


def _normalise(src, table, grid=None):
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in _KINDS and name not in ("seeds", "grid"):
            where = "" if grid is None else f" in [[grid]] number {grid + 1}"
            raise src.error(f"unknown key {_SHORT.repr(key)}{where}; valid keys: seeds, "
                            + ", ".join(CONFIG_KEYS), key, grid)
        out[name] = value
    return out


def _load(src):
    """The file's TOML as a dict; its errors as BackproplabErrors with their line."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    line = too_deep(src.text, limits.MAX_TOML_DEPTH)
    if line is not None:
        raise BackproplabError(f"{src.path}, line {line}: arrays and tables nest deeper than "
                               f"{limits.MAX_TOML_DEPTH} levels")
    try:
        return tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        at = re.search(r" \(at line (\d+), column (\d+)\)$", message)
        if at:
            where = f"line {at[1]}, column {at[2]}"
            message = message[:at.start()]
        else:  # "... (at end of document)": name the line there too, the file's last
            where = f"line {src.text.count(chr(10)) + 1}"
            message = message.replace(" (at end of document)", " at the end of the file")
        raise BackproplabError(f"{src.path}, {where}: not valid TOML: {message}") from None
    except RecursionError:  # (too_deep should have caught it)
        raise BackproplabError(f"{src.path}: not valid TOML: nested too deeply") from None


def parse(path, text=None):
    """The list of TrainConfigs a sweep file asks for, each checked."""
    if text is None:
        text = read_text_capped(path, limits.MAX_TEXT_FILE, "sweep file")
    src = _Source(path, text)
    top = _normalise(src, _load(src))
    grids = top.pop("grid", [{}])
    if not isinstance(grids, list) or not grids or not all(isinstance(g, dict) for g in grids):
        raise src.error("'grid' must be a list of tables ([[grid]] sections)", "grid")
    if len(grids) > limits.MAX_SWEEP_NETWORKS:
        raise src.error(f"{len(grids):,} [[grid]] tables ask for more than the "
                        f"{limits.MAX_SWEEP_NETWORKS:,} networks a sweep may train")
    grid_axes = []
    for i, grid in enumerate(grids):
        table = None if grids == [{}] else i  # no [[grid]] table: every key is at the top
        own = _normalise(src, grid, table)
        if "grid" in own:
            raise src.error("[[grid]] tables cannot hold more [[grid]] tables", "grid", table)
        merged = {**top, **own}
        where = {key: table if key in own else None for key in merged}
        seeds = _seeds(src, merged, where.get("seeds"))
        merged.pop("seeds", None)
        axes = {key: _axis(src, key, value, where[key]) for key, value in merged.items()}
        if seeds is not None:
            axes["seed"], where["seed"] = seeds, where["seeds"]
        grid_axes.append((axes, where))
    _count(src, grid_axes)
    return [_config(src, dict(zip(axes, combo)), where)
            for axes, where in grid_axes for combo in itertools.product(*axes.values())]


def _count(src, grid_axes):
    """Refuse a sweep of more than limits.MAX_SWEEP_NETWORKS networks before building any:
    each grid asks for the product of its axes' lengths."""
    sizes = [math.prod(len(values) for values in axes.values()) for axes, _ in grid_axes]
    total = sum(sizes)
    if total <= limits.MAX_SWEEP_NETWORKS:
        return
    axes, where = grid_axes[sizes.index(max(sizes))]
    longest = max(axes, key=lambda k: len(axes[k]))
    factors = " × ".join(f"{len(v):,} {'seeds' if k == 'seed' else k}"
                         for k, v in axes.items() if len(v) > 1)
    raise src.error(f"asks for {total:,} networks, more than the {limits.MAX_SWEEP_NETWORKS:,} "
                    f"a sweep may train ({'the largest grid: ' if len(sizes) > 1 else ''}"
                    f"{factors}); use fewer seeds or values", longest, where[longest])


def _config(src, settings, where):
    """One network's checked TrainConfig; an error names the line of the key it is about."""
    for key, value in settings.items():
        if isinstance(value, dict):
            data = settings.get("data", TrainConfig.data)
            if data not in value:
                raise src.error(f"{key!r} gives no value for data set {data!r}", key,
                                where[key])
            settings[key] = value[data]
    try:
        cfg = TrainConfig(**settings).check()
    except BackproplabError as e:
        key = _blame(settings, str(e))
        raise src.error(str(e), key, where.get(key)) from None
    if cfg.images:
        raise src.error(f"a sweep trains MLPs on points; train on the {cfg.data} images with "
                        "backproplab train", "data", where.get("data"))
    return cfg


def _blame(settings, message):
    """The key a failed check is about: of the keys whose value, left out, changes the error,
    the one the message names first as an option (--lr), else first by name, else the first
    such key; None if none does."""
    changed = []
    for key in settings:
        try:
            TrainConfig(**{k: v for k, v in settings.items() if k != key}).check()
            changed.append(key)
        except BackproplabError as e:
            if str(e) != message:
                changed.append(key)
    named = []
    for key in changed:
        names = "|".join(map(re.escape, {key, key.replace("_", "-"), key.replace("_", " ")}))
        for m in re.finditer(rf"(?<![\w-])(--)?(?:{names})(?![\w-])", message):
            named.append((m[1] is None, m.start(), key))
    return min(named)[2] if named else changed[0] if changed else None
