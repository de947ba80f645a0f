"""The generalisation experiment's curves: the first seed of each setting with its fresh
sample measured every few epochs, so the report can show where the loss on unseen points
follows the training loss and where it parts from it.

The sweep measures them while it trains those networks (``sweep.run``'s ``test_curves``, which
:func:`watch` names), on a one-network copy of each: the numbers the network trained alone
would give, without training it again.
"""

import numpy as np

from ..factory import has_test_data
from .prose import DATA_TITLES, settings

POINTS = 200  # measurements along a run
PLATEAU = 0.9  # a loss still above 0.9 × where it started has not left the plateau


def watch(configs, keys):
    """{index: K} for ``sweep.run``'s ``test_curves``: the first seed of each setting (as the
    report's tables group them by ``keys``) that has a test set, measured every K epochs,
    about POINTS times along its run."""
    out = {}
    for labels in settings(configs, keys).values():
        for index, _ in labels.values():
            cfg = configs[index[0]]
            if has_test_data(cfg):
                out[index[0]] = max(1, cfg.epochs // POINTS)
    return out


def curves(result, rows):
    """For each row (a setting) of one data set: (label, epochs, training loss, test loss) of
    the setting's first seed, at the epochs its test loss was measured (the sweep's
    ``test_curves``; see :func:`watch`)."""
    out = []
    for r in rows:
        i = r["index"][0]
        epochs, test = result.test_curves[i]
        ran = result.metrics[i]["epochs_run"]
        train = result.loss[i, :ran]  # the loss of each epoch run, before its update
        at = np.minimum(epochs, len(train) - 1)  # the training loss of each measured epoch
        train_at = np.where(epochs < len(train), train[at], result.metrics[i]["final_loss"])
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
