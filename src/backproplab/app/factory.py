"""Data and networks from settings: what every command of the lab builds from a TrainConfig."""

import os
from datetime import datetime

import numpy as np

from ..data import datasets
from ..errors import BackproplabError
from ..models.mlp import MLP
from ..models.modelfile import read_model_file, set_weights


def load_data(cfg):
    """The training set of a configuration: (x, y, standardisation or None)."""
    seed = cfg.seed if cfg.data_seed is None else cfg.data_seed
    x, y = datasets.load(cfg.data, n=cfg.n, noise=cfg.noise, seed=seed)
    scaling = None
    if cfg.standardize:
        mean, std = x.mean(axis=0), x.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        x = (x - mean) / std
        scaling = {"mean": mean.tolist(), "std": std.tolist()}
    return x, y, scaling


def load_test_data(cfg, scaling=None):
    """A fresh sample of ``cfg.test_n`` points from the training data's distribution, scaled
    as the training data was; (x, y)."""
    seed = cfg.seed if cfg.data_seed is None else cfg.data_seed
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
        from ..models.cnn import CNN

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


def prepare_out(out):
    if os.path.exists(out) and not os.path.isdir(out):
        raise BackproplabError(f"--out {out}: exists and is a file, not a folder")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise BackproplabError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    return out


