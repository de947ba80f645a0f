"""Points on the input plane, as the figures draw them: which of a huge data set are drawn (a
fixed sample, counted in full in the title), at what scale (coordinates too large for
matplotlib's arithmetic on axis limits are divided by a power of ten), and, beside a
prediction, which points it got wrong."""

import numpy as np

from ..limits import FIGURE_POINTS

PLANE_MAX = 1e15  # coordinates beyond ±this are drawn divided by a power of ten (plane_scale)


def sample(n, limit=FIGURE_POINTS):
    """Indices of the points a scatter of n points draws, in order: all of them when they fit,
    else ``limit`` drawn at random with a fixed seed (the same figure every time)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, limit, replace=False))


def sample_note(n, limit=FIGURE_POINTS):
    """What a title adds, on a line of its own, when a scatter of n points draws a sample."""
    return f"\n({limit:,} of the {n:,} points drawn)" if n > limit else ""


def plane_scale(x):
    """What each coordinate of 2-D points x (n, 2) is divided by to be drawn, (2,): 1, or for
    one beyond ±PLANE_MAX the power of ten of its largest value, so that matplotlib's
    arithmetic on axis limits works on numbers near 1 (spans and margins overflow near
    1.8e308; a constant column at 1e17 gives it identical limits)."""
    x = np.asarray(x)
    top = np.abs(x).max(axis=0) if len(x) else np.zeros(x.shape[1:])
    return np.where(top > PLANE_MAX, 10.0 ** np.floor(np.log10(np.maximum(top, PLANE_MAX))),
                    1.0)


def plane_labels(ax, scale):
    """The input plane's axis labels, with the factor each coordinate was divided by."""
    x1, x2 = (f" (× {s:.0e})" if s != 1 else "" for s in scale)
    ax.set(xlabel=f"x₁{x1}", ylabel=f"x₂{x2}")


def compared(x, y, pred):
    """What a ground-truth-beside-prediction figure draws: (x, y, pred, wrong) for the points
    drawn (a sample of a larger set) and the two panels' titles, the wrong ones counted in
    full."""
    x, y, pred = np.asarray(x), np.asarray(y).ravel(), np.asarray(pred).ravel()
    wrong = pred != y
    count, note, drawn = wrong.sum(), sample_note(len(x)), sample(len(x))
    titles = ("Ground truth" + note,
              (f"Predict result ({count} wrong)" if count else "Predict result") + note)
    return x[drawn], y[drawn], pred[drawn], wrong[drawn], titles


def ring(ax, x, wrong, size):
    """Ring the wrongly predicted points of a prediction panel."""
    if wrong.any():
        scale = plane_scale(x)
        ax.scatter(x[wrong, 0] / scale[0], x[wrong, 1] / scale[1], s=size, facecolors="none",
                   edgecolors="black", linewidths=1.2)
