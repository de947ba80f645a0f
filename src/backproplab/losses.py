"""Losses, each a mean over samples, computed from the output unit's pre-activation z.

``forward(z, y)`` returns one loss per network, shape (k,), and keeps the output probabilities
in ``self.proba`` (for accuracy); ``backward()`` returns dL/dz, shape like z. The network itself
always ends in a Dense layer; the output nonlinearity belongs to the loss, which is what lets
BCE work on logits and never take log(0).
"""

import numpy as np

from .activations import Identity, Sigmoid, sigmoid
from .errors import BackproplabError, unknown_name

OUTPUTS = {"sigmoid": Sigmoid, "none": Identity}


def get_output(name):
    try:
        return OUTPUTS[name]()
    except KeyError:
        raise unknown_name("output", name, OUTPUTS) from None


class MSE:
    """Mean squared error, the lab's loss: L = mean over all outputs of (ŷ − y)², ŷ = out(z).

    Mean over samples (and over output units, of which the lab has one).
    Backward: dL/dŷ = 2 (ŷ − y) / (n · n_out), then dz = dL/dŷ · out′(z) through the output
    activation (sigmoid, or none for a linear output).
    """

    name = "mse"

    def __init__(self, output="sigmoid"):
        self.output = get_output(output)

    def forward(self, z, y):
        self.proba = self.output.forward(z)
        self._diff = self.proba - y
        n, n_out = z.shape[-2:]
        return np.add.reduce(self._diff * self._diff, axis=(-2, -1)) / (n * n_out)

    def backward(self):
        n, n_out = self._diff.shape[-2:]
        return self.output.backward((2.0 / (n * n_out)) * self._diff)


class BCE:
    """Binary cross-entropy from logits, mean over samples:
    L = mean(−y log σ(z) − (1 − y) log(1 − σ(z))) = mean(softplus(z) − y·z).

    The right-hand form never evaluates log(0): logaddexp(0, z) is exact for any z.
    Backward: dL/dz = (σ(z) − y) / n — the sigmoid's derivative cancels against the log's.
    """

    name = "bce"

    def __init__(self, output="sigmoid"):
        if output != "sigmoid":
            raise BackproplabError(
                "the bce loss takes the logits of a sigmoid output; use --output sigmoid, "
                "or --loss mse for a linear output"
            )

    def forward(self, z, y):
        self.proba = sigmoid(z)
        self._y = y
        n, n_out = z.shape[-2:]
        return (np.logaddexp(0.0, z) - y * z).sum(axis=(-2, -1)) / (n * n_out)

    def backward(self):
        n, n_out = self.proba.shape[-2:]
        return (self.proba - self._y) / (n * n_out)


LOSSES = {"mse": MSE, "bce": BCE}


def get_loss(name, output="sigmoid"):
    try:
        cls = LOSSES[name]
    except KeyError:
        raise unknown_name("loss", name, LOSSES) from None
    return cls(output)


def accuracy(proba, y):
    """Share of samples whose prediction (probability ≥ 0.5) equals the 0/1 label, per network.
    ``y`` may be given as booleans (label = 1), which saves a comparison per call."""
    labels = y if y.dtype == bool else y >= 0.5
    n, n_out = proba.shape[-2:]
    return np.add.reduce((proba >= 0.5) == labels, axis=(-2, -1)) / (n * n_out)
