"""Losses, each a mean over samples, computed from the output units' pre-activation z; and
the accuracy and confusion matrix of a classifier.

``forward(z, y)`` returns one loss per network, shape (k,), and keeps the output probabilities
in ``self.proba`` (for accuracy); ``backward()`` returns dL/dz, shape like z. The network itself
always ends in a Dense layer; the output nonlinearity belongs to the loss, which is what lets
BCE and softmax cross-entropy work on logits and never take log(0).

Labels: MSE and BCE take 0/1 labels as floats, (n, 1) or (k, n, 1); the cross-entropy takes
class labels 0…K−1 as integers, (n,) or (k, n) (see :func:`class_labels`).

Sample weights: ``forward(z, y, w)`` with w of shape (n, 1) or (k, n, 1), scaled to mean 1
over the n samples (w = n·s / Σs for a user's weights s), gives the weighted mean
L = Σ sᵢ lᵢ / Σ sᵢ, and ``backward`` then scales each sample's dz by its wᵢ — so weights of
2 are the sample given twice. Without w every number is the unweighted one, unchanged.
"""

import numpy as np

from ..errors import BackproplabError, lookup
from .activations import Buffers, Identity, Sigmoid, Softmax, sigmoid

OUTPUTS = {"sigmoid": Sigmoid, "none": Identity, "softmax": Softmax}


def get_output(name):
    return lookup("output", name, OUTPUTS)()


class MSE(Buffers):
    """Mean squared error, the lab's loss: L = mean over all outputs of (ŷ − y)², ŷ = out(z).

    Mean over samples (and over output units, of which the lab has one).
    Backward: dL/dŷ = 2 (ŷ − y) / (n · n_out), then dz = dL/dŷ · out′(z) through the output
    activation (sigmoid, or none for a linear output).
    """

    name = "mse"
    multiclass = False

    def __init__(self, output="sigmoid"):
        if output == "softmax":
            raise BackproplabError("a softmax output is trained with the ce loss (softmax "
                                   "cross-entropy); use --loss ce")
        self.output = get_output(output)

    def _make(self, proba, y):
        self._key = proba.shape, y.shape, proba.dtype, y.dtype
        shape, dtype = np.broadcast_shapes(proba.shape, y.shape), np.result_type(proba, y)
        self._diff, self._squares = np.empty(shape, dtype), np.empty(shape, dtype)
        self._grad = np.empty(shape, dtype)
        n, n_out = proba.shape[-2:]
        # n · n_out and 2 / (n · n_out) in the arrays' dtype, as NumPy takes the Python numbers
        self._count = np.array(n * n_out, dtype)
        self._slope = np.array(2.0 / (n * n_out)).astype(dtype)

    def forward(self, z, y, w=None):
        proba = self.proba = self.output.forward(z)
        if (proba.shape, y.shape, proba.dtype, y.dtype) != self._key:
            self._make(proba, y)
        diff = np.subtract(proba, y, self._diff)
        self._w = w
        squares = np.multiply(diff, diff, self._squares)
        if w is not None:
            squares *= w  # each sample's squared errors counted wᵢ times
        return np.add.reduce(squares, axis=(-2, -1)) / self._count

    def backward(self):
        grad = np.multiply(self._slope, self._diff, self._grad)  # 2 (ŷ − y) / (n · n_out)
        if self._w is not None:
            grad *= self._w
        return self.output.backward(grad)


class BCE:
    """Binary cross-entropy from logits, mean over samples:
    L = mean(−y log σ(z) − (1 − y) log(1 − σ(z))) = mean(softplus(z) − y·z).

    The right-hand form never evaluates log(0): logaddexp(0, z) is exact for any z.
    Backward: dL/dz = (σ(z) − y) / n — the sigmoid's derivative cancels against the log's.
    """

    name = "bce"
    multiclass = False

    def __init__(self, output="sigmoid"):
        if output != "sigmoid":
            raise BackproplabError(
                "the bce loss takes the logits of a sigmoid output; use --output sigmoid, "
                "or --loss mse for a linear output"
            )

    def forward(self, z, y, w=None):
        self.proba = sigmoid(z)
        self._y, self._w = y, w
        n, n_out = z.shape[-2:]
        losses = np.logaddexp(0.0, z) - y * z
        if w is not None:
            losses *= w
        return losses.sum(axis=(-2, -1)) / (n * n_out)

    def backward(self):
        n, n_out = self.proba.shape[-2:]
        grad = (self.proba - self._y) / (n * n_out)
        if self._w is not None:
            grad *= self._w
        return grad


class CrossEntropy:
    """Softmax cross-entropy from logits, mean over samples, for labels y ∈ {0, …, K−1}:
    L = mean over n of −log softmax(z)[y] = mean(logsumexp(z) − z_y).

    logsumexp(z) = m + log Σⱼ e^(zⱼ − m) with m = max z: no exponential exceeds 1 and the sum
    is at least 1, so the log is never of 0 (log-softmax, max-shifted).
    Backward: dL/dz = (softmax(z) − onehot(y)) / n — the softmax's Jacobian cancels against
    the log's, as the sigmoid's does in BCE.
    """

    name = "ce"
    multiclass = True

    def __init__(self, output="softmax"):
        if output != "softmax":
            raise BackproplabError("the ce loss takes the logits of a softmax output; use "
                                   "--output softmax (with one output unit per class)")

    def forward(self, z, y, w=None):
        """z (k, n, K) logits; y (n,) or (k, n) integer labels; w None, (n, 1) or (k, n, 1)
        weights of mean 1. Returns the loss per network."""
        K = z.shape[-1]
        self._onehot = np.eye(K, dtype=z.dtype)[y]  # (n, K) or (k, n, K)
        shifted = z - z.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=-1, keepdims=True)
        self.proba = e / total
        log_proba_y = (shifted * self._onehot).sum(axis=-1) - np.log(total[..., 0])
        self._w = w
        if w is not None:
            log_proba_y *= w[..., 0]
        return -log_proba_y.mean(axis=-1)

    def backward(self):
        n = self.proba.shape[-2]
        grad = (self.proba - self._onehot) / n
        if self._w is not None:
            grad *= self._w
        return grad


LOSSES = {"mse": MSE, "bce": BCE, "ce": CrossEntropy}


def get_loss(name, output="sigmoid"):
    return lookup("loss", name, LOSSES)(output)


def class_labels(y, n_classes, n=None):
    """Class labels as an int64 array, checked: whole numbers 0…K−1 (floats such as 3.0 are
    accepted), given as (n,) for every network or (k, n); (n, 1) is taken as (n,). ``n``, when
    given, is the number of samples they must label."""
    try:
        a = np.asarray(y)
        values = a.astype(np.float64)
    except (TypeError, ValueError):
        raise BackproplabError("the labels must be class numbers 0, 1, …") from None
    if a.ndim == 2 and a.shape[1] == 1 and (n is None or a.shape[0] == n):
        a, values = a[:, 0], values[:, 0]
    if a.ndim not in (1, 2) or (n is not None and a.shape[-1] != n):
        raise BackproplabError(
            f"labels of shape {a.shape} do not fit {n if n is not None else 'the'} samples: "
            "give one class number per sample, (n,)"
        )
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise BackproplabError("the labels must be whole class numbers 0, 1, …, K−1; found "
                               f"{values[values != np.round(values)].ravel()[:3].tolist()}")
    if values.size and (values.min() < 0 or values.max() >= n_classes):
        raise BackproplabError(
            f"the network has {n_classes} classes, so labels must be 0…{n_classes - 1}; found "
            f"labels from {int(values.min())} to {int(values.max())}"
        )
    return values.astype(np.int64)
