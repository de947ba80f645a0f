"""Two training runs' loss curves on one figure: ``backproplab check``'s learner network beside
backproplab's, from the same weights."""

import numpy as np

from .plotting import _pyplot, clip_curve, save, thin


def loss_curves(curves, path, title="Loss while training", parted=None):
    """``curves``: {label: loss per epoch (epochs + 1,)}, drawn on a log axis; ``parted``: the
    epoch where they part, marked with a dotted line. Writes a PNG to ``path``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for (label, loss), style in zip(curves.items(), ("-", "--", ":")):
        loss = np.asarray(loss, float)
        epochs, shown = thin(loss)
        shown = clip_curve(shown)
        finite = np.isfinite(shown) & (shown > 0)
        ax.plot(epochs[finite], shown[finite], style, label=label, linewidth=1.6)
    if parted is not None:
        ax.axvline(parted, color="grey", linestyle=":", linewidth=1)
        ax.annotate(f"part at epoch {parted}", (parted, 0.98), xycoords=("data", "axes fraction"),
                    ha="left", va="top", fontsize=9, color="grey")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (backproplab's, mean over samples)")
    ax.set_title(title)
    ax.legend()
    save(fig, path)
