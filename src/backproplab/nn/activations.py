"""Activation functions as layers: each forward keeps what its backward needs.

Every activation works elementwise, so it serves one network ``(n, units)`` or a stack of
networks ``(k, n, units)`` alike. ``backward(grad_out)`` returns ``grad_out ⊙ f'(z)`` (the chain
rule through an elementwise function); activations have no parameters.

``init`` names the weight initialisation that suits the layer *feeding* the activation: Glorot
for the sigmoid/tanh family (keeps the variance of z near 1 where the function is nearly
linear), He for the relu family (doubles it, since half the units are off).

Sigmoid, Tanh and ReLU have plain versions in :mod:`backproplab.nn.reference`, which
``tests/test_reference.py`` pins them to; ``docs/performance.md`` tells how they are made fast.
"""

import numpy as np

from ..errors import lookup


class Buffers:
    """Arrays a layer reuses from one step to the next, written in place.

    A layer's ``_make`` makes them, and makes them again when ``_key`` — the shapes they depend
    on — changes (a smaller last mini-batch, a stack that lost a network). What a forward
    returns is one of them: valid until the next forward. Why: ``docs/performance.md``.
    """

    _key = None

    def constants(self, dtype):
        """0, ½ and 1 as 0-d arrays of ``dtype``: the same numbers as the Python floats, with
        nothing to convert on each call (see ``docs/performance.md``)."""
        self._0, self._half, self._1 = (np.array(v, dtype) for v in (0.0, 0.5, 1.0))

GELU_C = np.sqrt(2.0 / np.pi)  # the tanh approximation's constant, √(2/π)
GELU_A = 0.044715


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), accurate to the last bit or so and overflow-free for every z.

    σ(z) = e^min(z, 0) / (1 + e^(−|z|)): for z ≥ 0 that is 1 / (1 + e^(−z)), for z < 0 it is
    e^z / (1 + e^z), and no exponential ever exceeds 1 (σ(±1e4) is exactly 1 and 0).
    """
    return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))


class Sigmoid(Buffers):
    """a = σ(z).   Backward: dz = grad_out · a(1 − a).

    The same numbers as :func:`sigmoid`, bit for bit, with one exponential: the numerator
    e^min(z, 0) is max(e^(−|z|), sign(z)), since 0 < e^(−|z|) ≤ 1.
    The plain version: :class:`backproplab.nn.reference.Sigmoid`.
    """

    name, init = "sigmoid", "glorot"

    def _make(self, z):
        self._key = z.shape, z.dtype
        self._e, self._a, self._dz = np.empty_like(z), np.empty_like(z), np.empty_like(z)
        self.constants(z.dtype)
        self._minus1 = np.array(-1.0, z.dtype)
        # NumPy's sign and copysign run a number at a time, its abs, negative and comparisons
        # in vector registers: fewer calls win on small arrays, vectorised ones on large
        self._small = z.size <= 1024  # (the two cost the same near 1,250 numbers, here)

    def forward(self, z):
        if (z.shape, z.dtype) != self._key:
            self._make(z)
        e, a = self._e, self._a
        if self._small:
            np.exp(np.copysign(z, self._minus1, e), e)  # e = e^(−|z|) ≤ 1
            np.maximum(e, np.sign(z, a), out=a)  # e^min(z, 0): 1 for z ≥ 0, e for z < 0
        else:  # the same numbers: −|z| in two calls, and [z ≥ 0] in place of sign(z)
            np.exp(np.negative(np.abs(z, e), e), e)
            np.maximum(e, np.greater_equal(z, self._0, out=a), out=a)
        np.add(e, self._1, e)
        return np.divide(a, e, a)

    def backward(self, grad_out):
        dz = np.subtract(self._1, self._a, self._dz)
        dz *= self._a
        dz *= grad_out
        return dz


class Tanh(Buffers):
    """a = tanh(z).   Backward: dz = grad_out · (1 − a²).

    The plain version: :class:`backproplab.nn.reference.Tanh`.
    """

    name, init = "tanh", "glorot"

    def _make(self, z):
        self._key = z.shape, z.dtype
        self._a, self._dz = np.empty_like(z), np.empty_like(z)
        self.constants(z.dtype)

    def forward(self, z):
        if (z.shape, z.dtype) != self._key:
            self._make(z)
        return np.tanh(z, self._a)

    def backward(self, grad_out):
        dz = np.multiply(self._a, self._a, self._dz)
        np.subtract(self._1, dz, dz)
        dz *= grad_out
        return dz


class ReLU(Buffers):
    """a = max(z, 0).   Backward: dz = grad_out · [z > 0].

    The plain version: :class:`backproplab.nn.reference.ReLU`.
    """

    name, init = "relu", "he"

    def _make(self, z):
        self._key = z.shape, z.dtype
        self._on, self._a, self._dz = np.empty(z.shape, bool), np.empty_like(z), np.empty_like(z)
        self.constants(z.dtype)

    def forward(self, z):
        if (z.shape, z.dtype) != self._key:
            self._make(z)
        np.greater(z, self._0, self._on)
        return np.maximum(z, self._0, out=self._a)

    def backward(self, grad_out):
        return np.multiply(grad_out, self._on, self._dz)


class LeakyReLU:
    """a = z for z > 0, else 0.01·z.   Backward: dz = grad_out · (1 or 0.01)."""

    name, init = "leaky_relu", "he"
    slope = 0.01

    def forward(self, z):
        self._on = z > 0
        return np.where(self._on, z, self.slope * z)

    def backward(self, grad_out):
        return grad_out * np.where(self._on, 1.0, self.slope)


class ELU:
    """a = z for z > 0, else e^z − 1 (alpha = 1).   Backward: dz = grad_out · (1 or a + 1)."""

    name, init = "elu", "he"

    def forward(self, z):
        self._on = z > 0
        # expm1 of min(z, 0): exact near 0, and never e^(large z) in the branch not taken
        self._a = np.where(self._on, z, np.expm1(np.minimum(z, 0.0)))
        return self._a

    def backward(self, grad_out):
        return grad_out * np.where(self._on, 1.0, self._a + 1.0)


class GELU:
    """GELU, tanh approximation: a = ½ z (1 + tanh(u)),  u = √(2/π) (z + 0.044715 z³).

    Backward: da/dz = ½ (1 + t) + ½ z (1 − t²) · √(2/π) (1 + 3·0.044715 z²),  t = tanh(u).
    Beyond |z| = 100, t is exactly ±1 and 1 − t² exactly 0, so z³ and z² are taken of z clipped
    there: the same numbers, without overflow for |z| up to the largest float.
    """

    name, init = "gelu", "he"

    def forward(self, z):
        self._z, self._zc = z, np.clip(z, -100.0, 100.0)
        zc = self._zc
        self._t = np.tanh(GELU_C * zc * (1.0 + GELU_A * zc * zc))
        return 0.5 * z * (1.0 + self._t)

    def backward(self, grad_out):
        zc, t = self._zc, self._t
        du_dz = GELU_C * (1.0 + 3.0 * GELU_A * zc * zc)
        return grad_out * (0.5 * (1.0 + t) + 0.5 * zc * (1.0 - t * t) * du_dz)


class Softplus(Buffers):
    """a = log(1 + e^z), computed as logaddexp(0, z).   Backward: dz = grad_out · σ(z).

    σ(z) is the fast :class:`Sigmoid`'s, the same numbers as :func:`sigmoid` bit for bit.
    """

    name, init = "softplus", "he"

    def _make(self, z):
        self._key = z.shape, z.dtype
        self._a, self._dz, self._sigmoid = np.empty_like(z), np.empty_like(z), Sigmoid()
        self.constants(z.dtype)

    def forward(self, z):
        if (z.shape, z.dtype) != self._key:
            self._make(z)
        self._z = z  # backward needs the input, nothing else
        return np.logaddexp(self._0, z, self._a)

    def backward(self, grad_out):
        return np.multiply(grad_out, self._sigmoid.forward(self._z), self._dz)


class Identity:
    """a = z ("none": no activation).   Backward: dz = grad_out."""

    name, init = "none", "glorot"

    def forward(self, z):
        return z

    def backward(self, grad_out):
        return grad_out


class Softmax:
    """a = softmax(z) over the last axis (the K classes): aᵢ = e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z).

    Subtracting max z changes nothing (it cancels) and keeps every exponential ≤ 1.
    Backward: dz = a ⊙ (grad_out − Σᵢ grad_outᵢ aᵢ), the Jacobian diag(a) − a aᵀ applied to
    grad_out. An output nonlinearity only (see :mod:`backproplab.losses`), not a hidden layer's.
    """

    name = "softmax"

    def forward(self, z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        self._a = e / e.sum(axis=-1, keepdims=True)
        return self._a

    def backward(self, grad_out):
        a = self._a
        return a * (grad_out - (grad_out * a).sum(axis=-1, keepdims=True))


ACTIVATIONS = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softplus, Identity)
}


def get_activation(name):
    """A new activation layer by name; an unknown name lists the valid ones."""
    return lookup("activation", name, ACTIVATIONS)()
