"""The training loop against a hand-written loop, stacks against networks alone, divergence,
float32, and model files (saving, loading, and the files that must be refused)."""

import json
import math
import os
import re
import warnings

import numpy as np
import pytest

from backproplab import MLP
from backproplab.data import datasets
from backproplab.engine.seeds import model_rngs
from backproplab.errors import BackproplabError
from backproplab.nn.losses import get_loss
from backproplab.nn.optimizers import GD, get_optimizer

X, Y = datasets.xor_easy()
XL, YL = datasets.linear(50, seed=0)


def manual_full_batch(net, x, y, epochs, loss="mse", optimizer="gd", lr=None, **hyper):
    """The loop written out: forward, loss, backward, step. Returns the losses (epochs, k)."""
    loss_fn = get_loss(loss, net.output)
    opt = get_optimizer(optimizer, [net.params], [net.grads], lr, **hyper)
    y = np.asarray(y, dtype=net.dtype)
    losses = []
    for _ in range(epochs):
        losses.append(loss_fn.forward(net.forward(x), y))
        net.zero_grad()
        net.backward(loss_fn.backward())
        opt.step()
    return np.array(losses).reshape(epochs, net.k)


def loss_of(net, x, y, loss="mse"):
    return get_loss(loss, net.output).forward(net.forward(x), np.asarray(y, net.dtype))


# --- full batch: one update per epoch -----------------------------------------------------------


@pytest.mark.parametrize("optimizer, lr, loss", [("gd", 1.0, "mse"), ("adam", 0.01, "bce"),
                                                  ("rmsprop", 0.01, "mse")])
def test_full_batch_makes_exactly_one_update_per_epoch(optimizer, lr, loss):
    epochs = 7
    net = MLP(2, hidden=(4, 4), seed=0)
    history = net.fit(X, Y, loss=loss, optimizer=optimizer, lr=lr, epochs=epochs)

    twin = MLP(2, hidden=(4, 4), seed=0)
    losses = manual_full_batch(twin, X, Y, epochs, loss, optimizer, lr)
    assert np.array_equal(net.params, twin.params)
    assert np.array_equal(history.loss, losses[:, 0])
    assert len(history.loss) == epochs == history.epochs_run
    assert history.final_loss == loss_of(twin, X, Y, loss)[0]  # of the trained weights

    one_less = MLP(2, hidden=(4, 4), seed=0)
    manual_full_batch(one_less, X, Y, epochs - 1, loss, optimizer, lr)
    assert not np.array_equal(net.params, one_less.params)


def test_the_first_recorded_loss_is_the_initial_loss():
    initial = loss_of(MLP(2, hidden=(4, 4), seed=3), XL, YL)[0]
    history = MLP(2, hidden=(4, 4), seed=3).fit(XL, YL, lr=0.5, epochs=5)
    assert history.loss[0] == initial
    assert history.loss[-1] < initial


def test_zero_epochs_leaves_the_weights_alone():
    net = MLP(2, hidden=(4, 4), seed=1)
    start = net.params.copy()
    history = net.fit(X, Y, epochs=0)
    assert np.array_equal(net.params, start)
    assert len(history.loss) == 0 and history.epochs_run == 0
    assert history.final_loss == loss_of(net, X, Y)[0]
    assert not history.diverged and history.message() is None


def test_stop_at_loss_stops_at_the_first_epoch_that_reaches_it():
    target = 0.05
    net = MLP(2, hidden=(4, 4), seed=0)
    history = net.fit(XL, YL, optimizer="adam", lr=0.05, epochs=2000, stop_at_loss=target)
    assert history.stopped_early and not history.diverged
    stopped = history.epochs_run
    assert 0 < stopped < 2000
    assert len(history.loss) == stopped and np.all(history.loss > target)
    assert history.final_loss <= target
    # it stopped after exactly that many updates, looking at the loss before the next one
    twin = MLP(2, hidden=(4, 4), seed=0)
    manual_full_batch(twin, XL, YL, stopped, "mse", "adam", 0.05)
    assert np.array_equal(net.params, twin.params)
    assert history.final_loss == loss_of(twin, XL, YL)[0]


def test_stop_at_loss_already_reached_makes_no_update():
    net = MLP(2, hidden=(4, 4), seed=0)
    start = net.params.copy()
    history = net.fit(X, Y, epochs=100, stop_at_loss=10.0)
    assert history.stopped_early and history.epochs_run == 0
    assert np.array_equal(net.params, start)


# --- mini-batches -------------------------------------------------------------------------------


def test_minibatch_epoch_makes_ceil_n_over_b_updates(monkeypatch):
    steps = []
    original = GD.step
    monkeypatch.setattr(GD, "step", lambda self: (steps.append(1), original(self)))
    MLP(2, seed=0).fit(XL, YL, lr=0.5, epochs=3, batch_size=16)
    assert len(steps) == 3 * math.ceil(50 / 16)  # batches of 16, 16, 16 and 2


def test_minibatches_follow_the_networks_order_stream():
    n, batch, epochs = len(XL), 16, 3
    net = MLP(2, seed=5)
    history = net.fit(XL, YL, optimizer="momentum", lr=0.1, epochs=epochs, batch_size=batch)

    # the documented recipe: each epoch a permutation from the seed's own order stream
    twin = MLP(2, seed=5)
    loss_fn = get_loss("mse")
    opt = get_optimizer("momentum", [twin.params], [twin.grads], 0.1)
    _, order = model_rngs(5)
    y = YL.astype(np.float64)
    for e in range(epochs):
        perm = order.permutation(n)
        total = 0.0
        for start in range(0, n, batch):
            idx = perm[start : start + batch]
            L = loss_fn.forward(twin.forward(XL[idx]), y[idx])
            twin.zero_grad()
            twin.backward(loss_fn.backward())
            opt.step()
            total = total + L * len(idx)
        assert history.loss[e] == (total / n)[0]  # the sample-weighted mean of batch losses
    assert np.array_equal(net.params, twin.params)


def test_minibatch_order_is_seeded():
    def train(seed, params=None):
        net = MLP(2, seed=seed)
        if params is not None:
            net.params[...] = params  # same start, so only the batch order can differ
        net.fit(XL, YL, lr=0.5, epochs=4, batch_size=8)
        return net.params

    start = MLP(2, seed=0).params
    assert np.array_equal(train(0), train(0))
    assert not np.array_equal(train(0), train(1, start))


def test_a_batch_holding_everything_is_full_batch():
    a, b = MLP(2, seed=0), MLP(2, seed=0)
    ha = a.fit(X, Y, lr=0.5, epochs=5, batch_size=len(X))
    hb = b.fit(X, Y, lr=0.5, epochs=5)
    assert np.array_equal(a.params, b.params) and np.array_equal(ha.loss, hb.loss)


# --- divergence ---------------------------------------------------------------------------------


def test_divergence_is_detected_and_reported_without_warnings():
    net = MLP(2, hidden=(4, 4), activation="none", output="none", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow, invalid value: none may be printed
        history = net.fit(XL, YL, optimizer="gd", lr=1e6, epochs=200)
    assert history.diverged
    epoch = history.diverged_epoch
    assert 0 < epoch < 200
    assert re.fullmatch(r"loss is (nan|inf|-inf)", history.reason)
    assert history.message() == f"diverged at epoch {epoch}: {history.reason}; try a smaller " \
                                "learning rate"
    assert history.epochs_run == epoch == len(history.loss)
    assert np.all(np.isfinite(history.loss))  # the epochs before it were still finite
    assert not np.isfinite(history.final_loss)


def test_huge_but_finite_weights_are_not_divergence():
    # 1e200 squared overflows the cheap per-epoch check (a sum of squares); the exact check
    # behind it must see that every number is still finite and let training go on
    net = MLP(2, hidden=(4, 4), seed=[0, 1])
    net.dense_layers[-1].b[0] = 1e200  # network 0's output saturates at 1: its gradient is 0
    history = net.fit(XL, YL, optimizer="gd", lr=0.1, epochs=5)
    assert not history.diverged.any() and history.epochs_run.tolist() == [5, 5]
    assert net.dense_layers[-1].b[0, 0, 0] == 1e200
    assert np.all(np.isfinite(history.loss))


def test_a_network_that_trains_has_no_message():
    history = MLP(2, seed=0).fit(X, Y, epochs=3)
    assert not history.diverged and history.diverged_epoch == -1 and history.reason is None
    assert history.message() is None


# --- a stack of networks is k networks trained alone ------------------------------------------


def assert_stack_equals_alone(make, x, y, epochs, seeds, per_network=None, **settings):
    """Train ``make(seeds)`` as a stack and ``make(seed)`` for each seed alone; every network's
    params, loss history, final loss and outcome must be the same bit for bit."""
    per_network = per_network or {}
    stack = make(seeds)
    history = stack.fit(x, y, epochs=epochs, **settings, **per_network)
    for m, seed in enumerate(seeds):
        alone = make(seed)
        xm = x[m] if np.ndim(x) == 3 else x
        ym = y[m] if np.ndim(y) == 3 else y
        own = {name: values[m] for name, values in per_network.items()}
        h = alone.fit(xm, ym, epochs=epochs, **settings, **own)
        assert np.array_equal(stack.params[m], alone.params[0], equal_nan=True), f"network {m}"
        padded = np.full(len(history.loss), np.nan)  # rows after a network stopped are NaN
        padded[: len(h.loss)] = h.loss
        assert np.array_equal(history.loss[:, m], padded, equal_nan=True), f"network {m}"
        assert np.array_equal(history.final_loss[m], h.final_loss, equal_nan=True)
        assert np.array_equal(history.final_accuracy[m], h.final_accuracy, equal_nan=True)
        assert history.diverged[m] == h.diverged
        assert history.diverged_epoch[m] == h.diverged_epoch
        assert history.epochs_run[m] == h.epochs_run
    return history


LRS = {"gd": [0.1, 1e4, 0.5], "momentum": [0.01, 1e4, 0.1], "adam": [0.001, 0.01, 0.05],
       "rmsprop": [0.001, 0.01, 0.05]}


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam", "rmsprop"])
def test_stack_trains_each_network_as_it_trains_alone(optimizer, activation):
    def make(seed):
        return MLP(2, hidden=(4, 4), activation=activation, output="none", seed=seed)

    history = assert_stack_equals_alone(make, X, Y, 40, [0, 1, 2], optimizer=optimizer,
                                        per_network={"lr": LRS[optimizer]})
    if optimizer in ("gd", "momentum"):  # lr 1e4 diverges; the others go on undisturbed
        assert history.diverged.tolist() == [False, True, False]
        assert history.epochs_run.tolist() == [40, history.diverged_epoch[1], 40]


def test_stack_with_bce_and_a_network_stopping_early():
    def make(seed):
        return MLP(2, hidden=(5,), activation="gelu", seed=seed)

    history = assert_stack_equals_alone(make, XL, YL, 300, [0, 1, 2, 3], loss="bce",
                                        optimizer="adam", stop_at_loss=0.2,
                                        per_network={"lr": [0.001, 0.05, 0.02, 0.1]})
    assert history.stopped_early.tolist() == [False, True, True, True]


def test_stack_with_per_network_settings():
    def make(seed):
        return MLP(2, hidden=(4, 3), activation="tanh", seed=seed)

    assert_stack_equals_alone(make, X, Y, 30, [3, 4, 5], optimizer="rmsprop",
                              per_network={"lr": [0.01, 0.02, 0.005], "momentum": [0.0, 0.5, 0.9],
                                           "weight_decay": [0.0, 0.01, 0.0]})


def test_stack_with_minibatches():
    def make(seed):
        return MLP(2, hidden=(4, 4), activation="relu", seed=seed)

    assert_stack_equals_alone(make, XL, YL, 5, [0, 1, 2], optimizer="adam", batch_size=8,
                              per_network={"lr": [0.01, 0.02, 0.03]})


def test_stack_with_per_network_data():
    data = [datasets.load(name, n=30, seed=s) for name, s in
            (("linear", 0), ("circle", 1), ("moons", 2))]
    x = np.stack([d[0] for d in data])  # (3, 30, 2): one data set per network
    y = np.stack([d[1] for d in data])

    def make(seed):
        return MLP(2, hidden=(6, 6), activation="tanh", seed=seed)

    assert_stack_equals_alone(make, x, y, 25, [7, 8, 9], optimizer="momentum",
                              per_network={"lr": [0.5, 0.1, 0.2]})
    assert_stack_equals_alone(make, x, y, 3, [7, 8, 9], optimizer="gd", batch_size=7)


def test_a_network_in_a_stack_starts_as_it_does_alone():
    stack = MLP(2, hidden=(3, 3), seed=[4, 2, 9])
    for m, seed in enumerate([4, 2, 9]):
        assert np.array_equal(stack.params[m], MLP(2, hidden=(3, 3), seed=seed).params[0])


# --- float32 --------------------------------------------------------------------------------


def test_float32_training_stays_float32():
    net = MLP(2, hidden=(4, 4), seed=0, dtype="float32")
    wide = MLP(2, hidden=(4, 4), seed=0)  # float64: the same start, rounded
    assert net.params.dtype == np.float32 and net.grads.dtype == np.float32
    assert np.array_equal(net.params, wide.params.astype(np.float32))
    history = net.fit(X, Y, optimizer="adam", lr=0.01, epochs=20, batch_size=5)
    assert net.params.dtype == np.float32 and net.grads.dtype == np.float32
    assert net.predict_proba(X).dtype == np.float32
    assert np.all(np.isfinite(history.loss))
    wide.fit(X, Y, optimizer="adam", lr=0.01, epochs=20, batch_size=5)
    np.testing.assert_allclose(net.params, wide.params, rtol=1e-3, atol=1e-4)


# --- model files ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed, dtype", [(0, "float64"), ([1, 2, 3], "float64"), (4, "float32")])
def test_save_and_load_round_trip(tmp_path, seed, dtype):
    net = MLP(2, hidden=(5, 3), activation=["relu", "tanh"], output="sigmoid", seed=seed,
              dtype=dtype)
    net.fit(X, Y, optimizer="adam", lr=0.01, epochs=10)
    path = tmp_path / "model.npz"
    net.save(path, extra={"epochs": 10})
    loaded = MLP.load(path)
    assert loaded.params.dtype == net.params.dtype
    assert np.array_equal(loaded.params, net.params)
    assert np.array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.config() == net.config()
    assert loaded.training_config == {"epochs": 10}
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind
    # the file holds plain arrays W1, b1, …, and the configuration as JSON text
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["W1", "W2", "W3", "b1", "b2", "b3", "config"]
        assert json.loads(str(data["config"]))["format"] == "backproplab-model"


def test_a_loaded_model_trains_on_as_the_original(tmp_path):
    net = MLP(2, hidden=(4, 4), seed=0)
    net.fit(X, Y, lr=1.0, epochs=5)
    net.save(tmp_path / "m.npz")
    loaded = MLP.load(tmp_path / "m.npz")
    net.fit(X, Y, lr=1.0, epochs=5)
    loaded.fit(X, Y, lr=1.0, epochs=5)
    assert np.array_equal(loaded.params, net.params)


class Payload:
    """Unpickling this makes a directory: proof that something was unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def saved_arrays(tmp_path):
    net = MLP(2, hidden=(4, 4), seed=0)
    net.save(tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as data:
        return {name: data[name] for name in data.files}


def test_a_pickled_object_array_in_an_npz_is_never_unpickled(tmp_path):
    arrays = saved_arrays(tmp_path)
    arrays["W1"] = np.array([Payload(tmp_path / "marker")], dtype=object)
    np.savez(tmp_path / "evil.npz", **arrays)  # savez pickles object arrays

    with pytest.raises(BackproplabError, match="pickled") as info:
        MLP.load(tmp_path / "evil.npz")
    assert str(tmp_path / "evil.npz") in str(info.value)
    assert not (tmp_path / "marker").exists()

    # the payload is live: loading it the unsafe way does create the marker
    with np.load(tmp_path / "evil.npz", allow_pickle=True) as data:
        data["W1"]
    assert (tmp_path / "marker").exists()


def test_a_pickled_npy_file_is_never_unpickled(tmp_path):
    evil = tmp_path / "evil.npy"
    np.save(evil, np.array([Payload(tmp_path / "marker")], dtype=object), allow_pickle=True)
    with pytest.raises(BackproplabError, match="not a backproplab model file"):
        MLP.load(evil)
    assert not (tmp_path / "marker").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"W1,b1\n1,2\n", "not a backproplab model file"),
        (b"", "not a backproplab model file"),
        (b"PK\x03\x04 but not really a zip file", "not a backproplab model file"),
    ],
    ids=["text", "empty", "zip magic only"],
)
def test_a_file_that_is_not_an_npz(tmp_path, content, message):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(BackproplabError, match=message) as info:
        MLP.load(path)
    assert str(info.value).startswith(str(path))


def test_a_plain_npy_array_is_not_a_model(tmp_path):
    np.save(tmp_path / "weights.npy", np.zeros((2, 4)))
    with pytest.raises(BackproplabError, match="not a backproplab model file"):
        MLP.load(tmp_path / "weights.npy")


def test_a_missing_model_file(tmp_path):
    with pytest.raises(BackproplabError, match="no such model file"):
        MLP.load(tmp_path / "nothing.npz")


def test_wrong_shapes_are_named(tmp_path):
    arrays = saved_arrays(tmp_path)
    arrays["W2"] = np.zeros((4, 5))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(BackproplabError, match=r"W2 has shape \(4, 5\) but its configuration "
                                               r"says \(4, 4\)"):
        MLP.load(tmp_path / "bad.npz")


def test_missing_and_unexpected_arrays_are_named(tmp_path):
    arrays = saved_arrays(tmp_path)
    arrays["W4"] = arrays.pop("W3")
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(BackproplabError, match="missing W3; unexpected W4"):
        MLP.load(tmp_path / "bad.npz")


def test_an_npz_without_a_configuration(tmp_path):
    arrays = saved_arrays(tmp_path)
    del arrays["config"]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(BackproplabError, match="no configuration"):
        MLP.load(tmp_path / "bad.npz")


def test_an_npz_whose_configuration_is_not_ours(tmp_path):
    arrays = saved_arrays(tmp_path)
    arrays["config"] = np.array(json.dumps({"format": "something-else"}))
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(BackproplabError, match="unknown format"):
        MLP.load(tmp_path / "other.npz")
    arrays["config"] = np.array("{not json")
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(BackproplabError, match="not valid JSON"):
        MLP.load(tmp_path / "broken.npz")


def test_a_copied_or_pickled_network_trains_as_the_original():
    import copy
    import pickle

    net = MLP(2, hidden=(4, 4), seed=0)
    expected = MLP(2, hidden=(4, 4), seed=0)
    expected.fit(XL, YL, epochs=20)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        history = clone.fit(XL, YL, epochs=20)
        assert np.array_equal(clone.params, expected.params)
        assert history.loss[-1] < history.loss[0]
        assert np.array_equal(clone.predict_proba(XL), expected.predict_proba(XL))
    assert np.array_equal(net.params, MLP(2, hidden=(4, 4), seed=0).params)  # untouched
