"""Points in K classes: CSV labels 0…K−1, the blobs data set, the one rule for the number of
output units, and everything ``train`` writes for them (the other commands:
test_multiclass_tools.py)."""

import csv
import json
import re

import numpy as np
import pytest

from backproplab import MLP
from backproplab.app.config import TrainConfig
from backproplab.app.factory import load_data, load_test_data, point_classes, point_model
from backproplab.data import datasets
from backproplab.errors import BackproplabError
from backproplab.limits import MAX_CLASSES

SOFTMAX = ["--output", "softmax", "--loss", "ce"]


def write(path, text):
    path.write_text(text)
    return path


def rows(path):
    with open(path) as f:
        return list(csv.reader(f))


def k_class_csv(path, k=4, n=60, seed=0):
    """Points around k centres on a circle, label c for centre c, in turn."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % k
    angle = 2 * np.pi * labels / k
    x = np.column_stack([np.cos(angle), np.sin(angle)]) + rng.normal(0, 0.15, (n, 2))
    lines = [f"{a!r},{b!r},{c}" for (a, b), c in zip(x.tolist(), labels.tolist())]
    return write(path, "u,v,class\n" + "\n".join(lines) + "\n"), x, labels


# -- data: CSV labels and blobs ----------------------------------------------------------------

def test_a_csv_file_may_hold_every_class_up_to_the_limit(tmp_path):
    body = "".join(f"{c},{-c},{c}\n" for c in range(MAX_CLASSES))
    x, y = datasets.load_csv(write(tmp_path / "k.csv", "a,b,label\n" + body))
    assert y.dtype == np.int64 and y.shape == (MAX_CLASSES, 1)
    np.testing.assert_array_equal(y[:, 0], np.arange(MAX_CLASSES))
    np.testing.assert_array_equal(x[:, 0], np.arange(MAX_CLASSES))


@pytest.mark.parametrize("label", [str(MAX_CLASSES), "2.5", "-1", "1e3"])
def test_a_label_that_is_no_class_names_the_file_and_line(tmp_path, label):
    path = write(tmp_path / "bad.csv", f"a,b,label\n0,0,0\n\n1,1,{label}\n")
    with pytest.raises(BackproplabError) as info:
        datasets.load_csv(path)
    assert str(info.value) == (f"{path}:4: the label (last column, 'label') must be a class, a "
                               f"whole number from 0 to {MAX_CLASSES - 1}, got {label!r}")


@pytest.mark.parametrize(("labels", "says"), [
    ([1, 2, 3, 1], "the labels run from 1 to 3, but classes are numbered from 0: subtract 1 from "
                   "every label (3 classes: 0 … 2)"),
    ([1, 2, 2], "the labels run from 1 to 2, but classes are numbered from 0: subtract 1 from "
                "every label (2 classes: 0 … 1)"),
    ([0, 2, 0, 2], "no point has label 1: the labels are class numbers, 0 … 2 here, and every "
                   "class needs at least one point"),
    ([0, 5], "no point has label 1, 2, 3, 4: the labels are class numbers, 0 … 5 here"),
])
def test_a_class_with_no_point_below_the_largest_is_an_error(tmp_path, labels, says):
    body = "".join(f"{i},{-i},{c}\n" for i, c in enumerate(labels))
    path = write(tmp_path / "gap.csv", "a,b,label\n" + body)
    with pytest.raises(BackproplabError, match=re.escape(f"{path}: {says}")):
        datasets.load_csv(path)


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], [0, 1, 2, 1]])
def test_one_class_of_two_or_every_class_present_is_read(tmp_path, labels):
    body = "".join(f"{i},{-i},{c}\n" for i, c in enumerate(labels))
    _, y = datasets.load_csv(write(tmp_path / "ok.csv", "a,b,label\n" + body))
    assert y[:, 0].tolist() == labels


def test_blobs_are_three_seeded_clouds_listed_after_the_other_sets():
    assert list(datasets.GENERATORS)[-1] == "blobs" and datasets.CLASSES == {"blobs": 3}
    x, y = datasets.load("blobs", n=3000, noise=0.05, seed=1)
    assert x.shape == (3000, 2) and y.shape == (3000, 1) and y.dtype == np.int64
    np.testing.assert_array_equal(y[:6, 0], [0, 1, 2, 0, 1, 2])  # the classes take turns
    for c, centre in enumerate(datasets.BLOB_CENTRES):
        cloud = x[y[:, 0] == c]
        assert len(cloud) == 1000
        assert np.all((0 < centre) & (centre < 1))  # in the unit square
        np.testing.assert_allclose(cloud.mean(axis=0), centre, atol=0.01)
        np.testing.assert_allclose(cloud.std(axis=0), 0.05, rtol=0.1)  # noise: the std
    again, _ = datasets.load("blobs", n=3000, noise=0.05, seed=1)
    other, _ = datasets.load("blobs", n=3000, noise=0.05, seed=2)
    assert np.array_equal(x, again) and not np.array_equal(x, other)
    default, _ = datasets.blobs(n=3000, seed=1)
    assert abs(np.std(default[y[:, 0] == 0] - datasets.BLOB_CENTRES[0]) - 0.1) < 0.01


def test_the_held_out_share_of_blobs_is_stratified():
    cfg = TrainConfig(data="blobs", output="softmax", loss="ce", n=90, test_fraction=0.2,
                      seed=3).check()
    _, y = load_data(cfg)[:2]
    _, y_test = load_test_data(cfg)
    np.testing.assert_array_equal(np.bincount(y_test[:, 0]), [6, 6, 6])  # ⌈0.2 · 90⌉ = 18
    np.testing.assert_array_equal(np.bincount(y[:, 0]), [24, 24, 24])


# -- the number of output units: one rule ----------------------------------------------------

def test_point_classes_is_one_unit_per_class_for_softmax():
    softmax = TrainConfig(data="x.csv", output="softmax", loss="ce")
    assert point_classes(softmax, np.array([[0], [3], [1]])) == 4
    assert point_classes(softmax, np.array([[0], [1]])) == 2
    assert point_classes(softmax, np.array([[0], [0]])) == 2  # at least 2
    sigmoid = TrainConfig(data="x.csv")
    assert point_classes(sigmoid, np.array([[0], [1]])) is None  # the lab's one unit
    with pytest.raises(BackproplabError) as info:
        point_classes(sigmoid, np.array([[0], [3]]))
    assert str(info.value).startswith("x.csv: its labels go up to 3, so 4 classes: more than "
                                      "two classes need --output softmax --loss ce")
    cfg = TrainConfig(data="blobs", output="softmax", loss="ce", hidden=[5]).check()
    x, y, _ = load_data(cfg)
    net = point_model(cfg, x, y)
    assert (net.n_in, net.hidden, net.n_out, net.output) == (2, [5], 3, "softmax")


@pytest.mark.parametrize("args, says", [
    (["--data", "blobs"], "the blobs data set has 3 classes: it needs --output softmax and "
                          "--loss ce (one output unit per class), not --output sigmoid and "
                          "--loss mse"),
    (["--data", "blobs", "--loss", "bce"], "not --output sigmoid and --loss bce"),
    (["--data", "blobs", *SOFTMAX, "--n", "2"], "3 classes: --n must be at least 3, got 2"),
])
def test_blobs_without_softmax_is_one_line(cli, tmp_path, args, says):
    status, _, err = cli("train", *args, "--out", tmp_path / "o", "--quiet")
    assert status == 2 and says in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_a_k_class_csv_file_needs_softmax(cli, tmp_path):
    path, _, _ = k_class_csv(tmp_path / "four.csv")
    status, _, err = cli("train", "--data", path, "--out", tmp_path / "o", "--quiet")
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"{path}: its labels go up to 3, so 4 classes: more than two classes need --output "\
           "softmax --loss ce" in err


# -- train: every file for K classes --------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_blobs_reach_100_percent_with_the_defaults(cli, tmp_path, seed):
    out = tmp_path / "o"
    status, stdout, err = cli("train", "--data", "blobs", *SOFTMAX, "--epochs", 1000, "--seed",
                              seed, "--out", out, "--no-plots")
    assert status == 0, err
    assert "accuracy=100.00%" in stdout
    assert json.loads((out / "metrics.json").read_text())["train_accuracy"] == 1.0


def test_a_k_class_run_writes_every_file(cli, tmp_path):
    path, x, labels = k_class_csv(tmp_path / "four.csv")
    out = tmp_path / "o"
    status, stdout, err = cli("train", "--data", path, *SOFTMAX, "--epochs", 800,
                              "--test-fraction", 0.25, "--hidden", 8, "--out", out)
    assert status == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    table = rows(out / "predictions.csv")
    assert table[0] == ["sample", "x1", "x2", "label", "prediction", "probability_0",
                        "probability_1", "probability_2", "probability_3"]
    data = np.array(table[1:], dtype=float)
    assert len(data) == 45 and metrics["test_n"] == 15  # ⌈0.25 · 60⌉ held out
    proba = data[:, 5:]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(data[:, 4], proba.argmax(axis=1))  # the most probable class
    assert metrics["train_accuracy"] == np.mean(data[:, 3] == data[:, 4])
    assert metrics["n_classes"] == 4
    train_matrix = np.array(metrics["train_confusion_matrix"])
    assert train_matrix.sum() == 45 and np.trace(train_matrix) / 45 == metrics["train_accuracy"]
    np.testing.assert_array_equal(train_matrix.sum(axis=1), np.bincount(data[:, 3].astype(int)))
    test_matrix = np.array(metrics["test_confusion_matrix"])
    np.testing.assert_array_equal(test_matrix.sum(axis=1), [4, 4, 4, 3])  # stratified
    assert np.trace(test_matrix) / 15 == metrics["test_accuracy"]
    history = rows(out / "history.csv")
    assert history[0] == ["epoch", "loss", "accuracy", "test_loss", "test_accuracy"]
    assert float(history[-1][2]) == metrics["train_accuracy"]
    assert float(history[-1][4]) == metrics["test_accuracy"]
    last_log = [line for line in stdout.splitlines() if line.startswith("epoch")][-1]
    assert f"accuracy {100 * metrics['train_accuracy']:6.2f}%" in last_log
    iters = [line for line in stdout.splitlines() if line.startswith("Iter ")]
    assert iters[0] == (f"Iter 0 | ground truth {int(data[0, 3])} | prediction "
                        f"{int(data[0, 4])} (probability {proba[0].max():.5f})")
    for name in ("learning_curve", "comparison", "decision_boundary", "neurons"):
        assert (out / f"{name}.png").stat().st_size > 5000, name


def test_two_classes_with_softmax_have_two_outputs(cli, tmp_path):
    out = tmp_path / "o"
    status, _, err = cli("train", "--data", "xor", *SOFTMAX, "--epochs", 3000, "--out", out,
                         "--no-plots", "--quiet")
    assert status == 0, err
    table = rows(out / "predictions.csv")
    assert table[0][-3:] == ["prediction", "probability_0", "probability_1"]
    assert MLP.load(out / "model.npz").n_out == 2
    assert json.loads((out / "metrics.json").read_text())["train_accuracy"] == 1.0


def test_resume_of_a_k_class_run_equals_the_whole_run(cli, tmp_path):
    common = ["--data", "blobs", *SOFTMAX, "--optimizer", "adam", "--lr", "0.01",
              "--batch-size", "16", "--test-n", "30", "--no-plots", "--quiet"]
    assert cli("train", *common, "--epochs", 60, "--out", tmp_path / "whole")[0] == 0
    assert cli("train", *common, "--epochs", 25, "--out", tmp_path / "part")[0] == 0
    status, _, err = cli("train", "--resume", tmp_path / "part" / "model.npz", "--epochs", 60,
                         "--out", tmp_path / "resumed", "--quiet")
    assert status == 0, err
    for name in ("history.csv", "predictions.csv"):
        assert rows(tmp_path / "resumed" / name) == rows(tmp_path / "whole" / name), name
    with np.load(tmp_path / "whole" / "model.npz") as a, \
            np.load(tmp_path / "resumed" / "model.npz") as b:
        for name in ("W1", "b1", "W3", "b3"):
            np.testing.assert_array_equal(a[name], b[name])
        assert a["W3"].shape == (10, 3)
