"""A trained network drawn as units in columns joined by every weight: a weight's sign by colour,
its size by width and opacity, each unit's bias by its fill, all in each layer's scale (its
largest |w| or |b|), which the key beside the diagram explains.

Built on :mod:`backproplab.figures.plotting` and written atomically like every other file. The
weights of a layer are drawn as one ``LineCollection``. What is drawn is bounded whatever the
network: at most 16 units a layer (15 of a wider one) and 12 layers (11 of a deeper one), so
at most 15 × 15 lines between two layers; a layer's scale is read a block at a time.
"""

import numpy as np

from .plotting import DPI, _pyplot, save

WIDE = 16  # a layer with more units than this is drawn as its first HEAD and last TAIL units
HEAD, TAIL = 8, 7
DEEP = 12  # a network with more layers (input, hidden, output) than this is drawn as its first
HEAD_LAYERS, TAIL_LAYERS = 6, 5  # HEAD_LAYERS and last TAIL_LAYERS around a column of "⋯"
BLOCK = 2**20  # values read at a time for a layer's scale
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


def _shown_layers(n):
    """The layers drawn, one per column: all n when they fit, else the first HEAD_LAYERS and
    the last TAIL_LAYERS around a column of "⋯" (None)."""
    if n <= DEEP:
        return list(range(n))
    return [*range(HEAD_LAYERS), None, *range(n - TAIL_LAYERS, n)]


def _scale(values):
    """max |v| over the finite values (0 if none), a block at a time: a 5000 × 5000 layer is
    never copied whole."""
    flat, top = np.asarray(values).reshape(-1), 0.0
    for start in range(0, flat.size, BLOCK):
        block = flat[start:start + BLOCK]
        block = np.abs(block[np.isfinite(block)])
        if block.size:
            top = max(top, float(block.max()))
    return top


def _strength(values, scale):
    """|v| / scale in [0, 1] (scale: max |v| over the layer); a non-finite value (a diverged
    network) counts as 0."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
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
    |w| / scale, where a layer's scale is its largest |w| or |b|, printed above its lines. A
    unit's fill shows its bias the same way, on the same scale. A key beside the diagram gives
    the widths and a colour bar of the fills.
    Layers wider than 16 units show their first 8 and last 7 units around a "⋮", with the
    real count below; networks of more than 12 layers show their first 6 and last 5 around a
    "⋯", with the number left out.
    """
    plt = _pyplot()
    from matplotlib.collections import LineCollection

    sizes = [net.n_in, *net.hidden, net.n_out]
    columns = _shown_layers(len(sizes))  # column c draws layer columns[c]
    names = (["input"] + [f"hidden {i + 1}\n{act}" for i, act in enumerate(net.activation)]
             + [f"output\n{net.output}"])
    shown = [None if i is None else _shown_units(sizes[i]) for i in columns]
    tallest = max(min(sizes[i], WIDE) for i in columns if i is not None)
    bottom = -(tallest - 1) / 2

    # one scale per layer, its largest |w| or |b|: the widths and fills of a layer compare
    scales = [max(_scale(layer.W[0]), _scale(layer.b[0])) for layer in net.dense_layers]
    fig, ax = plt.subplots(figsize=(1.9 * len(columns) + 2.2, 0.42 * tallest + 2.3))
    for col in range(len(columns) - 1):
        if shown[col] is None or shown[col + 1] is None:
            continue  # no lines across the "⋯"
        (rows, y_in, _), (cols, y_out, _) = shown[col], shown[col + 1]
        layer = net.dense_layers[columns[col]]
        W = layer.W[0][np.ix_(rows, cols)]                      # network 0, drawn units only
        strength = _strength(W, scales[columns[col]])           # scaled by the whole layer
        ax.text(col + 0.5, -bottom + 0.55, f"scale {_number(scales[columns[col]])}",
                ha="center", va="bottom", fontsize=7.5, color="0.35")
        y0, y1 = np.meshgrid(y_in, y_out, indexing="ij")        # one line per (row, col)
        segments = np.stack([np.stack([np.full_like(y0, col), y0], axis=-1),
                             np.stack([np.full_like(y1, col + 1), y1], axis=-1)], axis=-2)
        ax.add_collection(LineCollection(
            segments.reshape(-1, 2, 2), colors=_sign_colours(W, strength).reshape(-1, 4),
            linewidths=3.0 * strength.ravel(), zorder=1))

    for col, (i, drawn) in enumerate(zip(columns, shown)):
        if i is None:
            ax.text(col, 0, "⋯", ha="center", va="center", fontsize=15, zorder=3)
            ax.text(col, bottom - 0.9, f"{len(sizes) - len(columns) + 1} more\nlayers",
                    ha="center", va="top", fontsize=8.5)
            continue
        (units, y, gap), n = drawn, sizes[i]
        if i == 0:
            faces = np.tile([0.93, 0.93, 0.93, 1.0], (len(units), 1))  # inputs have no bias
        else:
            b = net.dense_layers[i - 1].b[0].ravel()
            # on its layer's scale with the weights, so a lone output unit's bias is not full
            # colour by default
            faces = _fills(b[units] / scales[i - 1] if scales[i - 1] else np.zeros(len(units)))
        ax.scatter(np.full(len(units), col), y, s=230, c=faces, edgecolors="black",
                   linewidths=0.9, zorder=2)
        if gap is not None:
            ax.text(col, gap, "⋮", ha="center", va="center", fontsize=15,
                    zorder=3)
        count = f"{n} unit{'s' * (n > 1)}" + (f" ({len(units)} shown)" if gap is not None else "")
        ax.text(col, bottom - 0.9, f"{names[i]}\n{count}", ha="center", va="top",
                fontsize=8.5)

    if title is None:
        title = f"{_sizes_text(sizes)} network (network 0, seed {net.seeds[0]})"
    ax.set_title(title, fontsize=10)
    ax.set_xlim(-0.4, len(columns) - 0.6)
    ax.set_ylim(bottom - 2.3, -bottom + 1.0)
    ax.axis("off")
    _scales_key(fig, ax)
    save(fig, path, dpi=DPI)


def _fills(t):
    """RGBA fills of units whose bias is t · scale (t in [−1, 1]): blue for t ≥ 0, red below,
    mixed with white as |t| falls, so every unit stays opaque."""
    t = np.asarray(t, dtype=float)
    faces = _sign_colours(t, 1.0)
    tint = 0.85 * np.where(np.isfinite(t), np.minimum(np.abs(t), 1.0), 0.0)[..., None]
    faces[..., :3] = 1 - tint * (1 - faces[..., :3])
    return faces


def _number(v):
    return f"{v:.3g}" if np.isfinite(v) else str(v)


def _scales_key(fig, ax):
    """The key beside the diagram: what a line's colour and width say, and a colour bar of the
    units' fill, both in each layer's scale (printed above its weights)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize
    from matplotlib.lines import Line2D

    def line(colour, strength, label):
        return Line2D([], [], color=colour, lw=3.0 * strength, alpha=max(strength, 0.15),
                      label=label)

    legend = ax.legend(
        handles=[line(POSITIVE, 1.0, "w > 0"), line(NEGATIVE, 1.0, "w < 0"),
                 line("0.2", 1.0, "|w| = scale"), line("0.2", 0.5, "|w| = ½ scale"),
                 line("0.2", 0.25, "|w| = ¼ scale")],
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
        title="weights (lines)", title_fontsize=8, alignment="left")
    fig.draw_without_rendering()  # where the legend ended: the colour bar goes below
    box = legend.get_window_extent().transformed(fig.transFigure.inverted())
    inch = 1 / fig.get_size_inches()
    cax = fig.add_axes([box.x0 + 0.1 * inch[0], box.y0 - 0.75 * inch[1], 1.3 * inch[0],
                        0.14 * inch[1]])
    fills = ListedColormap(_fills(np.linspace(-1, 1, 256)))
    bar = fig.colorbar(ScalarMappable(Normalize(-1, 1), fills), cax=cax, orientation="horizontal",
                       ticks=[-1, 0, 1])
    bar.ax.set_xticklabels(["−scale", "0", "+scale"], fontsize=7)
    bar.ax.set_title("bias (fill)", fontsize=8, loc="left")
    cax.text(0, -2.6, "scale: a layer's largest\n|w| or |b|, above its lines\ngrey: an input",
             transform=cax.transAxes, fontsize=7, va="top", color="0.3")


def _sizes_text(sizes):
    """'2–4–4–1', or for a deep network its first and last sizes around '…'."""
    if len(sizes) <= DEEP:
        return "–".join(map(str, sizes))
    return "–".join(map(str, sizes[:HEAD_LAYERS])) + "–…–" + "–".join(
        map(str, sizes[-TAIL_LAYERS:])) + f" ({len(sizes)} layers)"
