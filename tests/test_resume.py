"""Checkpoints: ``train --save`` and the run's model.npz hold the trainer's state, and
``train --resume`` goes on as if the run had never stopped — after Ctrl-C too."""

import csv
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest


def _weights(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k[0] in "Wb"}


def _rows(path):
    with open(path) as f:
        return list(csv.reader(f))


def _same_weights(a, b):
    a, b = _weights(a), _weights(b)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("options", [
    ["--data", "xor", "--lr", "1.0"],
    ["--data", "circle", "--n", "64", "--optimizer", "adam", "--lr", "0.01", "--batch-size", "16",
     "--schedule", "step", "--step-size", "40", "--l1", "0.0001"],
    ["--data", "moons", "--optimizer", "rmsprop", "--momentum", "0.5", "--weight-decay", "0.001",
     "--schedule", "cosine", "--t-max", "90"],
])
def test_resume_equals_the_uninterrupted_run(cli, tmp_path, options):
    whole, part, resumed = (str(tmp_path / d) for d in ("whole", "part", "resumed"))
    assert cli("train", *options, "--epochs", 200, "--out", whole, "--no-plots",
               "--quiet")[0] == 0
    assert cli("train", *options, "--epochs", 70, "--out", part, "--no-plots", "--quiet",
               "--save", tmp_path / "part.npz")[0] == 0
    status, out, err = cli("train", "--resume", tmp_path / "part.npz", "--epochs", 200,
                           "--out", resumed, "--no-plots", "--quiet")
    assert status == 0, err
    _same_weights(f"{whole}/model.npz", f"{resumed}/model.npz")
    assert _rows(f"{resumed}/history.csv") == _rows(f"{whole}/history.csv")
    # the run's own model.npz is the same checkpoint as --save's
    _same_weights(f"{part}/model.npz", tmp_path / "part.npz")


@pytest.mark.parametrize("model", [
    ["--model", "mlp", "--hidden", "16"],
    ["--model", "cnn", "--channels", "4", "--kernel", "3", "--hidden", "8", "--dropout", "0.3"],
], ids=["mlp", "cnn with dropout"])
def test_resume_of_a_digits_run_keeps_its_test_curve(cli, tmp_path, model):
    pytest.importorskip("sklearn")
    common = ["--data", "digits", *model, "--no-plots", "--quiet"]
    assert cli("train", *common, "--epochs", 4, "--out", tmp_path / "whole")[0] == 0
    assert cli("train", *common, "--epochs", 2, "--out", tmp_path / "part")[0] == 0
    assert cli("train", "--resume", tmp_path / "part" / "model.npz", "--epochs", 4,
               "--out", tmp_path / "resumed", "--no-plots", "--quiet")[0] == 0
    _same_weights(tmp_path / "whole" / "model.npz", tmp_path / "resumed" / "model.npz")
    assert _rows(tmp_path / "resumed" / "history.csv") == _rows(tmp_path / "whole" /
                                                                "history.csv")


@pytest.mark.parametrize("option, value, says", [
    ("--lr", "0.5", "--lr 0.5 (the checkpoint's run: 1.0)"),
    ("--hidden", "3", "--hidden 3 (the checkpoint's run: 10 10)"),
    ("--optimizer", "adam", "--optimizer adam (the checkpoint's run: gd)"),
])
def test_a_checkpoint_that_does_not_fit_the_options_exits_2(cli, tmp_path, option, value, says):
    cli("train", "--data", "xor", "--epochs", 30, "--out", tmp_path / "a", "--no-plots",
        "--quiet")
    status, out, err = cli("train", "--resume", tmp_path / "a" / "model.npz", "--epochs", 60,
                           option, value, "--out", tmp_path / "b")
    assert status == 2
    assert says in err and len(err.strip().splitlines()) == 1


def test_resume_refuses_fewer_epochs_and_a_cosine_stretched_to_another_length(cli, tmp_path):
    cli("train", "--data", "xor", "--epochs", 30, "--schedule", "cosine", "--out",
        tmp_path / "a", "--no-plots", "--quiet")
    model = tmp_path / "a" / "model.npz"
    status, _, err = cli("train", "--resume", model, "--epochs", 10, "--out", tmp_path / "b")
    assert status == 2 and "reached epoch 30" in err
    status, _, err = cli("train", "--resume", model, "--epochs", 60, "--out", tmp_path / "b")
    assert status == 2 and "cosine schedule anneals over the run's 30 epochs" in err


def test_a_model_saved_from_python_is_no_checkpoint(cli, tmp_path):
    from backproplab import MLP

    MLP(2, hidden=(10, 10)).save(tmp_path / "m.npz")
    status, _, err = cli("train", "--resume", tmp_path / "m.npz", "--epochs", 10)
    assert status == 2 and "holds no run's settings" in err


def test_init_still_starts_from_the_weights_alone(cli, tmp_path):
    cli("train", "--data", "xor", "--optimizer", "adam", "--epochs", 40, "--out", tmp_path / "a",
        "--no-plots", "--quiet")
    status, _, err = cli("train", "--data", "xor", "--init", tmp_path / "a" / "model.npz",
                         "--epochs", 5, "--out", tmp_path / "b", "--no-plots", "--quiet")
    assert status == 0, err
    # a new run of its own: the header, epochs 0–4 and the final row (epoch 5)
    assert len(_rows(tmp_path / "b" / "history.csv")) == 1 + 5 + 1


def test_after_ctrl_c_the_model_file_resumes_as_if_never_stopped(cli, tmp_path):
    args = ["train", "--data", "xor", "--epochs", "30000", "--log-every", "500", "--no-plots"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "backproplab", *args,
                             "--out", str(tmp_path / "stopped")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:
        if line.startswith("epoch") and int(line.split()[1]) >= 1000:
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    stopped = tmp_path / "stopped" / "model.npz"
    with np.load(stopped) as f:
        reached = json.loads(str(f["trainer"]))["epoch"]
    assert 1000 <= reached < 30000  # stopped midway
    assert cli("train", "--resume", stopped, "--epochs", 30000, "--out", tmp_path / "resumed",
               "--quiet", "--no-plots")[0] == 0
    assert cli(*args, "--out", tmp_path / "whole", "--quiet")[0] == 0
    _same_weights(tmp_path / "whole" / "model.npz", tmp_path / "resumed" / "model.npz")
    assert _rows(tmp_path / "resumed" / "history.csv") == _rows(tmp_path / "whole" /
                                                                "history.csv")
