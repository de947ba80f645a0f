"""Training for the estimators: k networks at once — one for ``fit``, a stack for
:class:`~backproplab.sklearn.StackedSearch` — by the engine's one Trainer, each network with
its own seed and hyper-parameters, stopped as :mod:`.stopping` says.

Everything a network's numbers depend on is its own (its seed: initial weights and batch
order; its column of every hyper-parameter) or shared by the stack (the data, the validation
split, the architecture), so a network trained in a stack is bit for bit the one trained alone.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ..engine.trainer import Trainer
from ..models.mlp import MLP
from .params import activations, hidden_sizes, network_params, seed_of, trainer_settings
from .stopping import Monitor


@dataclass
class Run:
    """What training k networks left: the model (a stack of k), each network's seed, the
    monitor (loss curves, scores, epochs), the samples trained on, the trainer's state (to go
    on) and, per network, why it failed (divergence), or None."""

    model: MLP
    seeds: list
    monitor: Monitor
    n_train: int
    state: tuple = None
    failed: list = field(default_factory=list)


def new_model(est, n_features, n_out, seeds):
    """The estimator's MLP for ``n_features`` inputs and ``n_out`` output units, one network
    per seed; its output unit is the estimator's (``est._output()``)."""
    hidden = hidden_sizes(est.hidden_layer_sizes)
    return MLP(n_features, hidden=hidden, activation=activations(est.activation, len(hidden)),
               output=est._output(), n_out=n_out, seed=seeds, dtype=est.dtype)


def validation_split(est, X, t, w, seed):
    """(X, t, w) to train on and (X, t, w) to score: ``validation_fraction`` of the samples
    held out, stratified by class for a classifier, drawn from the network's seed."""
    parts = train_test_split(X, t, *([] if w is None else [w]), random_state=seed,
                             test_size=est.validation_fraction, stratify=est._strata(t))
    train, val = list(parts[0::2]), list(parts[1::2])
    if w is None:
        train.append(None)
        val.append(None)
    if len(val[0]) < 2:
        raise ValueError("The validation set is too small. Increase 'validation_fraction' or "
                         "the size of your dataset.")
    return tuple(train), tuple(val)


def scorer(est, X, t, w):
    """validation(work): the score of every network of a working stack on (X, t, w)."""
    def validation(work):
        with work.evaluating():
            z = work.forward(X)  # (k, n, n_out)
        return np.array([est._score_output(z[i], t, w) for i in range(len(z))])

    return validation


def train_networks(est, X, t, w, networks, model=None, best_loss=None):
    """Train one network per entry of ``networks`` (dicts of the PER_NETWORK parameters) on X,
    the engine's targets t and sample weights w (or None), in one stack. ``model`` (a warm
    start) is trained on from its weights. Returns a :class:`Run`."""
    seeds = [seed_of(p["random_state"]) for p in networks]
    validation, X_val = None, None
    if est.early_stopping:
        (X, t, w), (X_val, t_val, w_val) = validation_split(est, X, t, w, seeds[0])
        validation = scorer(est, X_val, t_val, w_val)
    if model is None:
        model = new_model(est, X.shape[1], est._n_out(t), seeds)
    monitor = Monitor(len(networks), est.tol, est.n_iter_no_change, validation, est.verbose,
                      best_loss)
    trainer = Trainer(model, X, t, loss=est._loss_name(), epochs=est.max_iter, callback=monitor,
                      every=1, sample_weight=w, shuffle=est.shuffle,
                      **trainer_settings(est, networks, len(X), w))
    monitor.trainer = trainer
    history = trainer.run()
    monitor.finish(model)
    failed = [history.message(m) if history.diverged[m] else None for m in range(model.k)]
    if history.interrupted:
        warnings.warn("Training interrupted by user.", stacklevel=3)
    elif any(not done and fail is None and monitor.n_iter[m] == est.max_iter
             for m, (done, fail) in enumerate(zip(monitor.done, failed))):
        warnings.warn(f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and "
                      "the optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
    state = trainer.state() if model.k == 1 else None
    return Run(model, seeds, monitor, len(X), state, failed)


def train_on(est, model, X, t, w, state):
    """partial_fit: one more epoch on (X, t, w), the Trainer taking up ``state`` (the last
    call's) so the optimizer's state goes on; returns (the epoch's loss, the new state)."""
    settings = trainer_settings(est, [network_params(est)], len(X), w)
    trainer = Trainer(model, X, t, loss=est._loss_name(), epochs=est.max_iter, sample_weight=w,
                      shuffle=est.shuffle, **settings)
    if state is not None:
        arrays, meta = state
        # a chunk no larger than a batch is one batch: that setting follows the chunk
        settings = {**meta["settings"], "batch_size": trainer.settings["batch_size"]}
        trainer.restore(arrays, {**meta, "settings": settings})
    history = trainer.run(1)
    if history.diverged[0]:
        raise ValueError(f"partial_fit: {history.message(0)}")
    loss = float(history.loss[-1, 0])
    return loss, trainer.state()
