"""The sweeps' figures: loss curves summarised over seeds, each layer's gradient norm against
epoch, and training accuracy beside accuracy on a fresh sample.

Built on :mod:`backproplab.figures.plotting` and written atomically like every other file. The
report draws many of them, so long curves are thinned to a few hundred points.
"""

import math

import numpy as np

from .plotting import DPI, _pyplot, clip_curve, save

MAX_POINTS = 600  # per drawn curve: more is invisible at this size and only costs time
TOP_DECADE = 250  # a log axis widened for the ×s ends below 10**this: its ticks overflow beyond


# --- curves over seeds -----------------------------------------------------------------------


def _colours(n):
    """A qualitative colour per series (tab10), or a sequential ramp for more than 10."""
    plt = _pyplot()
    if n <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    return [plt.get_cmap("viridis")(t) for t in np.linspace(0, 0.92, n)]


def _thin(n, max_points=MAX_POINTS):
    """At most max_points evenly spread indices of range(n), the first and last kept."""
    return np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(int))


def _summarise(curves, max_points=MAX_POINTS):
    """(epochs, median, p10, p90) of curves (seeds, epochs) over seeds, at thinned epochs.

    NaN (or ±inf) is a run that had stopped. The summary is NaN at an epoch where fewer than
    half of the seeds still have a value, so the line ends rather than following the last few
    survivors.
    """
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    epochs = _thin(curves.shape[1], max_points)
    values = curves[:, epochs]
    values = np.where(np.isfinite(values), values, np.nan)
    values = clip_curve(values)  # a range matplotlib's log axis can draw
    enough = 2 * np.isfinite(values).sum(axis=0) >= max(len(values), 1)
    enough &= np.isfinite(values).any(axis=0)  # so nanmedian never sees an all-NaN column
    median, lo, hi = (np.full(len(epochs), np.nan) for _ in range(3))
    if enough.any():
        median[enough] = np.nanmedian(values[:, enough], axis=0)
        lo[enough], hi[enough] = np.nanpercentile(values[:, enough], [10, 90], axis=0)
    return epochs, median, lo, hi


def _headroom(ax, fraction):
    """Widen the y-axis upwards so the data fill only the lower ``fraction`` of the panel (on a
    log axis, no higher than 10**TOP_DECADE)."""
    lo, hi = ax.get_ylim()
    if ax.get_yscale() == "log":
        lo, hi = np.log10([lo, hi])
        ax.set_ylim(top=10.0 ** min(lo + (hi - lo) / fraction, max(hi, TOP_DECADE)))
    else:
        ax.set_ylim(top=lo + (hi - lo) / fraction)


def band_plot(panels, path, ylabel="loss", logy=True):
    """Curves summarised over seeds: the median as a line and the 10–90% band shaded, one
    panel per ``(panel_title, series)`` side by side.

    Each series is ``(label, curves)`` or ``(label, curves, diverged_epochs)``: curves of shape
    (seeds, epochs) with NaN after a run stopped, and the epochs at which runs diverged, each
    marked with an × along the top of the panel and counted in the legend.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D

    labels = list(dict.fromkeys(s[0] for _, series in panels for s in series))
    colour = dict(zip(labels, _colours(len(labels))))  # one colour per label in every panel
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 3.8), squeeze=False)
    for ax, (panel_title, series) in zip(axes[0], panels):
        handles, drawn, right, top = [], [], 1, 1.0
        for row, (label, curves, *rest) in enumerate(series):
            diverged = [int(e) for e in (rest[0] if rest else [])]
            c = colour[label]
            epochs, median, lo, hi = _summarise(curves)
            ax.fill_between(epochs, lo, hi, color=c, alpha=0.2, linewidth=0)
            ax.plot(epochs, median, color=c, lw=1.5)
            drawn += [v[np.isfinite(v)] for v in (median, lo, hi)]
            curves = np.asarray(curves, dtype=float)
            seen = np.flatnonzero(np.isfinite(curves).any(axis=0)) if curves.ndim == 2 else []
            last = int(seen[-1]) if len(seen) else 0  # curves may be NaN-padded past their end
            right = max(right, last, *diverged)
            # ×s along the top, one row per series; a number beside one that stands for several
            if diverged:
                height = 0.97 - 0.045 * row
                top = min(top, height)
                at, count = np.unique(diverged, return_counts=True)
                ax.plot(at, np.full(len(at), height), "x", color=c, ms=7, mew=1.8,
                        transform=ax.get_xaxis_transform(), clip_on=True)
                for e, k in zip(at[count > 1], count[count > 1]):
                    ax.annotate(f"{k}", (e, height), xycoords=ax.get_xaxis_transform(),
                                xytext=(5, 0), textcoords="offset points", color=c,
                                fontsize=7, va="center")
            name = f"{label} ({len(diverged)} diverged)" if diverged else str(label)
            handles.append(Line2D([], [], color=c, lw=1.5, marker="x" if diverged else None,
                                  mew=1.8, label=name))
        drawn = np.concatenate(drawn) if drawn else np.empty(0)
        if logy and drawn.size and drawn.min() > 0:
            ax.set_yscale("log")
        ax.set_xlim(-0.02 * right, right)  # an × at epoch 0 shows whole
        if top < 1.0:  # some run diverged: keep the curves below the row(s) of ×s
            _headroom(ax, top - 0.05)
        ax.set(title=panel_title, xlabel="epoch")
        ax.grid(alpha=0.3)
        if handles:
            ax.legend(handles=handles, fontsize=7, loc="best")
    axes[0, 0].set_ylabel(ylabel)
    save(fig, path, dpi=DPI)


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
        keep = _thin(len(epochs))
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

