"""Sample weights: the weighted mean loss Σ sᵢ lᵢ / Σ sᵢ and its gradient, checked against
finite differences; integer weights against the samples repeated, zero weights against the
samples removed; weights of 1 against no weights at all, bit for bit."""

import numpy as np
import pytest

from backproplab import MLP, Trainer
from backproplab.data import datasets
from backproplab.engine.gradients import assert_gradients_match
from backproplab.errors import BackproplabError
from backproplab.nn.losses import get_loss

X, Y = datasets.xor_easy()
S = np.array([3, 0, 1, 2, 1, 4, 0, 1, 2, 1, 1, 3, 1, 0, 2, 1, 1, 2, 1, 1, 5])  # integer weights


class Weighted:
    """A loss with the samples' weights bound, as the trainer passes them."""

    def __init__(self, loss, w):
        self.loss, self.w = loss, w

    def forward(self, z, y):
        return self.loss.forward(z, y, self.w)

    def backward(self):
        return self.loss.backward()


def mean_one(s):
    s = np.asarray(s, dtype=np.float64)
    return (s * (len(s) / s.sum()))[:, None]


@pytest.mark.parametrize("loss, output, n_out", [("mse", "sigmoid", 1), ("mse", "none", 2),
                                                 ("bce", "sigmoid", 1), ("ce", "softmax", 3)])
def test_weighted_gradients_match_finite_differences(loss, output, n_out):
    rng = np.random.default_rng(4)
    net = MLP(3, hidden=(4, 3), activation="tanh", output=output, n_out=n_out, seed=[0, 1])
    net.params[...] = rng.normal(0.0, 0.8, net.params.shape)
    x = rng.normal(size=(7, 3))
    y = (rng.integers(0, n_out, 7) if loss == "ce"
         else rng.integers(0, 2, (7, n_out)).astype(np.float64))
    w = mean_one(rng.uniform(0.0, 3.0, 7))
    assert_gradients_match(net, Weighted(get_loss(loss, output), w), x, y, tol=1e-6)


def test_a_wrong_weighted_backward_is_caught():
    """Negative control: a backward that forgets the weights fails the same check."""
    rng = np.random.default_rng(5)
    net = MLP(3, hidden=(4,), seed=0)
    net.params[...] = rng.normal(0.0, 0.8, net.params.shape)
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 2, (6, 1)).astype(np.float64)
    loss = Weighted(get_loss("bce"), mean_one([1, 5, 1, 1, 0.2, 1]))
    loss.backward = lambda: (loss.loss.proba - y) / 6  # unweighted
    with pytest.raises(AssertionError, match="gradient of"):
        assert_gradients_match(net, loss, x, y, tol=1e-6)


@pytest.mark.parametrize("name", ["mse", "bce"])
def test_the_weighted_loss_is_the_weighted_mean(name):
    z = np.array([[[0.3], [-1.2], [2.0]]])
    y = np.array([[1.0], [0.0], [1.0]])
    s = np.array([2.0, 1.0, 0.5])
    per_sample = np.array([get_loss(name).forward(z[:, [i]], y[[i]])[0] for i in range(3)])
    L = get_loss(name).forward(z, y, mean_one(s))
    np.testing.assert_allclose(L, [(s * per_sample).sum() / s.sum()], rtol=1e-14)


def _fit(x, y, sample_weight=None, **settings):
    net = MLP(2, hidden=(5, 5), activation="tanh", seed=3)
    h = Trainer(net, x, y, sample_weight=sample_weight, **settings).run()
    return net, h


@pytest.mark.parametrize("settings", [dict(optimizer="gd", lr=0.5),
                                      dict(optimizer="adam", lr=0.01, loss="bce"),
                                      dict(optimizer="momentum", lr=0.1, weight_decay=0.01)])
def test_integer_weights_equal_repeating_the_samples(settings):
    """Full batch: weight 3 is the sample three times, weight 0 the sample left out (up to the
    order of the sums: the same to rounding)."""
    weighted, hw = _fit(X, Y, S, epochs=300, **settings)
    repeated, hr = _fit(np.repeat(X, S, axis=0), np.repeat(Y, S, axis=0), epochs=300, **settings)
    np.testing.assert_allclose(hw.loss, hr.loss, rtol=1e-9)
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-9, atol=1e-12)
    assert hw.final_loss == pytest.approx(hr.final_loss, rel=1e-9)
    assert not np.allclose(_fit(X, Y, epochs=300, **settings)[0].params, weighted.params)


def test_integer_weights_equal_repeating_the_samples_for_classes():
    x, y = datasets.moons(30, noise=0.1, seed=1)
    labels = (y[:, 0] + (x[:, 0] > 0.5)).astype(np.int64)  # three classes
    s = np.random.default_rng(2).integers(0, 4, 30)
    nets = []
    for xs, ys, w in ((x, labels, s), (np.repeat(x, s, axis=0), np.repeat(labels, s), None)):
        net = MLP(2, hidden=(6,), output="softmax", n_out=3, seed=0)
        Trainer(net, xs, ys, optimizer="adam", lr=0.02, epochs=200, sample_weight=w).run()
        nets.append(net)
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batch_size", [None, 4, 8])
@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_weights_of_one_change_no_number(batch_size, loss):
    a, ha = _fit(X, Y, epochs=50, batch_size=batch_size, optimizer="adam", lr=0.01, loss=loss)
    b, hb = _fit(X, Y, np.ones(21), epochs=50, batch_size=batch_size, optimizer="adam",
                 lr=0.01, loss=loss)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(ha.loss, hb.loss)
    np.testing.assert_array_equal(ha.final_loss, hb.final_loss)


def test_scaling_every_weight_changes_nothing_that_matters():
    a, ha = _fit(X, Y, S, epochs=100, optimizer="gd", lr=0.5)
    b, hb = _fit(X, Y, 7.5 * S, epochs=100, optimizer="gd", lr=0.5)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


def test_mini_batch_epoch_loss_weighs_each_batch_by_its_weight():
    """In mini-batches each batch's loss is its own weighted mean and the epoch's loss their
    mean weighted by the batches' total weights: with no update (lr tiny and gd) that is the
    weighted mean over all samples."""
    net = MLP(2, hidden=(5, 5), seed=1)
    h = Trainer(net, X, Y, optimizer="gd", lr=1e-300, epochs=1, batch_size=5,
                sample_weight=S).run()
    full = get_loss("mse").forward(net.forward(X), Y.astype(float), mean_one(S))
    np.testing.assert_allclose(h.loss[0], full, rtol=1e-12)
    np.testing.assert_allclose(h.final_loss, full, rtol=1e-12)


def test_a_batch_whose_weights_are_all_zero_teaches_nothing():
    s = np.zeros(21)
    s[0] = 1.0
    net = MLP(2, hidden=(3,), seed=2)
    before = net.params.copy()
    h = Trainer(net, X, Y, optimizer="gd", lr=0.5, epochs=3, batch_size=1, sample_weight=s,
                ).run()
    assert np.isfinite(h.loss).all() and not h.diverged[0]
    alone = MLP(2, hidden=(3,), seed=2)
    alone.params[...] = before
    Trainer(alone, X[:1], Y[:1], optimizer="gd", lr=0.5, epochs=3).run()
    np.testing.assert_array_equal(net.params, alone.params)  # only sample 0 moved it


@pytest.mark.parametrize("weights, message", [
    (np.ones(20), r"one weight per sample, shape \(21,\)"),
    (-np.ones(21), "finite and >= 0"),
    (np.full(21, np.nan), "finite and >= 0"),
    (np.zeros(21), "all zero"),
    (["a"] * 21, "must be numbers"),
])
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(BackproplabError, match=message):
        Trainer(MLP(2, hidden=(3,), seed=0), X, Y, sample_weight=weights)
