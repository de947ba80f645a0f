"""The page's model files: export the run as ``train`` writes its model.npz — the weights, the
run's settings and the trainer's state — so that ``backproplab train --resume model.npz`` goes
on where the page stopped; and load one back, read by the command line's own safe reader.

The reader opens a path (it checks a regular file, its zip directory and every member's header
before reading any data), so the bytes from the page are written to a private temporary folder
first and read from there, within the message size the server allows; messages name the file
``model.npz``, never the temporary path.
"""

import math
import os
import platform
import tempfile

import numpy as np

from ... import __version__
from ...errors import BackproplabError
from ...limits import PLAYGROUND_MESSAGE_BYTES, size_text
from ...models.modelfile import read_checkpoint, read_model_file, save_model, set_weights
from .building import build
from .parsing import POINTS
from .settings import from_training, normalise

NAME = "model.npz"


def write(run, command):
    """The bytes of ``run``'s model file: its network, its settings as ``train`` stores them
    (``command`` the equivalent command line) and the trainer's state."""
    state = run.trainer.state()
    if run.test_set is not None:  # train's test curve, entry e after e epochs: only the last
        run.look()  # is measured here
        loss, accuracy = run.test_set.measure(run.probes[1])
        gap = [math.nan] * run.trainer.epoch
        state[1]["test_loss"] = gap + [float(loss[0])]
        state[1]["test_curve"] = gap + [float(accuracy[0])]
    settings = {**run.cfg.applicable(), "standardization": None, "command": command,
                "versions": {"backproplab": __version__, "numpy": np.__version__,
                             "python": platform.python_version()}}
    with tempfile.TemporaryDirectory(prefix="backproplab-") as folder:
        path = os.path.join(folder, NAME)
        save_model(run.net, path, extra=settings, checkpoint=state)
        with open(path, "rb") as f:
            return f.read()


def read(data, current, points):
    """A new run from a model file's bytes ``data``, and a note for the command line (or
    None): the file's run, taken up where its checkpoint stopped; for a file without one
    (``net.save`` from Python), the page's settings with the file's network, from its weights.
    ``current``: the page's settings now; ``points``: its own points, if any (a run trained on
    a CSV file goes on with them)."""
    arrays, config, checkpoint = _read(data)
    if config.get("kind", "mlp") != "mlp" or config.get("n_in") != 2 or \
            config.get("n_models", 1) != 1:
        raise BackproplabError(f"{NAME}: the playground takes one MLP with 2 inputs; this file "
                               "holds another network")
    training = config.get("training")
    page = {"speed": current["speed"], "play": current["play"]}
    try:
        if isinstance(training, dict):
            given = {**from_training(training), **page}
        else:
            given = {**current, **page, "hidden": ",".join(map(str, config["hidden"])),
                     "activation": ",".join(config["activation"]), "output": config["output"],
                     "loss": {"softmax": "ce"}.get(config["output"], current["loss"]
                                                   if current["loss"] != "ce" else "mse")}
        values = normalise(given, None, points is not None)
    except BackproplabError as e:
        raise BackproplabError(f"{NAME}: the playground cannot take its run: {e}") from None
    run = build(values, points if values["data"] == POINTS else None)
    set_weights(run.net, arrays, NAME)
    if checkpoint is not None and isinstance(training, dict):
        run.trainer.restore(*checkpoint)
        return run, None
    return run, f"the weights started from a loaded {NAME} (train: --init {NAME})"


def _read(data):
    """(weights, configuration, checkpoint or None) of a model file's bytes."""
    if not isinstance(data, (bytes, bytearray)):
        raise BackproplabError(f"{NAME}: expected the file's bytes")
    if len(data) > PLAYGROUND_MESSAGE_BYTES:
        raise BackproplabError(f"{NAME}: is {size_text(len(data))}, more than the "
                               f"{size_text(PLAYGROUND_MESSAGE_BYTES)} the page may send")
    with tempfile.TemporaryDirectory(prefix="backproplab-") as folder:
        path = os.path.join(folder, NAME)
        with open(path, "wb") as f:
            f.write(data)
        try:
            arrays, config = read_model_file(path)
            return arrays, config, read_checkpoint(path)
        except BackproplabError as e:
            raise BackproplabError(str(e).replace(path, NAME)) from None
