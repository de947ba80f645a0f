"""Robustness: do the page's settings solve its problem from any start, or only from this seed?
The current settings are trained from 20 seeds at once, as one stack of networks on the same
points — the engine trains a stack with the same code as one network, each network with its
own numbers, so network m is exactly its seed trained alone (``train --seed m`` with the page's
data seed), only far cheaper than 20 runs.

What comes back: the share of seeds that reach 100% training accuracy, the band of the loss
curves (lowest, median and highest loss of each epoch, at most 200 epochs of it) and the seeds
that failed — each can be opened in the page by setting its seed.
"""

import warnings

import numpy as np

from ...checks import is_whole
from ...engine.trainer import Trainer
from ...errors import BackproplabError
from ...limits import PLAYGROUND_MAX_EPOCHS, PLAYGROUND_ROBUSTNESS_SEEDS
from ...models.mlp import MLP
from ..factory import point_classes

BAND_POINTS = 200  # epochs of the loss band sent to the page
REPORTS = 100  # progress reports over a run


def run(cfg, data, seeds=None, epochs=None, progress=None, stop=None):
    """The robustness of configuration ``cfg`` on ``data`` (see the module's docstring) over
    seeds 0…seeds−1 (default 20) and ``epochs`` (default the run's). ``progress(fraction)`` is
    called as training goes; setting the event ``stop`` ends it at the end of an epoch (the
    result then says ``finished: False``)."""
    seeds = PLAYGROUND_ROBUSTNESS_SEEDS if seeds is None else seeds
    if not is_whole(seeds) or not 1 <= seeds <= PLAYGROUND_ROBUSTNESS_SEEDS:
        raise BackproplabError(f"robustness trains 1 to {PLAYGROUND_ROBUSTNESS_SEEDS} seeds, "
                               f"got {str(seeds)[:20]}")
    epochs = cfg.epochs if epochs is None else epochs
    if not is_whole(epochs) or not 1 <= epochs <= PLAYGROUND_MAX_EPOCHS:
        raise BackproplabError(f"robustness trains 1 to {PLAYGROUND_MAX_EPOCHS} epochs, got "
                               f"{str(epochs)[:20]}")
    _, history = train_stack(cfg, data, list(range(seeds)), epochs, progress, stop)
    return summary(list(range(seeds)), history, epochs)


def train_stack(cfg, data, seeds, epochs, progress=None, stop=None):
    """Train the networks of ``cfg`` from each of ``seeds`` as one stack on ``data``'s
    training set, with ``cfg``'s settings for ``epochs`` epochs: (the stack, its History)."""
    n_out = point_classes(cfg, data.y) or 1  # as the page's own network (and train) has
    net = MLP(data.x.shape[1], hidden=cfg.hidden, activation=cfg.activation,
              output=cfg.output, n_out=n_out, seed=seeds, dtype=cfg.dtype)
    every = max(1, epochs // REPORTS)
    trainer = None

    def report(p):  # after every epoch: a stop is seen within one
        if progress is not None and p.epochs % every == 0:
            progress(p.epochs / epochs)
        if stop is not None and stop.is_set():
            trainer.stop()

    trainer = Trainer(net, data.x, data.y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr,
                      epochs=epochs, batch_size=cfg.batch_size, stop_at_loss=cfg.stop_at_loss,
                      schedule=cfg.lr_schedule(), callback=report, every=1, **cfg.hyper())
    if stop is not None and stop.is_set():  # asked before it started: train nothing
        return net, trainer.history(interrupted=True)
    return net, trainer.run()


def summary(seeds, history, epochs):
    """The page's robustness message (without its type) from a stack's History."""
    solved = (history.final_accuracy == 1.0) & ~history.diverged
    rows = len(history.loss)
    at = np.unique(np.linspace(0, rows - 1, min(rows, BAND_POINTS)).round().astype(int)) \
        if rows else np.zeros(0, dtype=int)
    with warnings.catch_warnings():  # an epoch every network had stopped before: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        loss = history.loss[at]
        band = {"epoch": at.tolist(), "min": _numbers(np.nanmin(loss, axis=1)),
                "median": _numbers(np.nanmedian(loss, axis=1)),
                "max": _numbers(np.nanmax(loss, axis=1))}
    done = 1.0 if not history.interrupted else float(history.epochs_run.max()) / epochs
    return {"done": done, "finished": not history.interrupted, "epochs": epochs,
            "seeds": list(seeds), "solved": float(solved.mean()),
            "failed": [s for s, ok in zip(seeds, solved) if not ok],
            "diverged": [s for s, bad in zip(seeds, history.diverged) if bad],
            "accuracy": _numbers(100 * history.final_accuracy),
            "loss": _numbers(history.final_loss), "band": band}


def _numbers(a):
    """Numbers for JSON: None where not finite."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(a, dtype=np.float64)]
