"""``backproplab plot``: a sweep drawn the way the report draws its experiments.

From a sweep's results (read back from results.csv and curves.npz, or straight from
``sweep --plot``), for each data set: the loss and the training accuracy over seeds — the median
and the 10–90% band of every setting, × where a run diverged — as PNG figures, and the table
of the settings (final accuracy, how many solved, the median epochs to 100%, how many diverged)
in summary.md beside them. A *setting* is one combination of the settings that vary across
the sweep (seeds pooled); what is the same for every network is said once, above the tables.
"""

import os
import re

import numpy as np

from ..figures import sweeps as figures
from ..files import write_text
from .config import CONFIG_KEYS
from .document import Document
from .report.prose import DATA_TITLES, TABLE_HEADER, summarise, table_rows
from .sweep.results import varying

SUMMARY = "summary.md"


def draw(result, out, source):
    """Write the figures and summary.md of ``result`` (a SweepResult) into the folder ``out``;
    ``source`` names the sweep in summary.md's title. Returns the paths written."""
    rows = [cfg.to_dict() for cfg in result.configs]
    keys = varying(rows)
    tables = summarise(result, [k for k in keys if k != "data"])  # one table per data set
    doc = Document(f"Sweep {source}")
    doc.paragraph(_overview(result, rows, keys, len(tables)))
    paths, names = [], set()
    for data, settings in tables.items():
        here = [rows[i] for r in settings for i in r["index"]]
        shown = varying(here)  # what tells this data set's settings apart, each key named
        for r in settings:
            r["label"] = setting_name(rows[r["index"][0]], shown)
        # the report's titles count the lab's points: not for a sweep that sets n
        lab = all(rows[i]["n"] is None for r in settings for i in r["index"])
        title = DATA_TITLES[data] if lab and data in DATA_TITLES else f"{data} data"
        name = _file_name(data, names)
        doc.heading(f"{title[0].upper()}{title[1:]}")
        same = [k for k in keys if k not in shown and k != "data"  # varied elsewhere, not here
                and here[0][k] is not None]
        if same:
            doc.paragraph("Every network here has "
                          + ", ".join(_phrase(k, here[0][k]) for k in same) + ".")
        marks = "; × marks a run that diverged" if any(r["diverged"] for r in settings) else ""
        for kind, curves, ylabel, logy in (("loss", result.loss, "loss", True),
                                           ("accuracy", 100 * result.accuracy,
                                            "training accuracy (%)", False)):
            file = f"{kind}_{name}.png"
            series = [(r["label"], curves[r["index"]],
                       [result.metrics[i]["diverged"] for i in r["index"]]) for r in settings]
            figures.band_plot([(title, series)], os.path.join(out, file), ylabel=ylabel,
                              logy=logy)
            doc.figure(file, f"{'Loss' if kind == 'loss' else 'Training accuracy'} on the "
                       f"{title}: the median over seeds with the 10–90% band{marks}.")
            paths.append(os.path.join(out, file))
        doc.table(TABLE_HEADER, table_rows(settings), align=["l", "r", "r", "r", "r", "r"])
        tested = [r for r in settings if r["test_mean"] is not None]
        if tested:
            doc.paragraph("Accuracy on a fresh sample (--test-n), mean over seeds: " + "; ".join(
                f"{r['label']}: {_percent(r['test_mean'])} (training: "
                f"{_percent(r['accuracy_mean'])})" for r in tested) + ".")
    doc.paragraph("*Solved*: the seeds whose network classifies every training point "
                  "correctly at the end. Median epochs to 100%: over the seeds that solved it.")
    paths.append(os.path.join(out, SUMMARY))
    write_text(paths[-1], doc.markdown())
    return paths


def setting_name(row, keys):
    """A setting as the legends and tables show it: 4×4, relu, adam, lr 0.1, momentum 0.9."""
    return ", ".join(_phrase(k, row[k], bare=("hidden", "activation", "optimizer"))
                     for k in keys) or "every network"


def _phrase(key, v, bare=()):
    """One setting in words: ``hidden 4×4`` (``4×4`` if the key is in ``bare``)."""
    if key == "hidden":
        v = "×".join(map(str, v))
    elif key == "activation":
        v = v[0] if len(set(v)) == 1 else "-".join(v)
    return str(v) if key in bare else f"{key.replace('_', '-')} {_value(v)}"


def _percent(v):
    return "—" if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"


def _value(v):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "-".join(map(str, v))
    return str(v)


def _overview(result, rows, keys, n_data):
    """The paragraph above the tables: how many networks, what varies, what all share."""
    seeds = sorted({r["seed"] for r in rows})
    fixed = [k for k in CONFIG_KEYS if k not in (*keys, "seed", "data_seed")
             and rows[0][k] is not None]  # unset: the default, which needs no saying
    text = (f"{_count(len(rows), 'network')} on {_count(n_data, 'data set')}, {_seeds(seeds)}"
            + (", pooled in each setting. " if len(seeds) > 1 else ". ")
            + (f"Varied: {', '.join(k.replace('_', '-') for k in keys)}. " if keys else "")
            + "The same for every network: "
            + ", ".join(_phrase(k, rows[0][k]) for k in fixed) + ".")
    cut = sum(m["status"] == "interrupted" for m in result.metrics)
    if cut:
        text += (f" The sweep was interrupted: {cut} of the networks did not finish; they count "
                 "as unsolved, and the mean final accuracy is over those that did.")
    return text


def _count(n, thing):
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _seeds(seeds):
    """seed 3; seeds 0 and 1; seeds 0–9; seeds 1, 5 and 7."""
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}–{seeds[-1]}"
    return f"seeds {', '.join(map(str, seeds[:-1]))} and {seeds[-1]}"


def _file_name(data, taken):
    """A file-name part for a data set: its name, or a CSV file's name without the folder and
    the extension; made unique among ``taken`` (which it joins)."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.splitext(os.path.basename(data))[0])
    name, k = base or "data", 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name
