"""A per-epoch test curve on 2-D data (--test-n, --test-fraction), the spread of mini-batch
losses, history.csv's final row, config.json's applicable settings and the short test print."""

import csv
import json

import numpy as np
import pytest

from backproplab.app.config import TrainConfig
from backproplab.app.factory import load_data, load_test_data
from backproplab.app.trainfiles import PRINT_LIMIT
from backproplab.data import datasets
from backproplab.engine.trainer import Trainer
from backproplab.errors import BackproplabError
from backproplab.figures import plotting
from backproplab.models.mlp import MLP


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _weights(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k[0] in "Wb"}


# -- the spread of the batch losses ----------------------------------------------------------

def test_minibatch_history_holds_each_epochs_lowest_and_highest_batch_loss():
    x, y = datasets.circle(n=50, seed=1)
    net = MLP(2, hidden=[4], seed=0)
    h = net.fit(x, y, optimizer="adam", lr=0.01, epochs=30, batch_size=8)
    assert h.loss_min.shape == h.loss_max.shape == h.loss.shape == (30,)
    # the mean of the batches lies between the lowest and the highest of them
    assert np.all(h.loss_min <= h.loss) and np.all(h.loss <= h.loss_max)
    assert np.all(h.loss_min < h.loss_max)  # 7 batches of different points differ
    full = MLP(2, hidden=[4], seed=0).fit(x, y, epochs=5)
    assert np.isnan(full.loss_min).all() and np.isnan(full.loss_max).all()


def test_the_spread_goes_through_a_checkpoint_bit_for_bit():
    x, y = datasets.circle(n=40, seed=2)
    settings = dict(optimizer="adam", lr=0.01, epochs=30, batch_size=16)
    whole = Trainer(MLP(2, hidden=[4], seed=3), x, y, **settings).run()
    first_net = MLP(2, hidden=[4], seed=3)
    first = Trainer(first_net, x, y, **settings)
    first.run(12)
    state = first.state()
    net = MLP(2, hidden=[4], seed=3)
    net.params[...] = first_net.params
    second = Trainer(net, x, y, **settings)
    second.restore(*state)
    resumed = second.run()
    for name in ("loss", "loss_min", "loss_max"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(whole, name), name)


# -- --test-fraction: the held-out split -----------------------------------------------------

def test_the_held_out_split_is_stratified_seeded_and_disjoint():
    cfg = TrainConfig(data="circle", n=200, test_fraction=0.25, seed=4).check()
    x, y, _ = load_data(cfg)
    x_test, y_test = load_test_data(cfg)
    assert len(x) == 150 and len(x_test) == 50  # ⌈0.25 · 200⌉ held out, the rest trained on
    every_x, every_y = datasets.circle(n=200, seed=4)
    share = every_y.mean()
    assert abs(y_test.mean() - share) <= 1 / 50 and abs(y.mean() - share) <= 1 / 150
    together = np.concatenate([x, x_test])
    assert len(np.unique(together, axis=0)) == 200  # no point on both sides
    np.testing.assert_array_equal(np.sort(together, axis=0), np.sort(every_x, axis=0))
    again, _ = load_test_data(cfg)
    np.testing.assert_array_equal(again, x_test)  # the data seed draws it
    other, _ = load_test_data(TrainConfig(data="circle", n=200, test_fraction=0.25, seed=4,
                                          data_seed=5).check())
    assert not np.array_equal(other, x_test)


def test_the_standardisation_is_the_training_sets_alone():
    cfg = TrainConfig(data="gaussians", test_fraction=0.3, standardize=True).check()
    x, _, scaling = load_data(cfg)
    assert np.allclose(x.mean(axis=0), 0) and np.allclose(x.std(axis=0), 1)
    x_test, _ = load_test_data(cfg, scaling)
    assert not np.allclose(x_test.mean(axis=0), 0)  # scaled by the training set's numbers


@pytest.mark.parametrize("settings, says", [
    ({"test_fraction": 0}, "--test-fraction must be a number > 0"),
    ({"test_fraction": 1.0}, "--test-fraction must be < 1"),
    ({"test_fraction": 0.2, "test_n": 50}, "give one"),
    ({"test_fraction": 0.2, "data": "digits"}, "its own test set"),
])
def test_test_fraction_is_checked(settings, says):
    with pytest.raises(BackproplabError, match=says):
        TrainConfig.for_data(**settings).check()


def test_a_fraction_that_empties_a_class_on_one_side_is_refused():
    cfg = TrainConfig(data="xor", test_fraction=0.97).check()  # 21 points: none left to train
    with pytest.raises(BackproplabError, match="no sample of classes 0 and 1 in the training"):
        load_data(cfg)
    cfg = TrainConfig(data="xor", test_fraction=0.01).check()  # 1 test point: one class only
    with pytest.raises(BackproplabError, match="no sample of class [01] in the test set"):
        load_test_data(cfg)


# -- the train command: the test curve, and training's numbers unchanged ----------------------

def test_a_test_set_adds_a_per_epoch_curve_and_changes_no_training_number(cli, tmp_path):
    options = ["--data", "circle", "--n", "120", "--batch-size", "16", "--optimizer", "adam",
               "--lr", "0.01", "--epochs", "25", "--quiet"]
    assert cli("train", *options, "--out", tmp_path / "plain")[0] == 0
    assert cli("train", *options, "--test-n", "40", "--out", tmp_path / "test")[0] == 0
    plain, test = _rows(tmp_path / "plain" / "history.csv"), _rows(tmp_path / "test" /
                                                                   "history.csv")
    assert list(plain[0]) == ["epoch", "loss", "accuracy"]  # columns only when asked for
    assert list(test[0]) == ["epoch", "loss", "accuracy", "test_loss", "test_accuracy"]
    assert [(r["loss"], r["accuracy"]) for r in test] == [(r["loss"], r["accuracy"])
                                                          for r in plain]
    a, b = _weights(tmp_path / "plain" / "model.npz"), _weights(tmp_path / "test" / "model.npz")
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    # entry e is measured after e epochs: the last is the trained network's final test accuracy
    metrics = json.loads((tmp_path / "test" / "metrics.json").read_text())
    assert float(test[-1]["test_accuracy"]) == metrics["test_accuracy"]
    assert all(np.isfinite(float(r["test_loss"])) for r in test)
    assert (tmp_path / "test" / "learning_curve.png").stat().st_size > 0


def test_test_fraction_trains_on_the_rest_and_resumes_bit_for_bit(cli, tmp_path):
    options = ["--data", "moons", "--n", "90", "--test-fraction", "0.2", "--lr", "0.5",
               "--no-plots", "--quiet"]
    assert cli("train", *options, "--epochs", 60, "--out", tmp_path / "whole")[0] == 0
    assert cli("train", *options, "--epochs", 25, "--out", tmp_path / "part")[0] == 0
    assert cli("train", "--resume", tmp_path / "part" / "model.npz", "--epochs", 60,
               "--out", tmp_path / "resumed", "--no-plots", "--quiet")[0] == 0
    whole = _rows(tmp_path / "whole" / "history.csv")
    assert whole == _rows(tmp_path / "resumed" / "history.csv")
    assert len(whole) == 61 and whole[-1]["epoch"] == "60"  # epochs 0–59, then the final row
    predictions = _rows(tmp_path / "whole" / "predictions.csv")
    assert len(predictions) == 72  # 90 less the 18 held out
    metrics = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    assert metrics["test_n"] == 18


def test_history_has_a_row_for_the_logs_last_line(cli, tmp_path):
    status, out, _ = cli("train", "--data", "xor", "--epochs", 40, "--log-every", 20,
                         "--out", tmp_path, "--no-plots")
    assert status == 0
    last = [line for line in out.splitlines() if line.startswith("epoch")][-1]
    rows = _rows(tmp_path / "history.csv")
    assert last.split()[1] == rows[-1]["epoch"] == "40"
    assert f"{float(rows[-1]['loss']):.6f}" == last.split()[3]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert float(rows[-1]["loss"]) == metrics["final_loss"]


# -- config.json: the settings that apply ----------------------------------------------------

def test_config_json_lists_only_the_settings_that_apply(cli, tmp_path):
    assert cli("train", "--data", "xor", "--epochs", 5, "--out", tmp_path / "a",
               "--no-plots", "--quiet")[0] == 0
    plain = json.loads((tmp_path / "a" / "config.json").read_text())
    for key in ("channels", "kernel", "dropout", "step_size", "gamma", "t_max", "eta_min",
                "momentum"):
        assert key not in plain, key
    assert plain["hidden"] == [10, 10] and plain["schedule"] == "constant"
    assert cli("train", "--data", "xor", "--epochs", 5, "--optimizer", "momentum",
               "--schedule", "step", "--step-size", 2, "--out", tmp_path / "b", "--no-plots",
               "--quiet")[0] == 0
    step = json.loads((tmp_path / "b" / "config.json").read_text())
    assert {"momentum", "step_size", "gamma"} <= step.keys()
    assert not {"t_max", "eta_min"} & step.keys()
    # the model file carries the same settings, and --resume reads them back
    assert cli("train", "--resume", tmp_path / "b" / "model.npz", "--epochs", 8,
               "--out", tmp_path / "c", "--no-plots", "--quiet")[0] == 0


def test_the_applicable_settings_follow_the_configs_own_rules():
    cnn = TrainConfig.for_data(data="digits", model="cnn").check().applicable()
    assert {"channels", "kernel", "dropout"} <= cnn.keys()
    assert not {"n", "noise", "test_n", "test_fraction"} & cnn.keys()
    cosine = TrainConfig(schedule="cosine", optimizer="rmsprop").check().applicable()
    assert {"t_max", "eta_min", "momentum"} <= cosine.keys() and "gamma" not in cosine


# -- the test print ---------------------------------------------------------------------------

def test_a_long_test_print_shows_its_ends_and_points_to_predictions_csv(cli, tmp_path):
    status, out, _ = cli("train", "--data", "circle", "--n", 300, "--epochs", 3,
                         "--out", tmp_path, "--no-plots")
    assert status == 0
    iters = [line for line in out.splitlines() if line.startswith("Iter ")]
    assert len(iters) == 10 < PRINT_LIMIT
    assert iters[0].startswith("Iter 0 |") and iters[-1].startswith("Iter 299 |")
    assert "290 samples more: all 300 are in predictions.csv" in out
    status, out, _ = cli("train", "--data", "circle", "--n", PRINT_LIMIT, "--epochs", 3,
                         "--out", tmp_path / "b", "--no-plots")
    assert sum(line.startswith("Iter ") for line in out.splitlines()) == PRINT_LIMIT


# -- the figure ------------------------------------------------------------------------------

def test_the_learning_curve_draws_a_band_test_curves_and_a_divergence(tmp_path):
    rng = np.random.default_rng(0)
    loss = np.exp(-np.linspace(0, 5, 1000)) + 0.01
    lo, hi = loss * rng.uniform(0.1, 0.9, 1000), loss * rng.uniform(1.1, 3, 1000)
    path = tmp_path / "curve.png"
    plotting.learning_curve(loss, np.linspace(0.5, 1, 1000), path, spread=(lo, hi),
                            test_loss=loss * 1.2, test_accuracy=np.full(1001, 0.9),
                            test_first=0)
    assert path.stat().st_size > 0
    epochs, low, high, mean = plotting._binned(loss, lo, hi)
    assert len(epochs) <= plotting.CURVE_BINS and np.all(low <= mean) and np.all(mean <= high)
    diverged = tmp_path / "diverged.png"
    plotting.learning_curve(np.array([1.0, 1e10, np.nan]), np.array([0.5, 0.5, np.nan]),
                            diverged, diverged=(2, "loss is nan"))
    assert diverged.stat().st_size > 0


# -- sweeps ----------------------------------------------------------------------------------

def test_a_sweeps_test_accuracy_works_with_test_fraction(cli, tmp_path):
    (tmp_path / "s.toml").write_text('data = "circle"\nn = 60\ntest_fraction = 0.25\n'
                                     'lr = 2.0\nseeds = 2\nepochs = 40\n')
    status, _, err = cli("sweep", tmp_path / "s.toml", "--out", tmp_path / "s", "--jobs", 1,
                         "--quiet")
    assert status == 0, err
    rows = _rows(tmp_path / "s" / "results.csv")
    assert [r["test_fraction"] for r in rows] == ["0.25", "0.25"]
    assert cli("train", "--data", "circle", "--n", 60, "--test-fraction", 0.25, "--lr", 2.0,
               "--epochs", 40, "--seed", 1, "--out", tmp_path / "t", "--no-plots",
               "--quiet")[0] == 0
    metrics = json.loads((tmp_path / "t" / "metrics.json").read_text())
    # seed 1 in the sweep's stack is seed 1 trained alone: the same 15 held-out points
    assert float(rows[1]["test_accuracy"]) == metrics["test_accuracy"]
