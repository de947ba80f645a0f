"""The report's figures: a network's weights, what each hidden unit detects, a decision boundary
as it trains, loss curves over seeds, gradient norms per layer, and train-against-test accuracy.

Built on :mod:`backproplab.plotting` (matplotlib is imported only when a figure is drawn) and
written atomically like every other file. The report draws all of them in well under a minute,
so each figure avoids what is slow in matplotlib: no ``contourf`` per frame, long curves thinned
to a few hundred points, weight lines drawn as one collection.
"""

import math

import numpy as np

from ..files import atomic_path
from .plotting import CLASS_COLOURS, _pyplot, save

DPI = 100
MAX_POINTS = 600  # per drawn curve: more is invisible at this size and only costs time
WIDE = 16  # a layer with more units than this is drawn as its first HEAD and last TAIL units
HEAD, TAIL = 8, 7
POSITIVE, NEGATIVE = "tab:blue", "tab:red"


# --- the network ----------------------------------------------------------------------------


def _shown_units(n):
    """(indices of the units drawn, their heights, height of the "⋮" or None), one unit apart
    and centred on 0, the first unit on top."""
    if n <= WIDE:
        return np.arange(n), (n - 1) / 2 - np.arange(n), None
    units = np.r_[0:HEAD, n - TAIL:n]
    slots = np.r_[0:HEAD, HEAD + 1:HEAD + 1 + TAIL]  # slot HEAD holds the "⋮"
    middle = (HEAD + TAIL) / 2
    return units, middle - slots, middle - HEAD


def _strength(values):
    """|v| / max|v| in [0, 1]; a non-finite value (a diverged network) counts as 0."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    scale = np.abs(values[finite]).max() if finite.any() else 0.0
    if scale == 0:
        return np.zeros(values.shape)
    return np.where(finite, np.abs(np.where(finite, values, 0.0)) / scale, 0.0)


def _sign_colours(values, alpha):
    """RGBA rows: blue for v ≥ 0, red for v < 0, with the given alpha."""
    from matplotlib.colors import to_rgba

    rgba = np.where((np.asarray(values) < 0)[..., None], to_rgba(NEGATIVE), to_rgba(POSITIVE))
    rgba[..., 3] = alpha
    return rgba


def network_diagram(net, path, title=None):
    """Network 0 of ``net`` drawn as units in columns joined by every weight.

    A line's colour is its weight's sign (blue +, red −); its width and opacity are
    |w| / max|w| over its layer. A unit's fill shows its bias the same way, on the same scale.
    Layers wider than 16 units show their first 8 and last 7 units around a "⋮", with the
    real count below.
    """
    plt = _pyplot()
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    sizes = [net.n_in, *net.hidden, net.n_out]
    names = (["input"] + [f"hidden {i + 1}\n{act}" for i, act in enumerate(net.activation)]
             + [f"output\n{net.output}"])
    shown = [_shown_units(n) for n in sizes]  # layer l is drawn at x = l
    tallest = max(min(n, WIDE) for n in sizes)
    bottom = -(tallest - 1) / 2

    fig, ax = plt.subplots(figsize=(1.9 * len(sizes) + 1.2, 0.42 * tallest + 1.9))
    for col, (layer, (rows, y_in, _), (cols, y_out, _)) in enumerate(
            zip(net.dense_layers, shown[:-1], shown[1:])):
        W = layer.W[0][np.ix_(rows, cols)]                      # network 0, drawn units only
        strength = _strength(layer.W[0])[np.ix_(rows, cols)]    # scaled by the whole layer
        y0, y1 = np.meshgrid(y_in, y_out, indexing="ij")        # one line per (row, col)
        segments = np.stack([np.stack([np.full_like(y0, col), y0], axis=-1),
                             np.stack([np.full_like(y1, col + 1), y1], axis=-1)], axis=-2)
        ax.add_collection(LineCollection(
            segments.reshape(-1, 2, 2), colors=_sign_colours(W, strength).reshape(-1, 4),
            linewidths=3.0 * strength.ravel(), zorder=1))

    for col, ((units, y, gap), n, name) in enumerate(zip(shown, sizes, names)):
        if col == 0:
            faces = np.tile([0.93, 0.93, 0.93, 1.0], (len(units), 1))  # inputs have no bias
        else:
            layer = net.dense_layers[col - 1]
            b = layer.b[0].ravel()
            # on the weights' scale, so a lone output unit's bias is not full colour by default
            strength = _strength(np.r_[b, layer.W[0].ravel()])[:len(b)]
            faces = _sign_colours(b[units], 1.0)
            tint = 0.85 * strength[units, None]  # mixed with white, so the unit stays opaque
            faces[:, :3] = 1 - tint * (1 - faces[:, :3])
        ax.scatter(np.full(len(units), col), y, s=230, c=faces, edgecolors="black",
                   linewidths=0.9, zorder=2)
        if gap is not None:
            ax.text(col, gap, "⋮", ha="center", va="center", fontsize=15,
                    zorder=3)
        count = f"{n} unit{'s' * (n > 1)}" + (f" ({len(units)} shown)" if gap is not None else "")
        ax.text(col, bottom - 0.9, f"{name}\n{count}", ha="center", va="top",
                fontsize=8.5)

    if title is None:
        title = f"{'–'.join(map(str, sizes))} network (network 0, seed {net.seeds[0]})"
    ax.set_title(title, fontsize=10)
    ax.legend(handles=[Line2D([], [], color=POSITIVE, lw=2, label="w > 0"),
                       Line2D([], [], color=NEGATIVE, lw=2, label="w < 0")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
              title="width ∝ |w|\nfill: bias", title_fontsize=8)
    ax.set_xlim(-0.4, len(sizes) - 0.6)
    ax.set_ylim(bottom - 2.3, -bottom + 0.6)
    ax.axis("off")
    save(fig, path, dpi=DPI)


# --- the decision boundary as it trains ------------------------------------------------------


def _remove(contours):
    """Take a contour set off its axes (one artist from matplotlib 3.8, a list before)."""
    if contours is None:
        return
    if hasattr(contours, "remove"):
        contours.remove()
    else:
        for c in contours.collections:
            c.remove()


def _boundary_contour(ax, xx, yy, proba):
    finite = proba[np.isfinite(proba)]
    if finite.size and finite.min() < 0.5 < finite.max():
        return ax.contour(xx, yy, proba, levels=[0.5], colors="black", linewidths=1.3)
    return None  # no boundary inside the plane (or a diverged network): nothing to draw


def _extent(xx, yy):
    """imshow's extent puts pixel *edges* at its limits; the grid holds pixel centres."""
    dx = (xx[0, -1] - xx[0, 0]) / max(xx.shape[1] - 1, 1)
    dy = (yy[-1, 0] - yy[0, 0]) / max(yy.shape[0] - 1, 1)
    return (xx[0, 0] - dx / 2, xx[0, -1] + dx / 2, yy[0, 0] - dy / 2, yy[-1, 0] + dy / 2)


def boundary_animation(frames, x, y, path, fps=8):
    """An animated GIF of the decision boundary, one frame per ``(epoch, loss, accuracy, xx,
    yy, proba)``: xx, yy a meshgrid (``plotting.grid_over``) and proba P(label = 1) on it.

    The figure is built once; each frame only changes the image, the 0.5 contour and the
    title, and is drawn once. (``FuncAnimation.save`` would draw every frame twice on Agg —
    once to show it, once to grab it — so the frames go straight to the ``PillowWriter``.)
    """
    if not frames:
        raise ValueError("boundary_animation needs at least one frame")
    plt = _pyplot()
    from matplotlib.animation import PillowWriter

    fig, ax = plt.subplots(figsize=(5.0, 4.2))
    xx = frames[0][3]
    image = ax.imshow(np.zeros(np.shape(xx)), extent=_extent(xx, frames[0][4]), origin="lower",
                      cmap="RdBu", vmin=0, vmax=1, alpha=0.75, interpolation="bilinear")
    fig.colorbar(image, ax=ax, label="P(label = 1)", ticks=[0, 0.5, 1])
    labels = np.asarray(y).ravel()
    for c, colour in enumerate(CLASS_COLOURS):
        pts = x[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=22, edgecolors="white", linewidths=0.6,
                   zorder=3)
    ax.set(xlabel="x₁", ylabel="x₂")
    heading = ax.set_title("", fontsize=10)

    writer, contour = PillowWriter(fps=fps), None
    try:
        with atomic_path(path, suffix=".gif") as tmp, writer.saving(fig, tmp, dpi=DPI):
            for epoch, loss, accuracy, xx, yy, proba in frames:
                proba = np.reshape(proba, np.shape(xx))
                image.set_data(proba)
                image.set_extent(_extent(xx, yy))
                _remove(contour)
                contour = _boundary_contour(ax, xx, yy, proba)
                heading.set_text(
                    f"epoch {epoch} — loss {loss:.4g} — accuracy {100 * accuracy:.1f}%")
                writer.grab_frame()
    finally:
        plt.close(fig)


# --- what each hidden unit detects -----------------------------------------------------------

MAX_UNITS = 12  # hidden units drawn per layer: the ones that vary most over the plane
MAX_LAYERS = 8  # hidden layers drawn, from the first
FIXED_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # activations with known bounds


def activation_range(name, values):
    """The colour scale (lo, hi) of an activation: its bounds when it has them (sigmoid
    [0, 1], tanh [−1, 1]); else [0, max] for non-negative values (relu, softplus) and
    [−max|a|, max|a|] otherwise, over the finite values given."""
    if name in FIXED_RANGE:
        return FIXED_RANGE[name]
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if lo >= 0:
        return 0.0, hi if hi > 0 else 1.0
    top = max(-lo, hi)
    return -top, top


def units_to_show(a, limit=MAX_UNITS):
    """Indices of the units drawn for activations a (points, units): all of them when they
    fit, else the ``limit`` units whose activation varies most over the points (spread
    max − min; a non-finite one counts as none), in their own order."""
    n = a.shape[1]
    if n <= limit:
        return np.arange(n)
    with np.errstate(invalid="ignore"):
        spread = a.max(axis=0) - a.min(axis=0)
    spread = np.where(np.isfinite(spread), spread, -1.0)
    return np.sort(np.argsort(-spread, kind="stable")[:limit])


def layers_to_show(n, limit=MAX_LAYERS):
    """Indices of the hidden layers drawn: all when they fit, else the first and the last
    ones (the lines the first layer draws, and the shapes the last ones build from them)."""
    if n <= limit:
        return np.arange(n)
    return np.r_[0:(limit + 1) // 2, n - limit // 2:n]


def _middle(spec, share):
    """The middle one of three rows of ``spec``, holding ``share`` of its height (centred)."""
    share = min(max(share, 1e-3), 1.0)
    return spec.subgridspec(3, 1, height_ratios=[1 - share + 1e-9, 2 * share, 1 - share + 1e-9],
                            hspace=0)[1]


def hidden_units(net, x, y, path, m=0, title=None, max_units=MAX_UNITS,
                 max_layers=MAX_LAYERS, steps=100):
    """Every hidden unit's activation over the input plane (2-D inputs), beside the output's
    decision boundary, for network m of ``net``: what each neuron has learned to detect.

    One row per hidden layer, the first on top; a small map per unit titled hℓ.u (layer ℓ,
    unit u, both from 1), the training points light on it. Maps of the same activation share
    one colour scale (see :func:`activation_range`), with a colour bar at the end of each row.
    A layer wider than ``max_units`` shows the units that vary most over the plane and says
    how many it shows; a network deeper than ``max_layers`` shows its first and last layers.
    """
    from . import plotting

    plt = _pyplot()
    x = np.asarray(x, dtype=float)
    xx, yy, grid = plotting.grid_over(x, steps=steps)  # the decision boundary's own plane
    every = net.hidden_activations(grid, m=m)
    layers = layers_to_show(len(every), max_layers)
    acts = [every[i] for i in layers]
    names = [net.activation[i] for i in layers]
    shown = [units_to_show(a, max_units) for a in acts]
    scale = {}
    for name, a, units in zip(names, acts, shown):  # one scale per activation name
        lo, hi = activation_range(name, a[:, units])
        old = scale.get(name, (lo, hi))
        scale[name] = (min(lo, old[0]), max(hi, old[1]))

    n_rows, n_cols = len(acts), max(len(u) for u in shown)
    side = min(1.5, max(1.0, 8 / n_cols))  # inches per unit map: larger when there are few
    row_height, boundary = side + 0.25, 4.2  # a map with its title; the boundary's panel
    maps_width = n_cols * side + 1.3  # with the row labels and colour bars
    height = max(n_rows * row_height, boundary) + 0.7
    fig = plt.figure(figsize=(maps_width + boundary + 1.2, height))
    outer = fig.add_gridspec(1, 2, width_ratios=[maps_width, boundary + 1.2], wspace=0.3,
                             top=1 - 0.45 / height, bottom=0.25 / height)
    inner = height - 0.7
    left = _middle(outer[0], n_rows * row_height / inner).subgridspec(
        n_rows, n_cols + 1, width_ratios=[1] * n_cols + [0.08], hspace=0.45, wspace=0.15)
    extent = _extent(xx, yy)
    labels = np.asarray(y).ravel()
    for row, (layer, name, a, units) in enumerate(zip(layers, names, acts, shown)):
        lo, hi = scale[name]
        cmap = "viridis" if lo >= 0 else "PuOr_r"
        for col, unit in enumerate(units):
            ax = fig.add_subplot(left[row, col])
            image = ax.imshow(a[:, unit].reshape(xx.shape), extent=extent, origin="lower",
                              cmap=cmap, vmin=lo, vmax=hi, interpolation="bilinear")
            for c, colour in enumerate(CLASS_COLOURS):
                pts = x[labels == c]
                ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=5, alpha=0.7, edgecolors="none")
            ax.set(xlim=(xx[0, 0], xx[0, -1]), ylim=(yy[0, 0], yy[-1, 0]))
            ax.axis("off")  # no ticks to lay out: the figure draws several times faster
            ax.text(0.5, 1.03, f"h{layer + 1}.{unit + 1}", transform=ax.transAxes,
                    ha="center", va="bottom", fontsize=8)
            if col == 0:
                n = a.shape[1]
                count = f"\n{len(units)} of {n} shown" if len(units) < n else ""
                ax.text(-0.08, 0.5, f"hidden {layer + 1}\n{name}{count}", fontsize=8,
                        transform=ax.transAxes, ha="right", va="center", rotation=90,
                        multialignment="center")
        bar = fig.colorbar(image, cax=fig.add_subplot(left[row, n_cols]))
        bar.ax.tick_params(labelsize=7)

    ax = fig.add_subplot(_middle(outer[1], boundary / inner))
    proba = net.predict_proba(grid)
    proba = (proba[m] if net.k > 1 else proba)[:, 0]
    if np.isfinite(proba).any():
        image = plotting.draw_boundary(ax, xx, yy, proba, x, y, "Output: decision boundary")
        fig.colorbar(image, ax=ax, label="P(label = 1)", fraction=0.05, pad=0.04)
    else:  # a diverged network: no boundary to draw
        ax.set_title("Output: not finite")
        ax.set_axis_off()
    if title is None:
        title = ("What each hidden unit detects: its activation over the input plane "
                 f"(network {m}, seed {net.seeds[m]})")
        if len(layers) < len(every):
            title += f" — {len(layers)} of {len(every)} hidden layers"
    fig.suptitle(title, fontsize=10)
    save(fig, path, dpi=DPI)


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
    enough = 2 * np.isfinite(values).sum(axis=0) >= max(len(values), 1)
    enough &= np.isfinite(values).any(axis=0)  # so nanmedian never sees an all-NaN column
    median, lo, hi = (np.full(len(epochs), np.nan) for _ in range(3))
    if enough.any():
        median[enough] = np.nanmedian(values[:, enough], axis=0)
        lo[enough], hi[enough] = np.nanpercentile(values[:, enough], [10, 90], axis=0)
    return epochs, median, lo, hi


def _headroom(ax, fraction):
    """Widen the y-axis upwards so the data fill only the lower ``fraction`` of the panel."""
    lo, hi = ax.get_ylim()
    if ax.get_yscale() == "log":
        lo, hi = np.log10([lo, hi])
        ax.set_ylim(top=10 ** (lo + (hi - lo) / fraction))
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
            ax.plot(epochs[keep], norms[keep, j], color=ramp[j], lw=1.4, label=name)
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
