"""Section 2 of the report: one subsection per experiment — what its sweep measured, in words,
a figure of the loss over seeds and a table — and the extra paragraphs and figures of three of
them (no activations, vanishing gradients, generalisation)."""

import os
import warnings

import numpy as np

from ...figures import sweeps as figures
from ...models.mlp import MLP
from ..factory import load_data
from . import findings, heldout, words
from .prose import (
    DATA_TITLES,
    TABLE_HEADER,
    _pct,
    describe,
    setting_label,
    summarise,
    table_rows,
)


def draw_now(figure, *args, **kwargs):
    """Draw a figure here and now: ``figure(*args, **kwargs)``. (The report hands its sections a
    ``draw`` that has worker processes draw them while it writes on.)"""
    figure(*args, **kwargs)


def _discussion(doc, out, name, title, keys, result, configs, steps, draw=draw_now):
    doc.heading(title, 3)
    tables = summarise(result, keys)
    per_data = "; ".join(
        f"{data} {' or '.join(map(str, sorted({c.epochs for c in configs if c.data == data})))}"
        for data in tables)
    doc.paragraph(
        f"{len(configs)} networks: {sum(len(r) for r in tables.values()) // max(len(tables), 1)} "
        f"settings × {len({c.seed for c in configs})} seeds on each data set; epochs: "
        f"{per_data}; from `{name}.toml`.")
    for data, rows in tables.items():
        doc.paragraph(describe(data, rows))
        for text in findings.budgets(result, rows):  # any setting given fewer epochs: why
            doc.paragraph(text)
    extra = EXTRAS.get(name)
    if extra:
        extra(doc, out, result, tables, configs, draw)
    path = f"figures/{name}.png"
    panels, order = _bands(result, tables, keys)
    draw(figures.band_plot, panels, os.path.join(out, path), order=order)
    doc.figure(path, f"{title[3:]}: median loss over seeds with the 10–90% band.")
    steps.done()
    for data, rows in tables.items():
        doc.paragraph(f"On the {DATA_TITLES.get(data, data)}:")
        doc.table(TABLE_HEADER, table_rows(rows), align=["l", "r", "r", "r", "r", "r"])
    steps.done()


ORDERED_KEYS = {"lr", "hidden", "epochs"}  # settings with an order: drawn on a colour scale


def _bands(result, tables, keys):
    """The band plot's panels (one per data set) and the order of its settings (None when they
    have none). A setting is named without its epochs (each data set has its own), so it looks
    the same in every panel, unless only the epochs tell two apart; ordered settings are ranked
    by their values."""
    def cfg(r):
        return result.configs[r["index"][0]].to_dict()

    shown = [k for k in keys if k != "epochs"] or keys
    if any(len({setting_label(cfg(r), shown) for r in rows}) < len(rows)
           for rows in tables.values()):
        shown = keys
    panels, values = [], {}
    for data, rows in tables.items():
        series = []
        for r in rows:
            setting = setting_label(cfg(r), shown)
            values[setting] = [cfg(r)[k] for k in shown]
            series.append(figures.Series(r["label"], result.loss[r["index"]],
                                         [result.metrics[i]["diverged"] for i in r["index"]],
                                         setting))
        panels.append((DATA_TITLES.get(data, data), series))
    ordered = set(keys) <= ORDERED_KEYS
    return panels, sorted(values, key=values.get) if ordered else None


# -- experiment-specific paragraphs and figures --------------------------------------------


def _no_activation(doc, out, result, tables, configs, draw):
    """Why XOR cannot be solved without activations: the network is one linear map."""
    linear_cfgs = [c for c in configs if c.activation[0] == "none" and c.output == "none"]
    trainable = [c for c in linear_cfgs if c.data == "xor" and c.seed == min(
        d.seed for d in linear_cfgs)]
    if not trainable:
        return
    cfg = min(trainable, key=lambda c: c.lr_value)
    x, y, _ = load_data(cfg)
    net = MLP(x.shape[1], hidden=cfg.hidden, activation=cfg.activation, output="none",
              seed=cfg.seed)
    h = net.fit(x, y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr_value,
                epochs=cfg.epochs)
    if h.interrupted:  # a Ctrl-C caught by the training: the report stops, as everywhere
        raise KeyboardInterrupt
    W, b = collapse(net)
    gap = float(np.max(np.abs(net.decision_function(x)[:, 0] - (x @ W + b)[:, 0])))
    doc.paragraph(
        f"Without activations the network computes z = ((x W₁ + b₁) W₂ + b₂) W₃ + b₃, which "
        f"multiplies out to one linear map x W + b. For the XOR network of seed {cfg.seed} "
        f"trained at lr {cfg.lr_value:g} for {h.epochs_run} epochs it is:")
    doc.code(f"ŷ = {W[0, 0]:+.6g}·x₁ {W[1, 0]:+.6g}·x₂ {b[0]:+.6g}\n"
             f"(largest difference from the network's own output: {gap:.1e})")
    doc.paragraph(
        "Its prediction is 1 where ŷ ≥ 0.5: one side of one straight line. The XOR points "
        "need two lines (the 0s lie on one diagonal, with the 1s on both sides of it), so no "
        "choice of weights solves them, however many layers are stacked: this network "
        f"reaches {100 * h.final_accuracy:.1f}% (loss {h.final_loss:.4f}).")


def collapse(net):
    """The single linear map (W, b) of a network without activations (network 0)."""
    W = np.eye(net.n_in)
    b = np.zeros(net.n_in)
    for layer in net.dense_layers:
        W = W @ layer.W[0]
        b = b @ layer.W[0] + layer.b[0, 0]
    return W, b


def _hidden_units(doc, out, result, tables, configs, draw):
    """Why a wider network solved fewer seeds than a narrower one, measured."""
    for data, rows in tables.items():
        for text in findings.wider_fails(result, data, rows, result.grad_norm_every):
            doc.paragraph(text)


def _vanishing(doc, out, result, tables, configs, draw):
    if result.grad_norms is None:
        return
    every = result.grad_norm_every  # as recorded: one for the whole report's sweep
    panels, facts = [], []
    for data in dict.fromkeys(c.data for c in result.configs):
        for i_rows in tables[data]:
            norms = np.stack([result.grad_norms[i] for i in i_rows["index"]])
            with np.errstate(all="ignore"), _quiet_nan():
                median = np.nanmedian(norms, axis=0)  # (records, layers)
            epochs = every * np.arange(1, median.shape[0] + 1)
            names = [f"W{j + 1}" for j in range(median.shape[1])]
            panels.append((f"{data}: {i_rows['label']}", epochs, median, names))
            with _quiet_nan():
                first = float(np.nanmedian(median[:, 0]))  # the first layer, over the run
            if np.isfinite(first):
                facts.append((data, _name(i_rows), first))
    path = "figures/vanishing_gradients_norms.png"
    draw(figures.grad_norm_plot, panels, os.path.join(out, path))
    doc.figure(path, "Gradient norm of each layer's weights over training (median over seeds), "
               "from the first layer (light) to the output layer (dark).")
    for data in dict.fromkeys(d for d, _, _ in facts):
        doc.paragraph(
            f"On the {DATA_TITLES.get(data, data)}, the first layer's gradient norm (the median "
            "over seeds, then over the run) was "
            + words.listing([f"{v:.1e} for {lab}" for d, lab, v in facts if d == data]) + ".")
    if facts:
        doc.paragraph(
            "On its way down to the first layer, the gradient is multiplied at every sigmoid "
            "layer by σ′ ≤ 0.25 (at most 0.25⁶ ≈ 1/4096 through six), while relu passes it "
            "unchanged where a unit is active and tanh′ reaches 1; where the first layer's "
            "gradient is orders of magnitude smaller, the early layers barely learn. A gradient "
            "also shrinks once a network has learned (its loss near zero), so read these "
            "numbers beside the loss curves below.")


def _name(row):
    return words.grouped([row["parts"]]) if row.get("parts") else row["label"]


def _generalisation(doc, out, result, tables, configs, draw):
    for data, rows in tables.items():
        if rows[0]["test_mean"] is None:
            continue
        cats = [r["label"] for r in rows]
        path = f"figures/generalisation_{data}.png"
        draw(figures.bar_pair, cats, [r["accuracy_mean"] for r in rows],
             [r["test_mean"] for r in rows], os.path.join(out, path),
             title=f"Training and fresh-sample accuracy ({data})",
             train_err=[r["accuracy_std"] for r in rows],
             test_err=[r["test_std"] for r in rows])
        doc.figure(path, f"Training accuracy beside accuracy on a fresh sample ({data}).")
        n = configs[0].test_n
        doc.paragraph(
            f"On the {DATA_TITLES.get(data, data)}, accuracy on {n} fresh points against "
            "training accuracy: " + "; ".join(
                f"{r['label']} {_pct(r['test_mean'])} against {_pct(r['accuracy_mean'])}"
                for r in rows) + ".")
    measured = {data: heldout.curves(result, rows) for data, rows in tables.items()
                if rows[0]["test_mean"] is not None}
    if measured:
        path = "figures/generalisation_curves.png"
        panels = [(DATA_TITLES.get(d, d), c) for d, c in measured.items()]
        draw(figures.train_test_curves, panels, os.path.join(out, path))
        doc.figure(path, "Training loss (solid) and loss on the fresh sample (dashed) per "
                         "epoch, the first seed of each setting.")
        for data, curves in measured.items():
            doc.paragraph(heldout.paragraph(data, curves, configs[0].test_n))


class _quiet_nan:
    """Silence NumPy's 'All-NaN slice' RuntimeWarning around nan-reductions."""

    def __enter__(self):
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


EXTRAS = {"hidden_units": _hidden_units, "no_activation": _no_activation,
          "vanishing_gradients": _vanishing,
          "generalisation": _generalisation}
