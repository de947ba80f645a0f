"""Model files: the weights W1, b1, W2, … and the configuration as JSON, in one .npz file;
read back without ever unpickling anything.

A model file written by ``train`` is also a checkpoint: beside the weights it holds the
trainer's state (``trainer`` JSON data and arrays named ``trainer.…``, see
:mod:`backproplab.engine.checkpoint`), which ``train --resume`` takes up. Everything else that
reads a model file (``--init``, ``load``) ignores it."""

import json
import os
import zipfile

import numpy as np

from ..errors import BackproplabError
from ..files import _json_default, atomic_open

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
    """The arrays and configuration of a model file, checked; never unpickles anything."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise BackproplabError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise BackproplabError(f"{path}: is a directory, not a model file") from None
    except OSError as e:
        raise BackproplabError(f"{path}: cannot read it ({e.strerror})") from None
    if magic != b"PK\x03\x04":  # every .npz is a zip archive
        raise BackproplabError(f"{path}: not a backproplab model file (.npz)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise BackproplabError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise BackproplabError(f"{path}: is a directory, not a model file") from None
    except ValueError as e:
        if "pickle" in str(e):
            raise BackproplabError(f"{path}: holds pickled Python objects, which are never "
                                   "loaded; a model file holds only numeric arrays") from None
        raise BackproplabError(f"{path}: not a backproplab model file ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise BackproplabError(f"{path}: not a backproplab model file (.npz): {e}") from None
    if not isinstance(arrays, dict) or "config" not in arrays:
        raise BackproplabError(f"{path}: not a backproplab model file (no configuration)")
    try:
        config = json.loads(str(arrays.pop("config")))
    except (ValueError, TypeError):
        raise BackproplabError(f"{path}: the model's configuration is not valid JSON") from None
    if not isinstance(config, dict) or config.get("format") != MODEL_FORMAT:
        raise BackproplabError(f"{path}: not a backproplab model file (unknown format)")
    for name in [n for n in arrays if n == CHECKPOINT or n.startswith(CHECKPOINT + ".")]:
        arrays.pop(name)  # the weights alone: see read_checkpoint
    return arrays, config


def read_checkpoint(path):
    """The trainer's state that a model file holds: (arrays, JSON data), or None if it has
    none (a file written by ``save`` from Python, or by an older backproplab)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if CHECKPOINT not in data.files:
                return None
            meta = json.loads(str(data[CHECKPOINT]))
            prefix = CHECKPOINT + "."
            arrays = {n[len(prefix):]: data[n] for n in data.files if n.startswith(prefix)}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise BackproplabError(f"{path}: the checkpoint cannot be read ({e})") from None
    return arrays, meta


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
