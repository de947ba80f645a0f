"""`backproplab train` end to end: the lab's two runs, its files, and every bad input."""

import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from backproplab import MLP
from backproplab.app.config import TrainConfig
from backproplab.data import datasets

FAST = ["--epochs", "3000", "--no-plots", "--quiet"]


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
    return header, np.array(rows, dtype=float).reshape(-1, len(header))


@pytest.mark.parametrize("data", ["linear", "xor"])
def test_lab_runs_reach_100_percent_and_write_every_file(cli, tmp_path, data):
    out = tmp_path / data
    status, stdout, stderr = cli("train", "--data", data, "--out", out, "--log-every", "5000")
    assert status == 0, stderr
    assert stderr == ""
    n = 100 if data == "linear" else 21
    # the log, then the lab's test print, one line per sample, and the summary
    assert "epoch     0  loss " in stdout and "epoch  5000  loss " in stdout
    iters = [line for line in stdout.splitlines() if line.startswith("Iter ")]
    assert len(iters) == n
    for i, line in enumerate(iters):  # the lab's: "Iter 12 | ground truth 1 | prediction 0.99999"
        assert re.fullmatch(rf"Iter {i} \| ground truth [01] \| prediction \d\.\d{{5}}", line), line
    assert "loss=" in stdout and "accuracy=100.00%" in stdout
    assert f"outputs written to {out}" in stdout

    for name in ("config.json", "history.csv", "predictions.csv", "model.npz", "metrics.json",
                 "learning_curve.png", "comparison.png", "decision_boundary.png",
                 "neurons.png"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_accuracy"] == 1.0 and metrics["epochs_run"] == 20_000
    assert metrics["diverged"] is False and metrics["final_loss"] < 0.01
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 0 and config["hidden"] == [10, 10] and config["lr"] == 1.0
    assert config["versions"]["numpy"] == np.__version__

    header, history = read_csv(out / "history.csv")
    assert header == ["epoch", "loss", "accuracy"]
    # a row for every epoch, then the log's last line: epoch 20000, the trained network's
    assert history.shape == (20_001, 3)
    np.testing.assert_array_equal(history[:, 0], np.arange(20_001))
    assert history[-1, 1] == metrics["final_loss"] and history[-1, 2] == 1.0

    header, preds = read_csv(out / "predictions.csv")
    assert header == ["sample", "x1", "x2", "label", "probability", "prediction"]
    x, y = datasets.linear(100, seed=0) if data == "linear" else datasets.xor_easy()
    np.testing.assert_array_equal(preds[:, 1:3], x)  # full precision: the exact inputs
    np.testing.assert_array_equal(preds[:, 3], y[:, 0])
    np.testing.assert_array_equal(preds[:, 5], preds[:, 3])

    net = MLP.load(out / "model.npz")
    np.testing.assert_array_equal(net.predict_proba(x)[:, 0], preds[:, 4])
    assert abs(float(np.mean((net.predict_proba(x) - y) ** 2)) - metrics["final_loss"]) < 1e-15
    with np.load(out / "model.npz", allow_pickle=False) as f:
        assert f["W1"].shape == (2, 10) and f["b1"].shape == (10,)
        assert f["W3"].shape == (10, 1) and f["b3"].shape == (1,)


@pytest.mark.parametrize("data", ["linear", "xor"])
def test_defaults_solve_the_lab_for_19_of_seeds_0_to_19(data):
    """The defaults' promise, measured on a stack of 20 networks (bit for bit the same as 20
    separate `train` runs, see test_training)."""
    cfg = TrainConfig(data=data).check()
    seeds = list(range(20))
    if data == "linear":
        x = np.stack([datasets.linear(100, s)[0] for s in seeds])
        y = np.stack([datasets.linear(100, s)[1] for s in seeds])
    else:
        x, y = datasets.xor_easy()
    net = MLP(2, hidden=cfg.hidden, activation=cfg.activation, seed=seeds)
    h = net.fit(x, y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr, epochs=cfg.epochs)
    assert (h.final_accuracy == 1.0).sum() >= 19


def test_same_seed_same_results_other_seed_other_results(cli, tmp_path):
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        status, _, _ = cli("train", "--data", "linear", "--seed", seed, "--out", tmp_path / name,
                           *FAST)
        assert status == 0
        runs[name] = (tmp_path / name / "history.csv").read_text()
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_data_seed_fixes_the_data_alone(cli, tmp_path):
    for name, seed in (("a", 1), ("b", 2)):
        cli("train", "--data", "linear", "--data-seed", 7, "--seed", seed,
            "--out", tmp_path / name, *FAST)
    a = read_csv(tmp_path / "a" / "predictions.csv")[1]
    b = read_csv(tmp_path / "b" / "predictions.csv")[1]
    np.testing.assert_array_equal(a[:, 1:4], b[:, 1:4])  # same points and labels
    np.testing.assert_array_equal(a[:, 1:3], datasets.linear(100, seed=7)[0])
    assert not np.array_equal(a[:, 4], b[:, 4])  # other weights


def test_epochs_0_initialises_evaluates_and_saves(cli, tmp_path):
    status, stdout, _ = cli("train", "--data", "xor", "--epochs", 0, "--out", tmp_path)
    assert status == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs_run"] == 0
    net = MLP.load(tmp_path / "model.npz")
    fresh = MLP(2, hidden=(10, 10), seed=0)
    np.testing.assert_array_equal(net.params, fresh.params)
    x, y = datasets.xor_easy()
    assert metrics["final_loss"] == float(np.mean((fresh.predict_proba(x) - y) ** 2))
    # no epoch trained: the one row is the log's line for epoch 0, the untrained network's
    rows = read_csv(tmp_path / "history.csv")[1]
    assert rows.shape == (1, 3) and rows[0, 0] == 0 and rows[0, 1] == metrics["final_loss"]


def test_init_continues_from_a_saved_model(cli, tmp_path):
    cli("train", "--data", "xor", "--epochs", 500, "--save", tmp_path / "m.npz",
        "--out", tmp_path / "a", "--quiet", "--no-plots")
    cli("train", "--data", "xor", "--epochs", 500, "--init", tmp_path / "m.npz",
        "--out", tmp_path / "b", "--quiet", "--no-plots")
    cli("train", "--data", "xor", "--epochs", 1000, "--out", tmp_path / "c", "--quiet",
        "--no-plots")
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    c = json.loads((tmp_path / "c" / "metrics.json").read_text())
    # gd keeps no state, so 500 + 500 epochs are exactly 1000 epochs
    assert b["final_loss"] == c["final_loss"] != a["final_loss"]


def test_stop_at_loss_stops_early(cli, tmp_path):
    status, _, _ = cli("train", "--data", "xor", "--stop-at-loss", 0.01, "--out", tmp_path,
                       "--quiet", "--no-plots")
    assert status == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["stopped_early"] is True and metrics["final_loss"] <= 0.01
    assert 0 < metrics["epochs_run"] < 20_000
    loss = read_csv(tmp_path / "history.csv")[1][:, 1]
    # the epochs run, each above the target, then the final row: the loss that reached it
    assert len(loss) == metrics["epochs_run"] + 1 and loss[-2] > 0.01 >= loss[-1]


def test_divergence_is_one_clear_line_and_recorded(cli, tmp_path):
    status, stdout, stderr = cli("train", "--data", "xor", "--activation", "none", "--output",
                                 "none", "--lr", 10, "--out", tmp_path)
    assert status == 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diverged at epoch ")
    assert "try a smaller learning rate" in lines[0]
    assert "Warning" not in stdout + stderr and "Traceback" not in stdout + stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["diverged"] is True and metrics["final_loss"] is None
    assert f"epoch {metrics['diverged_epoch']}:" in lines[0]
    assert metrics["epochs_run"] == metrics["diverged_epoch"] < 100
    assert (tmp_path / "learning_curve.png").exists()
    assert not (tmp_path / "neurons.png").exists()  # a diverged network detects nothing


def test_help_shows_examples(cli):
    with pytest.raises(SystemExit) as e:
        cli("train", "--help")
    assert e.value.code == 0


def test_help_text(capsys):
    from backproplab.app.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "backproplab train --data xor" in text


# -- bad input: exit 2 and one message naming the problem, never a traceback --------------


def write(path, text):
    path.write_text(text)
    return path


BAD_CSV = {
    "non_numeric.csv": ("x1,x2,label\n0.1,0.2,0\n0.3,abc,1\n", "non_numeric.csv:3", "abc"),
    "missing_cell.csv": ("x1,x2,label\n0.1,,0\n", "missing_cell.csv:2", "empty"),
    "infinite.csv": ("x1,x2,label\n0.1,inf,0\n", "infinite.csv:2", "not finite"),
    "nan.csv": ("x1,x2,label\n0.1,nan,0\n", "nan.csv:2", "not finite"),
    "ragged.csv": ("x1,x2,label\n0.1,0.2,0\n0.1,0.2\n", "ragged.csv:3", "2 cells"),
    "label.csv": ("x1,x2,label\n0.1,0.2,12\n", "label.csv:2", "whole number from 0 to 9"),
    "one_column.csv": ("label\n0\n1\n", "one_column.csv:1", "at least two columns"),
    "no_rows.csv": ("x1,x2,label\n", "no_rows.csv", "no data rows"),
    "empty.csv": ("", "empty.csv", "empty"),
}


@pytest.mark.parametrize("name", sorted(BAD_CSV))
def test_bad_csv_files(cli, tmp_path, name):
    text, where, what = BAD_CSV[name]
    path = write(tmp_path / name, text)
    status, stdout, stderr = cli("train", "--data", path, "--out", tmp_path / "o", *FAST)
    assert status == 2
    assert where in stderr and what in stderr, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


def test_a_good_csv_trains(cli, tmp_path):
    x, y = datasets.linear(60, seed=1)
    rows = "\n".join(f"{float(a)!r},{float(b)!r},{int(c)}" for (a, b), c in zip(x, y[:, 0]))
    path = write(tmp_path / "points.csv", "a,b,label\n" + rows + "\n")
    status, _, stderr = cli("train", "--data", path, "--out", tmp_path / "o", *FAST)
    assert status == 0, stderr
    _, preds = read_csv(tmp_path / "o" / "predictions.csv")
    np.testing.assert_array_equal(preds[:, 1:3], x)
    assert not any(name.endswith(".png") for name in os.listdir(tmp_path / "o"))  # --no-plots


def test_figures_of_the_input_plane_need_2_d_inputs(cli, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(30, 3))
    rows = "\n".join(",".join(map(repr, r)) + f",{int(r[0] > r[2])}" for r in x.tolist())
    path = write(tmp_path / "three.csv", "a,b,c,label\n" + rows + "\n")
    status, stdout, stderr = cli("train", "--data", path, "--out", tmp_path / "o", "--epochs",
                                 20, "--hidden", 3, "--quiet")
    assert status == 0 and stdout == stderr == "", stderr
    pngs = sorted(name for name in os.listdir(tmp_path / "o") if name.endswith(".png"))
    assert pngs == ["learning_curve.png"]


BAD_OPTIONS = [
    (["--activation", "swish"], "unknown activation 'swish'", "sigmoid"),
    (["--activation", "relu", "tanh", "relu"], "3 activations for 2 hidden layers", ""),
    (["--loss", "hinge"], "unknown loss 'hinge'", "mse, bce"),
    (["--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'", "adamw"),
    (["--output", "tanh"], "unknown output 'tanh'", "sigmoid, none, softmax"),
    (["--output", "softmax"], "--loss ce", "--output softmax go together"),
    (["--loss", "ce"], "--loss ce", "with --output sigmoid"),
    (["--loss", "bce", "--output", "none"], "bce", "--output none"),
    (["--lr", "0"], "learning rate", "> 0"),
    (["--lr", "-0.1"], "learning rate", "> 0"),
    (["--lr", "nan"], "learning rate", "> 0"),
    (["--hidden", "4", "0"], "hidden", ">= 1"),
    (["--epochs", "-1"], "epochs", ">= 0"),
    (["--batch-size", "0"], "batch size", ">= 1"),
    (["--dtype", "float16"], "unknown dtype", "float32"),
    (["--data", "mnist"], "unknown data set 'mnist'", "xor"),
    (["--data", "nowhere.csv"], "nowhere.csv: no such file", ""),
    (["--data", "xor", "--n", "50"], "xor", "--n"),
    (["--momentum", "0.5"], "--momentum", "momentum, nesterov"),
    (["--optimizer", "momentum", "--momentum", "1.5"], "--momentum", "< 1"),
    (["--log-every", "0"], "--log-every", ">= 1"),
]


@pytest.mark.parametrize("args,message,also", BAD_OPTIONS, ids=lambda v: str(v)[:40])
def test_bad_options(cli, tmp_path, args, message, also):
    status, stdout, stderr = cli("train", "--out", tmp_path / "o", *FAST, *args)
    assert status == 2
    assert message in stderr and also in stderr, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


def test_out_that_is_a_file(cli, tmp_path):
    path = write(tmp_path / "taken", "x")
    status, _, stderr = cli("train", "--out", path, *FAST)
    assert status == 2 and "exists and is a file" in stderr


def test_argparse_errors_exit_2(tmp_path):
    from backproplab.app.cli import main

    with pytest.raises(SystemExit) as e:
        main(["train", "--epochs", "many"])
    assert e.value.code == 2


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pickle_ran",))


@pytest.mark.parametrize("kind", ["text", "pickle", "shapes", "missing"])
def test_bad_model_files(cli, tmp_path, kind, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.npz"
    if kind == "text":
        write(path, "not a model")
        expected = "not a backproplab model file"
    elif kind == "pickle":
        with open(path, "wb") as f:
            np.savez(f, W1=np.array([Boom()], dtype=object), config=np.array("{}"))
        expected = "pickled"
    elif kind == "shapes":
        MLP(2, hidden=(3, 3), seed=0).save(path)
        expected = "W1 has shape (2, 3)"
    else:
        path = tmp_path / "absent.npz"
        expected = "no such model file"
    status, _, stderr = cli("train", "--init", path, "--out", tmp_path / "o", *FAST)
    assert status == 2 and expected in stderr, stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "pickle_ran").exists()
    assert pickle  # the payload above is what np.savez pickles


def test_float32(cli, tmp_path):
    status, _, _ = cli("train", "--data", "xor", "--dtype", "float32", "--out", tmp_path,
                       "--quiet", "--no-plots")
    assert status == 0
    with np.load(tmp_path / "model.npz") as f:
        assert f["W1"].dtype == np.float32
    assert json.loads((tmp_path / "metrics.json").read_text())["train_accuracy"] == 1.0


def test_ctrl_c_stops_cleanly_saves_and_exits_130(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "backproplab", "train", "--data", "xor", "--epochs", "100000000",
         "--out", str(out), "--no-plots", "--log-every", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # wait until training is under way (the first log lines are out), then press Ctrl-C
    assert proc.stdout.readline().startswith("epoch")
    assert proc.stdout.readline().startswith("epoch")
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["interrupted"] is True and 1000 <= metrics["epochs_run"] < 100000000
    net = MLP.load(out / "model.npz")
    assert not np.array_equal(net.params, MLP(2, hidden=(10, 10), seed=0).params)
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]
    time.sleep(0)


def test_batch_size_standardize_and_fresh_sample(cli, tmp_path):
    status, stdout, _ = cli("train", "--data", "circle", "--n", 300, "--noise", 0.02,
                            "--batch-size", 32, "--optimizer", "adam", "--lr", 0.01,
                            "--epochs", 60, "--standardize", "--test-n", 500, "--seed", 2,
                            "--out", tmp_path, "--no-plots")
    assert status == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["batch_size"] == 32 and config["standardize"] is True
    x, _ = datasets.circle(300, noise=0.02, seed=2)
    np.testing.assert_allclose(config["standardization"]["mean"], x.mean(axis=0), rtol=1e-12)
    _, preds = read_csv(tmp_path / "predictions.csv")
    np.testing.assert_allclose(preds[:, 1:3].mean(axis=0), 0, atol=1e-12)  # scaled inputs
    assert metrics["test_n"] == 500 and 0.8 < metrics["test_accuracy"] <= 1.0
    assert metrics["train_accuracy"] > 0.9
    assert f"accuracy on a fresh sample of 500 points: {100 * metrics['test_accuracy']:.2f}%" \
        in stdout


def test_fresh_sample_needs_a_generated_data_set(cli, tmp_path):
    path = write(tmp_path / "p.csv", "a,b,label\n0,0,0\n1,1,1\n")
    status, _, stderr = cli("train", "--data", path, "--test-n", 10, "--out", tmp_path / "o",
                            *FAST)
    assert status == 2 and "--test-n" in stderr


def test_csv_cell_with_underscores_is_not_a_number(cli, tmp_path):
    path = write(tmp_path / "u.csv", "x1,x2,label\n1_000,0.2,0\n")
    status, _, stderr = cli("train", "--data", path, "--out", tmp_path / "o", *FAST)
    assert status == 2 and "u.csv:2" in stderr and "1_000" in stderr
