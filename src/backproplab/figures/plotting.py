"""What every figure shares — matplotlib with its Agg backend (no screen needed), the class
colours, writing a PNG atomically, the grid over the input plane — and the train command's
figures of 2-D points: learning curve, ground truth beside prediction, decision boundary.

matplotlib is imported through :func:`_pyplot` when a figure is drawn, never at import, so the
maths and the command line's start-up never pay for it.
"""

import numpy as np

from ..files import atomic_open

CLASS_COLOURS = ("tab:red", "tab:blue")  # label 0, label 1 — the lab's show_result colours
DPI = 100  # the report's figures (network, training, units, sweeps, images): many to a page


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


def learning_curve(loss, accuracy, path, title="Learning curve", final=None, test_accuracy=None):
    """Loss (log scale when positive) and training accuracy against epoch.

    ``loss`` and ``accuracy`` are per-epoch arrays (NaN where a run had stopped); ``final`` is
    (epochs_run, final_loss, final_accuracy) to mark the trained weights' numbers;
    ``test_accuracy``, if given, the accuracy on a test set after each epoch."""
    plt = _pyplot()
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(10, 3.8))
    epochs = np.arange(len(loss))
    ax_l.plot(epochs, loss, color="tab:purple", lw=1.4)
    finite = loss[np.isfinite(loss)]
    if finite.size and finite.min() > 0:
        ax_l.set_yscale("log")
    ax_l.set(xlabel="epoch", ylabel="loss", title=title)
    ax_a.plot(epochs, 100 * np.asarray(accuracy), color="tab:green", lw=1.4, label="training")
    ax_a.set(xlabel="epoch", ylabel="training accuracy (%)", ylim=(-2, 102), title="Accuracy")
    if test_accuracy is not None:
        test = 100 * np.asarray(test_accuracy, dtype=float)
        ax_a.plot(np.arange(1, len(test) + 1), test, color="tab:orange", lw=1.4,
                  label="test (after the epoch)")
        ax_a.set_ylabel("accuracy (%)")
        ax_a.legend(fontsize=8, loc="lower right")
    if final is not None:
        e, fl, fa = final
        if np.isfinite(fl) and (not finite.size or finite.min() > 0 or fl > 0):
            ax_l.plot([e], [fl], "o", color="tab:purple", ms=4)
        ax_a.plot([e], [100 * fa], "o", color="tab:green", ms=4)
    for ax in (ax_l, ax_a):
        ax.grid(alpha=0.3)
    save(fig, path)


def _scatter(ax, x, labels, title):
    labels = np.asarray(labels).ravel()
    for c, colour in enumerate(CLASS_COLOURS):
        pts = x[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=22, label=f"{c}", edgecolors="none")
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
    ax.set_aspect("equal", adjustable="datalim")


def comparison(x, y, pred, path):
    """Ground truth beside prediction, as the lab's show_result draws them."""
    plt = _pyplot()
    fig, (ax_t, ax_p) = plt.subplots(1, 2, figsize=(9, 4.2))
    _scatter(ax_t, x, y, "Ground truth")
    wrong = (np.asarray(pred).ravel() != np.asarray(y).ravel())
    _scatter(ax_p, x, pred, f"Predict result ({wrong.sum()} wrong)" if wrong.any()
             else "Predict result")
    if wrong.any():
        ax_p.scatter(x[wrong, 0], x[wrong, 1], s=90, facecolors="none", edgecolors="black",
                     linewidths=1.2)
    ax_t.legend(title="label", loc="best", fontsize=8)
    save(fig, path)


def grid_over(x, steps=200, margin=0.1):
    """A grid of points covering the data with a margin: (xx, yy, points (steps², 2))."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    xx, yy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], steps),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], steps))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def grid_extent(xx, yy):
    """imshow's extent of a grid_over grid: imshow puts pixel *edges* at the extent's limits,
    and the grid holds pixel centres, so each side reaches half a step further."""
    dx = (xx[0, -1] - xx[0, 0]) / max(xx.shape[1] - 1, 1)
    dy = (yy[-1, 0] - yy[0, 0]) / max(yy.shape[0] - 1, 1)
    return (xx[0, 0] - dx / 2, xx[0, -1] + dx / 2, yy[0, 0] - dy / 2, yy[-1, 0] + dy / 2)


def draw_boundary(ax, xx, yy, proba, x, y, title):
    """Predicted probability over the plane, the 0.5 contour, and the labelled points."""
    proba = proba.reshape(xx.shape)
    im = ax.contourf(xx, yy, np.clip(proba, 0, 1), levels=np.linspace(0, 1, 21), cmap="RdBu",
                     alpha=0.75)
    if np.nanmin(proba) < 0.5 < np.nanmax(proba):
        ax.contour(xx, yy, proba, levels=[0.5], colors="black", linewidths=1.3)
    labels = np.asarray(y).ravel()
    for c, colour in enumerate(CLASS_COLOURS):
        pts = x[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=22, edgecolors="white", linewidths=0.6)
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
    ax.set_aspect("equal", adjustable="box")
    return im


def decision_boundary(model, x, y, path, title="Decision boundary"):
    """The predicted probability over the input plane with the points on it (2-D inputs)."""
    plt = _pyplot()
    xx, yy, pts = grid_over(x)
    fig, ax = plt.subplots(figsize=(5.4, 4.6))
    im = draw_boundary(ax, xx, yy, model.predict_proba(pts)[:, 0], x, y, title)
    fig.colorbar(im, ax=ax, label="P(label = 1)")
    save(fig, path)
