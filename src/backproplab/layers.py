"""Layers with parameters: each forward keeps what its backward needs.

A layer's parameters carry a leading *model* axis: ``W`` is ``(k, n_in, n_out)`` and ``b`` is
``(k, 1, n_out)`` for a stack of k networks, and NumPy's matmul broadcasting makes the same
lines serve one network (k = 1) or hundreds. The arrays themselves live in the model
container's flat buffers (see :mod:`backproplab.model`); a layer holds views of them.
"""

import numpy as np

from .activations import Buffers


class Dense(Buffers):
    """Fully connected layer, z = x @ W + b.

    Shapes: x (n, n_in) or (k, n, n_in), W (k, n_in, n_out), b (k, 1, n_out), z (k, n, n_out).
    Backward: dW = xᵀ · grad_out,  db = Σₙ grad_out = 1ᵀ · grad_out,  dx = grad_out · Wᵀ.
    Gradients accumulate (+=) from one backward to the next; after the container's
    ``zero_grad`` (``fresh``) the next backward writes them instead, as PyTorch does after
    ``zero_grad(set_to_none=True)``: the same numbers, one pass over dW fewer. A first layer,
    whose input is the data, skips dx (``input_grad = False``).
    """

    input_grad = True
    fresh = True  # no gradient held yet: the next backward writes dW and db

    def __init__(self, n_in, n_out, init="glorot"):
        self.n_in, self.n_out, self.init = n_in, n_out, init

    def param_shapes(self):
        return {"W": (self.n_in, self.n_out), "b": (1, self.n_out)}

    def bind(self, params, grads):
        """Take views of the container's buffers as this layer's parameters and gradients."""
        self.W, self.b = params["W"], params["b"]
        self.dW, self.db = grads["W"], grads["b"]

    def initialize(self, rng, W, b):
        """Fill one model's W (n_in, n_out) and b (1, n_out) in place, drawing from ``rng``.

        Glorot (uniform): W ~ U(−r, r), r = √(6 / (n_in + n_out)).
        He (normal):      W ~ N(0, 2 / n_in).
        Biases start at zero. Draws are made in float64 so that float32 models start from the
        same numbers, rounded.
        """
        shape = (self.n_in, self.n_out)
        if self.init == "he":
            W[...] = rng.normal(0.0, np.sqrt(2.0 / self.n_in), shape)
        else:
            r = np.sqrt(6.0 / (self.n_in + self.n_out))
            W[...] = rng.uniform(-r, r, shape)
        b[...] = 0.0

    def _make(self, k, n, dtype):
        self._key = k, n, dtype
        self._z = np.empty((k, n, self.n_out), self.W.dtype)
        self._dx = np.empty((k, n, self.n_in), self.W.dtype)
        self._dW = np.empty_like(self.dW)
        self._ones = np.ones((1, n), self.W.dtype)  # for db = 1ᵀ · grad_out

    def forward(self, x):
        self._x = x  # backward needs the input, nothing else
        k, n = self.W.shape[0], x.shape[-2]
        if (k, n, x.dtype) != self._key:
            self._make(k, n, x.dtype)
        z = np.matmul(x, self.W, self._z)  # out passed positionally: NumPy parses it faster
        np.add(z, self.b, z)
        return z

    def backward(self, grad_out):
        # Σₙ grad_out is taken as the matmul 1ᵀ · grad_out: BLAS sums a (k, n, n_out) stack
        # several times faster than .sum(axis=-2) does.
        xT, ones = self._x.swapaxes(-1, -2), self._ones
        if self.fresh:
            np.matmul(xT, grad_out, self.dW)
            np.matmul(ones, grad_out, self.db)
            self.fresh = False
        else:
            self.dW += np.matmul(xT, grad_out, self._dW)
            self.db += ones @ grad_out
        if not self.input_grad:
            return None
        return np.matmul(grad_out, self.W.swapaxes(-1, -2), self._dx)

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out})"
