"""Model files: the weights W1, b1, W2, … and the configuration as JSON, in one .npz file;
read back without ever unpickling anything, and checked before anything is read or built:
only the expected members, each one's header (dtype, shape, size) against the configuration,
which is itself checked by type and range. ``--init``, ``--resume``, sweep's ``init``,
gradcheck, explain and ``load`` all read model files through :func:`read_model_file`.

A model file written by ``train`` is also a checkpoint: beside the weights it holds the
trainer's state (``trainer`` JSON data and arrays named ``trainer.…``, see
:mod:`backproplab.engine.checkpoint`), which ``train --resume`` takes up. Everything else that
reads a model file (``--init``, ``load``) ignores it."""

import contextlib
import json
import re

import numpy as np

from ..errors import BackproplabError
from ..files import _json_default, atomic_open
from ..limits import MAX_JSON_BYTES, MAX_MODEL_FILE, size_text
from .modelconfig import DTYPES, check_trainer_state, implied_arrays, parse_json, weight_count
from .npzfile import Npz

MODEL_FORMAT = "backproplab-model"


CHECKPOINT = "trainer"  # the checkpoint's JSON member, and the prefix of its arrays


def save_model(model, path, extra=None, checkpoint=None):
    """Weights ``W1, b1, W2, b2, …`` and the configuration as JSON text, in one .npz file.

    One network: W of shape (n_in, n_out), b of shape (n_out,) (a convolution's W is
    (C_out, C_in, kh, kw)). A stack of k: a leading k axis. ``checkpoint``: a trainer's
    (arrays, JSON data), stored beside them.
    """
    arrays = dict(model.param_arrays(0 if model.k == 1 else None))
    if checkpoint is not None:
        state, meta = checkpoint
        arrays.update({f"{CHECKPOINT}.{name}": value for name, value in state.items()})
        arrays[CHECKPOINT] = np.array(json.dumps(meta, default=_json_default))
    config = {"format": MODEL_FORMAT, "version": 1, "n_models": model.k, **model.config()}
    if extra:
        config["training"] = extra
    arrays["config"] = np.array(json.dumps(config, default=_json_default))
    with atomic_open(path, "wb") as f:
        np.savez(f, **arrays)


def read_model_file(path):
    """The weights ``{W1: array, b1: …}`` and the configuration of a model file, every member
    checked from its header (see :mod:`~backproplab.models.npzfile`) and the configuration by
    type and range (see :mod:`~backproplab.models.modelconfig`) before any weight is read."""
    with _model_file(path) as (npz, config):
        return {name: npz.read(name) for name in npz.members if _WEIGHT.fullmatch(name)}, config


def read_checkpoint(path):
    """The trainer's state that a model file holds: (arrays, JSON data), or None if it has
    none (a file written by ``save`` from Python, or by an older backproplab)."""
    with _model_file(path) as (npz, _):
        if CHECKPOINT not in npz.members:
            return None
        meta = _read_json(npz, CHECKPOINT, "the trainer's state")
        try:
            check_trainer_state(meta)
        except BackproplabError as e:
            npz.fail(f"the trainer's state is damaged: {e}")
        prefix = CHECKPOINT + "."
        arrays = {name[len(prefix):]: npz.read(name) for name in npz.members
                  if name.startswith(prefix)}
    return arrays, meta


# The members a model file may hold: its configuration, the weights W1, b1, … and the
# checkpoint's JSON data and arrays (``trainer.history.loss``, ``trainer.optimizer.buf.0``, …).
_WEIGHT = re.compile(r"[Wb][1-9][0-9]{0,5}")
_MEMBER = re.compile(rf"config|{_WEIGHT.pattern}|{CHECKPOINT}(\.[\w.-]{{1,200}})?")


@contextlib.contextmanager
def _model_file(path):
    """(npz, configuration) of the model file at ``path``, opened and checked from its
    headers: its members, its configuration, and the weights' names, shapes and dtypes."""
    with Npz(path, _MEMBER.fullmatch, "model file", MAX_MODEL_FILE) as npz:
        if "config" not in npz.members:
            npz.fail("not a backproplab model file (no configuration)")
        config = _read_json(npz, "config", "the model's configuration")
        if not isinstance(config, dict) or config.get("format") != MODEL_FORMAT:
            npz.fail("not a backproplab model file (unknown format)")
        if config.get("version", 1) != 1:
            npz.fail(f"written by a newer backproplab (format {str(config['version'])[:20]})")
        try:
            implied = implied_arrays(config)
        except BackproplabError as e:
            npz.fail(f"the model's configuration is invalid: {e}")
        _check_weights(npz, implied, DTYPES[config["dtype"]])
        for name, m in npz.members.items():
            if name.startswith(CHECKPOINT + ".") and m.dtype.kind not in "biuf":
                npz.fail(f"{name} is not an array of numbers ({m.dtype.str})")
        yield npz, config


def _check_weights(npz, implied, itemsize):
    """The weights present must be those the configuration implies, with their shapes; a
    configuration that asks for more values than the arrays hold is named with its size."""
    present = {name: m for name, m in npz.members.items() if _WEIGHT.fullmatch(name)}
    missing = [name for name, _ in implied if name not in present]
    extra = sorted(set(present) - {name for name, _ in implied})
    if missing or extra:
        npz.fail("the arrays do not fit the model's configuration: "
                 + "; ".join(([f"missing {', '.join(missing)}"] if missing else [])
                             + ([f"unexpected {', '.join(extra)}"] if extra else [])))
    need = weight_count(shape for _, shape in implied)
    have = weight_count(m.shape for m in present.values())
    if need > have:
        npz.fail(f"its configuration asks for {need:,} parameters "
                 f"({size_text(need * itemsize)}) but its arrays hold {have:,}")
    for name, shape in implied:
        m = present[name]
        if m.shape != shape:
            npz.fail(f"{name} has shape {m.shape} but its configuration says {shape}")
        if m.dtype.kind not in "iuf":
            npz.fail(f"{name} is not an array of real numbers ({m.dtype.str})")


def _read_json(npz, name, what):
    """The JSON data of member ``name``: one string (numpy's unicode, 4 bytes a character) of at
    most MAX_JSON_BYTES, its nesting checked before it is parsed."""
    m = npz.members[name]
    if m.dtype.kind != "U" or m.shape != ():
        npz.fail(f"{what} is not JSON text (it is {m.dtype.str} values of shape {m.shape})")
    if m.nbytes > MAX_JSON_BYTES:
        npz.fail(f"{what} is {size_text(m.nbytes)}, more than the {size_text(MAX_JSON_BYTES)} "
                 "it may be")
    try:
        return parse_json(str(npz.read(name)[()]), what)
    except BackproplabError as e:
        npz.fail(str(e))


def load_model(cls, path, models=None):
    """Rebuild the model of a file written by :func:`save_model`: of class ``cls`` (MLP, CNN),
    or, for ``cls=None``, of whichever class of ``models`` ({kind: class}) the file names (an
    MLP if it names none)."""
    arrays, config = read_model_file(path)
    kind = config.get("kind", "mlp")
    if cls is None:
        if kind not in models:
            raise BackproplabError(f"{path}: unknown kind of model {kind!r}")
        cls = models[kind]
    elif cls.kind != kind:
        raise BackproplabError(f"{path}: holds a{'n' if kind == 'mlp' else ''} "
                               f"{kind.upper()}, not a{'n' if cls.kind == 'mlp' else ''} "
                               f"{cls.kind.upper()}")
    try:
        model = cls.from_config(config)
    except (KeyError, TypeError) as e:
        raise BackproplabError(f"{path}: the model's configuration is incomplete ({e})") from None
    set_weights(model, arrays, path)
    model.training_config = config.get("training")
    return model


def set_weights(model, arrays, path):
    """Copy the arrays ``W1, b1, …`` into ``model``; every name and shape must fit."""
    expected = model.param_arrays(0 if model.k == 1 else None)
    names = {name for name, _ in expected}
    extra = sorted(set(arrays) - names)
    missing = [name for name, _ in expected if name not in arrays]
    if missing or extra:
        raise BackproplabError(
            f"{path}: the model's layers do not fit this network: "
            + (f"missing {', '.join(missing)}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"unexpected {', '.join(extra)}" if extra else "")
        )
    for name, target in expected:
        value = arrays[name]
        if value.shape != target.shape:
            raise BackproplabError(f"{path}: {name} has shape {value.shape} but this network "
                                   f"needs {target.shape}")
        if not np.issubdtype(value.dtype, np.number):
            raise BackproplabError(f"{path}: {name} is not numeric")
        target[...] = value
