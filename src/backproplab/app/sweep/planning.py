"""Stacks: which networks of a sweep train together, and training one such stack.

Networks that share everything but seed, data seed, lr, momentum, weight decay and L1 penalty
train as one stack (:func:`backproplab.engine.trainer.train`), bit for bit as they would alone
(a learning-rate schedule is shared, each network scaling its own lr). A stack too big for
memory, or too big to leave the other workers idle, is split; a sweep whose networks or
curves would not fit in memory at all is refused before it starts (:func:`check_memory`).

A stack asked to stop (Ctrl-C, SIGTERM, or the sweep's request: see :mod:`.stopping`) ends at
the end of an epoch; each network's ``status`` then says how it ended: ``completed``,
``diverged``, ``stopped_early`` (it reached stop_at_loss) or ``interrupted``.
"""

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np

from ... import limits
from ...data.datasets import FIXED
from ...engine.trainer import Trainer
from ...engine.trainingdata import HeldOut
from ...errors import BackproplabError
from ...models.mlp import MLP
from ...nn.optimizers import OPTIMIZERS
from .. import budget
from ..factory import has_test_data, load_data, load_test_data, point_classes, start_from
from . import stopping

# may differ in a stack (a fresh test sample's size too: training never sees it)
PER_NETWORK = ("seed", "data_seed", "lr", "momentum", "weight_decay", "l1", "test_n")
MAX_FLOATS_PER_STACK = 24_000_000  # about 200 MB of float64 working arrays per stack


def _stack_key(cfg):
    d = cfg.to_dict()
    for name in PER_NETWORK:
        d.pop(name)
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(d.items()))


@dataclass
class Group:
    """Networks that train as one stack: their configurations and their places in the sweep;
    ``watch``, {position in the stack: K} of networks whose test loss is recorded at epoch 0
    and every K epochs (see :func:`train_group`)."""

    configs: list
    index: list
    watch: dict = None

    @property
    def first(self):
        return self.configs[0]


def plan(configs, jobs=1):
    """Group the configurations into stacks, split where memory asks or where one stack would
    hold up the workers (more than half a worker's share of the sweep's time); the largest
    first, so that the parallel pool finishes together."""
    groups = {}
    for i, cfg in enumerate(configs):
        groups.setdefault(_stack_key(cfg), []).append(i)
    share = sum(seconds(configs[index[0]], len(index)) for index in groups.values()) / jobs
    out = []
    for index in groups.values():
        cfg = configs[index[0]]
        size = max(1, min(len(index), MAX_FLOATS_PER_STACK // _floats_per_network(cfg)))
        if jobs > 1 and seconds(cfg, len(index)) > share / 2:  # (a stack is cheaper whole)
            size = min(size, math.ceil(len(index) / jobs))
        for start in range(0, len(index), size):
            part = index[start:start + size]
            out.append(Group([configs[i] for i in part], part))
    out.sort(key=lambda g: -seconds(g.first, len(g.index)))
    return out


def seconds(cfg, k):
    """A rough training time of a stack of k networks like ``cfg``, only to share the stacks
    out: per epoch, a fixed cost per layer (NumPy's calls), and per network and sample one per
    unit (the elementwise work) and one per multiply-add (the products)."""
    sizes = [2, *cfg.hidden, limits.MAX_CLASSES if cfg.output == "softmax" else 1]
    units = sum(sizes[1:])
    products = sum(a * b for a, b in zip(sizes, sizes[1:]))
    n = 21 if cfg.data in FIXED else cfg.n or 100  # the lab's 21 points; a generator's 100
    per_epoch = 6e-6 * 2 * len(cfg.hidden) + k * n * (2e-9 * units + 0.15e-9 * products)
    return max(cfg.epochs, 1) * per_epoch


def _floats_per_network(cfg):
    sizes = [2, *cfg.hidden, limits.MAX_CLASSES if cfg.output == "softmax" else 1]
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    n = cfg.n or 100
    return 4 * params + 6 * n * sum(sizes)


def check_memory(configs, limit=None):
    """Refuse, before anything is allocated, a sweep whose biggest network (by the estimate of
    :mod:`..budget`: parameters, optimizer state, activations, data, test sample) or whose
    curves (loss and accuracy of every network for every epoch, float64) need more than
    ``limit`` bytes (default: the package's limit)."""
    limit = limits.DEFAULT_MAX_MEMORY if limit is None else limit
    if not configs:
        return
    budget.check(max(configs, key=lambda c: _floats_per_network(c) + 4 * (c.test_n or 0)),
                 limit)
    epochs = max(c.epochs for c in configs)
    need = 2 * 8 * len(configs) * epochs
    if need > limit:
        raise BackproplabError(
            f"the curves of {len(configs):,} network{'s' * (len(configs) > 1)} over "
            f"{epochs:,} epochs need {limits.size_text(need)}, more than the "
            f"{limits.size_text(limit)} a sweep may use")


def train_group(group, grad_norm_every=None, stop=None):
    """Train one stack; returns (index, per-network metrics, loss curves, accuracy curves,
    gradient norms or None, test curves). With ``grad_norm_every`` = K, the Frobenius norm of
    each layer's weight gradient is recorded every K epochs: (networks, epochs // K, layers).
    The test curves are {sweep index: (epochs, test loss)} of the networks in ``group.watch``:
    the loss on the network's test set at epoch 0 and after every K epochs while it trains,
    measured on a one-network copy of it, so the numbers it would give alone. It stops at
    the end of an epoch when this process is asked to (a signal) or the event ``stop`` is set;
    the networks it cut short say ``interrupted``."""
    with stopping.catching():
        return _train_group(group, grad_norm_every, stop)


def _train_group(group, grad_norm_every, stop):
    cfgs = group.configs
    first = cfgs[0]
    data_seeds = [c.seed if c.data_seed is None else c.data_seed for c in cfgs]
    if first.data in FIXED or first.data.lower().endswith(".csv") or len(set(data_seeds)) == 1:
        x, y, _ = load_data(first)  # one data set for the whole stack
    else:
        loaded = [load_data(c)[:2] for c in cfgs]
        x = np.stack([a for a, _ in loaded])
        y = np.stack([b for _, b in loaded])
        if first.output == "softmax":
            y = y[..., 0]  # the ce loss takes class numbers, (k, n): one row per network
    net = MLP(x.shape[-1], hidden=first.hidden, activation=first.activation, output=first.output,
              n_out=point_classes(first, y) or 1, seed=[c.seed for c in cfgs], dtype=first.dtype)
    if first.init:
        start_from(net, first.init)
    hyper = {}
    for name in ("momentum", "weight_decay", "l1"):
        values = [getattr(c, name) for c in cfgs]
        if any(v is not None for v in values):
            default = _default_hyper(first.optimizer, name)
            hyper[name] = [default if v is None else v for v in values]
    norms, observers = None, []  # (K, called after every K epochs)
    if grad_norm_every:
        layers = len(net.dense_layers)
        norms = np.full((net.k, first.epochs // grad_norm_every, layers), np.nan)

        def record(p):
            t = p.epochs // grad_norm_every - 1
            for j, layer in enumerate(p.model.dense_layers):
                norms[p.active, t, j] = np.sqrt(np.sum(layer.dW * layer.dW, axis=(1, 2)))

        observers.append((grad_norm_every, record))
    curves = {m: _TestCurve(net, m, cfgs[m]) for m in group.watch or {}}
    observers += [(group.watch[m], curve) for m, curve in curves.items()]
    every = reduce(math.gcd, [k for k, _ in observers]) if observers else None

    def observe(p):
        for k, call in observers:
            if p.epochs % k == 0:
                call(p)

    trainer = Trainer(net, x, y, loss=first.loss, optimizer=first.optimizer,
                      lr=[c.lr_value for c in cfgs], epochs=first.epochs,
                      batch_size=first.batch_size, stop_at_loss=first.stop_at_loss,
                      callback=observe if observers else None, every=every,
                      schedule=first.lr_schedule(), **hyper)
    if stopping.asked(stop):  # asked while the data was being made: train nothing
        history = trainer.history(interrupted=True)
    else:
        with stopping.watching(trainer, stop):
            history = trainer.run()
    if history.interrupted:
        stopping.REQUEST.asked = True  # the sweep stops too; a worker starts no other stack
    test_acc = _test_accuracy(net, cfgs) if not history.interrupted else [None] * net.k
    metrics = []
    for m in range(net.k):
        acc = history.accuracy[:, m]
        hit = np.flatnonzero(acc == 1.0)
        if hit.size:
            epoch_100 = int(hit[0])
        elif history.final_accuracy[m] == 1.0:
            epoch_100 = int(history.epochs_run[m])
        else:
            epoch_100 = None
        metrics.append({
            "final_loss": float(history.final_loss[m]),
            "final_accuracy": float(history.final_accuracy[m]),
            "epochs_run": int(history.epochs_run[m]),
            "epoch_100": epoch_100,
            "diverged": bool(history.diverged[m]),
            "diverged_epoch": int(history.diverged_epoch[m]) if history.diverged[m] else None,
            "test_accuracy": None if history.diverged[m] else test_acc[m],
            "status": _status(history, m),
        })
    tests = {group.index[m]: (np.array(c.epochs), np.array(c.losses)) for m, c in curves.items()}
    return group.index, metrics, history.loss.T.copy(), history.accuracy.T.copy(), norms, tests


def _status(history, m):
    """How network m ended: diverged, stopped_early, interrupted (cut short) or completed."""
    if history.diverged[m]:
        return "diverged"
    if history.stopped_early[m]:
        return "stopped_early"
    return "interrupted" if history.interrupted else "completed"


def _test_accuracy(net, cfgs):
    """Each network's accuracy on its own test set (a fresh sample, or the share held out,
    drawn from its data seed), None for one without: one pass over the stack when every network
    has a test set of one size, else network by network (the same numbers)."""
    samples = [load_test_data(c) if has_test_data(c) else None for c in cfgs]
    if any(s is None for s in samples) or len({len(s[1]) for s in samples}) > 1:
        return [None if s is None else _test_accuracy(net.select([m]), [cfgs[m]])[0]
                for m, s in enumerate(samples)]
    x = np.stack([a for a, _ in samples])
    y = np.stack([b for _, b in samples])
    pred = net.predict(x)
    pred = pred[None] if net.k == 1 else pred
    if net.output == "softmax":  # classes (k, n) against labels (k, n, 1)
        return [float(v) for v in np.mean(pred == y[..., 0], axis=1)]
    return [float(v) for v in np.mean(pred == y, axis=(1, 2))]


class _TestCurve:
    """Network m's loss on its test set at epoch 0, then each time it is called while the
    network trains (a training callback), measured on a one-network copy of it: the numbers
    the network alone would give."""

    def __init__(self, net, m, cfg):
        self.m, self.probe = m, net.select([m])
        _, _, scaling = load_data(cfg)  # the test set is scaled as the training set was
        self.held = HeldOut(self.probe, *load_test_data(cfg, scaling), cfg.loss)
        self.epochs, self.losses = [0], [self._measure()]

    def _measure(self):
        return float(self.held.measure(self.probe)[0][0])

    def __call__(self, p):
        where = np.flatnonzero(p.active == self.m)
        if where.size:  # (one that has stopped is measured no more)
            self.probe.params[0] = p.model.params[where[0]]
            self.epochs.append(p.epochs)
            self.losses.append(self._measure())


def _default_hyper(optimizer, name):
    return OPTIMIZERS[optimizer].defaults[name]
