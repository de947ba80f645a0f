"""Loss curves summarised over seeds, one band per setting, one panel per data set: the report's
figure of every experiment (:func:`band_plot`).

A setting keeps its colour, line style and markers in every panel. Ordered settings (learning
rates, widths) run along a sequential colour scale with a colour bar; lines that coincide are
told apart by their style and by markers at a few epochs of their own. A run that diverged is
an × where its curve stops, and the × counts add up to the legend's "(n diverged)".

Built on :mod:`backproplab.figures.plotting` and written atomically like every other file. The
report draws many of them, so long curves are thinned to a few hundred points.
"""

from typing import NamedTuple

import numpy as np

from .plotting import DPI, _pyplot, clip_curve, save

MAX_POINTS = 600  # per drawn curve: more is invisible at this size and only costs time
TOP_DECADE = 250  # a log axis widened for the ×s ends below 10**this: its ticks overflow beyond
STYLES = ("-", "--", "-.", ":")  # a setting's line style and marker, by its rank
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
MARKS = 4  # markers on a line, at epochs of its own: two lines that coincide show both
NEAR = 0.03  # ×s closer than this (a fraction of the panel) are one ×, with their number
ROW, ROW_STEP = 0.955, 0.05  # the rows of off-scale ×s at the top, a row per setting


class Series(NamedTuple):
    """One setting's runs in one panel.

    ``curves`` (runs, epochs) is NaN after a run stopped; ``diverged`` says per run whether it
    diverged (None: none did); ``setting`` is what the colour, line style and markers follow
    across panels (None: the label) — the same setting with other epochs on another data set
    gets another label but the same look.
    """

    label: str
    curves: object
    diverged: object = None
    setting: object = None


def thin(n, max_points=MAX_POINTS):
    """At most max_points evenly spread indices of range(n), the first and last kept."""
    return np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(int))


def summarise(curves, max_points=MAX_POINTS):
    """(epochs, median, p10, p90) of curves (seeds, epochs) over seeds, at thinned epochs.

    NaN (or ±inf) is a run that had stopped. The summary is NaN at an epoch where fewer than
    half of the seeds still have a value, so the line ends rather than following the last few
    survivors.
    """
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    epochs = thin(curves.shape[1], max_points)
    values = curves[:, epochs]
    values = np.where(np.isfinite(values), values, np.nan)
    values = clip_curve(values)  # a range matplotlib's log axis can draw
    enough = 2 * np.isfinite(values).sum(axis=0) >= max(len(values), 1)
    enough &= np.isfinite(values).any(axis=0)  # so nanmedian never sees an all-NaN column
    median, lo, hi = (np.full(len(epochs), np.nan) for _ in range(3))
    if enough.any():
        median[enough] = np.nanmedian(values[:, enough], axis=0)
        lo[enough], hi[enough] = np.nanpercentile(values[:, enough], [10, 90], axis=0)
    return epochs, median, lo, hi


def stops(curves, diverged):
    """(epoch, loss) where each diverged run's curve stops: its last finite point (epoch 0 and
    NaN when it has none). One row per run whose ``diverged`` is true, in order."""
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    flags = np.zeros(len(curves), bool) if diverged is None else np.asarray(diverged, bool)
    if flags.shape != (len(curves),):
        raise ValueError(f"diverged needs one flag per run ({len(curves)}), got {flags.shape}")
    points = []
    for row in curves[flags]:
        seen = np.flatnonzero(np.isfinite(row))
        points.append((seen[-1], row[seen[-1]]) if seen.size else (0, np.nan))
    return np.array(points, dtype=float).reshape(-1, 2)


def groups(xy, near=NEAR):
    """The points xy (n, 2) (in fractions of the panel) gathered into ×s: (centre, count) per
    group of points each within ``near`` of its group's first (taken left to right). The counts
    add up to n."""
    out = []
    for x, y in sorted(map(tuple, xy)):
        for group in out:
            if abs(x - group[0][0]) <= near and abs(y - group[0][1]) <= near:
                group.append((x, y))
                break
        else:
            out.append([(x, y)])
    return [(np.median(g, axis=0), len(g)) for g in out]


def looks(settings, order=None):
    """{setting: (colour, line style, marker)}: a rank per setting — its place in ``order``
    (viridis spaced by rank), else its first appearance (tab10; a viridis ramp beyond 10)."""
    plt = _pyplot()
    ranked = list(dict.fromkeys([*(order or []), *settings]))
    n = len(ranked)
    if order is not None or n > 10:
        colours = [plt.get_cmap("viridis")(t) for t in np.linspace(0, 0.85, n)]
    else:
        colours = [plt.get_cmap("tab10")(i) for i in range(n)]
    return {s: (colours[r], STYLES[r % len(STYLES)], MARKERS[r % len(MARKERS)])
            for r, s in enumerate(ranked)}


def _marked(median, rank, n):
    """Indices of the markers on a line of ``median``: MARKS spread over its drawn stretch, at
    an offset of its own (rank of n) so coinciding lines show their markers side by side."""
    seen = np.flatnonzero(np.isfinite(median))
    if seen.size < 2:
        return []
    first, last = seen[0], seen[-1]
    at = first + (last - first) * (np.arange(MARKS) + (rank + 1) / (n + 1)) / MARKS
    return sorted({int(seen[np.argmin(np.abs(seen - a))]) for a in at})


def _headroom(ax, fraction):
    """Widen the y-axis upwards so the data fill only the lower ``fraction`` of the panel (on a
    log axis, no higher than 10**TOP_DECADE)."""
    lo, hi = ax.get_ylim()
    if ax.get_yscale() == "log":
        lo, hi = np.log10([lo, hi])
        ax.set_ylim(top=10.0 ** min(lo + (hi - lo) / fraction, max(hi, TOP_DECADE)))
    else:
        ax.set_ylim(top=lo + (hi - lo) / fraction)


def _mark_stops(ax, marks):
    """Draw the ×s of ``marks`` [(colour, (epoch, loss) points)] on the panel: a point within the
    y-axis where it is, one above it (or not finite) in a row of its setting's own at the top.
    Returns (whether there is a top row, whether an × stands for several runs)."""
    bottom, top = ax.get_ylim()
    off = [~((pts[:, 1] >= bottom) & (pts[:, 1] <= top)) for _, pts in marks]
    rows = [i for i, o in enumerate(off) if o.any()]
    if rows:  # keep the curves below the row(s) of ×s
        _headroom(ax, ROW - ROW_STEP * (len(rows) - 1) - 0.06)
    to_panel = ax.transData + ax.transAxes.inverted()
    several = False
    for i, ((colour, pts), o) in enumerate(zip(marks, off)):
        xy = np.empty_like(pts)
        inside = ~o
        if inside.any():
            xy[inside] = to_panel.transform(pts[inside])
        if o.any():
            xy[o, 0] = to_panel.transform(np.c_[pts[o, 0], np.full(o.sum(), bottom)])[:, 0]
            xy[o, 1] = ROW - ROW_STEP * rows.index(i)
        for (x, y), count in groups(xy):
            ax.plot(x, y, "x", color=colour, ms=7, mew=1.8, transform=ax.transAxes,
                    clip_on=False, zorder=4)
            several |= count > 1
            if count > 1:
                ax.annotate(f"{count}", (x, y), xycoords="axes fraction", xytext=(5, 0),
                            textcoords="offset points", color=colour, fontsize=7,
                            va="center", fontweight="bold")
    return bool(rows), several


def band_plot(panels, path, ylabel="loss", logy=True, order=None):
    """Curves summarised over seeds: the median as a line and the 10–90% band shaded, one
    panel per ``(panel_title, series)`` side by side, each series a :class:`Series` or a tuple
    of its fields.

    ``order``: the settings in their order (e.g. rising learning rate), drawn on a sequential
    colour scale with a colour bar; None for settings without an order. A diverged run is an ×
    at the last finite point of its curve (in a row at the top when that is off the axis); ×s
    that would overlap are one × with their number, and they add up to the legend's count.
    """
    plt = _pyplot()
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.lines import Line2D

    panels = [(t, [Series(*s) for s in series]) for t, series in panels]
    for _, series in panels:  # a setting drawn twice in one panel: fall back to the labels
        names = [s.label if s.setting is None else s.setting for s in series]
        if len(set(names)) < len(names):
            panels = [(t, [s._replace(setting=s.label) for s in ss]) for t, ss in panels]
            break
    setting = [[s.label if s.setting is None else s.setting for s in ss] for _, ss in panels]
    look = looks([k for ks in setting for k in ks], order)
    rank = {k: r for r, k in enumerate(look)}
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 3.8), squeeze=False)
    for ax, (panel_title, series), keys in zip(axes[0], panels, setting):
        handles, drawn, marks, right = [], [], [], 1
        for s, key in zip(series, keys):
            colour, style, marker = look[key]
            epochs, median, lo, hi = summarise(s.curves)
            ax.fill_between(epochs, lo, hi, color=colour, alpha=0.2, linewidth=0)
            ax.plot(epochs, median, color=colour, lw=1.5, ls=style, marker=marker, ms=6,
                    mec="white", mew=0.5, markevery=_marked(median, rank[key], len(look)))
            drawn += [v[np.isfinite(v)] for v in (median, lo, hi)]
            curves = np.atleast_2d(np.asarray(s.curves, dtype=float))
            seen = np.flatnonzero(np.isfinite(curves).any(axis=0))
            points = stops(curves, s.diverged)
            right = max(right, int(seen[-1]) if len(seen) else 0, *points[:, 0])
            if len(points):
                marks.append((colour, points))
            name = f"{s.label} ({len(points)} diverged)" if len(points) else str(s.label)
            handles.append((rank[key], Line2D([], [], color=colour, lw=1.5, ls=style,
                                              marker=marker, ms=6, mec="white", mew=0.5,
                                              label=name)))
        drawn = np.concatenate(drawn) if drawn else np.empty(0)
        if logy and drawn.size and drawn.min() > 0:
            ax.set_yscale("log")
        ax.set_xlim(-0.02 * right, right)  # an × at epoch 0 shows whole
        if marks:
            ontop, several = _mark_stops(ax, marks)
            note = ("a diverged run, at its last loss"
                    + ("\n(in a top row: above the axis)" if ontop else "")
                    + ("\nthe number beside an ×: its runs" if several else ""))
            handles.append((len(look), Line2D([], [], ls="none", marker="x", color="0.3", ms=6,
                                              mew=1.6, label=note)))
        ax.set(title=panel_title, xlabel="epoch")
        ax.grid(alpha=0.3)
        if handles:
            ax.legend(handles=[h for _, h in sorted(handles, key=lambda rh: rh[0])],
                      fontsize=7, loc="best")  # in the settings' order, as the colour bar
    axes[0, 0].set_ylabel(ylabel)
    if order is not None and len(look) > 1:
        colours = ListedColormap([c for c, _, _ in look.values()])
        scale = plt.cm.ScalarMappable(BoundaryNorm(np.arange(len(look) + 1) - 0.5, len(look)),
                                      colours)
        bar = fig.colorbar(scale, ax=axes[0].tolist(), ticks=range(len(look)), fraction=0.03,
                           pad=0.02, aspect=30)
        bar.ax.set_yticklabels([str(k) for k in look], fontsize=7)
        bar.ax.invert_yaxis()  # the first setting on top, as in the legends
    save(fig, path, dpi=DPI)
