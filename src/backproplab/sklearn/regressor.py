"""BackpropRegressor: backproplab's MLP behind scikit-learn's regressor interface."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from .estimator import PARAMETERS, BackpropEstimator


class BackpropRegressor(RegressorMixin, BackpropEstimator):
    __doc__ = """A multilayer perceptron regressor trained by backproplab's engine; a drop-in
    for scikit-learn's MLPRegressor.

    A linear output unit per target (y of shape (n_samples,) or (n_samples, n_targets)),
    trained with the mean squared error over samples and targets: ``loss`` None or "mse".
    (MLPRegressor's squared_error is half of it, so alpha weighs half as much here against the
    same data; the Adam steps are the same size either way.)
    """ + PARAMETERS + """
    Attributes
    ----------
    n_features_in_, feature_names_in_, loss_curve_, validation_scores_ and
    best_validation_score_ (R², with early_stopping), best_loss_, n_iter_, t_, coefs_,
    intercepts_, n_layers_, n_outputs_, out_activation_, and ``model_``, the trained
    :class:`backproplab.MLP`.
    """

    _y_checks = {"multi_output": True, "y_numeric": True}

    def partial_fit(self, X, y, sample_weight=None):
        """One more epoch over (X, y), the optimizer's state carried on from the last call."""
        return self._partial_fit(X, y, sample_weight)

    def _targets(self, y, reset, classes=None, partial=False):
        """The engine's targets: (n, n_targets) floats."""
        t = np.asarray(y, dtype=np.float64)
        t = t[:, None] if t.ndim == 1 else t
        if not reset and t.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {t.shape[1]} targets; the network was fitted with "
                             f"{self.n_outputs_}")
        return t

    def _loss_name(self):
        if self.loss not in (None, "mse"):
            raise ValueError(f"a regressor is trained with loss='mse', got {self.loss!r}")
        return "mse"

    def _output(self):
        return "none"

    def _n_out(self, t):
        return t.shape[1]

    def _strata(self, t):
        return None  # a validation split of real numbers is not stratified

    def _score_output(self, z, t, w):
        """R² of the output z on targets t (the validation score, as MLPRegressor's)."""
        return r2_score(t, z, sample_weight=w)

    def predict(self, X):
        """(n_samples,) for one target, else (n_samples, n_targets)."""
        z = self._z(X)
        return z[:, 0] if z.shape[1] == 1 else z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
