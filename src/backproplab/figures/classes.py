"""Figures of 2-D points in K classes, for a network with a softmax output: ground truth beside
prediction, and the decision regions over the input plane.

Each class has a colour from Paul Tol's "muted" scheme, chosen to stay distinct for readers
with the common colour-vision deficiencies, and a marker shape of its own, so the classes
can be told apart without colour at all; a legend names every class. (Two classes with one
sigmoid unit keep the lab's red and blue: :mod:`.plotting`.)
"""

import numpy as np

from .plane import compared, plane_labels, plane_scale, ring, sample, sample_note
from .plotting import (
    _pyplot,
    evaluate,
    forward_bytes,
    grid_extent,
    grid_over,
    grid_steps,
    save,
)

# Paul Tol's muted scheme (rose, indigo, sand, green, cyan, wine, teal, olive, purple, grey):
# as many as limits.MAX_CLASSES
PALETTE = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99",
           "#999933", "#AA4499", "#DDDDDD")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "p", "h")
PALEST, DEEPEST = 0.2, 0.65  # a region's tint: where the network is least and most sure


def rgb(colour):
    """'#RRGGBB' as (r, g, b) in [0, 1]."""
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def scatter(ax, points, labels, n_classes, legend=True, **style):
    """The points (drawn coordinates) of each class 0…K−1 in its colour and marker; with
    ``legend``, each class is labelled for the legend. ``style`` overrides the defaults."""
    style = {"s": 26, "edgecolors": "0.2", "linewidths": 0.5, **style}
    for c in range(n_classes):
        pts = points[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], color=PALETTE[c % len(PALETTE)],
                   marker=MARKERS[c % len(MARKERS)], label=f"{c}" if legend else None, **style)


def region_image(proba, shape):
    """An RGB image (*shape, 3) of the plane: each grid point in its most probable class's
    colour, deeper where that probability is higher (from 1/K, a toss-up, to 1); white where
    the network's output is not finite. ``proba`` (points, K)."""
    k = proba.shape[-1]
    with np.errstate(invalid="ignore"):
        best = np.nan_to_num(proba, nan=-1.0).argmax(axis=-1)
        sure = np.clip((proba.max(axis=-1) - 1 / k) / (1 - 1 / k), 0, 1)
    tint = PALEST + (DEEPEST - PALEST) * sure
    colours = np.array([rgb(PALETTE[c % len(PALETTE)]) for c in range(k)])
    image = 1 - tint[:, None] * (1 - colours[best])
    image = np.where(np.isfinite(image), image, 1.0)
    return image.reshape(*shape, 3)


def draw_regions(ax, xx, yy, proba, x, y, title):
    """The plane in the colour of the class predicted at each point of the grid (xx, yy), the
    boundaries between the classes' regions, the labelled points (a sample of a large set,
    said in the title) and a legend of the classes; drawn divided by :func:`plane_scale`.
    ``proba`` (points, K): the class probabilities over the grid."""
    k = proba.shape[-1]
    scale = plane_scale(x)
    xx, yy = xx / scale[0], yy / scale[1]
    ax.imshow(region_image(proba, xx.shape), extent=grid_extent(xx, yy), origin="lower",
              interpolation="nearest")
    by_class = proba.reshape(*xx.shape, k)
    for c in range(k):  # class c's region ends where another class becomes as probable
        with np.errstate(invalid="ignore"):
            lead = by_class[..., c] - np.delete(by_class, c, axis=-1).max(axis=-1)
        if np.nanmin(lead) < 0 < np.nanmax(lead):
            ax.contour(xx, yy, lead, levels=[0], colors="black", linewidths=1.1)
    drawn = sample(len(x))
    scatter(ax, np.asarray(x)[drawn] / scale, np.asarray(y).ravel()[drawn], k)
    ax.set(title=title + sample_note(len(x)))
    plane_labels(ax, scale)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(title="class", fontsize=8, title_fontsize=8, loc="upper left",
              bbox_to_anchor=(1.02, 1.0), borderaxespad=0)


def decision_regions(model, x, y, path, title="Decision regions"):
    """The class a network with a softmax output predicts over the input plane, with the
    points on it (2-D inputs); the grid is evaluated a chunk at a time."""
    plt = _pyplot()
    xx, yy, pts = grid_over(x, steps=grid_steps(model, 200))
    proba = evaluate(model.predict_proba, pts, forward_bytes(model))
    fig, ax = plt.subplots(figsize=(5.8, 4.6))
    draw_regions(ax, xx, yy, proba, x, y, title)
    save(fig, path)


def comparison(x, y, pred, path, n_classes):
    """Ground truth beside prediction for K classes, as plotting.comparison draws two: the
    wrongly predicted points ringed (a sample of limits.FIGURE_POINTS points of a larger set,
    counted in full)."""
    plt = _pyplot()
    fig, (ax_t, ax_p) = plt.subplots(1, 2, figsize=(9, 4.2))
    x, y, pred, wrong, titles = compared(x, y, pred)
    scale = plane_scale(x)
    for ax, labels, title in ((ax_t, y, titles[0]), (ax_p, pred, titles[1])):
        scatter(ax, x / scale, labels, n_classes, legend=ax is ax_t)
        ax.set(title=title)
        plane_labels(ax, scale)
        ax.set_aspect("equal", adjustable="datalim")
    ring(ax_p, x, wrong, size=110)
    ax_t.legend(title="class", loc="best", fontsize=8, title_fontsize=8)
    save(fig, path)
