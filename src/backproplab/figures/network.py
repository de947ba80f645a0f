"""A trained network drawn as units in columns joined by every weight: a weight's sign by colour,
its size by width and opacity, each unit's bias by its fill.

Built on :mod:`backproplab.figures.plotting` and written atomically like every other file. The
weights of a layer are drawn as one ``LineCollection``: a 500-unit layer is 250,000 lines
otherwise, which matplotlib draws one by one.
"""

import numpy as np

from .plotting import DPI, _pyplot, save

WIDE = 16  # a layer with more units than this is drawn as its first HEAD and last TAIL units
HEAD, TAIL = 8, 7
POSITIVE, NEGATIVE = "tab:blue", "tab:red"


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
