"""BackpropClassifier: backproplab's MLP behind scikit-learn's classifier interface."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.multiclass import check_classification_targets, unique_labels

from .estimator import PARAMETERS, BackpropEstimator


class BackpropClassifier(ClassifierMixin, BackpropEstimator):
    __doc__ = """A multilayer perceptron classifier trained by backproplab's engine; a drop-in
    for scikit-learn's MLPClassifier.

    Two classes are told apart by one sigmoid output unit, K > 2 by K softmax units. The labels
    may be anything scikit-learn takes (strings, ints, booleans): ``classes_`` holds them
    sorted, and ``predict`` answers with them.

    ``loss``: None (the default) is MLPClassifier's log-loss — "bce" (binary cross-entropy on
    the sigmoid's logit) for two classes, "ce" (softmax cross-entropy) for more. "mse" on a
    sigmoid output is the lab's; "ce" with two classes trains two softmax units.
    """ + PARAMETERS + """
    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_ (for named columns), loss_curve_ (each epoch's
    mean training loss), validation_scores_ and best_validation_score_ (early_stopping),
    best_loss_, n_iter_ (epochs), t_ (samples seen), coefs_ and intercepts_ (as MLPClassifier
    lays them out), n_layers_, n_outputs_, out_activation_, and ``model_``: the trained
    :class:`backproplab.MLP` itself.
    """

    _y_checks = {}  # one label per sample (a column vector is raveled, with a warning)

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One more epoch over (X, y), the optimizer's state carried on from the last call.
        ``classes`` (every label there will be) is required on the first call."""
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._partial_fit(X, y, sample_weight, classes)

    def _targets(self, y, reset, classes=None, partial=False):
        """The engine's targets: 0/1 as (n, 1) floats for a sigmoid output, class numbers
        0…K−1 (n,) for softmax."""
        check_classification_targets(y)
        found = unique_labels(y)
        if reset:
            self.classes_ = unique_labels(classes) if classes is not None else found
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes "
                                 f"to learn from; y has 1 class: {self.classes_[0]!r}")
        else:
            if classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(f"classes {classes!r} differ from the first call's: "
                                 f"{self.classes_}")
            if not partial and not np.array_equal(found, self.classes_):  # a warm start
                raise ValueError("warm_start can only be used where `y` has the same classes "
                                 f"as in the previous call to fit. Previously got "
                                 f"{self.classes_}, `y` has {found}")
            unknown = np.setdiff1d(found, self.classes_)
            if len(unknown):
                raise ValueError(f"`y` has classes not in `self.classes_`: {unknown}; "
                                 f"`self.classes_` has {self.classes_}")
        codes = np.searchsorted(self.classes_, y)
        if self._output() == "sigmoid":
            return codes[:, None].astype(np.float64)
        return codes

    # the network's shape and loss, from the classes
    def _loss_name(self):
        return self.loss if self.loss is not None else (
            "bce" if len(self.classes_) == 2 else "ce")

    def _output(self):
        loss, n_classes = self._loss_name(), len(self.classes_)
        if loss in ("bce", "mse") and n_classes > 2:
            raise ValueError(f"loss={loss!r} trains one sigmoid unit, for two classes; y has "
                             f"{n_classes}: use loss='ce' (the default)")
        return "softmax" if loss == "ce" else "sigmoid"

    def _n_out(self, t):
        return 1 if t.ndim == 2 else len(self.classes_)

    def _strata(self, t):
        return self._codes(t)

    @staticmethod
    def _codes(t):
        return t[:, 0].astype(np.int64) if t.ndim == 2 else t

    def _decide(self, z):
        """Class numbers from the output z (n, n_out): z > 0 for one sigmoid unit (σ(z) > ½),
        the largest z for softmax units."""
        return (z[:, 0] > 0).astype(np.int64) if z.shape[1] == 1 else z.argmax(axis=1)

    def _score_output(self, z, t, w):
        """Accuracy of the output z on targets t (the validation score, as MLPClassifier's)."""
        return accuracy_score(self._codes(t), self._decide(z), sample_weight=w)

    # -- prediction ---------------------------------------------------------------------------

    def decision_function(self, X):
        """The logits: (n_samples,) for two classes with one sigmoid unit (> 0 means
        ``classes_[1]``), else (n_samples, n_classes)."""
        z = self._z(X)
        return z[:, 0] if z.shape[1] == 1 else z

    def predict(self, X):
        """The most probable class of each sample, one of ``classes_``."""
        z = self._z(X)
        return self.classes_[self._decide(z)]

    def predict_proba(self, X):
        """(n_samples, n_classes) probabilities, columns in the order of ``classes_``."""
        X = self._X(X)
        proba = self.model_.predict_proba(X)  # the network's own output unit
        return np.hstack([1.0 - proba, proba]) if proba.shape[1] == 1 else proba

    def predict_log_proba(self, X):
        """log predict_proba, computed stably from the logits: log σ(z) = −log(1 + e^−z)
        and the max-shifted log-softmax, never log(0)."""
        z = self._z(X)
        if z.shape[1] == 1:
            return -np.hstack([np.logaddexp(0.0, z), np.logaddexp(0.0, -z)])
        shifted = z - z.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
