"""The training loop: forward, loss, backward, update — for one network or a stack of k.

Training one network is the k = 1 case of the same code. Each network in a stack keeps its own
numbers (matmul, the losses' reductions and the optimizers all work per network), so a network
trained in a stack ends bit for bit where it ends alone. A network that diverges, or reaches
``stop_at_loss``, is taken out of the working stack; the others go on unaffected.

A :class:`Trainer` owns everything a run carries from one epoch to the next — the optimizer's
state, the epoch counter (and so the schedule's position), each network's mini-batch order and
the history — so ``run(n)`` may be called again and again: three ``run(1000)`` are one
``train(…, epochs=3000)``, bit for bit. Its state goes into a checkpoint and comes back.
"""

import math
import signal
import threading
import time

import numpy as np

from ..errors import BackproplabError
from ..nn.optimizers import get_optimizer
from ..nn.schedules import Constant, Cosine, get_schedule
from .checkpoint import restore_state, trainer_state
from .history import Progress, Recorder
from .seeds import model_rngs
from .trainingdata import TrainingData, loss_for


class Trainer:
    """Trains ``model`` (a Sequential, an MLP or a CNN, possibly a stack of k) in place.

    The settings are :func:`train`'s; ``epochs`` is the length of the whole run, which a
    schedule (the cosine's default T_max) needs. ``sample_weight`` (n,) weighs each sample's
    loss: the loss becomes the weighted mean Σ sᵢ lᵢ / Σ sᵢ (of each mini-batch, for
    mini-batches), so a weight of 2 counts a sample twice; ``shuffle=False`` takes the
    mini-batches in the data's order every epoch. ``callback(progress)`` is called every
    ``every`` epochs with a :class:`Progress`: the epochs done, the working stack (its
    parameters, and the gradients of its last update) and the history so far — views, not
    copies, valid until training goes on.
    """

    def __init__(self, model, x, y, loss=None, optimizer="gd", lr=None, epochs=1000,
                 batch_size=None, stop_at_loss=None, schedule=None, callback=None, every=None,
                 sample_weight=None, shuffle=True, **hyper):
        self.epochs = int(epochs)
        if self.epochs < 0:
            raise BackproplabError(f"epochs must be >= 0, got {epochs}")
        if batch_size is not None and int(batch_size) < 1:
            raise BackproplabError(f"the batch size must be >= 1, got {batch_size}")
        self.model = model
        self.loss_fn = loss_for(model, loss)
        self.data = TrainingData(model, x, y, self.loss_fn, sample_weight)
        self.opt = get_optimizer(optimizer, [model.params], [model.grads], lr, **hyper)
        schedule = get_schedule(schedule)
        self.schedule = None if type(schedule) is Constant else schedule  # nothing to do
        if batch_size is not None and int(batch_size) >= self.data.n:
            batch_size = None  # one batch holding everything is full batch
        self.batch_size = None if batch_size is None else int(batch_size)
        seeds = model.seeds if model.seeds is not None else range(model.k)
        self.orders = [model_rngs(s)[1] for s in seeds] if self.batch_size else None
        self.shuffle = bool(shuffle)
        self.stop_at_loss = stop_at_loss
        self.callback, self.every = callback, every
        # what a checkpoint must agree with; the run's length only where the schedule uses it
        uses_epochs = isinstance(schedule, Cosine) and schedule.t_max is None
        self.settings = {"loss": self.loss_fn.name, "optimizer": optimizer,
                         "batch_size": self.batch_size, "schedule": repr(schedule),
                         "epochs": self.epochs if uses_epochs else None,
                         "stop_at_loss": stop_at_loss}
        if not self.shuffle:  # named only when off, so the checkpoints made before still fit
            self.settings["shuffle"] = False
        self.epoch = 0
        self.seconds = 0.0
        self.record = Recorder(model.k)
        self._stop = threading.Event()
        self._stack(model, np.arange(model.k))

    def _stack(self, work, active):
        """Train ``work``, holding networks ``active`` of the model, from now on."""
        self.work, self.active = work, active
        self.xs, self.ys = self.data.of(active) if work is not self.model else (self.data.x,
                                                                                self.data.y)
        labels = self.data.labels(self.ys)  # compared with the predictions every epoch
        if labels.dtype == bool:  # shaped as the outputs are, (k, n, n_out): no broadcast
            labels = np.ascontiguousarray(np.broadcast_to(labels, (work.k, *labels.shape[-2:])))
        self.labels = labels
        self.flat = work.params.reshape(-1)  # a view, for the check of every epoch

    def stop(self):
        """Stop at the end of the current epoch; safe to call from another thread."""
        self._stop.set()

    def retire(self, networks):
        """Stop training the networks ``networks`` (positions in the model's stack), as one
        that reaches ``stop_at_loss`` stops: their weights stay in the model as they are, and
        the others train on unaffected, without them. For a callback, between two epochs;
        the history marks them stopped early, their final loss and accuracy unmeasured."""
        gone = np.isin(self.active, networks)
        if gone.any():
            self.record.stopped[self.active[gone]] = True
            self.record.epochs_run[self.active[gone]] = self.epoch
            self._compact(np.flatnonzero(~gone))

    def retune(self, stop_at_loss=..., epochs=None, **hyper):
        """Change the learning rate, the optimizer's other settings, the stopping rule or the
        run's length between two runs, for the epochs still to come (a playground changes lr
        while it plays). Each new epoch is then the one a run started with these settings
        would take from this state; nothing done is undone. ``stop_at_loss=None`` turns the
        stopping rule off (left out, it stays). A cosine schedule that anneals over the run's
        epochs cannot change its length: the rates it trained with would not fit the new one."""
        if epochs is not None:
            if self.settings["epochs"] is not None and int(epochs) != self.epochs:
                raise BackproplabError("the cosine schedule anneals over the run's epochs "
                                       "(no t_max): its length cannot change mid-run")
            if int(epochs) < 0:
                raise BackproplabError(f"epochs must be >= 0, got {epochs}")
            self.epochs = int(epochs)
        if hyper:
            self.opt.set_hyper(**hyper)
        if stop_at_loss is not ...:
            self.stop_at_loss = self.settings["stop_at_loss"] = stop_at_loss

    def run(self, epochs=None):
        """Train ``epochs`` more epochs (default: up to the run's ``epochs``) and return the
        :class:`History` so far, the networks still training evaluated on the training set.
        Ctrl-C, or :meth:`stop`, ends it cleanly between two epochs (``interrupted``)."""
        target = self.epochs if epochs is None else self.epoch + int(epochs)
        model, started = self.model, time.perf_counter()
        self._stop.clear()
        if self.work is not model:  # the caller may have changed the model between runs
            self.work.params[...] = model.params[self.active]
        model.train_mode(True)
        self.work.train_mode(True)
        try:
            with np.errstate(all="ignore"), _SigintFlag() as sigint:
                while self.epoch < target and len(self.active):
                    if sigint.raised or self._stop.is_set():
                        break
                    self._epoch()
                if self.work is not model:
                    model.params[self.active] = self.work.params
                model.train_mode(False)
                self.seconds += time.perf_counter() - started
                history = self.history()
                # a signal during the last epoch or the evaluation counts too: never swallowed
                history.interrupted = sigint.raised or self._stop.is_set()
                return history
        finally:
            model.train_mode(False)

    def history(self, interrupted=False):
        """The History so far (see :meth:`run`)."""
        with np.errstate(all="ignore"), self.model.evaluating():
            return self.record.history(self.model, self.loss_fn, self.data, self.active,
                                       self.epoch, interrupted, self.seconds)

    def _epoch(self):
        e, opt, full_batch = self.epoch, self.opt, self.batch_size is None
        if self.schedule is not None:  # epoch e trains with lr(e), from each network's lr₀
            opt.set_lr(self.schedule.lr(opt.initial_lr, e, self.epochs))
        spread = None  # mini-batches: each network's (lowest, highest) batch loss
        if full_batch:  # look at the loss before updating, so a stopped network is as seen
            L, acc = self._forward(self.xs, self.ys, self.labels, self.data.w)
        else:
            L, acc, spread = self._minibatch_epoch()
        # One scalar tells whether any loss or parameter of the stack is NaN or infinite: the
        # sum of squares p·p, one BLAS pass. A false alarm (squares beyond 1e308) costs one
        # exact check in retire().
        healthy = math.isfinite(sum(L.tolist()) + self.flat.dot(self.flat))
        finished = None if self.stop_at_loss is None else L <= self.stop_at_loss
        if not healthy or (finished is not None and finished.any()):
            done = e if full_batch else e + 1
            keep = self.record.retire(self.work, self.active, L, acc, e, done, finished)
            if len(keep) < len(self.active):
                self._compact(keep)
                if len(self.active) == 0 or full_batch:
                    return  # (full batch) redo this epoch's forward pass for those left
                L, acc = L[keep], acc[keep]
                spread = None if spread is None else (spread[0][keep], spread[1][keep])
        self.record.row(e, self.active, L, acc, spread)
        if full_batch:
            self._update()
        self.epoch = e = e + 1
        if self.callback is not None and self.every and e % self.every == 0:
            self.callback(Progress(e, self.work, self.active, self.record.loss[:e],
                                   self.record.acc[:e]))

    def _forward(self, x, y, labels, w=None):
        """The forward pass and the loss: one loss and one accuracy per network; ``w``, the
        samples' weights, if any (see :mod:`backproplab.nn.losses`)."""
        # the non-copying pass: the loss reads the output at once, and every epoch counts
        L = self.loss_fn.forward(self.work._forward(x), y, w)
        return L, self.data.score(self.loss_fn.proba, labels)

    def _update(self):
        """The backward pass from the loss of the last forward pass, then one optimizer step."""
        self.work._clear_grads()
        self.work.backward(self.loss_fn.backward())
        self.opt.step()

    def _minibatch_epoch(self):
        """One pass over the data in shuffled mini-batches (each network its own order); the
        means of the batch losses (weighted by their sizes, or by their shares of the sample
        weights) and of the batch accuracies (by their sizes), each before its update, and
        the spread of the batch losses: (lowest, highest), one of each per network."""
        orders = [self.orders[i] for i in self.active]
        total_loss = total_acc = 0.0
        lowest = highest = None
        for xb, yb, wb, b, share in self.data.batches(self.xs, self.ys, self.batch_size,
                                                      orders, self.shuffle):
            L, acc = self._forward(xb, yb, yb, wb)
            self._update()
            total_loss = total_loss + L * share
            total_acc = total_acc + acc * b
            lowest = np.array(L, dtype=np.float64) if lowest is None else np.fmin(lowest, L)
            highest = np.array(L, dtype=np.float64) if highest is None else np.fmax(highest, L)
        return total_loss / self.data.n, total_acc / self.data.n, (lowest, highest)

    def _compact(self, keep):
        """Go on with the networks at positions ``keep`` of the working stack, in a new, smaller
        one; the others' weights are copied back into the model as they are."""
        model = self.model
        if self.work is not model:
            model.params[self.active] = self.work.params
        active = self.active[keep]
        if len(active) == 0:
            self._stack(model, active)
            return
        work = model.select(active)
        work.train_mode(model.training)
        self.opt = self.opt.select(keep, [work.params], [work.grads])
        self._stack(work, active)

    # -- checkpoints --------------------------------------------------------------------------

    def state(self):
        """Everything needed to go on later, as (arrays, JSON data): see engine.checkpoint."""
        return trainer_state(self)

    def restore(self, arrays, meta):
        """Take up a run where :meth:`state` left it; the settings must be the same."""
        restore_state(self, arrays, meta)


def train(model, x, y, loss=None, optimizer="gd", lr=None, epochs=1000, batch_size=None,
          stop_at_loss=None, callback=None, callback_every=None, schedule=None,
          sample_weight=None, shuffle=True, **hyper):
    """Train ``model`` (a Sequential, an MLP or a CNN, possibly a stack of k) in place.

    x: (n, *in_shape) shared by every network — (n, n_in) for an MLP, images (n, C, H, W) for
    a CNN — or (k, n, *in_shape), one data set per network.
    y: for the mse and bce losses 0/1 labels, (n,), (n, 1) or (k, n, 1); for the ce loss
    (softmax output) class labels 0…K−1, (n,) or (k, n).
    ``loss`` defaults to ce for a softmax output and mse otherwise; a bare Sequential needs it
    named (mse on its last layer's output; bce and ce take that output as logits).
    lr and the optimizer's settings (``momentum``, ``weight_decay``, …) are scalars or one value
    per network; ``l1`` adds l1 · Σ|p| over all parameters to the loss that is minimised.
    ``schedule`` (a name or a :mod:`backproplab.nn.schedules` object; None: constant) sets each
    epoch's learning rate from ``lr``. Full batch by default (one update per epoch);
    ``batch_size`` trains on mini-batches, shuffled each epoch from each network's own seed.
    ``sample_weight`` (n,) weighs each sample's loss, and ``shuffle=False`` keeps the
    mini-batches in order (see :class:`Trainer`).
    Dropout is on while training and off for the final evaluation; the model is left in
    evaluation mode. ``callback(progress)`` is called every ``callback_every`` epochs (see
    :class:`Trainer`). Returns a :class:`History` with a model axis.
    """
    trainer = Trainer(model, x, y, loss=loss, optimizer=optimizer, lr=lr, epochs=epochs,
                      batch_size=batch_size, stop_at_loss=stop_at_loss, schedule=schedule,
                      callback=callback, every=callback_every, sample_weight=sample_weight,
                      shuffle=shuffle, **hyper)
    return trainer.run()


class _SigintFlag:
    """Turns the first Ctrl-C (or SIGTERM) into a flag the loop checks between epochs (so no
    update is left half done); a second one interrupts at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.raised = False

    def __enter__(self):
        self._previous = {}
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        if self.raised:
            raise KeyboardInterrupt
        self.raised = True

    def __exit__(self, *exc):
        for s, handler in self._previous.items():
            signal.signal(s, handler)
