"""`backproplab train --data digits`: the CNN and the MLP on the handwritten digits, their
files and figures, the digits' defaults, and the errors (no scikit-learn, a cnn on points)."""

import importlib.util
import json
import sys

import numpy as np
import pytest

from backproplab.app.defaults import IMAGE_DEFAULTS
from backproplab.data import datasets

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="scikit-learn is not installed")


def read_csv(path):
    """(header, rows as lists of strings)."""
    lines = path.read_text().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    """One short CNN run on the digits (3 epochs), shared by the tests that read its files."""
    from backproplab.app.cli import main

    if importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn is not installed")
    out = tmp_path_factory.mktemp("digits") / "cnn"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["train", "--data", "digits", "--model", "cnn", "--epochs", "3",
                       "--out", str(out)])
    assert status == 0
    return out, printed.getvalue()


@needs_sklearn
def test_cnn_writes_every_file_and_the_test_accuracy(cnn_run):
    out, stdout = cnn_run
    for name in ("config.json", "history.csv", "predictions.csv", "model.npz", "metrics.json",
                 "learning_curve.png", "confusion_matrix.png", "misclassified.png",
                 "filters.png"):
        assert (out / name).stat().st_size > 0, name
    for name in ("comparison.png", "decision_boundary.png"):  # 2-D figures: not for images
        assert not (out / name).exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_n"] == 360 and metrics["train_n"] == 1437
    assert metrics["epochs_run"] == 3 and metrics["diverged"] is False

    # the test accuracy is the share of test rows of predictions.csv that are right
    header, rows = read_csv(out / "predictions.csv")
    assert header == ["set", "sample", "label", "prediction",
                      *(f"probability_{c}" for c in range(10))]
    assert [r[0] for r in rows] == ["train"] * 1437 + ["test"] * 360
    proba = np.array([[float(v) for v in r[4:]] for r in rows])
    labels = np.array([int(r[2]) for r in rows])
    pred = np.array([int(r[3]) for r in rows])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(pred, proba.argmax(axis=1))
    test = slice(1437, None)
    assert metrics["test_accuracy"] == np.mean(pred[test] == labels[test])
    assert metrics["train_accuracy"] == pytest.approx(np.mean(pred[:1437] == labels[:1437]))
    _, _, _, y_test = datasets.digits_split(seed=0)
    np.testing.assert_array_equal(labels[test], y_test)
    # three epochs of Adam already learn most of the digits (chance is 10%)
    assert metrics["test_accuracy"] > 0.5

    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 360
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(y_test, minlength=10))
    assert np.trace(matrix) == round(360 * metrics["test_accuracy"])

    # the log: one line per epoch with training and test accuracy; the last is the history's
    header, rows = read_csv(out / "history.csv")
    # test_loss joined test_accuracy (issue 12), and the log's last line, epoch 3, has a row
    assert header == ["epoch", "loss", "accuracy", "test_loss", "test_accuracy"]
    assert [int(r[0]) for r in rows] == [0, 1, 2, 3]
    history = np.array(rows, dtype=float)
    assert np.all((history[:, 4] > 0) & (history[:, 4] <= 1)) and np.all(history[:, 3] > 0)
    assert history[-1, 4] == metrics["test_accuracy"] and history[-1, 1] == metrics["final_loss"]
    assert history[-2, 4] == metrics["test_accuracy"]  # after the last epoch = the final model
    lines = [line for line in stdout.splitlines() if line.startswith("epoch")]
    assert len(lines) == 4  # epochs 0, 1, 2 and the trained weights' line
    for line, (_, loss, acc, _, test_acc) in zip(lines, history):
        assert f"loss {loss:.6f}  accuracy {100 * acc:6.2f}%" in line
        assert f"test accuracy {100 * test_acc:6.2f}%" in line
    assert f"test accuracy={100 * metrics['test_accuracy']:.2f}% on the 360 test images" in stdout

    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "cnn" and config["channels"] == [8, 16]
    assert config["loss"] == "ce" and config["output"] == "softmax"
    assert config["epochs"] == 3  # given, so it wins over the digits' default


@needs_sklearn
def test_mlp_baseline_takes_the_digits_defaults_and_options_win(cli, tmp_path):
    out = tmp_path / "mlp"
    status, stdout, stderr = cli("train", "--data", "digits", "--epochs", "4", "--quiet",
                                 "--out", out, "--hidden", "32", "--lr", "0.005")
    assert status == 0, stderr
    assert stdout == "" and stderr == ""
    config = json.loads((out / "config.json").read_text())
    defaults = IMAGE_DEFAULTS["mlp"]
    assert config["model"] == "mlp"
    for key in ("optimizer", "batch_size", "loss", "output", "activation"):
        assert config[key] == defaults[key], key
    assert (config["hidden"], config["lr"], config["epochs"]) == ([32], 0.005, 4)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.85  # an MLP learns the digits in a few epochs
    assert (out / "filters.png").stat().st_size > 0  # the first layer's weights as 8×8 images


@needs_sklearn
def test_same_seed_same_run(cli, tmp_path):
    runs = []
    for name in ("a", "b"):
        status, _, stderr = cli("train", "--data", "digits", "--epochs", "2", "--quiet",
                                "--no-plots", "--out", tmp_path / name, "--hidden", "16")
        assert status == 0, stderr
        runs.append(json.loads((tmp_path / name / "metrics.json").read_text()))
    for key in ("final_loss", "train_accuracy", "test_accuracy", "confusion_matrix"):
        assert runs[0][key] == runs[1][key], key


def test_without_sklearn_digits_exit_2_and_say_how_to_install(cli, tmp_path, monkeypatch):
    for name in ("sklearn", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, name, None)
    status, stdout, stderr = cli("train", "--data", "digits", "--out", tmp_path / "o")
    assert status == 2
    assert 'pip install -e ".[digits]"' in stderr and "scikit-learn" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # nothing is written before the data is there


BAD = [
    (["--model", "cnn"], "--model cnn takes images", "--model mlp"),
    (["--model", "cnn", "--data", "xor"], "--model cnn takes images", "xor"),
    (["--model", "resnet"], "unknown model 'resnet'", "mlp, cnn"),
    (["--data", "digits", "--n", "100"], "digits", "--n"),
    (["--data", "digits", "--test-n", "100"], "its own test set", "--test-n"),
    (["--data", "digits", "--standardize"], "already scaled", "--standardize"),
    (["--data", "digits", "--loss", "mse", "--output", "sigmoid"], "10 classes", "--loss ce"),
    (["--data", "digits", "--model", "cnn", "--activation", "tanh"], "relu", "--activation"),
    (["--data", "digits", "--model", "cnn", "--channels", "8", "0"], "channels", ">= 1"),
    (["--data", "digits", "--model", "cnn", "--dropout", "1"], "--dropout", "< 1"),
    # the cnn's own settings for an mlp would be ignored: they are named instead
    (["--data", "digits", "--model", "mlp", "--kernel", "3"], "--kernel applies to --model cnn",
     "not mlp"),
    (["--data", "xor", "--channels", "4", "--dropout", "0.2"], "--channels, --dropout apply to",
     "--model cnn, not mlp"),
]


@pytest.mark.parametrize("args,message,also", BAD, ids=lambda v: " ".join(v)[:40]
                         if isinstance(v, list) else None)
def test_bad_options(cli, tmp_path, args, message, also):
    status, _, stderr = cli("train", "--out", tmp_path / "o", "--quiet", *args)
    assert status == 2
    assert message in stderr and also in stderr, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


def test_a_checked_configuration_checks_again():
    from backproplab.app.config import TrainConfig

    for model in ("cnn", "mlp"):
        cfg = TrainConfig.for_data(data="digits", model=model).check()
        assert cfg.check() == cfg  # the report and train_run both check it


def test_a_sweep_is_refused_on_the_digits(tmp_path):
    from backproplab.app import sweep
    from backproplab.errors import BackproplabError

    path = tmp_path / "digits.toml"
    path.write_text('data = "digits"\nloss = "ce"\noutput = "softmax"\nseeds = 2\n')
    with pytest.raises(BackproplabError, match="backproplab train"):
        sweep.parse(str(path))


def test_help_states_the_digits_defaults(capsys):
    from backproplab.app.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    cnn, mlp = IMAGE_DEFAULTS["cnn"], IMAGE_DEFAULTS["mlp"]
    assert (f"digits: {mlp['lr']} for mlp, {cnn['lr']} for cnn" in text if mlp["lr"] != cnn["lr"]
            else f"digits: {cnn['lr']})" in text)
    assert f"digits: {mlp['epochs']} for mlp, {cnn['epochs']} for cnn" in text
    assert f"digits: {cnn['batch_size']})" in text
    assert "backproplab train --data digits --model cnn" in text


def test_digits_train_on_one_blas_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from backproplab.app.train import one_blas_thread

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info()
                if p["user_api"] == "blas"]

    before = blas_threads()
    with one_blas_thread():
        assert set(blas_threads()) <= {1}
    assert blas_threads() == before  # restored afterwards
