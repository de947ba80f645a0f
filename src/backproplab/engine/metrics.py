"""How well a classifier does: accuracy for 0/1 labels and for K classes, and the confusion
matrix."""

import numpy as np

from ..errors import BackproplabError


def accuracy(proba, y):
    """Share of samples whose prediction (probability ≥ 0.5) equals the 0/1 label, per network.
    ``y`` may be given as booleans (label = 1), which saves a comparison per call."""
    labels = y if y.dtype == bool else y >= 0.5
    n, n_out = proba.shape[-2:]
    return np.add.reduce((proba >= 0.5) == labels, axis=(-2, -1)) / (n * n_out)


class Accuracy:
    """:func:`accuracy` as the trainer measures it every epoch, for labels given as booleans:
    the same numbers (the count is summed in float64, exact for whole numbers), computed into a
    kept array with 0.5 and n · n_out ready as arrays, since on the lab's 21 samples NumPy's
    call overheads are the cost (see docs/performance.md). Labels shaped like ``proba`` save
    NumPy a broadcast on every call."""

    _key = None

    def __call__(self, proba, y):
        if y.dtype != bool:
            return accuracy(proba, y)
        if (proba.shape, y.shape, proba.dtype) != self._key:
            self._key = proba.shape, y.shape, proba.dtype
            self._hit = np.empty(np.broadcast_shapes(proba.shape, y.shape), bool)
            self._half = np.array(0.5, proba.dtype)
            self._n = float(np.prod(proba.shape[-2:]))
            self._count = np.array(self._n)
            self._one = self._hit.ndim == 3 and len(self._hit) == 1  # one network: its count
        hit = np.greater_equal(proba, self._half, self._hit)
        np.equal(hit, y, hit)
        if self._one:  # count_nonzero of a whole array is one cheap call, and so are int's
            return np.array([int(np.count_nonzero(hit)) / self._n])  # (NumPy scalars' are not)
        return np.add.reduce(hit, (-2, -1), np.float64) / self._count


def multiclass_accuracy(proba, y):
    """Share of samples whose most probable class (argmax over the last axis) is the label, per
    network: proba (k, n, K) or (n, K), y (n,) or (k, n) integers."""
    return np.mean(proba.argmax(axis=-1) == y, axis=-1)


def confusion_matrix(y_true, y_pred, n_classes):
    """(K, K) counts: entry [i, j] is the number of samples of true class i predicted as j
    (rows: true label, columns: prediction). The diagonal holds the correct ones."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise BackproplabError(f"{y_true.size} true labels but {y_pred.size} predictions")
    for a in (y_true, y_pred):
        if a.size and (a.min() < 0 or a.max() >= n_classes or np.any(a != np.round(a))):
            raise BackproplabError(f"labels for a confusion matrix of {n_classes} classes must "
                                   f"be whole numbers 0…{n_classes - 1}")
    pairs = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    return np.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
