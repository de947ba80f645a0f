"""Backpropagation as the textbook writes it: the plain version of every fast layer.

Read this module first. Each layer's forward keeps what its backward needs, and each backward
is the chain rule in a line or three: the gradient arriving from above (``grad_out``) times
the local derivative. The layers the package trains with (:mod:`.layers`, :mod:`.activations`,
:mod:`.losses`, :mod:`.optimizers`) compute the same numbers faster; ``tests/test_reference.py``
pins them to these, and ``docs/performance.md`` tells what each speed-up is.

Every array may carry a leading *model* axis k, a stack of k networks trained at once:
x (k, n, n_in) or (n, n_in), W (k, n_in, n_out), b (k, 1, n_out). Matmul broadcasting makes the
same lines serve one network or a stack, so sums over samples are taken over ``axis=-2`` and
transposes are ``swapaxes(-1, -2)``.
"""

import numpy as np

from .layer import Layer


class Dense(Layer):
    """Fully connected layer, z = x @ W + b.

    Shapes: x (..., n, n_in), W (k, n_in, n_out), b (k, 1, n_out), z (k, n, n_out).
    Backward: dW = xᵀ · grad_out,  db = Σₙ grad_out,  dx = grad_out · Wᵀ.

    Gradients accumulate (+=), so a backward adds to what the last one left; the model
    container's ``zero_grad()`` sets them back to 0.
    """

    def __init__(self, n_in, n_out, init="glorot"):
        self.n_in, self.n_out, self.init = n_in, n_out, init

    def param_shapes(self):
        """The shape of one network's arrays; the container adds the model axis."""
        return {"W": (self.n_in, self.n_out), "b": (1, self.n_out)}

    def initialize(self, rng, W, b):
        """Fill one network's W (n_in, n_out) and b (1, n_out) in place, drawing from ``rng``.

        Glorot (uniform): W ~ U(−r, r), r = √(6 / (n_in + n_out)).
        He (normal):      W ~ N(0, 2 / n_in).
        Biases start at zero. The same draws as the fast Dense: both start from these numbers.
        """
        shape = (self.n_in, self.n_out)
        if self.init == "he":
            W[...] = rng.normal(0.0, np.sqrt(2.0 / self.n_in), shape)
        else:
            r = np.sqrt(6.0 / (self.n_in + self.n_out))
            W[...] = rng.uniform(-r, r, shape)
        b[...] = 0.0

    def forward(self, x):
        self._x = x  # backward needs the input, nothing else
        return x @ self.W + self.b

    def backward(self, grad_out):
        self.dW += self._x.swapaxes(-1, -2) @ grad_out
        self.db += grad_out.sum(axis=-2, keepdims=True)
        return grad_out @ self.W.swapaxes(-1, -2)


class Sigmoid:
    """a = σ(z) = 1 / (1 + e^(−z)).   Backward: dz = grad_out · a(1 − a).

    Written so that no exponential overflows: with e = e^(−|z|) ≤ 1, σ(z) is 1 / (1 + e) for
    z ≥ 0 and e / (1 + e) for z < 0 (1 / (1 + e^(−z)) with top and bottom multiplied by e^z).
    """

    def forward(self, z):
        e = np.exp(-np.abs(z))
        self._a = np.where(z >= 0, 1, e) / (1 + e)  # backward needs the output, nothing else
        return self._a

    def backward(self, grad_out):
        return grad_out * self._a * (1 - self._a)


class Tanh:
    """a = tanh(z).   Backward: dz = grad_out · (1 − a²)."""

    def forward(self, z):
        self._a = np.tanh(z)
        return self._a

    def backward(self, grad_out):
        return grad_out * (1 - self._a**2)


class ReLU:
    """a = max(z, 0).   Backward: dz = grad_out · [z > 0]."""

    def forward(self, z):
        self._on = z > 0  # which units let the gradient through
        return np.maximum(z, 0)

    def backward(self, grad_out):
        return grad_out * self._on


class MSE:
    """Mean squared error, a mean over samples (and output units): L = mean (ŷ − y)².

    Shapes: ŷ (k, n, n_out), y (n, n_out) or (k, n, n_out), L (k,): one loss per network.
    Backward: dL/dŷ = 2 (ŷ − y) / (n · n_out).

    It takes the network's output ŷ itself; a network with a sigmoid output ends in its own
    Sigmoid layer, whose backward then carries dL/dŷ down to dL/dz.
    """

    def forward(self, yhat, y):
        self._diff = yhat - y  # backward needs the error, nothing else
        return (self._diff**2).mean(axis=(-2, -1))

    def backward(self):
        n, n_out = self._diff.shape[-2:]
        return 2 * self._diff / (n * n_out)


class GD:
    """Plain gradient descent: p ← p − lr · g, for every (parameter, gradient) pair."""

    def __init__(self, params, grads, lr):
        self.params, self.grads, self.lr = list(params), list(grads), lr

    def step(self):
        for p, g in zip(self.params, self.grads):
            p -= self.lr * g  # in place: the layers hold these very arrays
