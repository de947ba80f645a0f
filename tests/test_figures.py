"""The report's figures: each writes a real PNG or GIF, atomically, without a warning — also for
networks too wide to draw whole, diverged runs and curves that stop early."""

import os
import warnings

import numpy as np
import pytest

from backproplab import MLP
from backproplab.data import datasets
from backproplab.figures import animation, network, plotting, sweeps, units
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

    for module in (network, sweeps, units):  # each imported save under its own name
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


# --- band_plot ------------------------------------------------------------------------------


def test_summary_is_over_seeds_still_running_and_stops_below_half():
    # six seeds with values 1…6; seed 6 stops at epoch 2, seed 5 at 4, seed 4 at 6, seed 3 at 8
    curves = np.tile(np.arange(1.0, 7.0)[:, None], (1, 10))
    curves[5, 2:] = np.nan
    curves[4, 4:] = np.nan
    curves[3, 6:] = np.inf  # a non-finite value counts as stopped too
    curves[2, 8:] = np.nan
    epochs, median, lo, hi = sweeps._summarise(curves)
    assert epochs.tolist() == list(range(10))
    # 6 seeds: median 3.5;  5: 3;  4: 2.5;  3 of 6 (half): 2;  2 of 6: no longer drawn
    np.testing.assert_allclose(median, [3.5] * 2 + [3.0] * 2 + [2.5] * 2 + [2.0] * 2
                               + [np.nan] * 2)
    # 10th and 90th percentiles of 1…6, linear interpolation: at positions 0.5 and 4.5
    np.testing.assert_allclose(lo[:2], 1.5)
    np.testing.assert_allclose(hi[:2], 5.5)
    assert np.isnan(lo[8:]).all() and np.isnan(hi[8:]).all()


def test_summary_thins_long_curves_keeping_both_ends():
    epochs, median, _, _ = sweeps._summarise(np.ones((3, 100_000)))
    assert len(epochs) <= sweeps.MAX_POINTS and epochs[0] == 0 and epochs[-1] == 99_999
    assert np.all(np.diff(epochs) > 0) and np.all(median == 1)


def test_summary_of_runs_that_all_diverged_at_once_is_empty():
    epochs, median, lo, hi = sweeps._summarise(np.full((4, 50), np.nan))
    assert len(epochs) == 50 and np.isnan(median).all() and np.isnan(lo).all()


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
        ("xor", [("steady", steady), ("unstable", unstable, [3]), ("blown up", blown_up,
                                                                     [0, 0, 0, 0])]),
        ("linear", [("steady", early, []), ("blown up", blown_up[:1], [0])]),
    ]
    sweeps.band_plot(panels, tmp_path / "loss.png")
    assert_png(tmp_path / "loss.png")
    assert_only(tmp_path, "loss.png")

    xor, linear = drawn[0].axes
    assert [t.get_text() for t in xor.get_legend().get_texts()] == [
        "steady", "unstable (1 diverged)", "blown up (4 diverged)"]
    assert [t.get_text() for t in linear.get_legend().get_texts()] == [
        "steady", "blown up (1 diverged)"]
    assert xor.get_yscale() == linear.get_yscale() == "log"
    # the same label has the same colour in both panels
    assert xor.get_legend().legend_handles[0].get_color() == \
        linear.get_legend().legend_handles[0].get_color()
    # four seeds diverged at epoch 0: one × with "4" beside it
    assert [t.get_text() for t in xor.texts] == ["4"]


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
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "hidden 1\nrelu\n12 of 500 shown" in texts
    assert "hidden 2\nrelu" in texts  # all 3 units of layer 2 shown: no count
    # 6 layers, 4 drawn: the first two and the last two, with their real numbers
    rows = sorted({int(k[1:k.index(".")]) for k in maps})
    assert rows == [1, 2, 5, 6]
    assert fig.get_suptitle().endswith("4 of 6 hidden layers")


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
