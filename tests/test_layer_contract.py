"""The layer contract: layers written plainly here, as the docs show them, train inside
Sequential alone and mixed with the built-in layers."""

import textwrap

import numpy as np
import pytest

from backproplab import MLP, Sequential, datasets, train
from backproplab.engine.gradients import assert_gradients_match
from backproplab.nn import Sigmoid, get_loss, layers
from backproplab.nn.layer import Layer, LayerContractError


class PlainDense:
    """The issue's layer: no base class, its own bind, gradients added with +=."""

    def __init__(self, n_in, n_out):
        self.n_in, self.n_out = n_in, n_out

    def param_shapes(self):
        return {"W": (self.n_in, self.n_out), "b": (1, self.n_out)}

    def bind(self, params, grads):
        self.W, self.b, self.dW, self.db = params["W"], params["b"], grads["W"], grads["b"]

    def initialize(self, rng, W, b):
        r = np.sqrt(6.0 / (self.n_in + self.n_out))  # Glorot, drawn as the built-in Dense does
        W[...] = rng.uniform(-r, r, W.shape)
        b[...] = 0.0

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_out):
        self.dW += self.x.swapaxes(-1, -2) @ grad_out
        self.db += grad_out.sum(axis=-2, keepdims=True)
        return grad_out @ self.W.swapaxes(-1, -2)


def _layer_from_the_docs():
    """The Dense that nn.layer's docstring shows, run as it is written there."""
    from backproplab.nn import layer

    doc = layer.__doc__
    code = textwrap.dedent(doc[doc.index("    class Dense(Layer):"):])
    namespace = {"Layer": Layer, "np": np}
    exec(code, namespace)
    return namespace["Dense"]


DocsDense = _layer_from_the_docs()


class PlainTanh(Layer):
    def forward(self, z):
        self.a = np.tanh(z)
        return self.a

    def backward(self, grad_out):
        return grad_out * (1.0 - self.a * self.a)


@pytest.mark.parametrize("dense", [PlainDense, DocsDense])
def test_zero_grad_forward_backward_three_times_gives_the_same_nonzero_gradients(dense):
    x, y = datasets.xor_easy()
    net = Sequential([dense(2, 4), Sigmoid(), dense(4, 1)])
    net.initialize([0])
    mse = get_loss("mse", "sigmoid")
    seen = []
    for _ in range(3):
        net.zero_grad()
        mse.forward(net.forward(x), y)
        net.backward(mse.backward())
        seen.append(net.grads.copy())
    assert np.all(seen[0] != 0)  # every W and b of both layers has a gradient
    for later in seen[1:]:
        np.testing.assert_array_equal(later, seen[0])  # zeroed each time, not accumulated


def test_without_zero_grad_gradients_accumulate():
    x, y = datasets.xor_easy()
    net = Sequential([PlainDense(2, 3), PlainTanh(), PlainDense(3, 1)])
    net.initialize([1])
    mse = get_loss("mse", "none")
    for _ in range(2):
        mse.forward(net.forward(x), y)
        net.backward(mse.backward())
    twice = net.grads.copy()
    net.zero_grad()
    assert not net.grads.any()
    mse.forward(net.forward(x), y)
    net.backward(mse.backward())
    np.testing.assert_allclose(twice, 2 * net.grads, rtol=1e-15)


@pytest.mark.parametrize("build", [
    lambda: [PlainDense(2, 4), PlainTanh(), PlainDense(4, 3), Sigmoid(), PlainDense(3, 1)],
    lambda: [layers.Dense(2, 4), PlainTanh(), DocsDense(4, 3), Sigmoid(), layers.Dense(3, 1)],
    lambda: [DocsDense(2, 5), Sigmoid(), layers.Dense(5, 1)],
], ids=["user layers", "mixed", "user below built-in"])
@pytest.mark.parametrize("k", [1, 3])
def test_gradients_of_user_layers_match_finite_differences(build, k):
    x, y = datasets.load("moons", n=30, seed=4)
    net = Sequential(build(), n_models=k)
    net.initialize(range(k))
    assert_gradients_match(net, get_loss("mse", "sigmoid"), x, y, tol=1e-6)


def test_a_stack_of_user_layers_trains_to_the_built_in_weights():
    x, y = datasets.xor_easy()
    ours = Sequential([PlainDense(2, 6), Sigmoid(), DocsDense(6, 5), Sigmoid(),
                       PlainDense(5, 1), Sigmoid()], n_models=3)
    ours.initialize([0, 1, 2])
    built_in = MLP(2, hidden=(6, 5), seed=[0, 1, 2])
    np.testing.assert_array_equal(ours.params, built_in.params)  # the same start
    mine = train(ours, x, y, loss="mse", lr=1.0, epochs=2000)
    theirs = train(built_in, x, y, loss="mse", lr=1.0, epochs=2000)
    np.testing.assert_allclose(ours.params, built_in.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mine.loss, theirs.loss, rtol=1e-12)
    assert theirs.final_loss.min() < 0.1  # one escaped the plateau: the comparison means a lot


def test_train_needs_the_loss_named_for_a_sequential():
    x, y = datasets.xor_easy()
    net = Sequential([PlainDense(2, 2), Sigmoid(), PlainDense(2, 1)])
    net.initialize([0])
    with pytest.raises(Exception, match="name the loss"):
        train(net, x, y, epochs=1)
    history = train(net, x, y, loss="bce", epochs=5, lr=0.5)  # bce: the output as logits
    assert history.loss.shape == (5, 1) and np.all(np.diff(history.loss[:, 0]) < 0)


def test_mini_batches_and_adam_work_with_user_layers():
    x, y = datasets.load("circle", n=64, seed=0)
    net = Sequential([DocsDense(2, 8), PlainTanh(), DocsDense(8, 1)], n_models=2)
    net.initialize([3, 4])
    history = train(net, x, y, loss="bce", optimizer="adam", lr=0.05, epochs=150,
                    batch_size=16)
    assert history.final_accuracy.min() > 0.9


class NoBind:
    def param_shapes(self):
        return {"W": (2, 2)}

    def initialize(self, rng, W):
        W[...] = 1.0

    def forward(self, x):
        return x

    def backward(self, grad_out):
        return grad_out


class NoInitialize(Layer):
    def param_shapes(self):
        return {"W": (2, 2)}

    def forward(self, x):
        return x @ self.W

    def backward(self, grad_out):
        return grad_out


class BadShapes(Layer):
    def param_shapes(self):
        return {"W": (2, 0)}


class NoBackward:
    def forward(self, x):
        return x


@pytest.mark.parametrize("layer, message", [
    (NoBind(), r"layer 2 \(NoBind\) declares parameters W but has no bind\(\)"),
    (NoInitialize(), r"layer 2 \(NoInitialize\) declares parameters W but does not say how"),
    (BadShapes(), r"layer 2 \(BadShapes\): param_shapes\(\) must map names to shapes"),
    (NoBackward(), r"layer 2 \(NoBackward\) has no backward\(\)"),
])
def test_a_layer_that_breaks_the_contract_is_refused_when_the_model_is_built(layer, message):
    with pytest.raises(LayerContractError, match=message):
        Sequential([layers.Dense(2, 2), layer])
