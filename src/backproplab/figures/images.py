"""Figures for a classifier of images into K classes: the confusion matrix, the images it got
wrong, and the first convolution's kernels.

Built on :mod:`backproplab.figures.plotting` (matplotlib's Agg backend, imported only when a
figure is drawn) and written atomically like every other file.
"""

import math

import numpy as np

from .plotting import DPI, _pyplot, save

MAX_KERNELS = 64  # output channels (or units) filters draws: the first ones of more
MAX_INPUTS = 8  # input channels (rows) filters draws


def confusion_matrix(matrix, path, title="Confusion matrix"):
    """A (K, K) matrix of counts, rows the true class and columns the predicted one, as a
    heat map with every count written in its cell; the title gives the accuracy it implies
    (the diagonal over the total)."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {matrix.shape}")
    k = matrix.shape[0]
    total = int(matrix.sum())
    plt = _pyplot()
    size = max(3.8, 0.45 * k + 1.8)
    fig, ax = plt.subplots(figsize=(size + 0.9, size))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(int(matrix.max()), 1))
    fig.colorbar(image, ax=ax, label="images", fraction=0.046, pad=0.04)
    dark = matrix > matrix.max() / 2  # white text on dark cells
    for i in range(k):
        for j in range(k):
            if matrix[i, j] or i == j:
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if dark[i, j] else "black")
    ax.set_xticks(range(k), [str(c) for c in range(k)])
    ax.set_yticks(range(k), [str(c) for c in range(k)])
    ax.set(xlabel="predicted label", ylabel="true label")
    correct = int(np.trace(matrix))
    accuracy = f"{100 * correct / total:.1f}%" if total else "no images"
    ax.set_title(f"{title}\n{correct} of {total} right ({accuracy})", fontsize=10)
    save(fig, path, dpi=DPI)


def misclassified(images, y_true, y_pred, path, limit=24, columns=8, title="Misclassified"):
    """The first ``limit`` images whose prediction is wrong, each titled with its true and its
    predicted label; ``images`` (n, C, H, W) (the first channel is drawn), labels (n,).
    When every prediction is right, a figure that says so."""
    images = np.asarray(images)
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    wrong = np.flatnonzero(y_true != y_pred)
    shown = wrong[:limit]
    plt = _pyplot()
    if len(shown) == 0:
        fig, ax = plt.subplots(figsize=(4.5, 1.6))
        ax.text(0.5, 0.5, f"No misclassified images:\nall {len(y_true)} predictions are right.",
                ha="center", va="center", fontsize=11)
        ax.axis("off")
        save(fig, path, dpi=DPI)
        return
    cols = min(columns, len(shown))
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.25 * cols, 1.45 * rows + 0.5),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, shown):
        ax.imshow(images[i, 0], cmap="gray_r", vmin=0, vmax=max(float(images[i, 0].max()), 1e-12),
                  interpolation="nearest")
        ax.set_title(f"true {y_true[i]}\npredicted {y_pred[i]}", fontsize=8,
                     color="tab:red")
    more = f" (the first {len(shown)} shown)" if len(wrong) > len(shown) else ""
    fig.suptitle(f"{title}: {len(wrong)} of {len(y_true)} images{more}", fontsize=10)
    save(fig, path, dpi=DPI)


def filters(W, path, title="First convolution's kernels", columns=16, noun="kernels"):
    """A convolution's kernels as small images: ``W`` (C_out, C_in, kh, kw), or with a leading
    model axis (network 0 is drawn). One column per output channel, one row per input channel
    (one input channel: rows of up to ``columns`` kernels); blue positive, red negative, on one
    colour scale for all of them so kernels compare. The title ends "C_out ``noun`` of kh×kw".
    At most the first MAX_KERNELS output and MAX_INPUTS input channels are drawn (the title
    says so): a layer of 5000 units is not 5000 small axes."""
    W = np.asarray(W, dtype=float)
    if W.ndim == 5:
        W = W[0]
    if W.ndim != 4:
        raise ValueError(f"kernels have shape (C_out, C_in, kh, kw), got {W.shape}")
    all_out, all_in = W.shape[:2]
    finite = W[np.isfinite(W)]
    scale = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
    W = W[:MAX_KERNELS, :MAX_INPUTS]  # the scale is the whole layer's
    c_out, c_in = W.shape[:2]
    # where kernel (o, i) goes: row i, column o; or, for one input channel, wrapped into rows
    wrap = min(c_out, columns) if c_in == 1 else c_out
    rows = math.ceil(c_out / wrap) if c_in == 1 else c_in
    plt = _pyplot()
    fig, axes = plt.subplots(rows, wrap, figsize=(0.95 * wrap + 1.2, 1.05 * rows + 0.7),
                             squeeze=False)
    for ax in axes.flat[c_out * c_in:]:
        ax.axis("off")
    for i in range(c_in):
        for o in range(c_out):
            ax = axes[o // wrap, o % wrap] if c_in == 1 else axes[i, o]
            image = ax.imshow(W[o, i], cmap="RdBu", vmin=-scale, vmax=scale,
                              interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"{o}" if c_in == 1 and c_out > columns else f"out {o}",
                             fontsize=8)
            if o == 0 and c_in > 1:
                ax.set_ylabel(f"in {i}", fontsize=8)
    fig.colorbar(image, ax=axes, fraction=0.03, pad=0.02, label="weight")
    kh, kw = W.shape[2:]
    shown = [f"the first {n} of {m} {what}" for n, m, what in
             ((c_out, all_out, "drawn"), (c_in, all_in, "input channels")) if n < m]
    fig.suptitle(f"{title}: {all_out} {noun} of {kh}×{kw}"
                 + (f" per input channel ({all_in})" if all_in > 1 else "")
                 + (f" ({', '.join(shown)})" if shown else ""), fontsize=10)
    save(fig, path, dpi=DPI)
