"""The report's figures: each writes a real PNG or GIF, atomically, without a warning — also for
networks too wide to draw whole, diverged runs and curves that stop early."""

import os
import warnings

import numpy as np
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_rgba

from backproplab import MLP
from backproplab.data import datasets
from backproplab.figures import animation, bands, network, plotting, sweeps, units
from backproplab.figures.plotting import grid_over

PNG = b"\x89PNG\r\n\x1a\n"
GIF = (b"GIF87a", b"GIF89a")


@pytest.fixture(autouse=True)
def no_warnings():
    """Any warning at all (not only RuntimeWarning) fails a figure test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture
def drawn(monkeypatch):
    """The figures passed to ``save``, kept open for inspection after the PNG is written."""
    figs = []
    real_save = plotting.save

    def keep(fig, path, **kw):
        figs.append(fig)
        real_save(fig, path, **kw)

    for module in (network, sweeps, bands, units):  # each imported save under its own name
        monkeypatch.setattr(module, "save", keep)
    return figs


def assert_png(path):
    with open(path, "rb") as f:
        assert f.read(8) == PNG
    assert os.path.getsize(path) > 1000


def assert_only(folder, *names):
    """Exactly these files in folder: no temporary file left beside them."""
    assert sorted(os.listdir(folder)) == sorted(names)


# --- network_diagram ------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(2, 2), (4, 4, 4), (500, 500)])
def test_network_diagram(tmp_path, hidden):
    acts = ["relu", "tanh", "sigmoid"][: len(hidden)]
    net = MLP(2, hidden=hidden, activation=acts, seed=[3, 4])  # a stack: network 0 is drawn
    network.network_diagram(net, tmp_path / "net.png")
    assert_png(tmp_path / "net.png")
    assert_only(tmp_path, "net.png")


def test_network_diagram_labels_wide_layers_with_their_real_size(tmp_path, drawn):
    net = MLP(3, hidden=(500, 4), seed=0)
    network.network_diagram(net, tmp_path / "net.png", title="wide")
    texts = [t.get_text() for t in drawn[0].axes[0].texts]
    assert "hidden 1\nsigmoid\n500 units (15 shown)" in texts
    assert "hidden 2\nsigmoid\n4 units" in texts and "output\nsigmoid\n1 unit" in texts
    assert texts.count("⋮") == 1
    lines = drawn[0].axes[0].collections[:3]  # the weights, drawn first: 3·15, 15·4, 4·1
    assert [len(c.get_segments()) for c in lines] == [45, 60, 4]


def test_network_diagram_shows_its_scales(tmp_path, drawn):
    net = MLP(2, hidden=(4, 3), seed=0)
    net.dense_layers[1].b[0, 0, 2] = -7.5  # a bias larger than every weight of its layer
    network.network_diagram(net, tmp_path / "net.png")
    fig = drawn[0]
    ax, bar = fig.axes
    scales = [max(np.abs(layer.W[0]).max(), np.abs(layer.b[0]).max())
              for layer in net.dense_layers]
    printed = [t.get_text() for t in ax.texts if t.get_text().startswith("scale ")]
    assert printed == [f"scale {v:.3g}" for v in scales]
    assert printed[1] == "scale 7.5"
    # the key: the widths of |w| = scale, ½ and ¼ of it, and the fills' colour bar
    legend = ax.get_legend()
    widths = {t.get_text(): h.get_linewidth()
              for t, h in zip(legend.get_texts(), legend.legend_handles)}
    assert widths["|w| = scale"] == 2 * widths["|w| = ½ scale"] == 4 * widths["|w| = ¼ scale"]
    assert [t.get_text() for t in bar.get_xticklabels()] == ["−scale", "0", "+scale"]
    assert bar.get_title(loc="left") == "bias (fill)"
    # the −7.5 bias is filled with the colour at the colour bar's left end, −scale
    fills = ax.collections[3 + 2].get_facecolors()  # hidden 2's units, after 3 weight layers
    mesh, = (c for c in bar.collections if isinstance(c, QuadMesh))
    np.testing.assert_allclose(fills[2], mesh.cmap(0.0), atol=1e-12)
    # the lines of layer 2 are scaled by 7.5 too: the widest is |w|max / 7.5 of full width
    lines = ax.collections[:2]
    assert max(lines[1].get_linewidths()) == pytest.approx(
        3.0 * np.abs(net.dense_layers[1].W[0]).max() / 7.5)


def test_network_diagram_of_a_diverged_network(tmp_path):
    net = MLP(2, hidden=(4, 4), seed=0)
    net.params[0, :5] = np.nan
    net.params[0, 5] = np.inf
    network.network_diagram(net, tmp_path / "net.png")
    assert_png(tmp_path / "net.png")


# --- boundary_animation ---------------------------------------------------------------------


def boundary_frames(n):
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(4, 4), seed=0)
    xx, yy, pts = grid_over(x, steps=30)
    frames = []
    for i in range(n):
        if i:
            net.fit(x, y, epochs=50, lr=1.0)
        proba = net.predict_proba(pts)[:, 0].reshape(xx.shape)
        accuracy = float(np.mean(net.predict(x) == y))
        frames.append((50 * i, 0.25 / (i + 1), accuracy, xx, yy, proba))
    return x, y, frames


def test_boundary_animation_writes_one_gif_frame_per_frame(tmp_path):
    x, y, frames = boundary_frames(5)
    frames[-1] = (*frames[-1][:5], np.full(frames[-1][5].shape, np.nan))  # a diverged net
    animation.boundary_animation(frames, x, y, tmp_path / "boundary.gif", fps=5)
    path = tmp_path / "boundary.gif"
    with open(path, "rb") as f:
        assert f.read(6) in GIF
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames == 5
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    assert_only(tmp_path, "boundary.gif")


def test_boundary_animation_that_fails_leaves_the_old_file_and_no_temporary(tmp_path,
                                                                           monkeypatch):
    from matplotlib.animation import PillowWriter

    def broken(self):
        raise OSError("disk full")

    monkeypatch.setattr(PillowWriter, "finish", broken)
    (tmp_path / "boundary.gif").write_bytes(b"old")
    x, y, frames = boundary_frames(2)
    with pytest.raises(OSError, match="disk full"):
        animation.boundary_animation(frames, x, y, tmp_path / "boundary.gif")
    assert (tmp_path / "boundary.gif").read_bytes() == b"old"
    assert_only(tmp_path, "boundary.gif")


def test_boundary_animation_needs_frames(tmp_path):
    x, y = datasets.xor_easy()
    with pytest.raises(ValueError, match="at least one frame"):
        animation.boundary_animation([], x, y, tmp_path / "b.gif")
    assert_only(tmp_path)


def gif_frames(path):
    """Every frame of a GIF, as RGB arrays (n, height, width, 3) of ints."""
    from PIL import Image, ImageSequence

    with Image.open(path) as gif:
        return np.array([np.asarray(f.convert("RGB"), dtype=np.int64)
                         for f in ImageSequence.Iterator(gif)])


def changed_pixels(a, b):
    """The share of pixels whose colour differs visibly between two frames."""
    return float(np.mean(np.abs(a - b).sum(axis=-1) > 30))


def test_the_reports_training_gif_starts_untrained_and_moves_with_the_boundary(tmp_path):
    """The report's recorder on a real XOR run that escapes its plateau: frame 0 is the
    network before any update, and the GIF's frames change where the boundary moved and
    only there — not the finished boundary under a changing title."""
    import io

    from backproplab.app.config import TrainConfig
    from backproplab.app.factory import build_model
    from backproplab.app.report.results import _animation_caption, _frame_recorder
    from backproplab.app.train import train_run

    cfg = TrainConfig(data="xor", epochs=4000).check()
    hook, frames = _frame_recorder(cfg, count=12)
    run = train_run(cfg, out=tmp_path / "run", plots=False, stdout=io.StringIO(),
                    on_progress=hook)
    shown = frames(run)
    titles = animation.boundary_animation(shown, run.x, run.y, tmp_path / "training.gif")
    epochs = [frame[0] for frame in shown]
    assert len(epochs) == 12 and epochs[0] == 0 and epochs[-1] == 4000
    assert epochs == sorted(set(epochs))
    assert titles[0].startswith("epoch 0 — ") and titles[-1].startswith("epoch 4000 — ")
    # frame 0 is the untrained network: its probabilities and the loss training saw first
    _, _, grid = grid_over(run.x, steps=60)
    untrained = build_model(cfg, 2).predict_proba(grid)[:, 0]
    np.testing.assert_array_equal(shown[0][5].ravel(), untrained)
    assert shown[0][1] == run.history.loss[0] and shown[-1][1] == run.history.final_loss
    caption = _animation_caption(shown)
    assert f"the epochs shown are {', '.join(map(str, epochs))}." in caption
    flat = [frame[0] for frame in shown if not animation.has_boundary(frame[5])]
    assert 2 <= len(flat) < len(shown) and flat == epochs[:len(flat)]  # the plateau comes first
    assert f"In {len(flat)} of the frames (epochs 0 to {flat[-1]}) the network puts" in caption

    pixels = gif_frames(tmp_path / "training.gif")
    assert len(pixels) == len(shown)
    first, last = shown[0][5], shown[-1][5]
    assert np.mean((first >= 0.5) != (last >= 0.5)) > 0.2  # the boundary moved a long way
    assert changed_pixels(pixels[0], pixels[-1]) > 0.2  # and the GIF shows it
    # between two frames: the most the probabilities moved, and the pixels that changed
    moved = [np.abs(a[5] - b[5]).max() for a, b in zip(shown, shown[1:])]
    changed = [changed_pixels(a, b) for a, b in zip(pixels, pixels[1:])]
    most, least = int(np.argmax(moved)), int(np.argmin(moved))
    assert moved[least] < 0.01 < 0.1 < moved[most]  # a plateau and an escape both shown
    assert changed[most] > 0.05 and changed[least] < 0.02


def test_frame_epochs_are_dense_where_the_loss_moves_and_keep_the_ends():
    epochs = np.arange(0, 1001, 10)
    loss = np.full(1001, 0.25)
    loss[500:600] = np.linspace(0.25, 0.0, 100)  # a plateau, then a fast escape
    loss[600:] = 0.0
    chosen = animation.frame_epochs(epochs, loss, count=20)
    assert len(chosen) == 20 and chosen[0] == 0 and chosen[-1] == 1000
    assert chosen == sorted(set(chosen)) and set(chosen) <= set(epochs.tolist())
    escape = [e for e in chosen if 500 <= e <= 600]
    plateau = [e for e in chosen if 0 < e < 500]
    assert len(escape) >= 8 and len(plateau) >= 4  # a tenth of the epochs, half the frames
    # a loss that never moves: time alone, on a log scale (early epochs closer together)
    flat = animation.frame_epochs(epochs, np.full(1001, 0.25), count=8)
    assert flat[0] == 0 and flat[-1] == 1000 and np.all(np.diff(flat, 2) > 0)  # gaps grow
    # fewer recorded epochs than frames: all of them; a diverged run's NaN: no error
    assert animation.frame_epochs([0, 5, 9], loss[:10], count=40) == [0, 5, 9]
    assert animation.frame_epochs([0, 5, 9], [0.3, np.nan, np.inf] + [np.nan] * 7, 2) == [0, 9]


# --- band_plot ------------------------------------------------------------------------------


def test_summary_is_over_seeds_still_running_and_stops_below_half():
    # six seeds with values 1…6; seed 6 stops at epoch 2, seed 5 at 4, seed 4 at 6, seed 3 at 8
    curves = np.tile(np.arange(1.0, 7.0)[:, None], (1, 10))
    curves[5, 2:] = np.nan
    curves[4, 4:] = np.nan
    curves[3, 6:] = np.inf  # a non-finite value counts as stopped too
    curves[2, 8:] = np.nan
    epochs, median, lo, hi = bands.summarise(curves)
    assert epochs.tolist() == list(range(10))
    # 6 seeds: median 3.5;  5: 3;  4: 2.5;  3 of 6 (half): 2;  2 of 6: no longer drawn
    np.testing.assert_allclose(median, [3.5] * 2 + [3.0] * 2 + [2.5] * 2 + [2.0] * 2
                               + [np.nan] * 2)
    # 10th and 90th percentiles of 1…6, linear interpolation: at positions 0.5 and 4.5
    np.testing.assert_allclose(lo[:2], 1.5)
    np.testing.assert_allclose(hi[:2], 5.5)
    assert np.isnan(lo[8:]).all() and np.isnan(hi[8:]).all()


def test_summary_thins_long_curves_keeping_both_ends():
    epochs, median, _, _ = bands.summarise(np.ones((3, 100_000)))
    assert len(epochs) <= bands.MAX_POINTS and epochs[0] == 0 and epochs[-1] == 99_999
    assert np.all(np.diff(epochs) > 0) and np.all(median == 1)


def test_summary_of_runs_that_all_diverged_at_once_is_empty():
    epochs, median, lo, hi = bands.summarise(np.full((4, 50), np.nan))
    assert len(epochs) == 50 and np.isnan(median).all() and np.isnan(lo).all()


def crosses(ax):
    """The ×s of diverged runs on a panel: [(x, y) in fractions of the panel, the number beside
    it or 1]."""
    marks = [(line.get_xdata()[0], line.get_ydata()[0]) for line in ax.lines
             if line.get_marker() == "x"]
    numbers = {t.xy: int(t.get_text()) for t in ax.texts}
    return [(xy, numbers.get(xy, 1)) for xy in marks]


def legend_counts(ax):
    """{label: n} of the legend's "label (n diverged)" entries."""
    out = {}
    for t in ax.get_legend().get_texts():
        text = t.get_text()
        if text.endswith(" diverged)"):
            label, n = text[:-len(" diverged)")].rsplit(" (", 1)
            out[label] = int(n)
    return out


def test_band_plot_with_diverged_runs(tmp_path, drawn):
    rng = np.random.default_rng(0)
    epochs = np.arange(200)
    steady = np.exp(-epochs / 50 * rng.uniform(0.8, 1.2, (5, 1)))
    unstable = steady.copy()
    unstable[2, 3:] = np.nan  # one seed diverged at epoch 3, the others go on
    early = steady.copy()
    early[:, 120:] = np.nan  # all stopped early (reached the target loss): not diverged
    blown_up = np.full((4, 200), np.nan)  # every seed diverged at epoch 0
    panels = [
        ("xor", [("steady", steady), ("unstable", unstable, [0, 0, 1, 0, 0]),
                 ("blown up", blown_up, [True] * 4)]),
        ("linear", [("steady", early, [False] * 5), ("blown up", blown_up[:1], [True])]),
    ]
    sweeps.band_plot(panels, tmp_path / "loss.png")
    assert_png(tmp_path / "loss.png")
    assert_only(tmp_path, "loss.png")

    xor, linear = drawn[0].axes
    note = ("a diverged run, at its last loss\n(in a top row: above the axis)\n"
            "the number beside an ×: its runs")
    assert [t.get_text() for t in xor.get_legend().get_texts()] == [
        "steady", "unstable (1 diverged)", "blown up (4 diverged)", note]
    assert [t.get_text() for t in linear.get_legend().get_texts()] == [
        "steady", "blown up (1 diverged)", note.split("\nthe")[0]]
    assert xor.get_yscale() == linear.get_yscale() == "log"
    # the same label has the same colour in both panels
    assert xor.get_legend().legend_handles[0].get_color() == \
        linear.get_legend().legend_handles[0].get_color()
    # the unstable seed's × is on its curve where it stops (epoch 2, its last finite loss);
    # the four seeds with no loss at all are one × with "4" beside it, in the top row
    (at_stop, one), (top, four) = sorted(crosses(xor), key=lambda c: c[1])
    assert (one, four) == (1, 4)
    to_panel = xor.transData + xor.transAxes.inverted()
    np.testing.assert_allclose(at_stop, to_panel.transform((2, unstable[2, 2])), atol=1e-9)
    assert top[1] == pytest.approx(bands.ROW) and top[1] > at_stop[1]  # its own row
    assert [t.get_text() for t in xor.texts] == ["4"]


def test_the_crosses_count_what_the_legend_says(tmp_path, drawn):
    # as in the report's no_activation.png: 9 of 10 seeds diverge at epoch 5, one at epoch 6,
    # each from a loss far above the others' — one × at the top, and it says 10
    curves = np.full((10, 3000), 0.25)
    curves[:, 5:] = np.nan
    curves[:, 4] = 10.0 ** np.arange(170, 270, 10)
    curves[3, 5] = 1e63
    curves[3, 6:] = np.nan
    calm = np.full((10, 3000), 0.2) * np.linspace(1, 0.1, 3000)
    panels = [("linear", [("lr 1", curves, [True] * 10), ("lr 0.01", calm, [False] * 10)]),
              ("xor", [("lr 1", curves[:7], [True] * 7), ("lr 0.01", calm, None)])]
    sweeps.band_plot(panels, tmp_path / "loss.png")
    for ax, n in zip(drawn[0].axes, (10, 7)):
        marks = crosses(ax)
        assert legend_counts(ax) == {"lr 1": n}
        assert sum(k for _, k in marks) == n  # the ×s and the numbers beside them
        assert len(marks) == 1 and [t.get_text() for t in ax.texts] == [str(n)]


def test_band_plot_one_look_per_setting_across_panels(tmp_path, drawn):
    # 500×500 has other epochs than the rest, and the data sets have epochs of their own: the
    # labels differ from panel to panel, the setting keeps its colour, line style and marker
    widths = ["1×1", "2×2", "4×4", "500×500"]
    curves = np.ones((3, 40))
    panels = [(data, [bands.Series(f"{w} ({e if w != '500×500' else 5} epochs)",
                                   curves * (i + 1), None, w) for i, w in enumerate(widths)])
              for data, e in (("linear", 300), ("xor", 600))]
    sweeps.band_plot(panels, tmp_path / "widths.png", order=widths)
    linear, xor, bar = drawn[0].axes

    def looks(ax):
        return [(h.get_color(), h.get_linestyle(), h.get_marker())
                for h in ax.get_legend().legend_handles]

    assert looks(linear) == looks(xor)
    assert [t.get_text() for t in xor.get_legend().get_texts()][3] == "500×500 (5 epochs)"
    # ordered settings: viridis spaced by rank, darkest first, and a colour bar naming them
    colours = [c for c, _, _ in looks(linear)]
    lightness = [sum(c[:3]) for c in colours]
    assert lightness == sorted(lightness) and len(set(map(tuple, colours))) == 4
    assert [t.get_text() for t in bar.get_yticklabels()] == widths
    # the colour bar's colours are the lines' own
    mesh, = (c for c in bar.collections if isinstance(c, QuadMesh))
    assert [to_rgba(c) for c in mesh.cmap.colors] == [to_rgba(c) for c in colours]


def test_band_plot_orders_its_legend_as_the_settings(tmp_path, drawn):
    series = [(f"lr {v}", np.ones((2, 30)) * v, None, v) for v in (1.0, 0.01, 0.1)]
    sweeps.band_plot([("lrs", series)], tmp_path / "lr.png", order=[0.01, 0.1, 1.0])
    texts = [t.get_text() for t in drawn[0].axes[0].get_legend().get_texts()]
    assert texts == ["lr 0.01", "lr 0.1", "lr 1.0"]


def test_band_plot_tells_coinciding_lines_apart(tmp_path, drawn):
    # gd, momentum and nesterov on top of one another, as in optimizers.png
    same = np.exp(-np.arange(3000) / 800)[None, :] * np.ones((4, 1))
    names = ["gd", "momentum", "nesterov", "adagrad", "rmsprop"]
    sweeps.band_plot([("xor", [(n, same) for n in names])], tmp_path / "opt.png")
    lines = [line for line in drawn[0].axes[0].lines if line.get_marker() not in ("x", "None")]
    assert len(lines) == len(names)
    styles = [(line.get_linestyle(), line.get_marker()) for line in lines]
    assert len(set(styles)) == len(names)  # no two alike
    assert len({s for s, _ in styles[:3]}) == 3  # the first three differ in line style too
    # each line's markers sit at a few epochs of its own, spread over the curve
    at = [tuple(line.get_xdata()[line.get_markevery()]) for line in lines]
    assert all(len(a) == bands.MARKS for a in at)
    assert len({e for a in at for e in a}) == bands.MARKS * len(names)
    assert all(max(a) - min(a) > 1500 for a in at)


def test_groups_add_up_to_the_points():
    xy = np.array([[0.0, 0.9], [0.01, 0.91], [0.02, 0.9], [0.5, 0.5], [0.52, 0.2]])
    got = bands.groups(xy)
    assert [k for _, k in got] == [3, 1, 1]
    np.testing.assert_allclose(got[0][0], [0.01, 0.9])


def test_stops_are_the_last_finite_points():
    curves = np.array([[1.0, 2.0, np.nan], [1.0, np.inf, np.nan], [np.nan] * 3, [1.0] * 3])
    got = bands.stops(curves, [True, True, True, False])
    np.testing.assert_array_equal(got[:2], [[1, 2.0], [0, 1.0]])
    assert got[2, 0] == 0 and np.isnan(got[2, 1])
    with pytest.raises(ValueError, match="one flag per run"):
        bands.stops(curves, [True])


def test_band_plot_linear_axis_when_values_are_not_positive(tmp_path, drawn):
    curves = np.linspace(-1, 1, 30)[None, :] + np.zeros((3, 1))
    sweeps.band_plot([("accuracy", [("a", curves)])], tmp_path / "a.png", ylabel="margin")
    assert drawn[0].axes[0].get_yscale() == "linear"
    assert_png(tmp_path / "a.png")


def test_band_plot_many_series_take_a_sequential_ramp(tmp_path):
    series = [(f"lr {i}", np.ones((2, 20)) * (i + 1)) for i in range(14)]
    sweeps.band_plot([("many", series)], tmp_path / "many.png")
    assert_png(tmp_path / "many.png")


# --- grad_norm_plot -------------------------------------------------------------------------


def test_grad_norm_plot_grid_with_shared_log_axis(tmp_path, drawn):
    epochs = np.arange(300)
    panels = []
    for depth in (2, 3, 4, 6):
        norms = np.exp(-np.arange(depth)[None, :] - epochs[:, None] / 100)
        norms[:10, 0] = 0.0  # a zero gradient cannot be drawn on log axes; must not break
        panels.append((f"depth {depth}", epochs, norms, [f"W{i + 1}" for i in range(depth)]))
    sweeps.grad_norm_plot(panels, tmp_path / "grads.png")
    assert_png(tmp_path / "grads.png")
    assert_only(tmp_path, "grads.png")
    axes = drawn[0].axes
    assert len(axes) == 6  # 2 rows of 3, the last two hidden
    visible = [ax for ax in axes if ax.get_visible()]
    assert len(visible) == 4 and all(ax.get_yscale() == "log" for ax in visible)
    assert len({ax.get_ylim() for ax in visible}) == 1
    # from light (input) to dark (output): the first layer's line is the brightest
    lines = visible[3].get_lines()
    assert sum(lines[0].get_color()[:3]) > sum(lines[-1].get_color()[:3])


# --- bar_pair -------------------------------------------------------------------------------


@pytest.mark.parametrize("errors", [False, True])
def test_bar_pair(tmp_path, drawn, errors):
    err = {"train_err": [0.0, 0.01, 0.05], "test_err": [0.02, 0.1, 0.0]} if errors else {}
    sweeps.bar_pair(["linear", "xor", "circles"], [1.0, 1.0, 0.95], [0.99, 0.7, np.nan],
                     tmp_path / "bars.png", "Generalisation", **err)
    assert_png(tmp_path / "bars.png")
    assert_only(tmp_path, "bars.png")
    labels = [t.get_text() for t in drawn[0].axes[0].texts]
    assert labels == ["100.0", "100.0", "95.0", "99.0", "70.0", "n/a"]


def test_bar_pair_needs_a_value_per_category(tmp_path):
    with pytest.raises(ValueError, match="2 categories need 2 train and 2 test values"):
        sweeps.bar_pair(["a", "b"], [1.0, 1.0], [1.0], tmp_path / "bars.png", "t")
    assert_only(tmp_path)


def test_a_png_is_written_atomically_with_the_usual_permissions(tmp_path, monkeypatch):
    sweeps.bar_pair(["a"], [1.0], [0.5], tmp_path / "bars.png", "t")
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(tmp_path / "bars.png").st_mode & 0o777 == 0o666 & ~mask  # not 0600
    from matplotlib.figure import Figure

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        sweeps.bar_pair(["a"], [1.0], [0.5], tmp_path / "bars.png", "t")
    assert_png(tmp_path / "bars.png")  # the old figure, whole
    assert_only(tmp_path, "bars.png")
    plotting._pyplot().close("all")  # save closes a figure only once it is written


# --- hidden_units ---------------------------------------------------------------------------


def unit_maps(fig, clim=False):
    """{title "hℓ.u": the map's pixels (or its colour scale)} of a hidden_units figure."""
    maps = {}
    for ax in fig.axes:
        titles = [t.get_text() for t in ax.texts if t.get_text().startswith("h")]
        if titles and ax.images:
            image = ax.images[0]
            maps[titles[0]] = image.get_clim() if clim else np.asarray(image.get_array())
    return maps


def test_hidden_units_draws_network_m_of_a_stack(tmp_path, drawn):
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(3, 2), activation=["tanh", "sigmoid"], seed=[0, 1, 2])
    units.hidden_units(net, x, y, tmp_path / "neurons.png", m=1, steps=20)
    assert_png(tmp_path / "neurons.png")
    assert_only(tmp_path, "neurons.png")
    maps = unit_maps(drawn[0])
    assert sorted(maps) == ["h1.1", "h1.2", "h1.3", "h2.1", "h2.2"]
    xx, _, grid = grid_over(x, steps=20)
    for m, check in ((1, np.testing.assert_allclose), (0, None), (2, None)):
        h1, h2 = net.hidden_activations(grid, m=m)
        expected = h1[:, 2].reshape(xx.shape)
        if check:  # network 1's unit 3 of layer 1, on the boundary plot's own plane
            check(maps["h1.3"], expected, rtol=1e-12)
            check(maps["h2.1"], h2[:, 0].reshape(xx.shape), rtol=1e-12)
        else:
            assert not np.allclose(maps["h1.3"], expected)
    # tanh on [−1, 1], sigmoid on [0, 1]: each row's colour scale is its activation's range
    scales = {name[:2]: clim for name, clim in unit_maps(drawn[0], clim=True).items()}
    assert scales == {"h1": (-1.0, 1.0), "h2": (0.0, 1.0)}
    assert "network 1, seed 1" in drawn[0].get_suptitle()


def test_hidden_units_of_wide_and_deep_networks_stay_readable(tmp_path, drawn):
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(500, 3, 2, 2, 2, 4), activation="relu", seed=0)
    units.hidden_units(net, x, y, tmp_path / "neurons.png", steps=20, max_layers=4)
    assert_png(tmp_path / "neurons.png")
    fig = drawn[0]
    width, height = fig.get_size_inches()
    assert width <= 20 and height <= 16  # a bounded figure, whatever the network
    maps = unit_maps(fig)
    # 12 of the 500 first-layer units: those that vary most over the plane
    first = sorted((k for k in maps if k.startswith("h1.")), key=lambda k: int(k[3:]))
    xx, _, grid = grid_over(x, steps=20)
    a = net.hidden_activations(grid)[0]
    spread = a.max(axis=0) - a.min(axis=0)
    assert [int(k[3:]) - 1 for k in first] == sorted(np.argsort(-spread)[:12])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text()
                                                                  for t in fig.texts]
    assert "hidden 1\nrelu\n12 of 500 shown" in texts
    assert "hidden 2\nrelu" in texts  # all 3 units of layer 2 shown: no count
    # 6 layers, 4 drawn: the first two and the last two, with their real numbers
    rows = sorted({int(k[1:k.index(".")]) for k in maps})
    assert rows == [1, 2, 5, 6]
    assert fig.get_suptitle().endswith("4 of 6 hidden layers")


@pytest.mark.parametrize("hidden", [(10, 10), (2, 2), (4, 4), (500, 500)])
def test_the_neurons_figure_fills_its_canvas(tmp_path, drawn, hidden):
    # neurons.png drew the lab's 2 × 10 maps in a strip across the middle of a wide canvas,
    # a quarter of it covered: now the maps wrap, and they and the boundary fill it
    x, y = datasets.xor_easy()
    units.hidden_units(MLP(2, hidden=hidden, seed=0), x, y, tmp_path / "n.png", steps=20)
    fig = drawn[0]
    panels = [ax for ax in fig.axes if ax.images or ax.get_title()]  # maps and the boundary
    boxes = [ax.get_position() for ax in panels]  # as drawn: after each one's aspect
    assert sum(b.width * b.height for b in boxes) > 0.45
    assert max(b.x1 for b in boxes) - min(b.x0 for b in boxes) > 0.8
    maps = [b for ax, b in zip(panels, boxes) if ax.images]
    assert max(b.y1 for b in maps) - min(b.y0 for b in maps) > 0.7  # top to bottom
    if hidden == (10, 10):  # each layer on two rows of five
        rows = {round(b.y0, 3) for b in maps}
        assert len(maps) == 20 and len(rows) == 4


def test_wrap_puts_each_layer_on_rows_of_its_own():
    assert units.wrap([10, 10]) == (5, [2, 2])
    assert units.wrap([2, 2]) == (2, [1, 1])
    columns, rows = units.wrap([12] * 8)
    assert (columns, rows) == (12, [1] * 8)  # no more than MAX_ROWS rows
    columns, rows = units.wrap([12, 3, 2, 2, 2, 4])
    assert rows == [-(-n // columns) for n in [12, 3, 2, 2, 2, 4]]


def test_units_and_layers_to_show():
    a = np.array([[0.0, 5.0, 1.0, np.nan, 2.0],
                  [0.0, 0.0, 1.5, 9.0, 0.0]])  # spreads: 0, 5, 0.5, not finite, 2
    assert units.units_to_show(a, 2).tolist() == [1, 4]
    assert units.units_to_show(a, 3).tolist() == [1, 2, 4]
    assert units.units_to_show(a, 5).tolist() == [0, 1, 2, 3, 4]
    assert units.layers_to_show(3, 8).tolist() == [0, 1, 2]
    assert units.layers_to_show(10, 5).tolist() == [0, 1, 2, 8, 9]


def test_activation_range():
    values = np.array([[0.0, 3.5], [1.0, np.inf]])
    assert units.activation_range("sigmoid", values) == (0.0, 1.0)
    assert units.activation_range("tanh", values) == (-1.0, 1.0)
    assert units.activation_range("relu", values) == (0.0, 3.5)  # [0, max], inf ignored
    assert units.activation_range("none", np.array([-4.0, 1.0])) == (-4.0, 4.0)
    assert units.activation_range("relu", np.zeros(3)) == (0.0, 1.0)  # all off
    assert units.activation_range("elu", np.full(2, np.nan)) == (0.0, 1.0)


def test_hidden_units_of_a_diverged_network(tmp_path):
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(2, 2), seed=0)
    net.params[...] = np.nan
    units.hidden_units(net, x, y, tmp_path / "neurons.png", steps=10)
    assert_png(tmp_path / "neurons.png")


# --- what a figure draws is bounded, whatever the run --------------------------------------


@pytest.fixture
def drawn_all(monkeypatch, drawn):
    """``drawn``, also for the figures of plotting and images."""
    from backproplab.figures import images

    real_save = plotting.save

    def keep(fig, path, **kw):
        drawn.append(fig)
        real_save(fig, path, **kw)

    for module in (plotting, images):
        monkeypatch.setattr(module, "save", keep)
    return drawn


def test_network_diagram_of_a_3000_3000_network_draws_15_units_a_layer(tmp_path, drawn):
    from matplotlib.collections import LineCollection

    net = MLP(2, hidden=(3000, 3000), seed=0)
    network.network_diagram(net, tmp_path / "net.png")
    ax = drawn[0].axes[0]
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [len(c.get_segments()) for c in lines] == [2 * 15, 15 * 15, 15 * 1]
    units = [len(c.get_offsets()) for c in ax.collections if not isinstance(c, LineCollection)]
    assert units == [2, 15, 15, 1]
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("hidden 1\nsigmoid\n3000 units (15 shown)") == 1
    assert texts.count("⋮") == 2


def test_network_diagram_of_a_deep_network_draws_11_layers(tmp_path, drawn):
    from matplotlib.collections import LineCollection

    net = MLP(2, hidden=[3] * 40, seed=0)  # 42 layers with the input and the output
    network.network_diagram(net, tmp_path / "net.png")
    fig = drawn[0]
    ax = fig.axes[0]
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 5 + 4  # between the first 6 layers, and between the last 5
    assert [len(c.get_segments()) for c in lines] == [6] + [9] * 7 + [3]
    texts = [t.get_text() for t in ax.texts]
    assert "⋯" in texts and "31 more\nlayers" in texts
    assert "hidden 5\nsigmoid\n3 units" in texts and "hidden 6\nsigmoid\n3 units" not in texts
    assert "hidden 36\nsigmoid\n3 units" not in texts and "hidden 37\nsigmoid\n3 units" in texts
    assert ax.get_title().startswith("2–3–3–3–3–3–…–3–3–3–3–1 (42 layers)")
    assert fig.get_size_inches()[0] <= 1.9 * 12 + 2.2  # 12 columns and the key


def test_a_layers_scale_is_read_a_block_at_a_time(monkeypatch):
    W = np.random.default_rng(0).normal(size=(40, 30))
    W[3, 4], W[7, 1], W[20, 20] = np.nan, np.inf, -9.0
    monkeypatch.setattr(network, "BLOCK", 7)
    assert network._scale(W) == 9.0
    assert network._scale(np.full(5, np.nan)) == 0.0


def test_hidden_units_in_chunks_draw_what_one_pass_draws(tmp_path, drawn, monkeypatch):
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(40, 30), activation=["tanh", "relu"], seed=0)
    units.hidden_units(net, x, y, tmp_path / "one.png", steps=20, max_units=5)
    rows = []
    real = net.hidden_activations

    def recorded(points, m=None):
        rows.append(len(points))
        return real(points, m=m)

    monkeypatch.setattr(net, "hidden_activations", recorded)
    monkeypatch.setattr(net, "predict_proba", lambda p, real=net.predict_proba: (
        rows.append(len(p)), real(p))[1])
    monkeypatch.setattr(plotting, "FIGURE_CHUNK", 50 * plotting.forward_bytes(net))
    units.hidden_units(net, x, y, tmp_path / "chunks.png", steps=20, max_units=5)
    # 400 grid points: twice 16 chunks of at most 25 rows (the spreads, then the maps), and the
    # output's 8 chunks of 50
    assert max(rows) <= 50 and sum(rows) == 3 * 400
    one, chunks = unit_maps(drawn[0]), unit_maps(drawn[1])
    assert sorted(one) == sorted(chunks) and len(one) == 10
    for name in one:  # a chunk's matmul may round in another order than the whole grid's
        np.testing.assert_allclose(chunks[name], one[name], rtol=1e-12, atol=1e-15)


def test_decision_boundary_of_a_wide_network_is_evaluated_in_chunks(tmp_path, monkeypatch):
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(3000,), seed=0)
    rows = []
    monkeypatch.setattr(net, "predict_proba", lambda p, real=net.predict_proba: (
        rows.append(len(p)), real(p))[1])
    plotting.decision_boundary(net, x, y, tmp_path / "boundary.png")
    assert sum(rows) == 200 * 200 and len(rows) > 1
    assert max(rows) * plotting.forward_bytes(net) <= plotting.FIGURE_CHUNK
    assert_png(tmp_path / "boundary.png")


def test_evaluate_in_chunks_is_one_call_when_it_fits(monkeypatch):
    points = np.arange(20.0).reshape(10, 2)
    calls = []

    def f(p):
        calls.append(len(p))
        return p * 2

    assert np.array_equal(plotting.evaluate(f, points, row_bytes=16), points * 2)
    assert calls == [10]
    monkeypatch.setattr(plotting, "FIGURE_CHUNK", 48)
    calls.clear()
    assert np.array_equal(plotting.evaluate(f, points, row_bytes=16), points * 2)
    assert calls == [3, 3, 3, 1]


def test_a_large_network_gets_a_coarser_grid():
    assert plotting.grid_steps(MLP(2, hidden=(10, 10), seed=0), 200) == 200
    assert plotting.grid_steps(MLP(2, hidden=(500, 500), seed=0), 200) == 199
    assert plotting.grid_steps(MLP(2, hidden=(3000, 3000), seed=0), 200) == plotting.MIN_STEPS
    assert len(grid_over(np.zeros((2, 2)), steps=10**6)[2]) == plotting.MAX_STEPS ** 2


def scattered(ax):
    from matplotlib.collections import PathCollection

    return sum(len(c.get_offsets()) for c in ax.collections if type(c) is PathCollection)


def test_a_scatter_of_a_large_data_set_draws_a_sample_and_says_so(tmp_path, drawn_all):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50_000, 2))
    y = (x[:, :1] > 0).astype(int)
    pred = np.zeros(50_000, dtype=int)
    plotting.comparison(x, y, pred, tmp_path / "comparison.png")
    truth, predicted = drawn_all[0].axes[:2]
    assert scattered(truth) == 10_000
    assert truth.get_title() == "Ground truth\n(10,000 of the 50,000 points drawn)"
    wrong = int(y.sum())
    assert predicted.get_title().startswith(f"Predict result ({wrong} wrong)\n(10,000 of")
    plotting.comparison(x[:9000], y[:9000], pred[:9000], tmp_path / "comparison.png")
    assert scattered(drawn_all[1].axes[0]) == 9000
    assert drawn_all[1].axes[0].get_title() == "Ground truth"


def test_hidden_units_maps_draw_a_sample_of_a_large_data_set(tmp_path, drawn):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30_000, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(int)
    units.hidden_units(MLP(2, hidden=(2,), seed=0), x, y, tmp_path / "neurons.png", steps=10)
    maps = [ax for ax in drawn[0].axes if ax.images and ax.texts]
    assert [scattered(ax) for ax in maps] == [units.MAP_POINTS] * 2
    assert "2,000 of the 30,000 points drawn on each map" in drawn[0].get_suptitle()
    boundary = [ax for ax in drawn[0].axes if ax.get_title().startswith("Output")][0]
    assert scattered(boundary) == 10_000


def test_a_learning_curve_of_a_million_epochs_is_thinned_keeping_its_spikes(tmp_path,
                                                                           drawn_all):
    loss = np.linspace(1.0, 0.01, 1_000_000)
    loss[123_457], loss[654_321] = 50.0, 1e-6  # a spike and a dip, one epoch each
    loss[900_000:] = np.nan  # the run stopped
    accuracy = np.full(1_000_000, 0.5)
    plotting.learning_curve(loss, accuracy, tmp_path / "curve.png")
    line = drawn_all[0].axes[0].lines[0]
    epochs, values = line.get_xdata(), line.get_ydata()
    assert len(epochs) <= plotting.FIGURE_CURVE_POINTS
    assert 123_457 in epochs and 654_321 in epochs
    assert np.nanmax(values) == 50.0 and np.nanmin(values) == 1e-6
    assert len(drawn_all[0].axes[1].lines[0].get_xdata()) <= plotting.FIGURE_CURVE_POINTS
    # a curve that fits is drawn whole
    plotting.learning_curve(loss[:5000], accuracy[:5000], tmp_path / "curve.png")
    assert np.array_equal(drawn_all[1].axes[0].lines[0].get_xdata(), np.arange(5000))


def test_curves_of_values_near_float64s_limit(tmp_path, drawn_all):
    loss = np.array([1e308, 1.7e308, 1e300, 1.0, np.inf, np.nan])
    plotting.learning_curve(loss, np.full(6, 0.5), tmp_path / "curve.png",
                            final=(6, 1.7e308, 0.5))
    values = drawn_all[0].axes[0].lines[0].get_ydata()
    assert np.nanmax(values[np.isfinite(values)]) == plotting.CURVE_MAX
    sweeps.band_plot([("huge", [("a", np.array([[1e308, 1e307, 1.0]] * 3))])],
                     tmp_path / "band.png")
    assert_png(tmp_path / "band.png")


def test_points_near_float64s_limit_are_drawn_scaled(tmp_path, drawn_all):
    x = np.array([[1e308, 1e308], [-1e308, -1e308], [1.7e308, -1e308], [-1e308, 1e308]])
    y = np.array([[0], [0], [1], [1]])
    net = MLP(2, hidden=(3,), seed=0)
    plotting.comparison(x, y, y[:, 0], tmp_path / "comparison.png")
    plotting.decision_boundary(net, x, y, tmp_path / "boundary.png")
    units.hidden_units(net, x, y, tmp_path / "neurons.png", steps=10)
    xx, yy, grid = grid_over(x, steps=10)
    assert np.isfinite(grid).all() and xx.max() > 1.7e308
    frames = [(0, 1.0, 0.5, xx, yy, net.predict_proba(grid)[:, 0])]
    animation.boundary_animation(frames, x, y, tmp_path / "training.gif")
    for fig in drawn_all:
        labelled = [ax for ax in fig.axes if ax.get_xlabel().startswith("x₁")]
        assert labelled and all(ax.get_xlabel() == "x₁ (× 1e+308)" for ax in labelled)
        assert all(ax.get_ylabel() == "x₂ (× 1e+308)" for ax in labelled)
    # a constant column far from 0 has limits matplotlib can lay out
    plotting.comparison(np.c_[np.full(4, 1e17), np.arange(4.0)], y, y[:, 0],
                        tmp_path / "comparison.png")


def test_filters_of_a_layer_of_5000_units_draw_the_first_64(tmp_path, drawn_all):
    from backproplab.figures import images

    W = np.random.default_rng(0).normal(size=(5000, 1, 8, 8))
    images.filters(W, tmp_path / "filters.png", title="First layer's weights",
                   noun="units, an image each")
    fig = drawn_all[0]
    assert sum(bool(ax.images) for ax in fig.axes) == images.MAX_KERNELS
    assert fig.get_suptitle() == ("First layer's weights: 5000 units, an image each of 8×8 "
                                  "(the first 64 of 5000 drawn)")
    images.filters(np.ones((4, 20, 3, 3)), tmp_path / "filters.png")
    assert sum(bool(ax.images) for ax in drawn_all[1].axes) == 4 * images.MAX_INPUTS
    assert "(the first 8 of 20 input channels)" in drawn_all[1].get_suptitle()
