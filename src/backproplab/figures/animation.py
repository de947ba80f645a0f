"""The decision boundary as it trains: an animated GIF, one frame per recorded epoch.

Built on :mod:`backproplab.figures.plotting` and written atomically through
:func:`backproplab.files.atomic_path` (PIL writes a GIF only to a file it opens by name). Every
frame is drawn once, with no ``contourf``: the probability is an image and the 0.5 level one
contour line, so a hundred frames take seconds.
"""

import numpy as np

from ..files import atomic_path
from .plotting import CLASS_COLOURS, DPI, _pyplot, grid_extent


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
    image = ax.imshow(np.zeros(np.shape(xx)), extent=grid_extent(xx, frames[0][4]),
                      origin="lower", cmap="RdBu", vmin=0, vmax=1, alpha=0.75,
                      interpolation="bilinear")
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
                image.set_extent(grid_extent(xx, yy))
                _remove(contour)
                contour = _boundary_contour(ax, xx, yy, proba)
                heading.set_text(
                    f"epoch {epoch} — loss {loss:.4g} — accuracy {100 * accuracy:.1f}%")
                writer.grab_frame()
    finally:
        plt.close(fig)
