"""Points in K classes beyond ``train``: its figures, gradcheck, explain (the softmax
cross-entropy's δ against finite differences), sweep and plot, the report's experiments, and
check, which refuses them in one line."""

import csv
import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

from backproplab import train
from backproplab.app import explain, gradcheck, report, sweep
from backproplab.app.config import TrainConfig
from backproplab.app.factory import load_data, point_model
from backproplab.figures import classes
from backproplab.limits import MAX_CLASSES
from backproplab.nn.losses import CrossEntropy

SOFTMAX = ["--output", "softmax", "--loss", "ce"]


def blobs(**settings):
    return TrainConfig(**{"data": "blobs", "output": "softmax", "loss": "ce", "hidden": [3],
                          **settings}).check()


def write(path, text):
    path.write_text(text)
    return path


# -- figures ---------------------------------------------------------------------------------

def test_every_class_has_its_own_colour_and_marker():
    assert len(set(classes.PALETTE)) == len(classes.PALETTE) == MAX_CLASSES
    assert len(set(classes.MARKERS)) == MAX_CLASSES
    assert classes.rgb("#CC6677") == (0xCC / 255, 0x66 / 255, 0x77 / 255)


def test_a_region_is_its_class_colour_deeper_where_the_network_is_sure():
    proba = np.array([[0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3], [0.1, 0.8, 0.1], [np.nan] * 3])
    image = classes.region_image(proba, (2, 2)).reshape(4, 3)
    sure = 1 - classes.DEEPEST * (1 - np.array(classes.rgb(classes.PALETTE[2])))
    np.testing.assert_allclose(image[0], sure)  # certain: the deepest tint of class 2
    toss_up = 1 - classes.PALEST * (1 - np.array(classes.rgb(classes.PALETTE[0])))
    np.testing.assert_allclose(image[1], toss_up)  # 1/K each: the palest (first class wins)
    blue = np.array(classes.rgb(classes.PALETTE[1]))
    assert np.all(image[2] <= 1) and np.argmin(image[2]) == np.argmin(blue)
    np.testing.assert_array_equal(image[3], [1, 1, 1])  # not finite: white


def test_the_regions_figure_has_a_legend_per_class_and_the_boundaries(tmp_path):
    import matplotlib.pyplot as plt

    cfg = blobs(hidden=[8], epochs=300)
    x, y, _ = load_data(cfg)
    net = point_model(cfg, x, y)
    net.fit(x, y, loss="ce", epochs=300)
    fig, ax = plt.subplots()
    xx, yy, grid = classes.grid_over(x, steps=60)
    classes.draw_regions(ax, xx, yy, net.predict_proba(grid), x, y, "t")
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["0", "1", "2"]
    assert legend.get_title().get_text() == "class"
    assert len(ax.collections) >= 3 + 3  # a scatter per class, a boundary per class
    plt.close(fig)
    classes.decision_regions(net, x, y, tmp_path / "regions.png")
    classes.comparison(x, y, net.predict(x), tmp_path / "comparison.png", 3)
    assert (tmp_path / "regions.png").stat().st_size > 5000


# -- gradcheck and explain --------------------------------------------------------------------

def test_gradcheck_passes_for_softmax_ce_on_points_and_catches_a_bug(cli):
    result = gradcheck.check(blobs(hidden=[4, 4]), samples=9)
    assert result.passed and result.network == "2-4-4-3"
    broken = gradcheck.check(blobs(hidden=[4, 4]), samples=9, break_layer=3)
    assert [r.passed for r in broken.rows] == [True, True, True, True, False, False]
    status, out, _ = cli("gradcheck", "--data", "blobs", *SOFTMAX, "--hidden", 4)
    assert status == 0 and "softmax output, loss ce" in out


def one_step_of_train(cfg, samples):
    """One epoch of ``train`` on the first samples, the network built as explain builds it."""
    x, y, _ = load_data(cfg)
    net = point_model(cfg, x, y)
    seen = {}

    def keep(progress):
        seen["grads"] = progress.model.grads[0].copy()

    train(net, x[:samples], y[:samples], loss="ce", optimizer="gd", lr=cfg.lr, epochs=1,
          callback=keep, callback_every=1)
    return net, seen["grads"]


def test_explain_s_softmax_step_is_train_s_and_its_delta_is_the_loss_s_slope():
    cfg = blobs(hidden=[2], lr=0.5)
    step = explain.one_step(cfg, samples=4)
    net, grads = one_step_of_train(cfg, 4)
    dW_db = np.concatenate([np.concatenate([s.dW.ravel(), s.db.ravel()]) for s in step.layers])
    after = np.concatenate([np.concatenate([s.W_new.ravel(), s.b_new.ravel()])
                            for s in step.layers])
    assert np.array_equal(dW_db, grads) and np.array_equal(after, net.params[0])
    top = step.layers[-1]
    labels = step.y[:, 0].astype(int)
    np.testing.assert_array_equal(labels, [0, 1, 2, 0])
    np.testing.assert_array_equal(step.onehot, np.eye(3)[labels])
    np.testing.assert_allclose(top.delta, (top.a - step.onehot) / 4, rtol=1e-12)  # (ŷ − Y)/n
    # δ = dL/dz, by central differences of the loss in each output pre-activation
    def loss(z):
        return CrossEntropy().forward(z[None], labels)[0]

    h, fd = 1e-6, np.zeros_like(top.z)
    for i, j in np.ndindex(*top.z.shape):
        bump = np.zeros_like(top.z)
        bump[i, j] = h
        fd[i, j] = (loss(top.z + bump) - loss(top.z - bump)) / (2 * h)
    np.testing.assert_allclose(top.delta, fd, rtol=1e-6, atol=1e-10)
    assert loss(top.z) == pytest.approx(step.loss_before, rel=1e-15)
    wrong = (top.a - step.onehot) / (4 * 3)  # dividing by n·K, as mse would: caught
    assert not np.allclose(wrong, fd, rtol=1e-6, atol=1e-10)


def test_explain_writes_the_softmax_step(cli):
    status, out, err = cli("explain", "--data", "blobs", *SOFTMAX, "--samples", 3, "--hidden", 2)
    assert status == 0, err
    assert "2-2-3 network (sigmoid hidden units, softmax output, loss ce)" in out
    assert "ŷ = a2 = softmax(z2)" in out and "Y = onehot(y)" in out
    assert "δ2 = dL/dz2 = (ŷ − Y)/n" in out and "L = mean(−log ŷ[y])" in out


@pytest.mark.parametrize("command", ["gradcheck", "explain"])
def test_gradcheck_and_explain_without_softmax_are_one_line(cli, tmp_path, command):
    status, _, err = cli(command, "--data", "blobs")
    assert status == 2 and "3 classes: it needs --output softmax" in err
    path = write(tmp_path / "k.csv", "a,b,label\n0,0,0\n1,1,1\n0,1,2\n")
    status, _, err = cli(command, "--data", path, "--hidden", 2)
    assert status == 2 and "so 3 classes: more than two classes need --output softmax" in err
    assert len(err.strip().splitlines()) == 1


# -- sweep, plot, the report -------------------------------------------------------------------

SWEEP = """data = "blobs"
output = "softmax"
loss = "ce"
hidden = [[4], [6, 6]]
seeds = 2
epochs = 120
test_fraction = 0.2
"""


def test_a_sweep_of_k_classes_is_train_s_numbers_and_plots(cli, tmp_path):
    path = write(tmp_path / "blobs.toml", SWEEP)
    status, out, err = cli("sweep", path, "--out", tmp_path / "s", "--jobs", 1, "--plot")
    assert status == 0, err
    with open(tmp_path / "s" / "results.csv") as f:
        results = list(csv.DictReader(f))
    assert len(results) == 4
    row = next(r for r in results if r["hidden"] == "6-6" and r["seed"] == "1")
    status, _, err = cli("train", "--data", "blobs", *SOFTMAX, "--hidden", 6, 6, "--seed", 1,
                         "--epochs", 120, "--test-fraction", 0.2, "--out", tmp_path / "t",
                         "--no-plots", "--quiet")
    assert status == 0, err
    metrics = json.loads((tmp_path / "t" / "metrics.json").read_text())
    assert float(row["final_loss"]) == metrics["final_loss"]
    assert float(row["test_accuracy"]) == metrics["test_accuracy"]
    assert (tmp_path / "s" / "plots" / "loss_blobs.png").exists()
    status, _, err = cli("plot", tmp_path / "s", "--out", tmp_path / "p", "--quiet")
    assert status == 0 and (tmp_path / "p" / "summary.md").exists(), err


def test_a_sweep_of_a_k_class_csv_without_softmax_is_one_line(cli, tmp_path):
    data = write(tmp_path / "k.csv", "a,b,label\n0,0,0\n1,1,1\n0,1,2\n")
    path = write(tmp_path / "k.toml", f'data = "{data}"\nepochs = 5\nseeds = 2\n')
    status, _, err = cli("sweep", path, "--out", tmp_path / "s", "--jobs", 1)
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "so 3 classes: more than two classes need --output softmax --loss ce" in err
    status, _, err = cli("sweep", write(tmp_path / "b.toml", 'data = "blobs"\n'), "--out",
                         tmp_path / "s")
    assert status == 2 and "b.toml, line 1: the blobs data set has 3 classes" in err


def test_the_report_s_experiments_take_k_classes(tmp_path):
    from backproplab.app.document import Document
    from backproplab.app.report.discussion import _discussion

    folder = tmp_path / "exp"
    folder.mkdir()
    write(folder / "generalisation.toml", SWEEP.replace("test_fraction = 0.2", "test_n = 60"))
    exps = report.load_experiments(str(folder))
    name, title, keys = next(s for s in report.sections(exps) if s[0] == "generalisation")
    configs = exps[name][2]
    from backproplab.app.report import heldout

    # as the report runs it: the first seed of each setting with its test loss along the run
    result = sweep.run(configs, jobs=1, progress=False, test_curves=heldout.watch(configs, keys))
    os.makedirs(tmp_path / "figures")
    doc = Document("t")
    _discussion(doc, str(tmp_path), name, title, keys, result, configs,
                SimpleNamespace(done=lambda: None))
    md = doc.markdown()
    assert "On the blobs, accuracy on 60 fresh points against training accuracy" in md
    assert (tmp_path / "figures" / "generalisation_curves.png").stat().st_size > 5000


# -- check: two classes only ------------------------------------------------------------------

def test_check_refuses_k_classes_in_one_line(cli, tmp_path):
    mine = write(tmp_path / "mine.py", "def make_network(n_in, hidden, n_out, seed):\n    pass\n")
    status, _, err = cli("check", mine, "--data", "blobs", "--out", tmp_path)
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "check compares an MLP on two-class points; the blobs data set has 3 classes" in err
    data = write(tmp_path / "k.csv", "a,b,label\n0,0,0\n1,1,1\n1,0,2\n0,1,3\n")
    status, _, err = cli("check", mine, "--data", data, "--out", tmp_path)
    assert status == 2 and "labels go up to 3, so 4 classes: give a file of labels 0 and 1" in err
