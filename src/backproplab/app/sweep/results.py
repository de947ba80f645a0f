"""What a sweep gives: every network's configuration, metrics and curves (SweepResult), the
files they are written to (results.csv, curves.npz), and their summary per setting."""

import os
from dataclasses import dataclass

import numpy as np

from ...files import atomic_open, write_csv
from ..config import CONFIG_KEYS


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
        keys = [k for k in CONFIG_KEYS if k not in ("seed", "data_seed")
                and len({_hashable(r[k]) for r in rows}) > 1]
    groups = {}
    for r in rows:
        groups.setdefault(tuple(_hashable(r[k]) for k in keys), []).append(r)
    return keys, [{**dict(zip(keys, key)), **statistics(rs)} for key, rs in groups.items()]


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
