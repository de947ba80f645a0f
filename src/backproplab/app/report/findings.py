"""Measured explanations for the hidden-units experiment: what a smaller budget of epochs means
for the settings that got one, and why a wider network can solve fewer seeds than a narrower
one. Every number comes from the loss, accuracy and gradient-norm curves the sweep recorded."""

import numpy as np

from ..factory import load_data
from . import words
from .prose import DATA_TITLES

# a run has left the plateau once its loss is below 0.9 × the loss of the best constant output
PLATEAU = 0.9


def budgets(result, rows):
    """Sentences on the settings trained for fewer epochs than the others of the data set: why
    (the cost of one epoch, in multiply-adds per sample), and how far the others had got by the
    same epoch — the fair comparison."""
    usual = max(r["epochs"] for r in rows)
    out = []
    for short in [r for r in rows if r["epochs"] < usual]:
        e = short["epochs"]
        others = [r for r in rows if r["epochs"] == usual]
        solved = [(r, sum(result.accuracy[i][e] == 1.0 for i in r["index"])) for r in others]
        cost = _multiply_adds(result.configs[short["index"][0]])
        usual_row = max(others, key=lambda r: _multiply_adds(result.configs[r["index"][0]]))
        ratio = cost / _multiply_adds(result.configs[usual_row["index"][0]])
        name = words.grouped([[p for p in short["parts"] if p[0] != "epochs"]])
        text = (f"Only {e} epochs for {name}, against {usual} for the others: each of its epochs "
                f"costs about {ratio:,.0f} times the multiply-adds of {usual_row['label']}'s, and "
                f"{usual} of them would make the report many times longer. So compare it with "
                f"the others at epoch {e}, not at their end: ")
        done = [(r, k) for r, k in solved if k]
        if not done:
            text += (f"by epoch {e} no other setting had solved a seed either, so in this budget "
                     "its result says nothing about width.")
        else:
            text += f"by epoch {e}, " + words.listing(
                [f"{r['label']} had solved {words.some_of(k, r['networks'])}"
                 for r, k in done]) + "."
        out.append(text)
    return out


def _multiply_adds(cfg):
    widths = [2, *cfg.hidden, 1]
    return sum(a * b for a, b in zip(widths, widths[1:]))


def wider_fails(result, data, rows, every):
    """A sentence for each setting that solved fewer seeds than a narrower one of the same
    budget: how many of its seeds never left the starting plateau (loss within 10% of its
    first), when the narrower one's left it, and both first layers' gradient norms early on."""
    out = []
    full = [r for r in rows if r["epochs"] == max(q["epochs"] for q in rows)]
    for j, r in enumerate(full):
        better = [q for q in full[:j] if q["solved"] > r["solved"]]
        if not better:
            continue
        q = max(better, key=lambda q: q["solved"])
        stuck, left = _plateau(result, r)
        _, q_left = _plateau(result, q)
        text = (f"Why {r['label']} solved fewer seeds than {q['label']} on the "
                f"{DATA_TITLES.get(data, data)}: ")
        if stuck:
            text += (f"in {words.some_of(stuck, r['networks'])} its loss never left the "
                     f"plateau where the network gives every point the same output (it stayed "
                     f"above {PLATEAU:g} × that output's loss) within the {r['epochs']} epochs")
            if left:
                text += (f"; the other {len(left)} left it at a median epoch of "
                         f"{words.epochs(np.median(left))}")
        else:
            text += (f"its seeds left the plateau where the network gives every point the same "
                     f"output at a median epoch of "
                     f"{words.epochs(np.median(left))}")
        text += ("" if not q_left else
                 f", while the seeds of {q['label']} left it at a median epoch of "
                 f"{words.epochs(np.median(q_left))}")
        norms = [_first_layer(result, x) for x in (r, q)]
        if every and all(n is not None for n in norms):
            text += (f". At epoch {every} the first layer's gradient norm was a median of "
                     f"{norms[0]:.2g} against {norms[1]:.2g}")
            if norms[0] < norms[1] / 2:
                text += f" for {q['label']}: the wider network's first layer learns more slowly"
        out.append(text + ".")
    return out


def _plateau(result, row):
    """(seeds that never left the plateau, epochs at which the others left it). The plateau
    is the loss of the best constant output: the variance of the labels for mse, their
    entropy for bce (for another loss, the run's first loss)."""
    stuck, left = 0, []
    for i in row["index"]:
        loss = result.loss[i]
        below = np.flatnonzero(loss < PLATEAU * _constant_loss(result.configs[i], loss[0]))
        if below.size:
            left.append(int(below[0]))
        else:
            stuck += 1
    return stuck, left


def _constant_loss(cfg, first):
    if cfg.loss not in ("mse", "bce"):
        return first
    _, y, _ = load_data(cfg)
    p = float(np.mean(y))
    if cfg.loss == "mse":
        return p * (1 - p)
    return -(p * np.log(p) + (1 - p) * np.log(1 - p)) if 0 < p < 1 else first


def _first_layer(result, row):
    if result.grad_norms is None:
        return None
    first = [result.grad_norms[i][0, 0] for i in row["index"]]
    first = [v for v in first if np.isfinite(v)]
    return float(np.median(first)) if first else None
