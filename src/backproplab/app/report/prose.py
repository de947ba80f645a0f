"""The report's words for measured numbers: names of settings, per-setting statistics, the
rows of the discussion's tables and the paragraphs written from them."""

import numpy as np

from .. import sweep
from . import words
from .words import label

DATA_TITLES = {"linear": "linear data (100 points)", "xor": "XOR data (the lab's 21 points)"}


def setting_parts(row, keys):
    """A setting's name in parts [(key, text), ...], from the keys that tell the experiment's
    settings apart."""
    parts = []
    if "activation" in keys and "output" in keys:  # one name for the whole network's nonlinearity
        acts = set(row["activation"]) | {row["output"]}
        parts.append(("activation", "no activations" if acts == {"none"} else
                      row["output"] if len(acts) == 1 else
                      f"{'-'.join(row['activation'])}, output {row['output']}"))
        keys = [k for k in keys if k not in ("activation", "output")]
    for k in keys:
        v = row[k]
        if k == "hidden":
            text = "×".join(map(str, v))
        elif k == "activation":
            text = v[0] if len(set(v)) == 1 else "-".join(v)
            text = "identity" if text == "none" else text  # never "none solved …"
        elif k == "lr":
            text = f"lr {v:g}"
        elif k == "epochs":
            text = f"({v} epochs)"
        elif k == "output":
            text = f"output {v}"
        elif k in ("optimizer", "loss", "schedule"):  # their values name themselves
            text = str(v)
        else:
            text = f"{k} {'×'.join(map(str, v)) if isinstance(v, list) else v}"
        parts.append((k, text))
    return parts


def setting_label(row, keys):
    """A short name for a setting: its parts, comma-separated ('sigmoid, lr 1')."""
    return label(setting_parts(row, keys))


def settings(configs, keys):
    """Per data set, its settings in the sweep file's order: {data: {label: (indices of its
    configurations, the label's parts)}}."""
    out = {}
    for data in dict.fromkeys(c.data for c in configs):
        sub = [i for i, c in enumerate(configs) if c.data == data]
        # epochs go into a label only where they differ between this data set's settings
        # and then only for the settings whose budget is not the usual one
        budgets = [configs[i].epochs for i in sub]
        usual = max(set(budgets), key=budgets.count)
        labels = {}
        for i in sub:
            row = configs[i].to_dict()
            shown = [k for k in keys if k != "epochs" or row["epochs"] != usual]
            name = setting_label(row, shown)
            index = labels[name][0] if name in labels else []
            labels[name] = index + [i], setting_parts(row, shown)
        out[data] = labels
    return out


def summarise(result, keys):
    """Per data set: one row per setting (in the sweep file's order) with its statistics."""
    tables = {}
    for data, labels in settings(result.configs, keys).items():
        rows = []
        for name, (index, parts) in labels.items():
            ms = [result.metrics[i] for i in index]
            stats = sweep.statistics(ms)
            median = stats.pop("median_epochs_to_100")
            test = [m["test_accuracy"] for m in ms if m.get("test_accuracy") is not None]
            rows.append({
                **stats, "label": name, "parts": parts, "index": index,
                "median_epochs": None if median is None else words.epochs(median),
                "diverged_epochs": [m["diverged_epoch"] for m in ms if m["diverged"]],
                "epochs": result.configs[index[0]].epochs,
                "test_mean": float(np.mean(test)) if test else None,
                "test_std": float(np.std(test)) if test else None,
            })
        tables[data] = rows
    return tables


def _pct(v):
    return "—" if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"


def _num(v):
    return "—" if v is None else f"{v:.4g}"


def table_rows(rows):
    return [[r["label"], r["networks"],
             f"{_pct(r['accuracy_mean'])} ± {100 * r['accuracy_std']:.1f}"
             if np.isfinite(r["accuracy_mean"]) else "—",
             f"{r['solved']}/{r['networks']} ({100 * r['solved'] / r['networks']:.0f}%)",
             "—" if r["median_epochs"] is None else str(r["median_epochs"]),
             r["diverged"]] for r in rows]


TABLE_HEADER = ["setting", "seeds", "final accuracy (mean ± std)", "solved (100%)",
                "median epochs to 100%", "diverged"]


def _parts(r):
    return r.get("parts") or [("label", r["label"])]


def _names(rows, last="and"):
    return words.grouped([_parts(r) for r in rows], last)


def describe(data, rows):
    """A paragraph on one data set's results, written from the rows it describes: who solved
    every seed (and the fastest of them), who solved some, who none, who diverged."""
    if not rows:
        return ""
    n = rows[0]["networks"]
    same_n = all(r["networks"] == n for r in rows)
    title = DATA_TITLES.get(data, data)
    full = [r for r in rows if r["solved"] == r["networks"]]
    none = [r for r in rows if r["solved"] == 0]
    part = [r for r in rows if 0 < r["solved"] < r["networks"]]
    seeds = words.whole(n) if same_n else "all their seeds"
    sentences = []
    if full:
        timed = [r for r in full if r["median_epochs"] is not None]
        best = min((r["median_epochs"] for r in timed), default=None)
        fastest = [r for r in timed if r["median_epochs"] == best]
        median = f"a median of {best} {'epoch' if best == 1 else 'epochs'}"
        if best is None:
            sentences.append(f"On the {title}, {_names(full)} solved {seeds}.")
        elif len(full) == 1:
            sentences.append(f"On the {title}, {_names(full)} solved {seeds}, reaching 100% in "
                             f"{median}.")
        elif len(fastest) == len(full):
            sentences.append(f"On the {title}, {_names(full)} solved {seeds}, each reaching "
                             f"100% in {median}.")
        else:
            both = "both " if len(fastest) == 2 else ""
            sentences.append(
                f"On the {title}, {_names(full)} solved {seeds}; the fastest, "
                f"{_names(fastest)}, {both}reached 100% in "
                f"{median}.")
    elif len(none) == len(rows):
        pass  # the sentence on the settings that solved none opens the paragraph
    else:
        sentences.append(f"On the {title}, no setting solved every seed.")
    if part:
        counts = {}
        for r in sorted(part, key=lambda r: -r["solved"]):
            counts.setdefault((r["solved"], r["networks"]), []).append(r)
        phrases = [f"{_names(rs)} solved "
                   f"{words.some_of(k, m) if i == 0 else ('one' if k == 1 else k)}"
                   for i, ((k, m), rs) in enumerate(counts.items())]
        sentences.append("Some seeds only: " + words.listing(phrases) + ".")
    if none:
        accs = words.listing([_pct(r["accuracy_mean"]) for r in none])
        values = {_pct(r["accuracy_mean"]) for r in none}
        if len(none) == 1:
            whose = f"whose mean final accuracy was {accs}"
        elif len(values) == 1:
            whose = (f"whose mean final accuracy was {values.pop()} for "
                     f"{'both' if len(none) == 2 else 'each'}")
        else:
            whose = f"whose mean final accuracies were {accs}"
        nobody = words.none_of(n) if same_n else "none of their seeds"
        opening = f"On the {title}, {nobody}" if len(none) == len(rows) else \
            f"{nobody[0].upper()}{nobody[1:]}"
        sentences.append(f"{opening} was solved by {_names(none, 'or')}, {whose}.")
    for r in rows:
        if r["diverged"]:
            many = words.some_of(r["diverged"], r["networks"])
            sentences.append(f"Diverged: {many} of {_names([r])}, the first at epoch "
                             f"{min(r['diverged_epochs'])}.")
    return " ".join(sentences)
