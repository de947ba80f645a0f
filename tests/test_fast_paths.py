"""The fast paths of docs/performance.md give exactly the numbers of the plain ways they replace,
bit for bit, including where they step aside (inputs they cannot take, settings that change)."""

import numpy as np
import pytest

from backproplab import MLP, Sequential
from backproplab.engine.metrics import Accuracy, accuracy
from backproplab.nn import activations, layers, losses, optimizers


@pytest.mark.parametrize("k, dtype", [(1, np.float64), (3, np.float64), (2, np.float32)])
@pytest.mark.parametrize("chunk", [None, 7])  # gd's own slices, and slices of 7 numbers
def test_gd_in_slices_is_p_minus_lr_g_bit_for_bit(monkeypatch, k, dtype, chunk):
    if chunk is not None:
        monkeypatch.setattr(optimizers, "CHUNK", chunk)
    rng = np.random.default_rng(k)
    size = 3 * optimizers.CHUNK + 5  # more than one slice, the last one short
    p = rng.normal(size=(k, size)).astype(dtype)
    g = rng.normal(size=(k, size)).astype(dtype)
    lr = [0.1, 0.03, 2.0][:k]
    expected = p.copy()
    opt = optimizers.GD([p], [g], lr)
    for _ in range(3):
        expected -= np.asarray(lr, dtype).reshape(k, 1) * g
        opt.step()
        np.testing.assert_array_equal(p, expected)
    opt.set_lr(0.5)  # the slices follow the learning rate (a schedule sets it)
    expected -= np.asarray(0.5, dtype) * g
    opt.step()
    np.testing.assert_array_equal(p, expected)


def test_dense_takes_any_input_as_the_plain_product_does():
    net = Sequential([layers.Dense(3, 2)], n_models=1)
    net.initialize([0])
    dense = net.layers[0]
    W, b = dense.W[0].copy(), dense.b[0].copy()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    for given in (x, np.asfortranarray(x), x[::-1], x.astype(np.float32), x.tolist()):
        expected = np.asarray(given, np.float64) @ W + b
        np.testing.assert_allclose(net.forward(np.asarray(given))[0], expected, rtol=1e-15)
    same = x.copy()
    first = net.forward(same).copy()
    same *= 2  # the same array, changed in place: the next forward reads it anew
    np.testing.assert_allclose(net.forward(same), 2 * first - b, rtol=1e-14)
    with pytest.raises(ValueError):
        dense.forward(rng.normal(size=(5, 4)))  # a width that does not fit is refused


@pytest.mark.parametrize("shape", [(1, 21, 1), (4, 21, 1), (21, 1), (1, 9, 3)])
def test_accuracy_with_kept_arrays_is_the_function_s(shape):
    rng = np.random.default_rng(1)
    score = Accuracy()
    for _ in range(3):
        proba = rng.random(shape)
        proba.flat[:4] = [0.5, np.nextafter(0.5, 0), np.nan, 1.0]
        labels = rng.random(shape) >= 0.5
        got = score(proba, labels)
        expected = accuracy(proba, labels)
        assert np.asarray(got).shape == np.asarray(expected).shape
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(score(proba, labels.astype(float)), expected)  # 0/1 floats


def test_mse_with_kept_arrays_follows_its_inputs():
    rng = np.random.default_rng(2)
    kept = losses.MSE("none")
    for z, y in ((rng.normal(size=(2, 7, 1)), rng.random((7, 1))),
                 (rng.normal(size=(2, 7, 1)), rng.random((2, 7, 1)).astype(np.float32)),
                 (rng.normal(size=(3, 5, 2)), rng.random((5, 2)))):
        fresh = losses.MSE("none")
        np.testing.assert_array_equal(kept.forward(z, y), fresh.forward(z, y))
        np.testing.assert_array_equal(kept.backward(), fresh.backward())


def test_softplus_slope_is_the_sigmoid_function_s():
    z = np.random.default_rng(3).normal(0.0, 30.0, (2, 50, 40))
    layer = activations.Softplus()
    np.testing.assert_array_equal(layer.forward(z), np.logaddexp(0.0, z))
    grad = np.random.default_rng(4).normal(size=z.shape)
    np.testing.assert_array_equal(layer.backward(grad), grad * activations.sigmoid(z))


def test_one_network_trains_as_it_does_in_a_stack_of_one_hundred():
    """The one-network paths (np.dot on 2-D matrices, count_nonzero for the accuracy, 0-d
    hyper-parameters) against the stack's (matmul, reductions over axes, columns)."""
    from backproplab.data import datasets

    x, y = datasets.linear(100, seed=0)
    for optimizer in ("gd", "adam"):
        alone = MLP(2, hidden=(6, 4), activation="tanh", seed=5)
        stack = MLP(2, hidden=(6, 4), activation="tanh", seed=list(range(100)))
        h1 = alone.fit(x, y, optimizer=optimizer, lr=0.05, epochs=60)
        h100 = stack.fit(x, y, optimizer=optimizer, lr=0.05, epochs=60)
        np.testing.assert_array_equal(alone.params[0], stack.params[5])
        np.testing.assert_array_equal(h1.loss, h100.loss[:, 5])
        np.testing.assert_array_equal(h1.accuracy, h100.accuracy[:, 5])
