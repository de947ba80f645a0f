"""The training loop: forward, loss, backward, update — for one network or a stack of k.

Training one network is the k = 1 case of the same code. Each network in a stack keeps its own
numbers (matmul, the losses' reductions and the optimizers all work per network), so a network
trained in a stack ends bit for bit where it ends alone. A network that diverges, or reaches
``stop_at_loss``, is taken out of the working stack; the others go on unaffected.
"""

import math
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np

from ..errors import BackproplabError
from ..nn.losses import class_labels, get_loss
from ..nn.optimizers import get_optimizer
from ..nn.schedules import Constant, get_schedule
from .history import Progress, _Recorder
from .metrics import accuracy, multiclass_accuracy
from .seeds import model_rngs


def _as_float_array(a, dtype, what):
    try:
        a = np.asarray(a, dtype=dtype)
    except (TypeError, ValueError):
        raise BackproplabError(f"{what} must be numeric") from None
    return a


class _SigintFlag:
    """Turns the first Ctrl-C into a flag the loop checks between epochs (so no update is left
    half done); a second Ctrl-C interrupts at once."""

    def __init__(self):
        self.raised = False

    def __enter__(self):
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.raised:
            raise KeyboardInterrupt
        self.raised = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def train(model, x, y, loss=None, optimizer="gd", lr=None, epochs=1000, batch_size=None,
          stop_at_loss=None, callback=None, callback_every=None, schedule=None, **hyper):
    """Train ``model`` (an MLP or CNN, possibly a stack of k networks) in place.

    x: (n, *in_shape) shared by every network — (n, n_in) for an MLP, images (n, C, H, W) for
    a CNN — or (k, n, *in_shape), one data set per network.
    y: for the mse and bce losses 0/1 labels, (n,), (n, 1) or (k, n, 1); for the ce loss
    (softmax output) class labels 0…K−1, (n,) or (k, n).
    ``loss`` defaults to ce for a softmax output and mse otherwise.
    lr and the optimizer's settings (``momentum``, ``weight_decay``, …) are scalars or one value
    per network; ``l1`` adds l1 · Σ|p| over all parameters to the loss that is minimised.
    ``schedule`` (a name or a :mod:`backproplab.schedules` object; None: constant) sets each
    epoch's learning rate from ``lr``. Full batch by default (one update per epoch);
    ``batch_size`` trains on mini-batches, shuffled each epoch from each network's own seed.
    Dropout is on while training (the model is in training mode) and off for the final
    evaluation; the model is left in evaluation mode.
    ``callback(progress)`` is called every ``callback_every`` epochs with a :class:`Progress`:
    the epochs done, the working stack (with the gradients of its last update) and which
    networks it holds. Returns a :class:`History` with a model axis.
    """
    epochs = int(epochs)
    if epochs < 0:
        raise BackproplabError(f"epochs must be >= 0, got {epochs}")
    if batch_size is not None and int(batch_size) < 1:
        raise BackproplabError(f"the batch size must be >= 1, got {batch_size}")
    if loss is None:
        loss = "ce" if model.output == "softmax" else "mse"
    loss_fn = get_loss(loss, model.output)
    x = model.check_inputs(x)
    x_stacked = x.ndim == len(model.in_shape) + 2  # one data set per network
    n = x.shape[-1 - len(model.in_shape)]
    if loss_fn.multiclass:
        y = class_labels(y, model.n_out, n)
        y_stacked = y.ndim == 2
        score = multiclass_accuracy
    else:
        y = _as_float_array(y, model.dtype, "the labels")
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim not in (2, 3) or y.shape[-2] != n:
            raise BackproplabError(
                f"inputs of shape {x.shape} and labels of shape {y.shape} do not match: "
                "give x as (n, features) and y as (n,) or (n, 1)"
            )
        y_stacked = y.ndim == 3
        score = accuracy
    if y_stacked and y.shape[0] != model.k:
        raise BackproplabError(f"per-network data needs a leading axis of {model.k}")
    data = _Data(x, y, x_stacked, y_stacked, score)

    opt = get_optimizer(optimizer, [model.params], [model.grads], lr, **hyper)
    schedule = get_schedule(schedule)
    if type(schedule) is Constant:
        schedule = None  # nothing to do each epoch
    k = model.k
    record = _Recorder(k, epochs)
    if batch_size is not None and int(batch_size) >= n:
        batch_size = None  # one batch holding everything is full batch
    orders = [model_rngs(seed)[1] for seed in model.seeds] if batch_size else None

    work, active = model, np.arange(k)
    xs, ys = x, y
    labels = data.labels(ys)  # compared with the predictions every epoch
    flat = work.params.reshape(-1)  # a view, for the check of every epoch
    full_batch = batch_size is None
    start = time.perf_counter()
    model.train_mode(True)
    with np.errstate(all="ignore"), _SigintFlag() as sigint, _evaluating_after(model):
        epoch = 0
        next_callback = callback_every if callback and callback_every else -1
        while epoch < epochs:
            if sigint.raised:
                record.interrupted = True
                break
            if schedule is not None:  # epoch e trains with lr(e), from each network's own lr₀
                opt.set_lr(schedule.lr(opt.initial_lr, epoch, epochs))
            if full_batch:  # look at the loss before updating, so a stopped network is as seen
                L, acc = _forward(work, loss_fn, xs, ys, labels, score)
            else:
                L, acc = _minibatch_epoch(work, loss_fn, opt, xs, ys, int(batch_size),
                                          [orders[i] for i in active], data)
            # One scalar tells whether any loss or parameter of the stack is NaN or infinite: the
            # sum of squares p·p, one BLAS pass (.sum() adds pairwise, ten times the instructions).
            # A false alarm — squares beyond 1e308 — costs one exact check in retire().
            healthy = math.isfinite(sum(L.tolist()) + np.dot(flat, flat))
            finished = None if stop_at_loss is None else L <= stop_at_loss
            if not healthy or (finished is not None and finished.any()):
                done = epoch if full_batch else epoch + 1
                keep = record.retire(work, active, L, acc, epoch, done, finished)
                if len(keep) < len(active):
                    work, opt, active, xs, ys = _compact(model, work, opt, active, keep, data)
                    labels, flat = data.labels(ys), work.params.reshape(-1)
                    if len(active) == 0:
                        break
                    if full_batch:
                        continue  # redo this epoch's forward pass for the networks left
                    L, acc = L[keep], acc[keep]
            record.row(epoch, active, L, acc)
            if full_batch:
                _update(work, loss_fn, opt)
            epoch += 1
            if epoch == next_callback:
                next_callback += callback_every
                callback(Progress(epoch, work, active, record.loss[:epoch], record.acc[:epoch]))
        if work is not model:
            model.params[active] = work.params
        model.train_mode(False)
        record.finish(model, loss_fn, data, active, epoch)
    record.seconds = time.perf_counter() - start
    return record.history()


@dataclass
class _Data:
    """The training data, checked: whether x and y have a leading model axis (one data set per
    network), and the accuracy that fits the labels."""

    x: np.ndarray
    y: np.ndarray
    x_stacked: bool
    y_stacked: bool
    score: object  # accuracy(proba, labels) or multiclass_accuracy(proba, labels)

    def labels(self, y):
        """What the predictions are compared with: y ≥ 0.5 for 0/1 labels, classes as they are."""
        return y if self.score is multiclass_accuracy else y >= 0.5

    def of(self, active):
        """x and y of the networks ``active`` of the original stack."""
        return (self.x[active] if self.x_stacked else self.x,
                self.y[active] if self.y_stacked else self.y)


class _evaluating_after:
    """Puts the model back in evaluation mode however training ends (an exception included)."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.model.train_mode(False)


def _forward(work, loss_fn, x, y, labels=None, score=accuracy):
    """The forward pass and the loss: one loss and one accuracy per network."""
    L = loss_fn.forward(work.forward(x), y)
    return L, score(loss_fn.proba, y if labels is None else labels)


def _update(work, loss_fn, opt):
    """The backward pass from the loss of the last forward pass, then one optimizer step."""
    work.zero_grad()
    work.backward(loss_fn.backward())
    opt.step()


def _minibatch_epoch(work, loss_fn, opt, x, y, batch_size, orders, data):
    """One pass over the data in shuffled mini-batches (each network its own order); returns
    the sample-weighted mean of the batch losses and accuracies, each from before its update."""
    n = x.shape[1] if data.x_stacked else len(x)
    perm = np.stack([rng.permutation(n) for rng in orders])  # (k, n)
    rows = np.arange(len(orders))[:, None]
    total_loss = total_acc = 0.0
    for start in range(0, n, batch_size):
        idx = perm[:, start:start + batch_size]
        xb = x[rows, idx] if data.x_stacked else x[idx]  # (k, b, …): each network its batch
        yb = y[rows, idx] if data.y_stacked else y[idx]
        L, acc = _forward(work, loss_fn, xb, yb, None, data.score)
        _update(work, loss_fn, opt)
        total_loss = total_loss + L * idx.shape[1]
        total_acc = total_acc + acc * idx.shape[1]
    return total_loss / n, total_acc / n


def _compact(model, work, opt, active, keep, data):
    """Take the networks at positions ``keep`` of the working stack into a new, smaller one;
    the others' weights are copied back into ``model`` as they are."""
    if work is not model:
        model.params[active] = work.params
    active = active[keep]
    if len(active) == 0:
        return model, opt, active, data.x, data.y
    new = model.select(active)
    opt = opt.select(keep, [new.params], [new.grads])
    return new, opt, active, *data.of(active)
