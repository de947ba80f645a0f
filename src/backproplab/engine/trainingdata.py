"""The training data as the trainer uses it: inputs and labels checked against the model, the
loss that fits them, and the mini-batches of an epoch."""

import numpy as np

from ..errors import BackproplabError, lookup
from ..nn.losses import class_labels, get_loss
from .metrics import Accuracy, multiclass_accuracy

# A bare Sequential has no output unit of its own: the loss takes its last layer's output as
# it is (mse), or as logits (bce, ce).
OUTPUT_OF_LOSS = {"mse": "none", "bce": "sigmoid", "ce": "softmax"}


def loss_for(model, loss):
    """The loss function object for ``model``: ``loss`` by name (default: ce for a softmax
    output, mse otherwise), over the model's output nonlinearity."""
    output = getattr(model, "output", None)
    if output is None:
        if loss is None:
            raise BackproplabError("name the loss (mse, bce or ce) to train a Sequential: it "
                                   "has no output unit that would imply one")
        return get_loss(loss, lookup("loss", loss, OUTPUT_OF_LOSS))
    if loss is None:
        loss = "ce" if output == "softmax" else "mse"
    return get_loss(loss, output)


class TrainingData:
    """x and y, checked: whether each has a leading model axis (one data set per network), and
    the accuracy that fits the labels; the samples' weights, if they have any.

    x: (n, *in_shape) for every network, or (k, n, *in_shape) one data set per network.
    y: 0/1 labels (n,), (n, 1) or (k, n, 1); class labels 0…K−1 (n,) or (k, n) for ce.
    sample_weight: None, or (n,) weights ≥ 0, not all 0, shared by every network; kept as
    ``w`` (n, 1), scaled to mean 1 (see :mod:`backproplab.nn.losses`).
    """

    def __init__(self, model, x, y, loss_fn, sample_weight=None):
        x, in_shape = _inputs(model, x)
        self.x_stacked = x.ndim == len(in_shape) + 2
        self.n = n = x.shape[-1 - len(in_shape)]
        if loss_fn.multiclass:
            n_classes = getattr(model, "n_out", None)
            if n_classes is None:  # a bare Sequential: as many classes as outputs
                with model.evaluating():
                    n_classes = model.forward(np.take(x, [0], axis=-1 - len(in_shape))
                                              ).shape[-1]
            y = class_labels(y, n_classes, n)
            self.y_stacked = y.ndim == 2
            self.score = multiclass_accuracy
        else:
            try:
                y = np.asarray(y, dtype=model.dtype)
            except (TypeError, ValueError):
                raise BackproplabError("the labels must be numeric") from None
            if y.ndim == 1:
                y = y[:, None]
            if y.ndim not in (2, 3) or y.shape[-2] != n:
                raise BackproplabError(
                    f"inputs of shape {x.shape} and labels of shape {y.shape} do not match: "
                    "give x as (n, features) and y as (n,) or (n, 1)"
                )
            self.y_stacked = y.ndim == 3
            self.score = Accuracy()  # accuracy(proba, labels), with kept arrays
        if self.y_stacked and y.shape[0] != model.k:
            raise BackproplabError(f"per-network data needs a leading axis of {model.k}")
        self.x, self.y = x, y
        self.w = None if sample_weight is None else _weights(sample_weight, n, model.dtype)

    def labels(self, y):
        """What the predictions are compared with: y ≥ 0.5 for 0/1 labels, classes as they are."""
        return y if self.score is multiclass_accuracy else y >= 0.5

    def of(self, active):
        """x and y of the networks ``active`` of the original stack."""
        return (self.x[active] if self.x_stacked else self.x,
                self.y[active] if self.y_stacked else self.y)

    def batches(self, x, y, batch_size, orders, shuffle=True):
        """One epoch's mini-batches (xb, yb, wb, b, share) of b samples, each network in its
        own shuffled order: its generator in ``orders`` draws a permutation of the n samples
        (``shuffle=False``: every network takes them in order, and no generator draws).

        wb is None without sample weights; with them, the batch's weights (k, b, 1) scaled to
        mean 1 in the batch (its loss is their weighted mean), and ``share`` (k,) is the
        batch's part of the n samples' total weight, which weighs its loss in the epoch's
        mean; without weights ``share`` is b."""
        n = self.n
        perm = np.stack([rng.permutation(n) if shuffle else np.arange(n)
                         for rng in orders])  # (k, n)
        rows = np.arange(len(orders))[:, None]
        for start in range(0, n, batch_size):
            idx = perm[:, start:start + batch_size]
            b, wb, share = idx.shape[1], None, idx.shape[1]
            if self.w is not None:
                wb = self.w[idx]  # (k, b, 1)
                share = wb.sum(axis=(-2, -1))
                # a batch of weights 0 only has no loss and no gradient (and no division by 0)
                wb = wb * np.divide(b, share, out=np.zeros_like(share),
                                    where=share > 0)[:, None, None]
            yield (x[rows, idx] if self.x_stacked else x[idx],  # (k, b, …): each its batch
                   y[rows, idx] if self.y_stacked else y[idx], wb, b, share)


def _weights(sample_weight, n, dtype):
    """(n, 1) weights scaled to mean 1, from (n,) weights that are finite, ≥ 0 and not all 0."""
    try:
        s = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise BackproplabError("the sample weights must be numbers") from None
    if s.shape != (n,):
        raise BackproplabError(f"give one weight per sample, shape ({n},); got {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise BackproplabError("the sample weights must be finite and >= 0")
    total = s.sum()
    if not total > 0:
        raise BackproplabError("the sample weights are all zero: at least one must be > 0")
    return (s * (n / total)).astype(dtype)[:, None]


def _inputs(model, x):
    """x as an array of the model's dtype, and the shape of one sample."""
    if hasattr(model, "check_inputs"):
        return model.check_inputs(x), model.in_shape
    try:
        x = np.asarray(x, dtype=model.dtype)
    except (TypeError, ValueError):
        raise BackproplabError("the inputs must be numeric") from None
    in_shape = getattr(model, "in_shape", None)
    if in_shape is None:  # a bare Sequential: (n, features), or (k, n, features)
        if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[0] != model.k):
            raise BackproplabError(f"give x as (n, features) or ({model.k}, n, features), got "
                                   f"shape {x.shape}; for images set the model's in_shape")
        in_shape = x.shape[-1:]
    return x, tuple(in_shape)



class HeldOut:
    """A data set the model is measured on and never trained on (a test set): its loss and
    accuracy per network, from one forward pass in evaluation mode.

    x and y as :class:`TrainingData` takes them; ``loss`` as the training's (its name, or None
    for the model's default), so the test loss is the same function as the training loss.
    Measuring changes no weight and draws no random number, so a training callback may call it
    between two epochs without changing training's numbers.
    """

    def __init__(self, model, x, y, loss=None):
        self.loss_fn = loss_for(model, loss)  # its own: the trainer's keeps its last batch
        self.data = TrainingData(model, x, y, self.loss_fn)
        self.labels = self.data.labels(self.data.y)

    def measure(self, model):
        """(loss, accuracy) of every network of ``model``, each of shape (k,)."""
        with np.errstate(all="ignore"), model.evaluating():
            L = self.loss_fn.forward(model.forward(self.data.x), self.data.y)
            return L, self.data.score(self.loss_fn.proba, self.labels)
