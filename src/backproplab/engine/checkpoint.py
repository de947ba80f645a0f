"""A trainer's state as plain arrays and JSON data, and back: what a checkpoint holds beside
the weights, so that a run taken up later goes on as if it had never stopped.

Arrays (every one numeric):
    history.loss, history.acc        (epochs, k) the rows so far
    history.loss_min, …loss_max      (epochs, k) each epoch's spread of batch losses (NaN full
                                     batch; an older checkpoint without them reads as NaN)
    history.final_loss, …            (k,) the outcome of each network that has stopped
    optimizer.NAME.I                 the optimizer's state NAME for its parameter array I
                                     (Adam's exp_avg, momentum's buf, …), networks still training
JSON data:
    epoch, the optimizer's step count t, the networks still training, the settings the run was
    made with, each network's mini-batch order generator and dropout generators (their
    bit-generator states), the reasons of divergence, the seconds trained.
"""

import numpy as np

from ..errors import BackproplabError

FORMAT = 1


def trainer_state(trainer):
    """(arrays, meta) of ``trainer``: see the module's docstring."""
    arrays, reason = trainer.record.state(trainer.epoch)
    opt = trainer.opt
    for name, states in opt.state.items():
        for i, value in enumerate(states):
            if value is not None:
                arrays[f"optimizer.{name}.{i}"] = value.copy()
    meta = {
        "format": FORMAT, "epoch": trainer.epoch, "t": opt.t, "k": trainer.model.k,
        "active": [int(m) for m in trainer.active], "settings": trainer.settings,
        "reason": reason, "seconds": trainer.seconds,
        "orders": None if trainer.orders is None else [_rng_state(g) for g in trainer.orders],
        "dropout": [[_rng_state(g) for g in layer.rngs] for layer in _dropout(trainer.model)],
    }
    return arrays, meta


def restore_state(trainer, arrays, meta):
    """Put ``trainer`` (new, built with the same settings) where ``meta`` and ``arrays`` say."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BackproplabError("not a checkpoint this version of backproplab can resume")
    if trainer.epoch:
        raise BackproplabError("a trainer can take up a checkpoint only before it has trained")
    keys = {**meta["settings"], **trainer.settings}  # a setting named by one side only too
    differ = [f"{key}: {meta['settings'].get(key)!r} in the checkpoint, "
              f"{trainer.settings.get(key)!r} now"
              for key in keys if meta["settings"].get(key) != trainer.settings.get(key)]
    if meta.get("k") != trainer.model.k:
        differ.append(f"networks: {meta.get('k')} in the checkpoint, {trainer.model.k} now")
    if differ:
        raise BackproplabError("the checkpoint does not fit these settings: " + "; ".join(differ))
    try:
        epoch = int(meta["epoch"])
        trainer.record.restore(arrays, meta["reason"], epoch)
        for g, state in zip(trainer.orders or [], meta["orders"] or []):
            g.bit_generator.state = state
        for layer, states in zip(_dropout(trainer.model), meta["dropout"]):
            for g, state in zip(layer.rngs, states):
                g.bit_generator.state = state
        active = np.asarray(meta["active"], dtype=np.int64)
        if len(active) < trainer.model.k:
            trainer._compact(active)
        opt = trainer.opt
        for key, value in arrays.items():
            if key.startswith("optimizer."):
                _, name, i = key.split(".")
                like = opt.params[int(i)]
                if name not in opt.state or value.shape != like.shape:
                    raise ValueError(f"{key} does not fit the optimizer")
                opt.state[name][int(i)] = value.astype(like.dtype)
        opt.t = int(meta["t"])
        trainer.epoch, trainer.seconds = epoch, float(meta["seconds"])
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise BackproplabError(f"the checkpoint is damaged or incomplete ({e})") from None


def _rng_state(generator):
    return generator.bit_generator.state


def _dropout(model):
    return [layer for layer in model.layers if getattr(layer, "rngs", None)]
