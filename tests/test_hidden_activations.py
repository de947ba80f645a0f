"""MLP.hidden_activations: each hidden layer's a = f(x W + b), checked against the forward pass
written out with the network's own weights."""

import numpy as np
import pytest

from backproplab import MLP
from backproplab.nn.activations import sigmoid


def by_hand(net, x, m):
    """Network m's hidden activations and output z, layer by layer from its weights."""
    arrays = dict(net.param_arrays(m))
    f = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}
    a, out = x, []
    for i, name in enumerate(net.activation, start=1):
        a = f[name](a @ arrays[f"W{i}"] + arrays[f"b{i}"])
        out.append(a)
    last = len(net.activation) + 1
    return out, a @ arrays[f"W{last}"] + arrays[f"b{last}"]


def test_each_network_of_a_stack_against_its_weights():
    x = np.random.default_rng(5).normal(size=(7, 2))
    net = MLP(2, hidden=(3, 4, 2), activation=["tanh", "relu", "sigmoid"], seed=[1, 2, 3])
    net.params += np.random.default_rng(0).normal(0, 0.5, net.params.shape)  # biases ≠ 0 too
    stacked = net.hidden_activations(x)
    assert [a.shape for a in stacked] == [(3, 7, 3), (3, 7, 4), (3, 7, 2)]
    for m in range(3):
        expected, z = by_hand(net, x, m)
        got = net.hidden_activations(x, m=m)
        assert [a.shape for a in got] == [(7, 3), (7, 4), (7, 2)]
        for a, e, s in zip(got, expected, stacked):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-15)
            np.testing.assert_array_equal(a, s[m])  # one network alone = its row of the stack
        # the last hidden layer is what the output unit reads
        np.testing.assert_allclose(net.decision_function(x)[m], z, rtol=1e-12, atol=1e-15)
    # network 0 and network 2 really differ, so picking m matters
    assert not np.allclose(stacked[0][0], stacked[0][2])


def test_one_network_and_the_lab_sigmoid_layers():
    net = MLP(2, hidden=(4, 4), seed=0)
    x = np.array([[0.0, 0.0], [1.0, 0.5], [-2.0, 3.0]])
    W1, b1, W2, b2 = (a for _, a in net.param_arrays(0)[:4])
    h1, h2 = net.hidden_activations(x)
    np.testing.assert_allclose(h1, 1 / (1 + np.exp(-(x @ W1 + b1))), rtol=1e-12)
    np.testing.assert_allclose(h2, 1 / (1 + np.exp(-(h1 @ W2 + b2))), rtol=1e-12)
    np.testing.assert_array_equal(h1[0], 0.5)  # biases start at 0: σ(0) at the origin
    assert [a.shape for a in net.hidden_activations(x, m=0)] == [(3, 4), (3, 4)]


def test_the_arrays_are_copies_not_the_layers_buffers():
    net = MLP(2, hidden=(3,), activation="relu", seed=[0, 1])
    x = np.random.default_rng(1).normal(size=(5, 2))
    first = net.hidden_activations(x)
    kept = [a.copy() for a in first]
    net.hidden_activations(-x)
    net.forward(2 * x)
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)


def test_a_network_outside_the_stack():
    net = MLP(2, hidden=(3,), seed=[0, 1])
    with pytest.raises(IndexError, match="network 2 of a stack of 2"):
        net.hidden_activations(np.zeros((1, 2)), m=2)
    with pytest.raises(IndexError):
        MLP(2, hidden=(3,), seed=0).hidden_activations(np.zeros((1, 2)), m=1)
