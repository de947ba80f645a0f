"""The sweeps' figures: loss curves summarised over seeds (:func:`band_plot`, from
:mod:`.bands`), each layer's gradient norm against epoch, and training accuracy beside accuracy
on a fresh sample.

Built on :mod:`backproplab.figures.plotting` and written atomically like every other file. The
report draws many of them, so long curves are thinned to a few hundred points.
"""

import math

import numpy as np

from .bands import Series, band_plot, thin
from .plotting import DPI, _pyplot, clip_curve, save

__all__ = ["Series", "band_plot", "grad_norm_plot", "bar_pair", "train_test_curves"]


def grad_norm_plot(panels, path):
    """Each layer's weight-gradient norm against epoch, one panel per ``(panel_title, epochs,
    norms, layer_names)`` with norms (epochs, layers); a shared log y-axis so panels compare.

    Layers go from light (input side) to dark (output side): a gradient that vanishes on its
    way back shows as light lines far below dark ones.
    """
    plt = _pyplot()
    n_cols = min(3, len(panels))
    n_rows = math.ceil(len(panels) / n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.3 * n_cols, 3.3 * n_rows), sharey=True,
                             squeeze=False, layout="constrained")
    any_positive = False
    for ax, (panel_title, epochs, norms, layer_names) in zip(axes.flat, panels):
        epochs = np.asarray(epochs)
        norms = np.asarray(norms, dtype=float).reshape(len(epochs), -1)
        keep = thin(len(epochs))
        n_layers = norms.shape[1]
        ramp = plt.get_cmap("viridis_r")(np.linspace(0.2, 1.0, n_layers) if n_layers > 1
                                         else [0.9])
        for j, name in enumerate(layer_names):
            ax.plot(epochs[keep], clip_curve(norms[keep, j]), color=ramp[j], lw=1.4,
                    label=name)
        any_positive |= bool((norms[np.isfinite(norms)] > 0).any())
        ax.set(title=panel_title, xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best", ncol=2 if n_layers > 4 else 1)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    if any_positive:  # log of no positive value is an empty axis and a warning
        axes[0, 0].set_yscale("log")  # shared: every panel follows
    for ax in axes[:, 0]:
        ax.set_ylabel("‖∂L/∂W‖ (median over seeds)")
    save(fig, path, dpi=DPI)


# --- generalisation --------------------------------------------------------------------------


def bar_pair(categories, train_values, test_values, path, title, ylabel="accuracy (%)", *,
             train_err=None, test_err=None):
    """Training accuracy beside accuracy on a fresh sample, per category, in percent.

    Values are fractions in [0, 1] (means over seeds); ``train_err``/``test_err`` their
    standard deviations, drawn as error bars. Each bar carries its value.
    """
    n = len(categories)
    if not len(train_values) == len(test_values) == n:
        raise ValueError(f"{n} categories need {n} train and {n} test values, got "
                         f"{len(train_values)} and {len(test_values)}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(4.5, 1.0 * n + 2.0), 3.8))
    x, width = np.arange(n), 0.38
    for offset, values, err, colour, label in (
            (-width / 2, train_values, train_err, "tab:gray", "train"),
            (width / 2, test_values, test_err, "tab:green", "fresh test sample")):
        pct = 100 * np.asarray(values, dtype=float)
        known = np.isfinite(pct)
        spread = (np.zeros(n) if err is None
                  else np.where(known, np.nan_to_num(100 * np.asarray(err, dtype=float)), 0))
        ax.bar(x + offset, np.where(known, pct, 0), width, color=colour, label=label,
               yerr=None if err is None else spread, capsize=3, error_kw={"lw": 1})
        for xi, v, s in zip(x + offset, pct, spread):
            ax.text(xi, (v + s if np.isfinite(v) else 0) + 1.5,
                    f"{v:.1f}" if np.isfinite(v) else "n/a", ha="center", va="bottom",
                    fontsize=7)
    ax.set_xticks(x, [str(c) for c in categories], rotation=30 if n > 6 else 0,
                  ha="right" if n > 6 else "center")
    ax.set(title=title, ylabel=ylabel)
    ax.set_ylim(0, max(112, ax.get_ylim()[1] + 8))  # room for the numbers above the bars
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    save(fig, path, dpi=DPI)



def train_test_curves(panels, path, ylabel="loss"):
    """Training and test loss against epoch, one panel per ``(panel_title, curves)`` with
    curves a list of ``(label, epochs, train, test)``: a setting's two curves share a colour,
    the training one solid and the test one dashed, so the gap between them is what reads."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.4), sharey=True,
                             squeeze=False, layout="constrained")
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(c) for _, c in panels)))
    for ax, (title, curves) in zip(axes[0], panels):
        for colour, (label, epochs, train, test) in zip(colours, curves):
            ax.plot(epochs, clip_curve(train), color=colour, lw=1.4, label=f"{label} training")
            ax.plot(epochs, clip_curve(test), color=colour, lw=1.4, ls="--",
                    label=f"{label} test")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=7, loc="best", ncol=1)
    save(fig, path, dpi=DPI)
