"""The report's words for measured numbers: names of settings, per-setting statistics, the
rows of the discussion's tables and the paragraphs written from them."""

import numpy as np

from .. import sweep

DATA_TITLES = {"linear": "linear data (100 points)", "xor": "XOR data (the lab's 21 points)"}


def setting_label(row, keys):
    """A short name for a setting, from the keys that tell the experiment's settings apart."""
    parts = []
    if "activation" in keys and "output" in keys:  # one name for the whole network's nonlinearity
        acts = set(row["activation"]) | {row["output"]}
        parts.append("no activations" if acts == {"none"} else
                     row["output"] if len(acts) == 1 else
                     f"{'-'.join(row['activation'])}, output {row['output']}")
        keys = [k for k in keys if k not in ("activation", "output")]
    for k in keys:
        v = row[k]
        if k == "hidden":
            parts.append("×".join(map(str, v)))
        elif k == "activation":
            parts.append(v[0] if len(set(v)) == 1 else "-".join(v))
        elif k == "lr":
            parts.append(f"lr {v:g}")
        elif k == "epochs":
            parts.append(f"({v} epochs)")
        elif k == "output":
            parts.append(f"output {v}")
        else:
            parts.append(str(v))
    return ", ".join(parts).replace(", (", " (")


def summarise(result, keys):
    """Per data set: one row per setting (in the sweep file's order) with its statistics."""
    tables = {}
    for data in dict.fromkeys(c.data for c in result.configs):
        sub = [i for i, c in enumerate(result.configs) if c.data == data]
        # epochs go into a label only where they differ between this data set's settings
        shown = [k for k in keys if k != "epochs"
                 or len({result.configs[i].epochs for i in sub}) > 1]
        labels = {}
        for i in sub:
            row = result.configs[i].to_dict()
            labels.setdefault(setting_label(row, shown), []).append(i)
        rows = []
        for label, index in labels.items():
            ms = [result.metrics[i] for i in index]
            stats = sweep.statistics(ms)
            median = stats.pop("median_epochs_to_100")
            test = [m["test_accuracy"] for m in ms if m.get("test_accuracy") is not None]
            rows.append({
                **stats, "label": label, "index": index, "median_epochs": median,
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
             "—" if r["median_epochs"] is None else f"{r['median_epochs']:g}",
             r["diverged"]] for r in rows]


TABLE_HEADER = ["setting", "seeds", "final accuracy (mean ± std)", "solved (100%)",
                "median epochs to 100%", "diverged"]


def _names(rows):
    names = [r["label"] for r in rows]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def describe(data, rows):
    """A paragraph on one data set's results, written from the rows it describes."""
    n = rows[0]["networks"] if rows else 0
    same_n = all(r["networks"] == n for r in rows)
    title = DATA_TITLES.get(data, data)
    sentences = []
    full = [r for r in rows if r["solved"] == r["networks"]]
    none = [r for r in rows if r["solved"] == 0]
    part = [r for r in rows if 0 < r["solved"] < r["networks"]]
    if full:
        fastest = min(full, key=lambda r: (r["median_epochs"] is None, r["median_epochs"] or 0))
        seeds = f"all {n} seeds" if same_n else "all their seeds"
        if len(full) == 1:
            sentences.append(
                f"On the {title}, {fastest['label']} solved {seeds}, reaching 100% in a median "
                f"of {fastest['median_epochs']:g} epochs.")
        else:
            sentences.append(
                f"On the {title}, {_names(full)} solved {seeds}; the fastest, "
                f"{fastest['label']}, reached 100% in a median of {fastest['median_epochs']:g} "
                "epochs.")
    else:
        sentences.append(f"On the {title}, no setting solved every seed.")
    if part:
        sentences.append("Some seeds only: " + "; ".join(
            f"{r['label']} solved {r['solved']} of {r['networks']}" for r in part) + ".")
    if none:
        accs = ", ".join(f"{r['label']} {_pct(r['accuracy_mean'])}" for r in none)
        sentences.append(f"{_names(none)} solved none (mean final accuracy: {accs}).")
    div = [r for r in rows if r["diverged"]]
    if div:
        sentences.append("Diverged: " + "; ".join(
            f"{r['label']} in {r['diverged']} of {r['networks']} seeds (first at epoch "
            f"{min(r['diverged_epochs'])})" for r in div) + ".")
    return " ".join(sentences)
