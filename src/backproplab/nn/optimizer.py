"""What every optimizer shares: the (param, grad) pairs, each network's hyper-parameters as a
column that broadcasts over its parameters, the state in lists aligned with the parameters,
the step count, and a stack's optimizer cut down to some of its networks (``select``)."""

import numpy as np

from ..errors import BackproplabError


class Optimizer:
    """Holds the (param, grad) pairs, the per-network hyper-parameters and the step count t."""

    defaults = {}  # name -> default value of each per-network hyper-parameter

    def __init__(self, params, grads, lr, **hyper):
        self.params, self.grads = list(params), list(grads)
        if len(self.params) != len(self.grads) or not self.params:
            raise ValueError("an optimizer needs one gradient per parameter, and at least one")
        self.k = self.params[0].shape[0]
        self.dtype = self.params[0].dtype
        self.t = 0
        self.state = {name: [None] * len(self.params) for name in self.state_names}
        self.hyper = {"lr": lr, **{n: hyper.pop(n, d) for n, d in self.defaults.items()}}
        if hyper:
            raise TypeError(f"{type(self).__name__} got unexpected settings: {sorted(hyper)}")
        for name, value in self.hyper.items():
            self.hyper[name] = self._column(name, value).copy()
        if np.any(self.hyper["lr"] <= 0):
            raise BackproplabError(f"the learning rate must be > 0, got {lr!r}")
        # 1 − β and friends are computed in float64 (as torch does in Python) before the cast
        derived = {f"1-{n}": 1.0 - self.hyper[n] for n in self.complements}
        self._cast = {n: c.astype(self.dtype) for n, c in {**self.hyper, **derived}.items()}
        self.initial_lr = self.hyper["lr"].copy()  # a schedule's lr₀ (torch's "initial_lr")

    state_names = ()
    complements = ()  # hyper-parameters β whose 1 − β the update uses

    def h(self, name, like):
        """Hyper-parameter ``name`` as a column in the parameters' dtype, broadcasting over
        ``like`` (one value per network); for one network a 0-d array, which NumPy combines with
        an array several times faster than a (1, 1) column. Made once per name and shape, a
        view of the setting (so set_lr reaches it), then reused."""
        columns = self.__dict__.setdefault("_columns", {})
        key = name, like.ndim
        if key not in columns:
            column = self._cast[name]
            shape = () if self.k == 1 else column.shape[:1] + (1,) * (like.ndim - 1)
            columns[key] = column.reshape(shape)
        return columns[key]

    def scratch(self, i, like, slot=0):
        """A reused array shaped like parameter i, for temporaries (see docs/performance.md)."""
        store = self.__dict__.setdefault("_scratch", {})
        b = store.get((i, slot))
        if b is None or b.shape != like.shape:
            b = store[(i, slot)] = np.empty_like(like)
        return b

    def zero(self, name):
        """Whether hyper-parameter ``name`` is 0 for every network (its term can be skipped)."""
        zeros = self.__dict__.setdefault("_zeros", {})
        if name not in zeros:
            zeros[name] = self.hyper.get(name) is None or not np.any(self.hyper[name])
        return zeros[name]

    def prepared(self, key, make):
        """``make()``, made once and kept until a hyper-parameter's value changes (in the cache
        zero() keeps, which ``select`` and a change of settings start afresh; ``key`` is a
        tuple, so it never meets a hyper-parameter's name): an update's columns and scratch
        arrays gathered once, so that a step is its NumPy calls and little more."""
        zeros = self.__dict__.setdefault("_zeros", {})
        made = zeros.get(key)
        if made is None:
            made = zeros[key] = make()
        return made

    def set_lr(self, lr):
        """Set every network's learning rate, as a scheduler sets torch's ``group["lr"]``: lr
        is a number or a (k, 1) column. The columns that h() handed out are views, and follow."""
        self.hyper["lr"][...] = lr
        self._cast["lr"][...] = lr

    def set_hyper(self, **values):
        """Change hyper-parameters between two steps (a run whose lr or momentum is changed
        while it plays): each a number or one per network, checked as at construction. A new
        lr is also the schedule's lr₀ (``initial_lr``). The state (momentum buffers, Adam's
        averages, t) is kept, so the next step is the one a fresh optimizer with the new values
        and this state would take."""
        for name, value in values.items():
            if name not in self.hyper:
                raise BackproplabError(f"the optimizer has no setting {name}; its "
                                       f"settings are: {', '.join(self.hyper)}")
            column = self._column(name, value)
            if name == "lr" and np.any(column <= 0):
                raise BackproplabError(f"the learning rate must be > 0, got {value!r}")
            self.hyper[name][...] = column
            self._cast[name][...] = column  # in place: the columns h() handed out follow
            if name in self.complements:  # 1 − β in float64, then cast, as at construction
                self._cast[f"1-{name}"][...] = 1.0 - self.hyper[name]
            if name == "lr":
                self.initial_lr[...] = column
        self._zeros = {}  # a term that was 0 may not be now

    def _column(self, name, value):
        """``value`` as a (k, 1) float64 column, one value per network; finite."""
        try:
            column = np.broadcast_to(np.asarray(value, dtype=np.float64), (self.k,))
        except ValueError:
            raise BackproplabError(f"{name} needs one value, or one per network ({self.k}), "
                                   f"got {value!r}") from None
        if not np.all(np.isfinite(column)):
            raise BackproplabError(f"{name} must be a finite number, got {value!r}")
        return column.reshape(self.k, 1)

    def step(self):
        """Apply one update to every parameter, in place."""
        self.t += 1
        for i, (param, grad) in enumerate(zip(self.params, self.grads)):
            self.update(i, param, grad)

    def update(self, i, param, grad):
        raise NotImplementedError

    def decayed(self, param, grad):
        """grad + l1 · sign(param) + weight_decay · param (L2 regularisation, as torch's
        weight_decay)."""
        if not self.zero("l1"):
            grad = self.penalised(param, grad)
        if self.zero("weight_decay"):
            return grad
        return grad + self.h("weight_decay", param) * param

    def penalised(self, param, grad):
        """grad + l1 · sign(param): the gradient of the L1 penalty l1 · Σ|p| joins the loss's
        (at p = 0, where |p| has no slope, sign gives 0: a subgradient)."""
        if self.zero("l1"):
            return grad
        return grad + self.h("l1", param) * np.sign(param)

    def select(self, index, params, grads):
        """The same optimizer for the networks ``index`` of the stack, now held in ``params``."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._scratch, new._zeros = {}, {}
        new.params, new.grads = list(params), list(grads)
        new.k = len(index)
        new._columns = {}
        new.hyper = {n: c[index] for n, c in self.hyper.items()}
        new.initial_lr = self.initial_lr[index]
        new._cast = {n: c[index] for n, c in self._cast.items()}
        new.state = {
            n: [None if s is None else s[index].copy() for s in states]
            for n, states in self.state.items()
        }
        return new
