"""Layers with parameters: each forward keeps what its backward needs.

A layer's parameters carry a leading *model* axis: ``W`` is ``(k, n_in, n_out)`` and ``b`` is
``(k, 1, n_out)`` for a stack of k networks, and NumPy's matmul broadcasting makes the same
lines serve one network (k = 1) or hundreds. The arrays themselves live in the model
container's flat buffers (see :mod:`backproplab.engine.sequential`); a layer holds views of them.

The plain textbook Dense is :class:`backproplab.nn.reference.Dense`; this one computes the same
numbers faster, and ``docs/performance.md`` tells how.
"""

import numpy as np

from . import reference
from .activations import Buffers


class Dense(Buffers):
    """Fully connected layer, z = x @ W + b.

    Shapes: x (n, n_in) or (k, n, n_in), W (k, n_in, n_out), b (k, 1, n_out), z (k, n, n_out).
    Backward: dW = xᵀ · grad_out,  db = Σₙ grad_out,  dx = grad_out · Wᵀ.

    The bias is a weight on an input that is always 1, so both are one product:
    z = [x 1] · [W; b] and [dW; db] = [x 1]ᵀ · grad_out.

    Gradients accumulate (+=) from one backward to the next; after the container's
    ``zero_grad`` (which sets ``fresh``) the next backward starts them afresh. A first layer,
    whose input is the data, skips dx (``input_grad = False``).

    The plain version: :class:`backproplab.nn.reference.Dense`, pinned to this one by
    ``tests/test_reference.py``; how this one is made fast: ``docs/performance.md``.
    """

    input_grad = True
    fresh = True  # no gradient held yet: the next backward writes dW and db

    def __init__(self, n_in, n_out, init="glorot"):
        self.n_in, self.n_out, self.init = n_in, n_out, init

    def param_shapes(self):
        return {"W": (self.n_in, self.n_out), "b": (1, self.n_out)}

    def bind(self, params, grads):
        """Take views of the container's buffers as this layer's parameters and gradients,
        and of [W; b] and [dW; db] as (k, n_in + 1, n_out) arrays (b lies right after W)."""
        self.W, self.b = params["W"], params["b"]
        self.dW, self.db = grads["W"], grads["b"]
        self.Wb, self.dWb = _with_row_below(self.W, self.b), _with_row_below(self.dW, self.db)
        self._WT = self.W.swapaxes(-1, -2)  # views made once: each costs a call per step
        # one network: its 2-D matrices, for dot (the same BLAS call as matmul's, reached sooner)
        self._one = (self.Wb[0], self.dWb[0], self._WT[0]) if self.W.shape[0] == 1 else None
        self._key = None  # the buffers' 2-D views follow these

    def initialize(self, rng, W, b):
        """Fill one model's W (n_in, n_out) and b (1, n_out) in place, drawing from ``rng``.

        Glorot (uniform): W ~ U(−r, r), r = √(6 / (n_in + n_out)).
        He (normal):      W ~ N(0, 2 / n_in).
        Biases start at zero. Draws are made in float64 so that float32 models start from the
        same numbers, rounded. The draws are the plain Dense's own, so both start alike.
        """
        reference.Dense.initialize(self, rng, W, b)

    def _make(self, k, x):
        self._key = x.shape, x.dtype  # (and k, which only bind changes: it makes them anew)
        self._x1 = np.ones((*x.shape[:-1], self.n_in + 1), self.W.dtype)  # [x 1]
        self._x = self._x1[..., :-1]  # the input, rewritten by every forward; the ones stay
        self._rows = _rows(self._x1, self.n_in)  # the same, each row one opaque item
        self._src = self._src_rows = None  # the last input, and its rows
        self._x1T = self._x1.swapaxes(-1, -2)
        n = x.shape[-2]
        self._z = np.empty((k, n, self.n_out), self.W.dtype)
        self._dx = np.empty((k, n, self.n_in), self.W.dtype)
        self._dWb = np.empty_like(self.dWb)
        self._two = None
        if self._one is not None:  # 2-D views: [x 1], [x 1]ᵀ, z, dx; grad_out's shape, dtype
            x1 = self._x1.reshape(n, self.n_in + 1)
            self._two = x1, x1.T, self._z[0], self._dx[0], (n, self.n_out), self._x1.dtype

    def forward(self, x):
        if (x.shape, x.dtype) != self._key:
            self._make(self.W.shape[0], x)
        # backward needs the input, nothing else: kept as [x 1]
        if x is not self._src:  # (the view is kept; the rows are copied on every call)
            same = x.dtype == self._x1.dtype and x.shape[-1] == self.n_in
            self._src, self._src_rows = x, _rows(x, self.n_in) if same else None
        if self._src_rows is None:
            np.copyto(self._x, x)
        else:
            self._rows[...] = self._src_rows
        if self._two is not None:  # (a.dot(b, out) is np.dot without its dispatch: cheaper)
            self._two[0].dot(self._one[0], self._two[2])
            return self._z
        return np.matmul(self._x1, self.Wb, self._z)  # z = [x 1]·[W; b] = x·W + b

    def backward(self, grad_out):
        # out passed positionally: NumPy parses it faster than out=, on every call
        two = self._two
        if two is not None and self.fresh and grad_out.ndim == 3 and grad_out.dtype is two[5]:
            g = grad_out.reshape(two[4])
            two[1].dot(g, self._one[1])  # [dW; db] = [x 1]ᵀ · grad_out
            self.fresh = False
            if not self.input_grad:
                return None
            g.dot(self._one[2], two[3])
            return self._dx
        if self.fresh:
            np.matmul(self._x1T, grad_out, self.dWb)  # [dW; db] = [x 1]ᵀ · grad_out
            self.fresh = False
        else:
            self.dWb += np.matmul(self._x1T, grad_out, self._dWb)
        if not self.input_grad:
            return None
        return np.matmul(grad_out, self._WT, self._dx)

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out})"


def _with_row_below(W, b):
    """[W; b] as one (k, n_in + 1, n_out) view, for a b that lies in memory right after W's
    last row (each network's W stored row by row, as the container stores it)."""
    k, n_in, n_out = W.shape
    steps = (W.strides[0], n_out * W.itemsize, W.itemsize)
    joined = np.lib.stride_tricks.as_strided(W, (k, n_in + 1, n_out), steps)
    row = joined[:, n_in:]
    if not (_same_view(W, joined[:, :n_in]) and _same_view(b, row)):
        raise ValueError("Dense needs b stored right after W, as the model container lays them "
                         "out")
    return joined


def _rows(a, width):
    """The first ``width`` entries of each row of a C-contiguous ``a`` (…, n, m ≥ width), each
    row as one opaque item of bytes (None if ``a`` is not C-contiguous). Copied so, rows of a
    few numbers take one pass, where NumPy copies numbers into a strided row a row at a time."""
    if not a.flags.c_contiguous:
        return None
    return np.ndarray(a.shape[:-1], np.dtype((np.void, width * a.itemsize)), a, 0,
                      a.strides[:-1])


def _same_view(a, b):
    """Whether a and b are the same numbers in the same memory (strides along axes of length 1
    don't matter)."""
    return (a.shape == b.shape and a.dtype == b.dtype
            and a.__array_interface__["data"] == b.__array_interface__["data"]
            and all(s == t for s, t, n in zip(a.strides, b.strides, a.shape) if n > 1))
