"""What every figure shares — matplotlib with its Agg backend (no screen needed), the class
colours, writing a PNG atomically, the grid over the input plane — and the train command's
figures of 2-D points: learning curve, ground truth beside prediction, decision boundary.

matplotlib is imported through :func:`_pyplot` when a figure is drawn, never at import, so the
maths and the command line's start-up never pay for it.

What a figure draws is bounded whatever the run: a network is evaluated over a grid a chunk of
points at a time (:func:`evaluate`), a scatter of a huge data set draws a sample
(:mod:`.plane`), a curve of millions of epochs is thinned (:func:`thin`), and points or
values too large for matplotlib's arithmetic on axis limits are scaled or clipped to fit.
"""

import math
import warnings

import numpy as np

from ..files import atomic_open
from ..limits import FIGURE_CHUNK, FIGURE_CURVE_POINTS, FIGURE_GRID_WORK
from .plane import compared, plane_labels, plane_scale, ring, sample, sample_note

CLASS_COLOURS = ("tab:red", "tab:blue")  # label 0, label 1 — the lab's show_result colours
DPI = 100  # the report's figures (network, training, units, sweeps, images): many to a page
MAX_STEPS = 500  # a grid over the input plane has at most this many points a side
MIN_STEPS = 40  # … and, however large the network, at least this many (grid_steps)
CURVE_MAX = 1e220  # curve values beyond ±this are drawn at it, and positive ones below
CURVE_MIN = 1e-100  # this at this: a log axis spanning more makes matplotlib's ticks overflow
CURVE_BINS = 400  # a mini-batch curve of more epochs is drawn as this many runs of epochs


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path, dpi=110):
    """Write ``fig`` to ``path`` as a PNG, atomically, and close it."""
    plt = _pyplot()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def learning_curve(loss, accuracy, path, title="Learning curve", final=None, test_accuracy=None,
                   test_loss=None, test_first=1, spread=None, diverged=None):
    """Loss (log scale when positive) and accuracy against epoch: ``loss``, ``accuracy`` per
    epoch (NaN where a run had stopped); ``final`` (epochs_run, loss, accuracy) is marked;
    ``test_loss``, ``test_accuracy`` on a test set, entry i after ``test_first`` + i epochs.
    ``spread`` (loss_min, loss_max), for mini-batches, each epoch's lowest and highest batch
    loss: a band about the mean (averaged per run of epochs beyond CURVE_BINS epochs: the
    epochs' noise would fill the plot). ``diverged`` (epoch, reason) marks where a run
    stopped. Curves over limits.FIGURE_CURVE_POINTS epochs are thinned."""
    fig, (ax_l, ax_a) = _pyplot().subplots(1, 2, figsize=(10, 3.8))
    if spread is not None and np.isfinite(spread[0]).any():
        epochs, lo, hi, loss = _binned(loss, *spread)
        ax_l.fill_between(epochs, clip_curve(lo), clip_curve(hi), color="tab:purple",
                          alpha=0.2, lw=0, label="batches' lowest to highest")
        runs = len(epochs) < len(spread[0])  # then the runs' means of the epochs' means
        label = "batches' mean" + (f" ({epochs[1]}-epoch runs)" if runs else "")
    else:
        (epochs, loss), label = thin(loss), "training"
    loss = clip_curve(loss)
    ax_l.plot(epochs, loss, color="tab:purple", lw=1.4, label=label)
    finite = loss[np.isfinite(loss)]
    if finite.size and finite.min() > 0:
        ax_l.set_yscale("log")
    ax_l.set(xlabel="epoch", ylabel="loss", title=title)
    ax_a.plot(*thin(accuracy * 100), color="tab:green", lw=1.4, label="training")
    ax_a.set(xlabel="epoch", ylabel="training accuracy (%)", ylim=(-2, 102), title="Accuracy")
    for ax, values, scale in ((ax_l, test_loss, 1), (ax_a, test_accuracy, 100)):
        if values is not None and len(values):
            at, test = thin(clip_curve(scale * np.asarray(values, dtype=float)))
            ax.plot(at + test_first, test, color="tab:orange", lw=1.4, label="test")
            ax_a.set_ylabel("accuracy (%)")
    if final is not None:
        e, fl, fa = final[0], float(clip_curve(np.array([final[1]]))[0]), final[2]
        if np.isfinite(fl) and (not finite.size or finite.min() > 0 or fl > 0):
            ax_l.plot([e], [fl], "o", color="tab:purple", ms=4)
        ax_a.plot([e], [100 * fa], "o", color="tab:green", ms=4)
    if diverged is not None and finite.size:  # the last finite loss, and why it stopped
        last = np.flatnonzero(np.isfinite(loss))[-1]
        ax_l.plot([epochs[last]], [loss[last]], "X", color="tab:red", ms=9,
                  label=f"diverged at epoch {diverged[0]}:\n{diverged[1]}")
    for ax in (ax_l, ax_a):
        ax.grid(alpha=0.3)
        if len(ax.get_legend_handles_labels()[0]) > 1:
            ax.legend(fontsize=8, loc="lower right" if ax is ax_a else "best")
    save(fig, path)


def _binned(loss, lo, hi, bins=CURVE_BINS):
    """(epochs, lowest, highest, mean) of a mini-batch loss, per epoch or (means) per run."""
    if len(loss) <= bins:
        return np.arange(len(loss)), np.asarray(lo), np.asarray(hi), np.asarray(loss)
    size = math.ceil(len(loss) / bins)
    pad = math.ceil(len(loss) / size) * size - len(loss)
    runs = [np.r_[a, np.full(pad, np.nan)].reshape(-1, size) for a in (loss, lo, hi)]
    with warnings.catch_warnings():  # a run all NaN (stopped) stays NaN, and says nothing
        warnings.simplefilter("ignore", RuntimeWarning)
        return (np.arange(len(runs[0])) * size, *(np.nanmean(r, axis=1) for r in runs[1:]),
                np.nanmean(runs[0], axis=1))


def thin(values, limit=FIGURE_CURVE_POINTS):
    """(epochs, values) of a per-epoch curve: all of it when it has at most ``limit`` points,
    else the lowest and the highest value of each of ``limit // 2`` equal runs of epochs (NaN
    ignored), so a curve of millions of epochs keeps its spikes and dips."""
    values = np.asarray(values)
    n = len(values)
    if n <= limit:
        return np.arange(n), values
    values = values.astype(float)
    size = math.ceil(n / (limit // 2))
    runs = np.full(math.ceil(n / size) * size, np.nan)
    runs[:n] = values
    runs = runs.reshape(-1, size)
    nan = np.isnan(runs)
    low = np.where(nan, np.inf, runs).argmin(axis=1)  # a run all NaN gives 0: its NaN
    high = np.where(nan, -np.inf, runs).argmax(axis=1)
    start = np.arange(len(runs)) * size
    epochs = np.unique(np.r_[start + low, start + high])
    return epochs, values[epochs]


def clip_curve(values):
    """Values of a curve as drawn: finite ones beyond ±CURVE_MAX at ±CURVE_MAX, positive ones
    below CURVE_MIN at CURVE_MIN (matplotlib's log ticks and axis margins overflow for a range
    near float64's limits: 1e-300 to 1e222 fails); the array itself when none is out of range."""
    values = np.asarray(values)
    huge = np.isfinite(values) & (np.abs(values) > CURVE_MAX)
    tiny = (values > 0) & (values < CURVE_MIN)
    if not (huge.any() or tiny.any()):
        return values
    return np.where(huge, np.sign(values) * CURVE_MAX, np.where(tiny, CURVE_MIN, values))


def _scatter(ax, x, labels, title):
    labels = np.asarray(labels).ravel()
    scale = plane_scale(x)
    for c, colour in enumerate(CLASS_COLOURS):
        pts = x[labels == c] / scale
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=22, label=f"{c}", edgecolors="none")
    ax.set(title=title)
    plane_labels(ax, scale)
    ax.set_aspect("equal", adjustable="datalim")


def comparison(x, y, pred, path):
    """Ground truth beside prediction, as the lab's show_result draws them (a sample of
    limits.FIGURE_POINTS points of a larger set, counted in full)."""
    plt = _pyplot()
    fig, (ax_t, ax_p) = plt.subplots(1, 2, figsize=(9, 4.2))
    x, y, pred, wrong, titles = compared(x, y, pred)
    _scatter(ax_t, x, y, titles[0])
    _scatter(ax_p, x, pred, titles[1])
    ring(ax_p, x, wrong, size=90)
    ax_t.legend(title="label", loc="best", fontsize=8)
    save(fig, path)


def grid_over(x, steps=200, margin=0.1):
    """A grid of points covering the data with a margin: (xx, yy, points (steps², 2)), at most
    MAX_STEPS a side. It is laid out on the points as drawn (divided by :func:`plane_scale`)
    and scaled back, its corners within float64's range, so data near ±1e308 has one too."""
    steps = min(steps, MAX_STEPS)
    scale = plane_scale(x)
    x = np.asarray(x) / scale
    top = 0.999 * np.finfo(np.float64).max / scale
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    lo, hi = np.maximum(lo - pad, -top), np.minimum(hi + pad, top)
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    xx, yy = xx * scale[0], yy * scale[1]
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def forward_bytes(net):
    """About what one input point costs a forward pass of ``net``, in bytes: each layer's
    input, pre-activation and activation, for every network of a stack."""
    sizes = [getattr(net, "n_in", 1), *getattr(net, "hidden", ()), getattr(net, "n_out", 1)]
    itemsize = np.dtype(getattr(net, "dtype", np.float64)).itemsize
    return 3 * itemsize * getattr(net, "k", 1) * sum(sizes)


def grid_steps(net, steps):
    """Points a side of a grid ``net`` is evaluated over: ``steps``, or fewer (not below
    MIN_STEPS) when steps² points would cost more than limits.FIGURE_GRID_WORK multiply-adds
    (about one per parameter and point) — a 3000–3000 network gets a coarser picture in
    seconds rather than a fine one in minutes."""
    params = getattr(net, "params", None)
    work = np.size(params) if params is not None else 0
    if work * steps * steps <= FIGURE_GRID_WORK:
        return steps
    return max(MIN_STEPS, math.isqrt(FIGURE_GRID_WORK // work))


def chunks(n, row_bytes, limit=None):
    """Slices of range(n), each of at most ``limit`` (limits.FIGURE_CHUNK) bytes of
    ``row_bytes`` per row: one slice when everything fits, so a small network is evaluated
    exactly as it always was."""
    rows = max(1, (FIGURE_CHUNK if limit is None else limit) // max(int(row_bytes), 1))
    return [slice(start, start + rows) for start in range(0, n, rows)] or [slice(0, 0)]


def evaluate(f, points, row_bytes):
    """f(points), a (points, …) array, computed a chunk of points at a time (:func:`chunks`)
    so a wide network never holds the whole grid's activations."""
    parts = chunks(len(points), row_bytes)
    if len(parts) == 1:
        return f(points)
    first = f(points[parts[0]])
    out = np.empty((len(points), *first.shape[1:]), dtype=first.dtype)
    out[parts[0]] = first
    for part in parts[1:]:
        out[part] = f(points[part])  # a copy: layers may reuse the arrays they return
    return out


def grid_extent(xx, yy):
    """imshow's extent of a grid_over grid: imshow puts pixel *edges* at the extent's limits,
    and the grid holds pixel centres, so each side reaches half a step further."""
    dx = (xx[0, -1] - xx[0, 0]) / max(xx.shape[1] - 1, 1)
    dy = (yy[-1, 0] - yy[0, 0]) / max(yy.shape[0] - 1, 1)
    return (xx[0, 0] - dx / 2, xx[0, -1] + dx / 2, yy[0, 0] - dy / 2, yy[-1, 0] + dy / 2)


def draw_boundary(ax, xx, yy, proba, x, y, title):
    """Predicted probability over the plane, the 0.5 contour, and the labelled points (a
    sample of a large set, said in the title); drawn divided by :func:`plane_scale`."""
    scale = plane_scale(x)
    xx, yy = xx / scale[0], yy / scale[1]
    proba = proba.reshape(xx.shape)
    im = ax.contourf(xx, yy, np.clip(proba, 0, 1), levels=np.linspace(0, 1, 21), cmap="RdBu",
                     alpha=0.75)
    if np.nanmin(proba) < 0.5 < np.nanmax(proba):
        ax.contour(xx, yy, proba, levels=[0.5], colors="black", linewidths=1.3)
    drawn = sample(len(x))
    labels = np.asarray(y).ravel()[drawn]
    points = np.asarray(x)[drawn] / scale
    for c, colour in enumerate(CLASS_COLOURS):
        pts = points[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=22, edgecolors="white", linewidths=0.6)
    ax.set(title=title + sample_note(len(x)))
    plane_labels(ax, scale)
    ax.set_aspect("equal", adjustable="box")
    return im


def decision_boundary(model, x, y, path, title="Decision boundary"):
    """The predicted probability over the input plane with the points on it (2-D inputs); the
    grid is evaluated a chunk at a time, so a wide network fits in memory."""
    plt = _pyplot()
    xx, yy, pts = grid_over(x, steps=grid_steps(model, 200))
    proba = evaluate(lambda p: model.predict_proba(p)[:, 0], pts, forward_bytes(model))
    fig, ax = plt.subplots(figsize=(5.4, 4.6))
    im = draw_boundary(ax, xx, yy, proba, x, y, title)
    fig.colorbar(im, ax=ax, label="P(label = 1)")
    save(fig, path)
