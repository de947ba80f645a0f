"""The estimators' parameters as the engine's settings: scikit-learn's names on one side,
backproplab's on the other, each checked once, a bad one a ValueError that says why.

    hidden_layer_sizes, activation        MLP(hidden=…, activation=…)
    solver                                the optimizer: gd, momentum, nesterov, adagrad,
                                          rmsprop, adam, adamw
    learning_rate_init, learning_rate     lr, and the schedule
    alpha                                 weight_decay = α / b (b the batch size), so that the
                                          penalty is MLPClassifier's (α / 2b) Σ‖p‖²
    momentum, beta_1, beta_2, epsilon     the optimizer's momentum, beta1, beta2, eps
    l1, loss, dtype                       backproplab's own
"""

import contextlib
import numbers

import numpy as np
from sklearn.utils import check_random_state

from ..checks import number, whole
from ..errors import BackproplabError, lookup
from ..nn.activations import ACTIVATIONS
from ..nn.optimizers import OPTIMIZERS
from ..nn.schedules import SCHEDULES, Schedule, get_schedule

# scikit-learn's names for two of backproplab's activations
ACTIVATION_ALIASES = {"logistic": "sigmoid", "identity": "none"}

# estimator parameter -> the optimizer's setting, for the solvers that have it
HYPER = {"momentum": "momentum", "beta_1": "beta1", "beta_2": "beta2", "epsilon": "eps",
         "l1": "l1"}

# the parameters each network of a stack may have of its own (the optimizer keeps one value
# per network, and each network has its own seed); the others a stack's networks share
PER_NETWORK = ("learning_rate_init", "random_state", "alpha", "momentum", "beta_1", "beta_2",
               "epsilon", "l1")

AUTO_BATCH = 200  # batch_size="auto": min(200, n), as MLPClassifier


@contextlib.contextmanager
def user_errors():
    """A BackproplabError raised deep in the engine (a setting or data it cannot take) leaves
    the estimators as a ValueError with the same message: what scikit-learn's tools expect."""
    try:
        yield
    except BackproplabError as e:
        raise ValueError(str(e)) from None


def check_params(est):
    """Check the parameters every network shares, and the estimator's own values of the
    others; raises a ValueError naming the parameter."""
    with user_errors():
        hidden_sizes(est.hidden_layer_sizes)
        activations(est.activation, len(hidden_sizes(est.hidden_layer_sizes)))
        lookup_solver(est.solver)
        schedule(est.learning_rate)
        whole(est.max_iter, "max_iter")
        whole(est.n_iter_no_change, "n_iter_no_change")
        _real(est.tol, "tol", lo=0.0)
        _real(est.validation_fraction, "validation_fraction", above=0.0, hi_open=1.0)
        if est.batch_size not in ("auto", None):
            whole(est.batch_size, "batch_size")
        if np.dtype(est.dtype) not in (np.float64, np.float32):
            raise BackproplabError(f"dtype must be float64 or float32, got {est.dtype!r}")
        check_network(network_params(est))


def check_network(p):
    """Check one network's own parameters (a dict of PER_NETWORK values)."""
    with user_errors():
        _real(p["learning_rate_init"], "learning_rate_init", above=0.0)
        for name in ("alpha", "l1"):
            _real(p[name], name, lo=0.0)
        if _real(p["momentum"], "momentum", lo=0.0) > 1:
            raise BackproplabError(f"momentum must be <= 1, got {p['momentum']!r}")
        for name in ("beta_1", "beta_2"):
            _real(p[name], name, lo=0.0, hi_open=1.0)
        _real(p["epsilon"], "epsilon", above=0.0)
        rs = p["random_state"]
        if not (rs is None or isinstance(rs, np.random.RandomState)
                or (isinstance(rs, numbers.Integral) and 0 <= rs < 2**32)):
            raise BackproplabError("random_state must be None, an int in [0, 2**32) or a "
                                   f"numpy RandomState, got {rs!r}")


def _real(value, name, **bounds):
    """checks.number, without its pass for None: every parameter here needs a number."""
    if value is None:
        raise BackproplabError(f"{name} must be a number, got None")
    return number(value, name, **bounds)


def network_params(est):
    """The estimator's own values of the PER_NETWORK parameters, as a dict."""
    return {name: getattr(est, name) for name in PER_NETWORK}


def hidden_sizes(value):
    sizes = [value] if isinstance(value, numbers.Integral) else list(value)
    return [whole(s, "hidden_layer_sizes") for s in sizes]


def activations(value, n_hidden):
    """Backproplab's names of the hidden layers' activations: one name, or one per layer;
    scikit-learn's 'logistic' and 'identity' are backproplab's sigmoid and none."""
    names = [value] * n_hidden if isinstance(value, str) else list(value)
    if len(names) != n_hidden:
        raise BackproplabError(f"activation: {len(names)} names for {n_hidden} hidden layers; "
                               "give one name, or one per hidden layer")
    names = [ACTIVATION_ALIASES.get(name, name) for name in names]
    for name in names:
        lookup("activation", name, ACTIVATIONS)
    return names


def lookup_solver(name):
    if name in ("sgd", "lbfgs"):
        raise BackproplabError(
            f"solver {name!r} is scikit-learn's; here choose from: {', '.join(OPTIMIZERS)} "
            "(scikit-learn's sgd is 'momentum' or 'nesterov')")
    return lookup("solver", name, OPTIMIZERS)


def schedule(value):
    """learning_rate as a schedule: a name, or a backproplab.nn.schedules object for one with
    settings (Step(step_size, gamma), Exponential(gamma), Cosine(t_max, eta_min))."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, str) and value in SCHEDULES and SCHEDULES[value].required:
        cls = SCHEDULES[value].__name__
        raise BackproplabError(
            f"learning_rate={value!r} needs settings: give a schedule object, such as "
            f"backproplab.nn.schedules.{cls}(…) with its {', '.join(SCHEDULES[value].required)}")
    if value in ("invscaling", "adaptive"):
        raise BackproplabError(f"learning_rate {value!r} is scikit-learn's; here choose from: "
                               f"{', '.join(SCHEDULES)}, or a schedule object")
    return get_schedule(value)


def batch_size(value, n):
    """The batch size for n samples: "auto" is min(200, n), None full batch."""
    if value is None:
        return n
    return min(AUTO_BATCH if value == "auto" else int(value), n)


def seed_of(random_state):
    """The network's seed: the int itself, or one drawn from a RandomState (None: NumPy's
    global one), as scikit-learn's estimators draw theirs."""
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def trainer_settings(est, networks, n, weights=None):
    """The Trainer's settings for training ``networks`` (dicts of PER_NETWORK values, one per
    network) on n samples, with their ``weights`` (n,) or None: each hyper-parameter as one
    value per network."""
    cls = lookup_solver(est.solver)
    b = batch_size(est.batch_size, n)

    def column(name):
        return np.array([float(p[name]) for p in networks])

    # the penalty (α / 2b) Σ‖p‖² of a batch of b samples, as MLPClassifier's; with weights,
    # b counts the batch's expected total weight, so integer weights are repeated samples
    mean_weight = 1.0 if weights is None else float(np.mean(weights))
    hyper = {"weight_decay": column("alpha") / (b * mean_weight)}
    hyper.update({name: column(param) for param, name in HYPER.items() if name in cls.defaults})
    return {"optimizer": est.solver, "lr": column("learning_rate_init"),
            "batch_size": b if b < n else None, "schedule": schedule(est.learning_rate),
            **hyper}
