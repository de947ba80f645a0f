"""The generalisation experiment's curves: one seed of each setting trained again with its
fresh sample measured every few epochs, so the report can show where the loss on unseen points
follows the training loss and where it parts from it.

The network is the sweep's own (same seed, same settings, so the same training numbers); the
test loss is measured by the trainer's observer, which changes nothing in training.
"""

import numpy as np

from ...engine.trainer import Trainer
from ...engine.trainingdata import HeldOut
from ..factory import load_data, load_test_data, point_model
from .prose import DATA_TITLES

POINTS = 200  # measurements along a run
PLATEAU = 0.9  # a loss still above 0.9 × where it started has not left the plateau


def curves(result, rows):
    """For each row (a setting) of one data set: (label, epochs, training loss, test loss) of
    the setting's first seed, measured at about POINTS epochs along the run."""
    out = []
    for r in rows:
        cfg = result.configs[r["index"][0]]
        x, y, scaling = load_data(cfg)
        x_test, y_test = load_test_data(cfg, scaling)
        net = point_model(cfg, x, y)
        held = HeldOut(net, x_test, y_test, cfg.loss)
        every = max(1, cfg.epochs // POINTS)
        epochs, test = [0], [float(held.measure(net)[0][0])]

        def measure(p, held=held, net=net, epochs=epochs, test=test):
            epochs.append(p.epochs)
            test.append(float(held.measure(net)[0][0]))

        history = Trainer(net, x, y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr,
                          epochs=cfg.epochs, batch_size=cfg.batch_size, callback=measure,
                          every=every, schedule=cfg.lr_schedule(), **cfg.hyper()).run()
        train = history.loss[:, 0]
        epochs = np.asarray(epochs[:len(test)])
        at = np.minimum(epochs, len(train) - 1)  # the training loss of each measured epoch
        train_at = np.where(epochs < len(train), train[at], history.final_loss[0])
        out.append((r["label"], epochs, train_at, np.asarray(test)))
    return out


def paragraph(data, measured, n_test):
    """What the curves show, in words: for each setting, where its test loss was lowest and
    how it ended beside the training loss."""
    parts = []
    for label, epochs, train, test in measured:
        best = int(np.nanargmin(test))
        if test[-1] > PLATEAU * test[0] and train[-1] > PLATEAU * train[0]:
            parts.append(f"for {label} neither loss left the plateau ({test[-1]:.3g} on the "
                         f"fresh sample, {train[-1]:.3g} in training)")
            continue
        if best == len(test) - 1:
            parts.append(f"for {label} the fresh-sample loss fell to the end, to {test[-1]:.3g} "
                         f"against a training loss of {train[-1]:.3g}")
            continue
        rise = test[-1] / test[best] if test[best] > 0 else 1.0
        where = (f"for {label} it was lowest at epoch {int(epochs[best]):,} ({test[best]:.3g})")
        end = (f"and ended {rise:.2g} times higher, at {test[-1]:.3g}, while the training loss "
               f"fell to {train[-1]:.3g}" if rise > 1.5 else
               f"and ended at {test[-1]:.3g}, the training loss at {train[-1]:.3g}")
        parts.append(f"{where} {end}")
    joined = "; ".join(parts[:-1]) + ("; and " if len(parts) > 1 else "") + parts[-1]
    return (f"Per epoch on the {DATA_TITLES.get(data, data)}, the first seed of each setting, "
            f"measured on the {n_test:,} fresh points every few epochs: {joined}.")
