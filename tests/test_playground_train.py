"""The playground trains train's computation: after N epochs in a session — in slices of any
size, with frames drawn between them — the weights equal ``backproplab train`` with the options
of the session's command and ``--epochs N``, bit for bit. And training stops where it should:
at a deadline, at the run's end or stopping rule, and at once when paused from another
thread."""

import threading
import time

import numpy as np
import pytest

from backproplab.app.playground import Session


def _weights(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k[0] in "Wb"}


def _same_as_train(cli, tmp_path, session, epochs):
    """Run the session's command with --epochs N and compare every weight array."""
    out = tmp_path / "run"
    status, _, err = cli("train", *session.command_args(), "--epochs", epochs, "--out", out,
                         "--no-plots", "--quiet")
    assert status == 0, err
    _compare(session, out / "model.npz")


def _compare(session, path):
    theirs = _weights(path)
    ours = dict(session.run.net.param_arrays(0))
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert np.array_equal(ours[name], theirs[name]), name


@pytest.mark.parametrize("settings, epochs", [
    ({}, 300),  # the lab's network on its XOR points: train's defaults
    ({"data": "linear"}, 200),  # … on linear, with the page's default 30% test split
    ({"data": "linear", "test-fraction": "0"}, 200),
    ({"hidden": "4,4", "activation": "tanh", "optimizer": "adam", "lr": "0.03"}, 250),
    ({"data": "circle", "n": "80", "noise": "0.05", "batch-size": "16", "optimizer": "momentum",
      "lr": "0.05", "weight-decay": "0.001", "seed": "4"}, 60),
    ({"data": "moons", "schedule": "cosine", "epochs": "150", "optimizer": "rmsprop",
      "lr": "0.01", "momentum": "0.5", "l1": "0.0001"}, 150),  # T_max = the run's epochs
    ({"data": "spiral", "test-fraction": "0.25", "data-seed": "7", "seed": "3",
      "hidden": "8,6", "activation": "relu,tanh", "loss": "bce", "schedule": "step",
      "step-size": "40", "gamma": "0.5", "optimizer": "adamw", "lr": "0.02"}, 120),
    ({"data": "gaussians", "stop-at-loss": "0.2", "lr": "2.0"}, 400),  # stops early: both
], ids=["lab-xor", "lab-linear-split", "lab-linear", "tanh-adam", "minibatch-momentum",
        "cosine-rmsprop", "split-step-adamw", "stop-at-loss"])
def test_n_epochs_in_the_page_are_train_s(cli, tmp_path, settings, epochs):
    s = Session(settings)
    assert s.train(epochs) == s.epochs_done
    _same_as_train(cli, tmp_path, s, epochs)


def test_slices_deadlines_and_frames_change_no_number(cli, tmp_path):
    settings = {"data": "circle", "n": "60", "batch-size": "8", "optimizer": "adam",
                "lr": "0.01", "hidden": "6,5"}
    whole, sliced = Session(settings), Session(settings)
    whole.train(90)
    done = 0
    for chunk in (1, 7, 30):
        done += sliced.train(chunk)
        sliced.frame()
    while done < 90:
        done += sliced.train(90 - done, deadline=time.perf_counter() + 0.002)
        sliced.frame()
    assert done == 90 and sliced.epochs_done == 90
    np.testing.assert_array_equal(whole.run.net.params, sliced.run.net.params)
    _same_as_train(cli, tmp_path, sliced, 90)


def test_training_stops_at_the_deadline_and_at_the_run_s_end():
    s = Session({"data": "circle", "n": "400", "hidden": "16,16", "epochs": "100000"})
    started = time.perf_counter()
    ran = s.train(100_000, deadline=started + 0.05)
    assert 0 < ran < 100_000 and time.perf_counter() - started < 1.0
    short = Session({"epochs": "30"})
    assert short.train(100) == 30 and short.finished
    assert short.train(5) == 0
    assert short.frame()["status"] == "finished"


def test_the_stopping_rule_and_divergence_end_the_run():
    s = Session({"stop-at-loss": "0.24"})
    ran = s.train(5000)
    assert ran < 5000 and s.finished and s.frame()["status"] == "stopped"
    wild = Session({"lr": "1e6", "activation": "relu", "output": "none"})
    wild.train(200)
    frame = wild.frame()
    assert wild.finished and frame["status"] == "diverged" and "diverged" in frame["message"]


def test_pause_from_another_thread_stops_within_an_epoch():
    s = Session({"data": "circle", "n": "2000", "hidden": "16,16,16", "epochs": "100000"})
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("ran", s.train(100_000)))
    worker.start()
    time.sleep(0.3)
    asked = time.perf_counter()
    s.pause()
    worker.join(5)
    assert not worker.is_alive() and time.perf_counter() - asked < 1.0
    assert 0 < result["ran"] < 100_000 and result["ran"] == s.epochs_done
    assert s.train(3) == 3  # a new train() call plays again


def test_reset_starts_again_from_the_same_weights():
    s = Session({"hidden": "4,4", "seed": "5"})
    start = s.run.net.params.copy()
    s.train(50)
    assert not np.array_equal(start, s.run.net.params)
    s.reset()
    assert s.epochs_done == 0
    np.testing.assert_array_equal(start, s.run.net.params)


def test_changing_lr_while_playing_goes_on_without_a_reset(cli, tmp_path):
    s = Session({"hidden": "4,4", "optimizer": "adam", "lr": "0.01"})
    s.train(40)
    weights = s.run.net.params.copy()
    assert s.apply({"lr": "0.05", "speed": "30"}) == "live"
    assert s.epochs_done == 40 and np.array_equal(weights, s.run.net.params)
    assert "0.05" in s.command() and "from epoch 40" in s.command()
    s.train(40)
    # the same as a run at lr 0.01 for 40 epochs, then at 0.05: not train's at either
    a = Session({"hidden": "4,4", "optimizer": "adam", "lr": "0.01"})
    a.train(80)
    assert not np.array_equal(a.run.net.params, s.run.net.params)
    assert s.apply({"hidden": "5,4"}) == "reset" and s.epochs_done == 0
    assert s.apply({"epochs": "500"}) == "live"
    assert s.apply({"stop-at-loss": "0.01"}) == "live"
    assert s.apply({"lr": "0.05"}) == "live"  # no change at all


def test_a_stopped_run_given_a_new_rate_starts_again():
    s = Session({"stop-at-loss": "0.24"})
    s.train(5000)
    assert s.finished
    assert s.apply({"lr": "0.5"}) == "reset" and s.epochs_done == 0
    cosine = Session({"schedule": "cosine", "epochs": "100"})
    cosine.train(10)
    assert cosine.apply({"epochs": "200"}) == "reset"  # its rates depend on the run's length


def test_a_softmax_run_is_train_s(cli, tmp_path):  # two classes, K = 2 softmax outputs
    s = Session({"data": "circle", "n": "60", "output": "softmax", "loss": "ce",
                 "hidden": "4,4", "optimizer": "adam", "lr": "0.02"})
    s.train(80)
    status, _, err = cli("train", *s.command_args(), "--epochs", 80, "--out", tmp_path / "p",
                         "--no-plots", "--quiet")
    assert status == 0, err
    _compare(s, tmp_path / "p" / "model.npz")
