"""Data and networks from settings: what every command of the lab builds from a TrainConfig."""

import os
from dataclasses import fields
from datetime import datetime

import numpy as np

from ..data import datasets
from ..errors import BackproplabError
from ..models.cnn import CNN
from ..models.mlp import MLP
from ..models.modelfile import read_checkpoint, read_model_file, set_weights
from .config import TrainConfig


def load_data(cfg):
    """The training set of a configuration: (x, y, standardisation or None). With
    ``cfg.test_fraction`` it is what is left once the test set is held out; the
    standardisation is then the training set's alone, as it must be to measure fairly."""
    x, y = _all_data(cfg)
    if cfg.test_fraction is not None:
        train, _ = datasets.held_out(y, cfg.test_fraction, _data_seed(cfg))
        x, y = x[train], y[train]
    scaling = None
    if cfg.standardize:  # without overflow, however large the values (see standardize)
        x, mean, std = datasets.standardize(x)
        scaling = {"mean": mean.tolist(), "std": std.tolist()}
    return x, y, scaling


def has_test_data(cfg):
    """Whether the configuration asks for a test set of points (a fresh sample, or a share of
    the data held out)."""
    return bool(cfg.test_n) or cfg.test_fraction is not None


def _data_seed(cfg):
    return cfg.seed if cfg.data_seed is None else cfg.data_seed


def _all_data(cfg):
    return datasets.load(cfg.data, n=cfg.n, noise=cfg.noise, seed=_data_seed(cfg))


def load_test_data(cfg, scaling=None):
    """The test set, scaled as the training data was; (x, y): a fresh sample of ``cfg.test_n``
    points from the training data's distribution, or the share ``cfg.test_fraction`` of the
    data that :func:`load_data` held out."""
    seed = _data_seed(cfg)
    if cfg.test_fraction is not None:
        x, y = _all_data(cfg)
        _, test = datasets.held_out(y, cfg.test_fraction, seed)
        x, y = x[test], y[test]
    else:
        x, y = datasets.fresh_sample(cfg.data, cfg.test_n, noise=cfg.noise, seed=seed)
    if scaling:
        x = (x - np.array(scaling["mean"])) / np.array(scaling["std"])
    return x, y


def load_images(cfg):
    """The training and test images of a configuration, (x, y, x_test, y_test): images
    (n, 1, 8, 8) for the cnn, flattened to (n, 64) for the mlp; labels (n,) 0..K−1."""
    seed = cfg.seed if cfg.data_seed is None else cfg.data_seed
    x, y, x_test, y_test = datasets.digits_split(seed=seed)
    if cfg.model == "mlp":
        x, x_test = x.reshape(len(x), -1), x_test.reshape(len(x_test), -1)
    return x, y, x_test, y_test


def build_model(cfg, n_in, n_classes=None):
    """The network of a configuration, starting from ``cfg.init``'s weights if given.

    ``n_in`` is the number of input features, or an image's shape (C, H, W) for the cnn;
    ``n_classes`` the K of a softmax output."""
    if cfg.model == "cnn":
        net = CNN(in_shape=tuple(n_in), n_classes=n_classes, channels=tuple(cfg.channels),
                  kernel=cfg.kernel, hidden=tuple(cfg.hidden), dropout=cfg.dropout,
                  seed=cfg.seed, dtype=cfg.dtype)
    elif n_classes is not None:
        net = MLP(n_in, hidden=cfg.hidden, activation=cfg.activation, output=cfg.output,
                  n_out=n_classes, seed=cfg.seed, dtype=cfg.dtype)
    else:
        net = MLP(n_in, hidden=cfg.hidden, activation=cfg.activation, output=cfg.output,
                  seed=cfg.seed, dtype=cfg.dtype)
    if cfg.init:
        start_from(net, cfg.init)
    return net


def point_classes(cfg, y):
    """The number of output units for points labelled ``y`` (whole numbers, any shape), as
    ``build_model``'s ``n_classes``: for a softmax output one unit per class, K = 1 + the
    largest label, at least 2; for a sigmoid or linear output None (its one unit), which
    takes labels 0 and 1 only — more classes are an error that counts them."""
    top = int(np.max(y)) if np.size(y) else 0
    if cfg.output == "softmax":
        return max(top + 1, 2)
    if top > 1:
        raise BackproplabError(
            f"{cfg.data}: its labels go up to {top}, so {top + 1} classes: more than two "
            f"classes need --output softmax --loss ce (one output unit per class); --output "
            f"{cfg.output} has one unit, for labels 0 and 1")
    return None


def point_model(cfg, x, y):
    """The network of a configuration for points x (n, features) labelled y: one output unit,
    or with a softmax output one per class (:func:`point_classes`). ``train``, a sweep,
    gradcheck and explain all build it so, and must agree on the number of classes."""
    return build_model(cfg, x.shape[-1], point_classes(cfg, y))


def image_model(cfg, x, n_classes):
    """The network of an image configuration, for images x as ``load_images`` gives them: the
    cnn takes each image's shape (C, H, W), the mlp its number of pixels."""
    return build_model(cfg, x.shape[1:] if cfg.model == "cnn" else x.shape[1], n_classes)


def start_from(net, path):
    """Give every network of ``net`` the weights of the one saved in ``path`` (its layer sizes
    must fit)."""
    arrays, _ = read_model_file(path)
    one = net if net.k == 1 else net.select([0])
    set_weights(one, arrays, path)
    net.params[...] = one.params  # one row, broadcast over the stack


def default_out(cfg):
    stem = os.path.splitext(os.path.basename(cfg.data))[0]
    if cfg.images:
        stem = f"{stem}-{cfg.model}"
    base = os.path.join("runs", f"{stem}-seed{cfg.seed}-{datetime.now():%Y%m%d-%H%M%S}")
    out, i = base, 1
    while os.path.exists(out):
        i += 1
        out = f"{base}-{i}"
    return out


def resume_config(path, given):
    """The configuration of the run that checkpoint ``path`` holds, to go on with: options
    ``given`` ({setting: value}) must agree with it, but for ``epochs``, the epoch to reach."""
    _, config = read_model_file(path)
    saved = config.get("training")
    if not isinstance(saved, dict):
        raise BackproplabError(f"{path}: holds no run's settings (it was not written by "
                               "backproplab train); start from its weights with --init")
    names = {f.name for f in fields(TrainConfig)}
    settings = {k: v for k, v in saved.items() if k in names}
    try:
        before = TrainConfig(**settings).check().to_dict()
    except TypeError as e:
        raise BackproplabError(f"{path}: the run's settings are damaged ({e})") from None
    try:
        cfg = TrainConfig(**{**settings, **given}).check()
        now = cfg.to_dict()
    except BackproplabError:  # options that do not even fit each other: name them as given
        cfg, now = None, {**before, **given}
    differ = [f"--{key.replace('_', '-')} {_shown(now[key])} (the checkpoint's run: "
              f"{_shown(before[key])})" for key in before if key != "epochs"
              and before[key] != now[key]]
    if differ or cfg is None:
        raise BackproplabError(f"{path}: the checkpoint does not fit these options: "
                               + "; ".join(differ))
    state = read_checkpoint(path)
    reached = state[1].get("epoch", 0) if state else 0
    if isinstance(reached, int) and cfg.epochs < reached:
        raise BackproplabError(f"{path}: the checkpoint has reached epoch {reached}; --epochs "
                               f"must be at least that, got {cfg.epochs}")
    if cfg.schedule == "cosine" and cfg.t_max is None and cfg.epochs != before["epochs"]:
        raise BackproplabError(
            f"{path}: its cosine schedule anneals over the run's {before['epochs']} epochs (no "
            f"--t-max), so going on to {cfg.epochs} would change the learning rates it trained "
            f"with; resume with --epochs {before['epochs']}")
    return cfg


def _shown(value):
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)
