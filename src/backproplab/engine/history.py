"""What training records: the loss and accuracy of every epoch, and how each network ended."""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """What training recorded.

    For a stack of k networks every array has a model axis: ``loss`` and ``accuracy`` are
    (epochs, k), the rest (k,). For one network (what ``MLP.fit`` returns for k = 1) they are
    squeezed: ``loss`` (epochs,), ``final_loss`` a float, ``diverged`` a bool, and so on.

    ``loss[e]`` is the loss of epoch e's first forward pass, before its update (for mini-batches:
    the mean of the epoch's batch losses, each before its own update); ``accuracy[e]`` likewise.
    It is the data's loss alone: an L1 penalty (``l1``), like weight decay, is not in it.
    Row e is NaN for a network that had stopped before epoch e. ``final_loss`` and
    ``final_accuracy`` are those of the trained weights on the whole training set.
    """

    loss: np.ndarray
    accuracy: np.ndarray
    final_loss: np.ndarray
    final_accuracy: np.ndarray
    epochs_run: np.ndarray  # epochs completed (= updates made, full batch)
    diverged: np.ndarray
    diverged_epoch: np.ndarray  # epoch whose forward pass found the non-finite value, or -1
    reason: list = field(default_factory=list)  # why each network diverged, or None
    stopped_early: np.ndarray = None  # reached stop_at_loss
    interrupted: bool = False
    seconds: float = 0.0

    def single(self, m=0):
        """The history of network m alone, squeezed."""
        return History(
            loss=self.loss[:, m], accuracy=self.accuracy[:, m],
            final_loss=float(self.final_loss[m]), final_accuracy=float(self.final_accuracy[m]),
            epochs_run=int(self.epochs_run[m]), diverged=bool(self.diverged[m]),
            diverged_epoch=int(self.diverged_epoch[m]), reason=self.reason[m],
            stopped_early=bool(self.stopped_early[m]), interrupted=self.interrupted,
            seconds=self.seconds,
        )

    def message(self, m=0):
        """One line on how network m's training ended, or None if it simply ran its epochs."""
        reason = self.reason if np.isscalar(self.diverged) else self.reason[m]
        diverged = self.diverged if np.isscalar(self.diverged) else self.diverged[m]
        epoch = self.diverged_epoch if np.isscalar(self.diverged_epoch) else self.diverged_epoch[m]
        if diverged:
            return f"diverged at epoch {epoch}: {reason}; try a smaller learning rate"
        if self.interrupted:
            return "interrupted: stopped cleanly and kept what was trained so far"
        return None


@dataclass
class Progress:
    """What a training callback sees: ``epochs`` done; ``model``, the stack still training
    (its ``grads`` hold the last update's gradients), holding networks ``active`` of the
    original stack; ``loss`` and ``accuracy`` so far, (epochs, k) with NaN for stopped
    networks."""

    epochs: int
    model: object
    active: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray


def _reason(loss):
    """Why a network was stopped as diverged, given its loss at that epoch."""
    return f"loss is {loss}" if not np.isfinite(loss) else "a parameter became infinite or nan"


class _Recorder:
    """Preallocated history arrays and per-network outcomes."""

    def __init__(self, k, epochs):
        self.loss = np.full((epochs, k), np.nan)
        self.acc = np.full((epochs, k), np.nan)
        self.final_loss = np.full(k, np.nan)
        self.final_acc = np.full(k, np.nan)
        self.epochs_run = np.zeros(k, dtype=np.int64)
        self.diverged = np.zeros(k, dtype=bool)
        self.diverged_epoch = np.full(k, -1, dtype=np.int64)
        self.stopped = np.zeros(k, dtype=bool)
        self.reason = [None] * k
        self.interrupted = False
        self.seconds = 0.0
        self._all = k

    def row(self, epoch, active, L, acc):
        cols = slice(None) if len(active) == self._all else active
        self.loss[epoch, cols] = L
        self.acc[epoch, cols] = acc

    def retire(self, work, active, L, acc, epoch, done, finished):
        """Record the networks whose loss or parameters went non-finite at this epoch, or that
        reached the target loss, as having completed ``done`` epochs; returns the positions in
        the working stack of those that go on."""
        params_ok = np.isfinite(work.params).all(axis=1)
        loss_ok = np.isfinite(L)
        keep = []
        for pos, m in enumerate(active):
            if not (params_ok[pos] and loss_ok[pos]):
                self.diverged[m], self.diverged_epoch[m] = True, epoch
                self.reason[m] = _reason(L[pos])
            elif finished is not None and finished[pos]:
                self.stopped[m] = True
            else:
                keep.append(pos)
                continue
            self.epochs_run[m] = done
            self.final_loss[m], self.final_acc[m] = L[pos], acc[pos]
        return np.asarray(keep, dtype=np.int64)

    def finish(self, model, loss_fn, data, active, epoch):
        """Evaluate the networks still training on the whole training set."""
        for m in active:
            self.epochs_run[m] = epoch
        if len(active):
            sub = model if len(active) == model.k else model.select(active)
            xs, ys = data.of(active)
            L = loss_fn.forward(sub.forward(xs), ys)
            self.final_loss[active] = L
            self.final_acc[active] = data.score(loss_fn.proba, data.labels(ys))
            bad = ~np.isfinite(L) | ~np.isfinite(sub.params).all(axis=1)
            for pos in np.flatnonzero(bad):
                m = active[pos]
                self.diverged[m], self.diverged_epoch[m] = True, epoch
                self.reason[m] = _reason(L[pos])

    def history(self):
        rows = int(self.epochs_run.max()) if len(self.epochs_run) else 0
        return History(
            loss=self.loss[:rows], accuracy=self.acc[:rows],
            final_loss=self.final_loss, final_accuracy=self.final_acc,
            epochs_run=self.epochs_run, diverged=self.diverged,
            diverged_epoch=self.diverged_epoch, reason=self.reason,
            stopped_early=self.stopped, interrupted=self.interrupted, seconds=self.seconds,
        )
