"""What the two estimators share: scikit-learn's parameters, ``fit``, ``partial_fit`` and
``warm_start`` driving the engine's one Trainer, and the fitted network's weights laid out as
scikit-learn lays out MLPClassifier's."""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..models.mlp import MLP
from .params import check_params, network_params, seed_of, user_errors
from .training import new_model, train_networks, train_on

PARAMETERS = """
    Parameters (scikit-learn's names where the meaning is MLPClassifier's)
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Units of each hidden layer.
    activation : str or list of str, default="relu"
        The hidden layers' activation, one name or one per layer: relu, tanh, sigmoid (or
        scikit-learn's "logistic"), leaky_relu, elu, gelu, softplus, none ("identity").
    solver : str, default="adam"
        The optimizer, with PyTorch's update rules: gd, momentum, nesterov, adagrad, rmsprop,
        adam, adamw. (scikit-learn's "sgd" is momentum or nesterov here; there is no lbfgs.)
    alpha : float, default=1e-4
        L2 penalty, as MLPClassifier's: (alpha / 2b) Σ‖p‖² on a batch of b samples, given to the
        optimizer as weight_decay = alpha / b. Unlike MLPClassifier's it covers the biases too
        (as PyTorch's weight_decay does); for adamw it is the decoupled decay.
    batch_size : int, "auto" or None, default="auto"
        Samples per mini-batch; "auto" is min(200, n_samples), None the full batch.
    learning_rate : str or Schedule, default="constant"
        A schedule: "constant", "cosine", or a :mod:`backproplab.nn.schedules` object (Step,
        Exponential, Cosine with settings). Stepped once per epoch.
    learning_rate_init : float, default=0.001
    max_iter : int, default=200
        Epochs, at most.
    shuffle : bool, default=True
        Shuffle the samples every epoch (from the network's seed).
    random_state : None, int or RandomState, default=None
        The network's seed: its initial weights, its batch order, the validation split.
    tol : float, default=1e-4;  n_iter_no_change : int, default=10
        Training stops once the loss has not fallen by tol (or, with early_stopping, the
        validation score has not risen by tol) for more than n_iter_no_change epochs in a row.
    verbose : bool, default=False
        Print each epoch's loss.
    warm_start : bool, default=False
        fit goes on from the last fit's weights, with a new optimizer (as MLPClassifier's).
    momentum : float, default=0.9
        For the momentum, nesterov and rmsprop solvers.
    early_stopping : bool, default=False;  validation_fraction : float, default=0.1
        Hold out validation_fraction of the samples, stop by their score and keep the weights
        that scored best.
    beta_1, beta_2 : float, default=0.9, 0.999;  epsilon : float, default=1e-8
        Adam's and AdamW's betas; epsilon for adam, adamw, rmsprop and adagrad.
    loss : str or None, default=None
        backproplab's: see the class's own notes.
    l1 : float, default=0.0
        backproplab's L1 penalty l1 · Σ|p|, through the optimizer.
    dtype : "float64" or "float32", default="float64"
        The network's numbers (MLPClassifier follows the input's dtype).

    Every default is MLPClassifier's and means the same — including max_iter=200: the engine
    is fast enough that scikit-learn's own check_estimator runs over these defaults in about a
    second. What differs, and why: the initial weights are backproplab's (He's for the relu
    family, Glorot's for the others: the engine's one initialisation, the lab's and the
    command line's too); alpha also covers the biases, since the optimizer's weight decay is
    PyTorch's and applies to every parameter; loss_curve_ is the data's loss without alpha's
    penalty, since the penalty acts through the optimizer and the engine records the data's
    loss; dtype is a parameter (float64), where MLPClassifier follows the input's.
"""


class BackpropEstimator(BaseEstimator):
    """The base of BackpropClassifier and BackpropRegressor (see theirs)."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, max_iter=200, shuffle=True, random_state=None,
                 tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, loss=None, l1=0.0, dtype="float64"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.loss = loss
        self.l1 = l1
        self.dtype = dtype

    # -- training -----------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and y; ``sample_weight`` (n_samples,) makes the
        loss the weighted mean Σ sᵢ lᵢ / Σ sᵢ. Returns self."""
        warm = self.warm_start and hasattr(self, "model_")
        X, t, w = self._data(X, y, sample_weight, reset=not warm)
        # a warm start trains on from the last weights, with a new optimizer (MLPClassifier's)
        best_loss = [self.best_loss_] if warm and self.best_loss_ is not None else None
        with user_errors():
            run = train_networks(self, X, t, w, [network_params(self)],
                                 model=self.model_ if warm else None, best_loss=best_loss)
        if run.failed[0]:
            raise ValueError(f"training {run.failed[0]}")
        self._adopt(run, 0, warm)
        return self

    def _partial_fit(self, X, y, sample_weight, classes=None):
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "model_")
        X, t, w = self._data(X, y, sample_weight, reset=first, classes=classes, partial=True)
        with user_errors():
            if first:
                model = new_model(self, X.shape[1], self._n_out(t), [seed_of(self.random_state)])
                self.loss_curve_, self.n_iter_, self.t_, self.best_loss_ = [], 0, 0, np.inf
                self.validation_scores_ = self.best_validation_score_ = None
                self._state = None
            loss, self._state = train_on(self, model if first else self.model_, X, t, w,
                                         self._state)
        if first:
            self._set_model(model)
        self.loss_curve_.append(loss)
        self.best_loss_ = min(self.best_loss_, loss)
        self.n_iter_ += 1
        self.t_ += len(X)
        return self

    def _fit_stack(self, X, y, sample_weight, networks):
        """StackedSearch's fit: one network per dict of ``networks`` (their PER_NETWORK
        parameters), all in one stack; returns the :class:`~.training.Run`."""
        X, t, w = self._data(X, y, sample_weight, reset=True)
        with user_errors():
            return train_networks(self, X, t, w, networks)

    def _adopt_member(self, template, run, m):
        """Become network m of the stack that ``template`` trained (with its classes and its
        features' names)."""
        for name in ("classes_", "n_features_in_", "feature_names_in_"):
            if hasattr(template, name):
                setattr(self, name, getattr(template, name))
        self._adopt(run, m)

    def _data(self, X, y, sample_weight, reset, classes=None, partial=False):
        """X, the engine's targets and the weights (or None), validated by scikit-learn's
        helpers; the parameters checked too."""
        check_params(self)
        X, y = validate_data(self, X, y, reset=reset, dtype=np.dtype(self.dtype),
                             **self._y_checks)
        w = None if sample_weight is None else _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        return X, self._targets(y, reset, classes, partial), w

    def _adopt(self, run, m, warm=False):
        """Take network m of a :class:`~.training.Run` as this estimator's fitted network."""
        mon = run.monitor
        model = run.model
        if model.k > 1:
            model = model.select([m])
            model.seeds = [run.seeds[m]]
        self._set_model(model)
        self.loss_curve_ = (self.loss_curve_ if warm else []) + mon.curve(m)
        self.n_iter_ = int(mon.n_iter[m])
        self.t_ = self.n_iter_ * run.n_train
        self._state = run.state
        if self.early_stopping:
            self.validation_scores_ = mon.validation_scores(m)
            self.best_validation_score_ = float(mon.best_score[m])
            self.best_loss_ = None
        else:
            self.validation_scores_ = self.best_validation_score_ = None
            self.best_loss_ = float(mon.best_loss[m])

    def _set_model(self, model):
        self.model_ = model
        self.n_layers_ = len(model.hidden) + 2
        self.n_outputs_ = model.n_out
        self.out_activation_ = {"sigmoid": "logistic", "softmax": "softmax",
                                "none": "identity"}[model.output]

    # -- pickling: the network as its configuration and weights --------------------------------

    def __getstate__(self):
        """The fitted network travels as its configuration and weights (as a model file keeps
        it), without the buffers its layers reuse; unpickled, it is built anew, so its arrays
        are its own and writable even when the pickle was read from a read-only memory map."""
        state = dict(super().__getstate__())  # a copy: it may be our own __dict__
        if "model_" in state:
            state["model_"] = (state["model_"].config(), np.array(state["model_"].params))
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), tuple):
            config, params = state["model_"]
            model = MLP.from_config(config)
            model.params[...] = params
            state = {**state, "model_": model}
        super().__setstate__(state)

    # -- the fitted network -------------------------------------------------------------------

    @property
    def coefs_(self):
        """The weight matrices, coefs_[i] of shape (units of layer i, units of layer i + 1),
        as MLPClassifier's; views of the network's own parameters."""
        check_is_fitted(self, "model_")
        return [a for name, a in self.model_.param_arrays(0) if name.startswith("W")]

    @property
    def intercepts_(self):
        """The bias vectors, intercepts_[i] of shape (units of layer i + 1,); views."""
        check_is_fitted(self, "model_")
        return [a for name, a in self.model_.param_arrays(0) if name.startswith("b")]

    def _X(self, X):
        """X to predict from, checked against the fit's features."""
        check_is_fitted(self, "model_")
        return validate_data(self, X, reset=False, dtype=np.dtype(self.dtype))

    def _z(self, X):
        """The output units' pre-activation z for X: (n_samples, n_outputs)."""
        X = self._X(X)
        return self.model_.decision_function(X)
