"""Learning-rate schedules: the learning rate each epoch trains with, as PyTorch's schedulers
give it.

A schedule is stepped once per epoch, as PyTorch's ``scheduler.step()`` is called after each
epoch: epoch e (counted from 0) trains with lr(e), every one of its mini-batches too. lr₀ is the
learning rate given — one per network in a stack, so each network follows its own:

    constant      lr(e) = lr₀
    step          lr(e) = lr₀ · γ^⌊e / step_size⌋                          (torch's StepLR)
    exponential   lr(e) = lr₀ · γ^e                                        (ExponentialLR)
    cosine        lr(e) = η_min + (lr₀ − η_min) · (1 + cos(π e / T_max)) / 2  (CosineAnnealingLR)

These are PyTorch's closed forms (its ``_get_closed_form_lr``), computed in the same order of
operations, so they equal those bit for bit. Its ``scheduler.step()`` reaches the same numbers
recursively, lr(e) from lr(e − 1), so it agrees with them to rounding that grows slowly with the
epochs (for the cosine about 1e-14 relative after 200 epochs; the closed form has none).

As in PyTorch, the cosine does not stop at T_max: it climbs back to lr₀ at 2·T_max, and so on.
T_max defaults to the run's epochs, so that lr anneals once, from lr₀ at epoch 0 towards η_min
at the end.

γ is a decay factor, 0 < γ ≤ 1 (γ = 1 is the constant schedule); η_min ≥ 0.
"""

import math

from ..checks import number, whole
from ..errors import BackproplabError, lookup

# setting -> (command-line option, what it means), for messages
SETTINGS = {
    "step_size": ("--step-size", "the step schedule's period in epochs"),
    "gamma": ("--gamma", "the decay factor"),
    "t_max": ("--t-max", "the cosine's half period in epochs"),
    "eta_min": ("--eta-min", "the cosine's lowest learning rate"),
}


class Schedule:
    """A learning-rate schedule: its settings and their defaults, and those that must be given."""

    name = None
    defaults = {}
    required = ()

    def lr(self, lr0, epoch, epochs):
        """The learning rate of epoch ``epoch`` (0-based) of a run of ``epochs``; lr₀ a number
        or an array (one per network)."""
        raise NotImplementedError

    def __repr__(self):
        settings = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.defaults)
        return f"{type(self).__name__}({settings})"


class Constant(Schedule):
    """lr(e) = lr₀: what training does without a schedule."""

    name = "constant"

    def lr(self, lr0, epoch, epochs):
        return lr0


class Step(Schedule):
    """lr(e) = lr₀ · γ^⌊e / step_size⌋: multiplied by γ every step_size epochs (StepLR)."""

    name = "step"
    defaults = {"step_size": None, "gamma": 0.1}
    required = ("step_size",)

    def __init__(self, step_size, gamma=0.1):
        self.step_size, self.gamma = _check("step_size", step_size), _check("gamma", gamma)

    def lr(self, lr0, epoch, epochs):
        return lr0 * self.gamma ** (epoch // self.step_size)


class Exponential(Schedule):
    """lr(e) = lr₀ · γ^e: multiplied by γ every epoch (ExponentialLR)."""

    name = "exponential"
    defaults = {"gamma": None}
    required = ("gamma",)

    def __init__(self, gamma):
        self.gamma = _check("gamma", gamma)

    def lr(self, lr0, epoch, epochs):
        return lr0 * self.gamma**epoch


class Cosine(Schedule):
    """lr(e) = η_min + (lr₀ − η_min)(1 + cos(π e / T_max)) / 2 (CosineAnnealingLR, no restarts);
    T_max None: the run's epochs."""

    name = "cosine"
    defaults = {"t_max": None, "eta_min": 0.0}  # t_max None: the run's epochs

    def __init__(self, t_max=None, eta_min=0.0):
        self.t_max = None if t_max is None else _check("t_max", t_max)
        self.eta_min = _check("eta_min", eta_min)

    def lr(self, lr0, epoch, epochs):
        t_max = self.t_max or epochs
        return self.eta_min + (lr0 - self.eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2


SCHEDULES = {cls.name: cls for cls in (Constant, Step, Exponential, Cosine)}


def get_schedule(name=None, **settings):
    """A schedule by name (None: constant), its settings checked; settings of None take their
    defaults. A :class:`Schedule` object is returned as it is (its class checked its settings:
    ``Step(10, gamma=0.5)`` is ``get_schedule("step", step_size=10, gamma=0.5)``)."""
    if isinstance(name, Schedule):
        if any(v is not None for v in settings.values()):
            raise BackproplabError("give a schedule object or a name with settings, not both")
        return name
    name = "constant" if name is None else name
    cls = lookup("schedule", name, SCHEDULES)
    settings = {k: v for k, v in settings.items() if v is not None}
    for key in settings:
        if key not in SETTINGS:
            raise BackproplabError(f"no schedule has a setting {key!r}; the settings are: "
                                   + ", ".join(SETTINGS))
        if key not in cls.defaults:
            users = [s.name for s in SCHEDULES.values() if key in s.defaults]
            raise BackproplabError(f"{SETTINGS[key][0]} applies to the {' and '.join(users)} "
                                   f"schedule{'s' * (len(users) > 1)}, not {name}")
    for key in cls.required:
        if key not in settings:
            option, meaning = SETTINGS[key]
            raise BackproplabError(f"the {name} schedule needs {option} ({meaning})")
    return cls(**settings)


def _check(key, value):
    """``value`` if it is a usable value of setting ``key``; else a BackproplabError."""
    option, meaning = SETTINGS[key]
    what = f"{option} ({meaning})"
    if key in ("step_size", "t_max"):
        return whole(value, what)
    number(value, what)
    if key == "gamma" and not 0 < value <= 1:
        raise BackproplabError(f"{what} must be in (0, 1], got {value!r}")
    if key == "eta_min" and value < 0:
        raise BackproplabError(f"{what} must be >= 0, got {value!r}")
    return value
