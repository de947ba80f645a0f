"""The decision boundary as it trains: which epochs to show, and an animated GIF of them.

Built on :mod:`backproplab.figures.plotting` and written atomically through
:func:`backproplab.files.atomic_path` (PIL writes a GIF only to a file it opens by name). Every
frame is drawn once, with no ``contourf``: the probability is an image and the 0.5 level one
contour line, so a hundred frames take seconds.
"""

import numpy as np

from ..files import atomic_path
from .plane import plane_labels, plane_scale, sample, sample_note
from .plotting import (
    CLASS_COLOURS,
    DPI,
    _pyplot,
    grid_extent,
)


def _remove(contours):
    """Take a contour set off its axes (one artist from matplotlib 3.8, a list before)."""
    if contours is None:
        return
    if hasattr(contours, "remove"):
        contours.remove()
    else:
        for c in contours.collections:
            c.remove()


def frame_epochs(epochs, loss, count=40, weight=0.5):
    """Which of the recorded ``epochs`` (increasing, from 0) an animation of ``count`` frames
    shows, so that a plateau and the escape from it both get their frames.

    ``loss[e]`` is the loss after e epochs (one entry per epoch, to the last recorded). Each
    epoch gets a position u between 0 and 1: ``weight`` times the loss change so far (the sum of
    |ΔL|, as a share of the run's total) plus the rest times the time elapsed, on a log scale
    (log(1 + e/e₁), e₁ the first recorded epoch after the start, as a share of the whole). The
    first and last epochs are always shown; then, again and again, the widest step of u between
    two frames is split at the recorded epoch nearest its middle. So frames fall at nearly equal
    steps of u: dense where the loss moves fast, and still some where it does not.
    """
    epochs = np.asarray(epochs, dtype=np.int64)
    steps = np.abs(np.diff(np.asarray(loss, dtype=np.float64)))
    steps[~np.isfinite(steps)] = 0.0  # a diverged run: its last steps count as no change
    change = np.concatenate([[0.0], np.cumsum(steps)])[np.minimum(epochs, len(steps))]
    unit = max(int(epochs[1] - epochs[0]) if len(epochs) > 1 else 1, 1)
    elapsed = np.log1p((epochs - epochs[0]) / unit)  # time on a log scale: early epochs count
    u = (1 - weight) * elapsed / max(elapsed[-1], 1e-300)
    if change[-1] > 0:
        u = u + weight * change / change[-1]
    chosen = sorted({0, len(epochs) - 1})
    while len(chosen) < min(count, len(epochs)):
        _, a, b = max((u[b] - u[a], a, b) for a, b in zip(chosen, chosen[1:]) if b - a > 1)
        chosen.append(a + 1 + int(np.argmin(np.abs(u[a + 1:b] - (u[a] + u[b]) / 2))))
        chosen.sort()
    return [int(epochs[i]) for i in chosen]


def has_boundary(proba):
    """Whether the 0.5 level crosses the plane: some finite probability on each side of it."""
    finite = np.asarray(proba)[np.isfinite(proba)]
    return bool(finite.size and finite.min() < 0.5 < finite.max())


def _boundary_contour(ax, xx, yy, proba):
    if has_boundary(proba):
        return ax.contour(xx, yy, proba, levels=[0.5], colors="black", linewidths=1.3)
    return None  # no boundary inside the plane (or a diverged network): nothing to draw


def boundary_animation(frames, x, y, path, fps=8):
    """An animated GIF of the decision boundary, one frame per ``(epoch, loss, accuracy, xx,
    yy, proba)``: xx, yy a meshgrid (``plotting.grid_over``) and proba P(label = 1) on it.

    Returns each frame's title ("epoch 0 — loss … — accuracy …"). The figure is built once;
    each frame only changes the image, the 0.5 contour and the title, and is drawn once.
    (``FuncAnimation.save`` would draw every frame twice on Agg — once to show it, once to grab
    it — so the frames go straight to the ``PillowWriter``.)
    """
    if not frames:
        raise ValueError("boundary_animation needs at least one frame")
    plt = _pyplot()
    from matplotlib.animation import PillowWriter

    fig, ax = plt.subplots(figsize=(5.0, 4.2))
    x = np.asarray(x)
    plane = plane_scale(x)  # huge coordinates are drawn divided by a power of ten
    xx = np.asarray(frames[0][3]) / plane[0]
    image = ax.imshow(np.zeros(np.shape(xx)), extent=grid_extent(xx, frames[0][4] / plane[1]),
                      origin="lower", cmap="RdBu", vmin=0, vmax=1, alpha=0.75,
                      interpolation="bilinear")
    fig.colorbar(image, ax=ax, label="P(label = 1)", ticks=[0, 0.5, 1])
    drawn = sample(len(x))
    labels = np.asarray(y).ravel()[drawn]
    for c, colour in enumerate(CLASS_COLOURS):
        pts = x[drawn][labels == c] / plane
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, s=22, edgecolors="white", linewidths=0.6,
                   zorder=3)
    plane_labels(ax, plane)
    ax.set_xlabel(ax.get_xlabel() + sample_note(len(x)))  # the title changes with each frame
    heading = ax.set_title("", fontsize=10)

    writer, contour, titles = PillowWriter(fps=fps), None, []
    try:
        with atomic_path(path, suffix=".gif") as tmp, writer.saving(fig, tmp, dpi=DPI):
            for epoch, loss, accuracy, xx, yy, proba in frames:
                xx, yy = np.asarray(xx) / plane[0], np.asarray(yy) / plane[1]
                proba = np.reshape(proba, np.shape(xx))
                image.set_data(proba)
                image.set_extent(grid_extent(xx, yy))
                _remove(contour)
                contour = _boundary_contour(ax, xx, yy, proba)
                titles.append(f"epoch {epoch} — loss {loss:.4g} — accuracy {100 * accuracy:.1f}%")
                heading.set_text(titles[-1])
                writer.grab_frame()
    finally:
        plt.close(fig)
    return titles
