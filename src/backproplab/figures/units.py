"""What each hidden unit detects: every hidden unit's activation over the input plane, one small
map per unit, beside the output's decision boundary (networks with 2-D inputs).

Built on :mod:`backproplab.figures.plotting` and written atomically like every other file. The
maps are images without axes or ticks, and a wide or deep network shows only the units and
layers a reader can take in (:func:`units_to_show`, :func:`layers_to_show`).
"""

import numpy as np

from . import classes
from .plane import plane_scale, sample
from .plotting import (
    CLASS_COLOURS,
    DPI,
    _pyplot,
    chunks,
    draw_boundary,
    evaluate,
    forward_bytes,
    grid_extent,
    grid_over,
    grid_steps,
    save,
)

MAX_UNITS = 12  # hidden units drawn per layer: the ones that vary most over the plane
MAX_LAYERS = 8  # hidden layers drawn, from the first
MAP_POINTS = 2000  # training points drawn on each small map: a sample of a larger set
FIXED_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # activations with known bounds
SIDE, TITLE, GAP = (0.85, 1.6), 0.3, 0.3  # inches: a map, its title, between two layers
MAPS_HEIGHT, MAPS_WIDTH, MAX_ROWS = 6.0, 10.0, 10  # inches the maps aim at; most rows of maps
MAX_WIDTH = 20.0  # inches: the canvas, whatever the network (the boundary's panel gives way)
BOUNDARY = (3.6, 6.0)  # inches: the boundary's panel, as tall as the maps within these bounds
TOP, BOTTOM = 0.8, 0.3  # inches above the panels (the figure's and a panel's title) and below
LABELS, BETWEEN = 0.8, 0.9  # inches left of the maps (the layers' names); maps to boundary


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
    if a.shape[1] <= limit:
        return np.arange(a.shape[1])
    return _most_varying(a.min(axis=0), a.max(axis=0), limit)


def _most_varying(lo, hi, limit):
    """The ``limit`` units of largest spread hi − lo (a non-finite one counts as none)."""
    with np.errstate(invalid="ignore"):
        spread = hi - lo
    spread = np.where(np.isfinite(spread), spread, -1.0)
    return np.sort(np.argsort(-spread, kind="stable")[:limit])


def layers_to_show(n, limit=MAX_LAYERS):
    """Indices of the hidden layers drawn: all when they fit, else the first and the last
    ones (the lines the first layer draws, and the shapes the last ones build from them)."""
    if n <= limit:
        return np.arange(n)
    return np.r_[0:(limit + 1) // 2, n - limit // 2:n]


def shown_maps(net, grid, layers, max_units=MAX_UNITS):
    """What the maps of one network (``net.k`` = 1) draw, for each hidden layer in ``layers``:
    (its shown units' activations over the grid (points, shown), their indices, the layer's
    width).

    A grid too large for one pass through a wide network (:func:`~.plotting.chunks`) is
    evaluated twice a chunk at a time: once for each unit's spread, to pick the units, then
    for the picked units' activations only — memory stays bounded however wide the layers.
    """
    parts = chunks(len(grid), 2 * forward_bytes(net))  # hidden_activations keeps copies too
    if len(parts) == 1:
        every = net.hidden_activations(grid)
        return [(every[i][:, units], units, every[i].shape[1])
                for i in layers for units in [units_to_show(every[i], max_units)]]
    lo, hi = [None] * len(layers), [None] * len(layers)
    for part in parts:
        every = net.hidden_activations(grid[part])
        for j, i in enumerate(layers):
            low, high = every[i].min(axis=0), every[i].max(axis=0)  # NaN stays NaN, as in one
            lo[j] = low if lo[j] is None else np.minimum(lo[j], low)
            hi[j] = high if hi[j] is None else np.maximum(hi[j], high)
    shown = [np.arange(len(l)) if len(l) <= max_units else _most_varying(l, h, max_units)
             for l, h in zip(lo, hi)]
    maps = [np.empty((len(grid), len(units)), dtype=net.dtype) for units in shown]
    for part in parts:
        every = net.hidden_activations(grid[part])
        for j, i in enumerate(layers):
            maps[j][part] = every[i][:, shown[j]]
    return [(a, units, len(l)) for a, units, l in zip(maps, shown, lo)]


def _middle(spec, share):
    """The middle one of three rows of ``spec``, holding ``share`` of its height (centred)."""
    share = min(max(share, 1e-3), 1.0)
    return spec.subgridspec(3, 1, height_ratios=[1 - share + 1e-9, 2 * share, 1 - share + 1e-9],
                            hspace=0)[1]


def _sizes(counts, n_cols):
    """(rows of each layer, map side, maps' height, boundary side, canvas width, canvas height)
    in inches, for layers of ``counts`` maps wrapped onto rows of ``n_cols``."""
    rows = [-(-n // n_cols) for n in counts]
    n_rows, gaps = sum(rows), GAP * (len(rows) - 1)
    side = min((MAPS_HEIGHT - TITLE * n_rows - gaps) / n_rows, MAPS_WIDTH / n_cols)
    side = min(max(side, SIDE[0]), SIDE[1])
    block = n_rows * (side + TITLE) + gaps
    maps = LABELS + n_cols * (side + 0.15) + 0.5 + BETWEEN  # with their colour bars
    boundary = min(max(block, BOUNDARY[0]), BOUNDARY[1], max(MAX_WIDTH - maps - 1.2, BOUNDARY[0]))
    width = maps + boundary + 1.2  # the boundary's panel with its colour bar
    return rows, side, block, boundary, width, max(block, boundary) + TOP + BOTTOM


def wrap(counts, max_rows=MAX_ROWS):
    """(columns, rows of each layer) for layers of ``counts`` maps, each layer on rows of its own
    of at most ``columns`` maps, chosen so that the maps and the boundary's panel cover as much
    of the canvas as they can (less a little for each layer wrapped: a row per layer reads
    best). At most ``max_rows`` rows unless the widest layer fits on one."""
    best = None
    for c in range(1, max(counts) + 1):
        rows, side, _, boundary, width, height = _sizes(counts, c)
        if sum(rows) > max_rows and c < max(counts):
            continue
        cover = (sum(counts) * side**2 + boundary**2) / (width * height)
        score = cover - 0.1 * (sum(rows) - len(rows)) / len(rows)
        if best is None or score > best[0]:
            best = (score, c, rows)
    return best[1], best[2]


def hidden_units(net, x, y, path, m=0, title=None, max_units=MAX_UNITS,
                 max_layers=MAX_LAYERS, steps=100):
    """Every hidden unit's activation over the input plane (2-D inputs), beside the output's
    decision boundary (or, for a softmax output, its decision regions), for network m of
    ``net``: what each neuron has learned to detect.

    A band of rows per hidden layer, the first on top (a wide layer wraps: :func:`wrap` sizes
    the canvas from the number of maps and layers, so that maps and boundary fill it); a small
    map per unit titled hℓ.u (layer ℓ, unit u, both from 1), the training points light on it.
    Maps of the same activation share one colour scale (see :func:`activation_range`), with a
    colour bar beside each layer.
    A layer wider than ``max_units`` shows the units that vary most over the plane and says
    how many it shows; a network deeper than ``max_layers`` shows its first and last layers.
    """
    plt = _pyplot()
    x = np.asarray(x, dtype=float)
    one = net if net.k == 1 else net.select([m])  # the stack's other networks are not drawn
    n_classes = one.n_out if one.output == "softmax" else None  # K; None: one sigmoid unit
    xx, yy, grid = grid_over(x, steps=grid_steps(one, steps))  # the boundary's own plane
    depth = len(net.activation)
    layers = layers_to_show(depth, max_layers)
    names = [net.activation[i] for i in layers]
    maps = shown_maps(one, grid, layers, max_units)
    scale = {}
    for name, (a, _, _) in zip(names, maps):  # one scale per activation name
        lo, hi = activation_range(name, a)
        old = scale.get(name, (lo, hi))
        scale[name] = (min(lo, old[0]), max(hi, old[1]))

    # the canvas from the maps: each layer wraps onto rows of n_cols maps, sized so that the
    # maps and the boundary's panel beside them fill it (wrap, _sizes)
    counts = [len(units) for _, units, _ in maps]
    n_cols, _ = wrap(counts)
    rows, side, block, boundary, width, height = _sizes(counts, n_cols)
    fig = plt.figure(figsize=(width, height))
    panels = [n_cols * (side + 0.15) + 0.5, boundary + 1.0]  # inches: with their colour bars
    outer = fig.add_gridspec(1, 2, width_ratios=panels, wspace=BETWEEN / np.mean(panels),
                             left=LABELS / width, right=1 - 0.2 / width,
                             top=1 - TOP / height, bottom=BOTTOM / height)
    inner = height - TOP - BOTTOM
    layer_specs = _middle(outer[0], block / inner).subgridspec(
        len(rows), 1, height_ratios=[r * (side + TITLE) for r in rows],
        hspace=GAP / (side + TITLE))
    plane = plane_scale(x)  # the maps are drawn on the plane as draw_boundary draws it
    extent = grid_extent(xx / plane[0], yy / plane[1])
    drawn = sample(len(x), MAP_POINTS)
    points, labels = x[drawn] / plane, np.asarray(y).ravel()[drawn]
    for spec, n_wrap, layer, name, (a, units, n) in zip(layer_specs, rows, layers, names, maps):
        lo, hi = scale[name]
        cmap = "viridis" if lo >= 0 else "PuOr_r"
        grid_spec = spec.subgridspec(n_wrap, n_cols + 1, width_ratios=[1] * n_cols + [0.08],
                                     hspace=TITLE / side, wspace=0.12)
        for i, unit in enumerate(units):
            ax = fig.add_subplot(grid_spec[i // n_cols, i % n_cols])
            image = ax.imshow(a[:, i].reshape(xx.shape), extent=extent, origin="lower",
                              cmap=cmap, vmin=lo, vmax=hi, interpolation="bilinear")
            if n_classes:
                classes.scatter(ax, points, labels, n_classes, legend=False, s=5, alpha=0.7,
                                edgecolors="none")
            for c, colour in enumerate(() if n_classes else CLASS_COLOURS):
                pts = points[labels == c]
                ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=5, alpha=0.7, edgecolors="none")
            ax.set(xlim=(xx[0, 0] / plane[0], xx[0, -1] / plane[0]),
                   ylim=(yy[0, 0] / plane[1], yy[-1, 0] / plane[1]))
            ax.axis("off")  # no ticks to lay out: the figure draws several times faster
            ax.text(0.5, 1.03, f"h{layer + 1}.{unit + 1}", transform=ax.transAxes,
                    ha="center", va="bottom", fontsize=8)
        first = grid_spec[:, 0].get_position(fig)  # the layer's name beside all its rows
        count = f"\n{len(units)} of {n} shown" if len(units) < n else ""
        fig.text(first.x0 - 0.08 * first.width, (first.y0 + first.y1) / 2,
                 f"hidden {layer + 1}\n{name}{count}", fontsize=8, ha="right", va="center",
                 rotation=90, multialignment="center")
        bar = fig.colorbar(image, cax=fig.add_subplot(grid_spec[:, n_cols]))
        bar.ax.tick_params(labelsize=7)

    ax = fig.add_subplot(_middle(outer[1], boundary / inner))
    if n_classes:
        proba = evaluate(one.predict_proba, grid, forward_bytes(one))
    else:
        proba = evaluate(lambda p: one.predict_proba(p)[:, 0], grid, forward_bytes(one))
    if n_classes and np.isfinite(proba).any():
        classes.draw_regions(ax, xx, yy, proba, x, y, "Output: decision regions")
    elif np.isfinite(proba).any():
        image = draw_boundary(ax, xx, yy, proba, x, y, "Output: decision boundary")
        fig.colorbar(image, ax=ax, label="P(label = 1)", fraction=0.05, pad=0.04)
    else:  # a diverged network: no boundary to draw
        ax.set_title("Output: not finite")
        ax.set_axis_off()
    if title is None:
        title = ("What each hidden unit detects: its activation over the input plane "
                 f"(network {m}, seed {net.seeds[m]})")
        if len(layers) < depth:
            title += f" — {len(layers)} of {depth} hidden layers"
        if len(x) > MAP_POINTS:
            title += f" — {MAP_POINTS:,} of the {len(x):,} points drawn on each map"
    fig.suptitle(title, fontsize=10)
    save(fig, path, dpi=DPI)
