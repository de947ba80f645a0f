"""What a sweep gives: every network's configuration, metrics and curves (SweepResult), the
files they are written to (results.csv, curves.npz) and read back from, and their summary per
setting."""

import os
import types
from dataclasses import dataclass, fields

import numpy as np

from ...errors import BackproplabError
from ...files import atomic_open, read_text_capped, write_csv
from ...limits import DEFAULT_MAX_MEMORY, MAX_TEXT_FILE
from ...models.npzfile import Npz
from ..config import CONFIG_KEYS, TrainConfig


@dataclass
class SweepResult:
    """Every network of a sweep: its configuration, its metrics, its curves (NaN-padded).

    ``interrupted``: the sweep was stopped (Ctrl-C, SIGTERM, or its caller's ``stop`` event);
    the networks it cut short have status ``interrupted`` and ``epochs_run`` the epochs they
    completed (0: never started; None: their worker was stopped without an answer)."""

    configs: list
    metrics: list
    loss: np.ndarray  # (networks, max epochs)
    accuracy: np.ndarray
    grad_norms: list = None  # per network: (records, layers), with grad_norm_every
    grad_norm_every: int = None  # record i is the norm after epoch (i + 1) · grad_norm_every
    interrupted: bool = False
    test_curves: dict = None  # {network asked for: (epochs, test loss)} (see sweep.run)

    def rows(self):
        for cfg, m in zip(self.configs, self.metrics):
            yield {**cfg.to_dict(), **m}


RESULT_COLUMNS = [*CONFIG_KEYS, "final_loss", "final_accuracy", "epochs_run", "epoch_100",
                  "diverged", "diverged_epoch", "test_accuracy", "status"]
STATUSES = ("completed", "diverged", "stopped_early", "interrupted")


def unfinished(epochs_run=None):
    """The metrics of a network a stopped sweep did not finish: ``epochs_run`` 0 if it never
    started, None if its worker was stopped before it said how far it got."""
    return {"final_loss": None, "final_accuracy": None, "epochs_run": epochs_run,
            "epoch_100": None, "diverged": None, "diverged_epoch": None,
            "test_accuracy": None, "status": "interrupted"}


def write(result, out):
    """results.csv (one row per network, full precision, its status last) and curves.npz (loss
    and accuracy per epoch, NaN after a network stopped; row i is results.csv's row i)."""
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, list):
            return "-".join(str(x) for x in v)
        return v

    write_csv(os.path.join(out, "results.csv"), RESULT_COLUMNS,
              ([cell(row[c]) for c in RESULT_COLUMNS] for row in result.rows()))
    with atomic_open(os.path.join(out, "curves.npz"), "wb") as f:
        np.savez_compressed(f, loss=result.loss, accuracy=result.accuracy)


def read(folder, max_bytes=None):
    """The SweepResult that :func:`write` left in ``folder``, every row checked: its settings
    as a TrainConfig would take them, its metrics by type, its curves of one row per network
    and one column per epoch of the longest run (at most ``max_bytes``, default 4 GiB)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise BackproplabError(f"{folder}: no such folder; give the --out of a sweep")
    path = os.path.join(folder, "results.csv")
    if not os.path.lexists(path):
        raise BackproplabError(f"{folder}: holds no results.csv; give the --out of a sweep")
    lines = read_text_capped(path, MAX_TEXT_FILE, "results file").splitlines()
    header = lines[0].split(",") if lines else []
    missing = [c for c in RESULT_COLUMNS if c not in header and c != "status"]  # status: since
    if missing:  # the sweeps that can be interrupted; older files have none
        raise BackproplabError(f"{path}: not a sweep's results.csv (no column "
                               f"{', '.join(missing[:3])}{', …' if len(missing) > 3 else ''})")
    configs, metrics = [], []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) != len(header):
            raise BackproplabError(f"{path}: line {number} has {len(cells)} cells, the header "
                                   f"{len(header)}")
        row = dict(zip(header, cells))
        try:
            cfg = TrainConfig(**{k: _CELLS[k](row[k]) for k in CONFIG_KEYS}).check()
            metric = {k: _METRICS[k](row.get(k, "")) for k in _METRICS}
            if metric["status"] not in (None, *STATUSES):
                raise ValueError(f"status {metric['status'][:40]!r} is not one of "
                                 f"{', '.join(STATUSES)}")
        except (ValueError, BackproplabError) as e:
            raise BackproplabError(f"{path}: line {number}: {e}") from None
        configs.append(cfg)
        metrics.append(metric)
    if not configs:
        raise BackproplabError(f"{path}: holds no networks")
    loss, accuracy = _curves(os.path.join(folder, "curves.npz"), len(configs),
                             max(c.epochs for c in configs), max_bytes or DEFAULT_MAX_MEMORY)
    return SweepResult(configs, metrics, loss, accuracy)


def _curves(path, networks, epochs, max_bytes):
    """curves.npz's loss and accuracy, each (networks, epochs) of floats: the files must be of
    one sweep."""
    with Npz(path, ("loss", "accuracy").__contains__, "curves file", max_bytes) as npz:
        if set(npz.members) != {"loss", "accuracy"}:
            npz.fail("a sweep's curves file holds loss and accuracy")
        for name, m in npz.members.items():
            if m.dtype.kind != "f" or len(m.shape) != 2:
                npz.fail(f"its {name} is {m.dtype} of shape {m.shape}, not a table of floats")
            if m.shape != (networks, epochs):
                npz.fail(f"its {name} holds {m.shape[0]} networks' curves over {m.shape[1]} "
                         f"epochs, but results.csv has {networks} networks, the longest of "
                         f"{epochs} epochs: the two files are not of one sweep")
        return (np.asarray(npz.read("loss"), dtype=float),
                np.asarray(npz.read("accuracy"), dtype=float))


def _cell(kind, name, optional=True):
    """How a results.csv cell of this kind reads back ('' is None, as :func:`write` wrote
    it); a ValueError names the column."""
    def read(text):
        if text == "":
            if optional:
                return None
            raise ValueError(f"{name} is empty")
        try:
            if kind is bool:
                return {"true": True, "false": False}[text]
            if kind is list:  # hidden's sizes and the activations were joined with '-'
                return [int(x) for x in text.split("-")] if name == "hidden" else text.split("-")
            return kind(text)
        except (KeyError, ValueError):
            what = {list: "list of layer sizes such as 4-4", bool: "true or false",
                    int: "whole number"}.get(kind, kind.__name__)
            raise ValueError(f"{name} {text[:40]!r} is not a {what}") from None
    return read


def _setting_cell(f):
    kinds = [t for t in (f.type.__args__ if isinstance(f.type, types.UnionType) else [f.type])
             if t is not type(None)]
    return _cell(kinds[0], f.name, optional=type(None) in getattr(f.type, "__args__", ()))


_CELLS = {f.name: _setting_cell(f) for f in fields(TrainConfig) if f.name in CONFIG_KEYS}
_METRICS = {k: _cell(kind, k) for k, kind in (
    ("final_loss", float), ("final_accuracy", float), ("epochs_run", int), ("epoch_100", int),
    ("diverged", bool), ("diverged_epoch", int), ("test_accuracy", float), ("status", str))}


def statistics(metrics):
    """What the summaries report for a group of networks (their metrics from train_group):
    how many, final accuracy mean and std, how many solved (100% at the end), the median
    epoch at which those first reached 100%, how many diverged."""
    acc = np.array([m["final_accuracy"] for m in metrics], dtype=float)
    finite = bool(np.isfinite(acc).any())
    solved = [m for m in metrics if m["final_accuracy"] == 1.0]
    epochs = [m["epoch_100"] for m in solved if m["epoch_100"] is not None]
    return {
        "networks": len(metrics),
        "accuracy_mean": float(np.nanmean(acc)) if finite else float("nan"),
        "accuracy_std": float(np.nanstd(acc)) if finite else float("nan"),
        "solved": len(solved),
        "median_epochs_to_100": float(np.median(epochs)) if epochs else None,
        "diverged": sum(bool(m["diverged"]) for m in metrics),
    }


def summary(result, keys=None):
    """Per setting (all keys that vary, but the seed): its :func:`statistics`."""
    rows = list(result.rows())
    if keys is None:
        keys = varying(rows)
    groups = {}
    for r in rows:
        groups.setdefault(tuple(_hashable(r[k]) for k in keys), []).append(r)
    return keys, [{**dict(zip(keys, key)), **statistics(rs)} for key, rs in groups.items()]


def varying(rows):
    """The settings that differ between the networks of these rows, but the seeds."""
    return [k for k in CONFIG_KEYS if k not in ("seed", "data_seed")
            and len({_hashable(r[k]) for r in rows}) > 1]


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


def format_summary(keys, rows):
    """The summary as a plain-text table."""
    head = [*keys, "networks", "accuracy", "solved", "median epochs to 100%", "diverged"]
    body = []
    for r in rows:
        med = r["median_epochs_to_100"]
        body.append([*(_shown(r[k]) for k in keys),
                     str(r["networks"]),
                     f"{100 * r['accuracy_mean']:.1f}% ± {100 * r['accuracy_std']:.1f}",
                     f"{r['solved']}/{r['networks']}",
                     "—" if med is None else f"{med:g}", str(r["diverged"])])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip() for b in body]
    return "\n".join(lines)


def _shown(v):
    """A setting in the table: layer lists as 4-4, an unset one (None) as —."""
    if v is None:
        return "—"
    return "-".join(map(str, v)) if isinstance(v, tuple) else str(v)
