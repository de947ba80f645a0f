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
    ``loss_min[e]`` and ``loss_max[e]`` are the lowest and highest batch loss of epoch e (their
    spread; NaN for full batch, where the epoch has one loss). Row e is NaN for a network that
    had stopped before epoch e. ``final_loss`` and ``final_accuracy`` are those of the trained
    weights on the whole training set.
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
    loss_min: np.ndarray = None  # (epochs, k): each epoch's lowest batch loss, NaN full batch
    loss_max: np.ndarray = None  # (epochs, k): and its highest

    def single(self, m=0):
        """The history of network m alone, squeezed."""
        return History(
            loss=self.loss[:, m], accuracy=self.accuracy[:, m],
            final_loss=float(self.final_loss[m]), final_accuracy=float(self.final_accuracy[m]),
            epochs_run=int(self.epochs_run[m]), diverged=bool(self.diverged[m]),
            diverged_epoch=int(self.diverged_epoch[m]), reason=self.reason[m],
            stopped_early=bool(self.stopped_early[m]), interrupted=self.interrupted,
            seconds=self.seconds, loss_min=self.loss_min[:, m], loss_max=self.loss_max[:, m],
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


class Recorder:
    """The history being written: per-epoch rows, which grow with the epochs actually run,
    and the outcome of every network that has stopped (diverged, or reached the target loss).

    The arrays hold ``capacity`` rows, doubled when full; rows past the last epoch run are NaN.
    """

    def __init__(self, k):
        self.k = k
        self.loss = np.full((0, k), np.nan)
        self.acc = np.full((0, k), np.nan)
        self.loss_min = np.full((0, k), np.nan)
        self.loss_max = np.full((0, k), np.nan)
        self.final_loss = np.full(k, np.nan)
        self.final_acc = np.full(k, np.nan)
        self.epochs_run = np.zeros(k, dtype=np.int64)  # of stopped networks (others: the epoch)
        self.diverged = np.zeros(k, dtype=bool)
        self.diverged_epoch = np.full(k, -1, dtype=np.int64)
        self.stopped = np.zeros(k, dtype=bool)
        self.reason = [None] * k

    def row(self, epoch, active, L, acc, spread=None):
        """Epoch ``epoch``'s loss and accuracy of networks ``active``; ``spread``, for
        mini-batches, the (lowest, highest) batch loss."""
        if epoch >= len(self.loss):
            self._grow(max(64, 2 * len(self.loss), epoch + 1))
        if len(active) == self.k:  # the whole row (a plain index: NumPy's cheapest setitem)
            self.loss[epoch], self.acc[epoch] = L, acc
            if spread is not None:
                self.loss_min[epoch], self.loss_max[epoch] = spread
            return
        self.loss[epoch, active] = L
        self.acc[epoch, active] = acc
        if spread is not None:
            self.loss_min[epoch, active], self.loss_max[epoch, active] = spread

    ROWS = ("loss", "acc", "loss_min", "loss_max")  # the per-epoch arrays, (epochs, k)

    def _grow(self, rows):
        for name in self.ROWS:
            old = getattr(self, name)
            new = np.full((rows, self.k), np.nan)
            new[:len(old)] = old
            setattr(self, name, new)

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

    def history(self, model, loss_fn, data, active, epoch, interrupted=False, seconds=0.0):
        """The History so far: the networks still training (``active``, whose weights are in
        ``model``) evaluated on the whole training set after ``epoch`` epochs. The recorder
        itself is left as it is, so training may go on."""
        epochs_run, final_loss = self.epochs_run.copy(), self.final_loss.copy()
        final_acc, diverged = self.final_acc.copy(), self.diverged.copy()
        diverged_epoch, reason = self.diverged_epoch.copy(), list(self.reason)
        epochs_run[active] = epoch
        if len(active):
            sub = model if len(active) == model.k else model.select(active)
            xs, ys = data.of(active)
            L = loss_fn.forward(sub._forward(xs), ys, data.w)  # read at once: no copy needed
            final_loss[active] = L
            final_acc[active] = data.score(loss_fn.proba, data.labels(ys))
            bad = ~np.isfinite(L) | ~np.isfinite(sub.params).all(axis=1)
            for pos in np.flatnonzero(bad):
                m = active[pos]
                diverged[m], diverged_epoch[m] = True, epoch
                reason[m] = _reason(L[pos])
        rows = int(epochs_run.max()) if len(epochs_run) else 0
        return History(
            loss=self.loss[:rows].copy(), accuracy=self.acc[:rows].copy(),
            final_loss=final_loss, final_accuracy=final_acc, epochs_run=epochs_run,
            diverged=diverged, diverged_epoch=diverged_epoch, reason=reason,
            stopped_early=self.stopped.copy(), interrupted=interrupted, seconds=seconds,
            loss_min=self.loss_min[:rows].copy(), loss_max=self.loss_max[:rows].copy(),
        )

    # -- checkpoints: the recorder as arrays and JSON data, and back --------------------------

    ARRAYS = ("loss", "acc", "loss_min", "loss_max", "final_loss", "final_acc", "epochs_run",
              "diverged", "diverged_epoch", "stopped")

    def state(self, rows):
        """The first ``rows`` rows and every outcome, as arrays; the reasons as JSON data."""
        arrays = {name: getattr(self, name) for name in self.ARRAYS}
        for name in self.ROWS:
            arrays[name] = arrays[name][:rows]
        return {f"history.{name}": a.copy() for name, a in arrays.items()}, list(self.reason)

    def restore(self, arrays, reason, rows):
        for name in self.ARRAYS:
            value = arrays.get(f"history.{name}")
            if value is None and name in ("loss_min", "loss_max"):  # an older checkpoint's
                value = np.full((rows, self.k), np.nan)
            if value is None:
                raise KeyError(f"history.{name}")
            want = (rows, self.k) if name in self.ROWS else (self.k,)
            if value.shape != want:
                raise ValueError(f"history.{name} has shape {value.shape}, expected {want}")
            setattr(self, name, value.astype(getattr(self, name).dtype))
        self.reason = list(reason)
