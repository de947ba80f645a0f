"""Arrays a user receives are the user's: what forward and the prediction methods return, and what
a training callback keeps through them, is never overwritten by a later call — although the
fast layers inside reuse their buffers from one pass to the next."""

import numpy as np
import pytest

from backproplab import MLP, Sequential, datasets, train
from backproplab.models import CNN
from backproplab.nn import Sigmoid, layers

RNG = np.random.default_rng(12)
X1, X2 = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2))  # two different batches, same shape


def kept_after_second_call(call, a, b):
    """call(a), then call(b): the first result must still hold what it held, and differ from
    the second (so the test would notice one array returned twice)."""
    first = call(a)
    snapshot = np.array(first, copy=True)
    second = call(b)
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, snapshot)
    assert not np.array_equal(first, second)
    return first, second


def test_sequential_forward_returns_a_new_array_each_pass():
    net = Sequential([layers.Dense(2, 3), Sigmoid(), layers.Dense(3, 1)], n_models=2)
    net.initialize([0, 1])
    first, _ = kept_after_second_call(net.forward, X1, X2)
    # the first result is still the network's output on X1, pass after pass
    np.testing.assert_array_equal(first, net.forward(X1))
    # the engine's own pass returns the layer's buffer: the one the public forward protects
    assert net._forward(X1) is net._forward(X2)


@pytest.mark.parametrize("output, n_out", [("sigmoid", 1), ("none", 1), ("softmax", 3)])
@pytest.mark.parametrize("method", ["forward", "decision_function", "predict_proba"])
def test_an_mlps_outputs_stay_as_they_were(output, n_out, method):
    net = MLP(2, hidden=(4, 4), output=output, n_out=n_out, seed=[0, 1] if n_out == 3 else 0)
    kept_after_second_call(getattr(net, method), X1, X2)


def test_predict_and_hidden_activations_stay_as_they_were():
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(4, 3), seed=0)
    net.fit(x, y, lr=1.0, epochs=3000)  # labels that vary from point to point
    first = net.predict(x)
    kept = first.copy()
    assert not np.array_equal(net.predict(x[::-1]), kept)
    np.testing.assert_array_equal(first, kept)
    hidden = net.hidden_activations(X1)
    kept = [a.copy() for a in hidden]
    net.hidden_activations(X2)
    net.forward(X2)
    for a, b in zip(hidden, kept):
        np.testing.assert_array_equal(a, b)


def test_a_cnns_probabilities_stay_as_they_were():
    net = CNN(in_shape=(1, 6, 6), n_classes=3, channels=(2,), kernel=3, seed=0)
    images = np.random.default_rng(2).normal(size=(2, 4, 1, 6, 6))
    kept_after_second_call(net.predict_proba, images[0], images[1])
    kept_after_second_call(net.forward, images[0], images[1])


def test_training_does_not_overwrite_what_forward_returned():
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(4, 4), seed=0)
    before = net.forward(x)
    proba = net.predict_proba(x)
    kept, kept_proba = before.copy(), proba.copy()
    net.fit(x, y, epochs=50, lr=1.0)  # the trainer's passes run on the same shapes
    np.testing.assert_array_equal(before, kept)
    np.testing.assert_array_equal(proba, kept_proba)
    assert not np.array_equal(net.forward(x), kept)


def test_a_callback_keeps_what_the_network_predicted_at_each_epoch():
    """What a callback keeps through the public API is the prediction at that epoch: distinct
    from one epoch to the next, and equal to a network trained that long from the start."""
    x, y = datasets.xor_easy()
    # points as many as the training set's: the shape the layers' buffers have during training
    grid = np.random.default_rng(3).uniform(-1.5, 1.5, size=x.shape)
    kept = {}

    def keep(p):
        kept[p.epochs] = (p.model.predict_proba(grid), p.model.forward(grid))

    history = train(MLP(2, hidden=(4, 4), seed=0), x, y, lr=1.0, epochs=60, callback=keep,
                    callback_every=20)
    assert sorted(kept) == [20, 40, 60] and not history.diverged.any()
    for epochs, (proba, z) in kept.items():
        alone = MLP(2, hidden=(4, 4), seed=0)
        alone.fit(x, y, lr=1.0, epochs=epochs)  # stops where the callback looked
        np.testing.assert_array_equal(proba, alone.predict_proba(grid))
        np.testing.assert_array_equal(z, alone.forward(grid))
    assert not np.array_equal(kept[20][0], kept[40][0])
    assert not np.array_equal(kept[40][0], kept[60][0])


def test_a_callback_that_predicts_changes_no_number_of_training():
    """A callback's prediction on another shape makes the layers remake their buffers: the
    training that goes on after it computes the same numbers, bit for bit."""
    x, y = datasets.xor_easy()
    grid = np.zeros((7, 2))
    plain = train(MLP(2, hidden=(4, 4), seed=[0, 1]), x, y, lr=1.0, epochs=40)
    watched = train(MLP(2, hidden=(4, 4), seed=[0, 1]), x, y, lr=1.0, epochs=40,
                    callback=lambda p: p.model.predict_proba(grid), callback_every=3)
    np.testing.assert_array_equal(plain.loss, watched.loss)
    np.testing.assert_array_equal(plain.final_loss, watched.final_loss)
