"""How much memory a run will need, estimated from its settings before anything is allocated,
so that ``--hidden 100000 100000`` or ``--n 1000000000`` is refused with a line instead of
ending in a MemoryError (or the machine swapping) minutes later.

The estimate adds up, in the run's dtype:

    data         the training set and the test sample (or the digits' images);
    parameters   per network: the weights, their gradients, the optimizer's state (two arrays
                 at most) and its scratch (two more): 6 numbers per parameter;
    activations  per network: for every layer, what a forward pass on one batch keeps and what
                 backward makes of it (about 6 arrays of the layer's output), and for a
                 convolution its im2col patch matrix and its gradient;
    figures      the grid of the boundary and the unit maps, evaluated in chunks of at most
                 limits.FIGURE_CHUNK bytes, and what matplotlib keeps beside them;

and one network of each is counted k times for a stack of k. It is an estimate — NumPy's
temporaries come and go — but within a small factor of what a run uses, and it is the same
on every machine.
"""

import re

from ..errors import BackproplabError
from ..limits import DEFAULT_MAX_MEMORY, FIGURE_CHUNK, MAX_CLASSES, MiB, size_text

DIGITS = (1797, (1, 8, 8))  # the digits: images and the shape of one
FIGURES = FIGURE_CHUNK + 64 * MiB  # the grid's chunk, and matplotlib's canvas and artists
UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text):
    """'4G', '512M', '300k' or a number of bytes, as bytes; None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text).lower())
    if not match or float(match[1]) <= 0:
        raise BackproplabError(f"--max-memory takes a size such as 4G, 512M or 2000000 (bytes), "
                               f"got {text!r}")
    return int(float(match[1]) * UNITS[match[2]])


def estimate(cfg, k=1):
    """(total bytes, {part: bytes}) for a run of ``cfg`` with a stack of ``k`` networks."""
    item = 4 if cfg.dtype == "float32" else 8
    if cfg.images:
        n, in_shape = DIGITS
    else:
        n, in_shape = (21 if cfg.data in ("xor", "xor_easy") else cfg.n or 100), (2,)
    batch = min(cfg.batch_size or n, n)
    widths, patches = _layers(cfg, in_shape)
    params = sum(a * b + b for a, b in zip(widths, widths[1:])) if cfg.model == "mlp" else \
        _cnn_params(cfg, in_shape)
    samples = n + (cfg.test_n or 0)
    parts = {
        "data": samples * (_size(in_shape) + 1) * 8,
        "parameters": k * 6 * params * item,
        "activations": k * batch * (6 * sum(widths[1:]) + 2 * patches) * item,
        "figures": FIGURES if not cfg.images else 0,
    }
    return sum(parts.values()), parts


def check(cfg, limit=None, k=1):
    """Refuse a run whose estimate is beyond ``limit`` bytes (default: the package's limit)."""
    limit = DEFAULT_MAX_MEMORY if limit is None else limit
    total, parts = estimate(cfg, k)
    if total > limit:
        biggest = ", ".join(f"{name} {size_text(b)}" for name, b in
                            sorted(parts.items(), key=lambda p: -p[1]) if b)
        raise BackproplabError(
            f"this run would need about {size_text(total)} of memory ({biggest}), more than "
            f"the limit of {size_text(limit)}: use smaller settings, or raise the limit with "
            "--max-memory")
    return total


def _layers(cfg, in_shape):
    """The number of values each layer outputs for one sample (the input first), and the size
    of the convolutions' patch matrices for one sample."""
    if cfg.model == "mlp":
        out = 10 if cfg.images else MAX_CLASSES if cfg.output == "softmax" else 1
        return [_size(in_shape), *cfg.hidden, out], 0
    c, h, w = in_shape
    widths, patches = [c * h * w], 0
    for i, channels in enumerate(cfg.channels):
        pad = cfg.kernel // 2
        h, w = h + 2 * pad - cfg.kernel + 1, w + 2 * pad - cfg.kernel + 1
        patches += max(h, 0) * max(w, 0) * c * cfg.kernel * cfg.kernel
        c = channels
        widths.append(c * max(h, 0) * max(w, 0))
        if i < len(cfg.channels) - 1:
            h, w = h // 2, w // 2
    return [*widths, *cfg.hidden, 10], patches


def _cnn_params(cfg, in_shape):
    c, total = in_shape[0], 0
    for channels in cfg.channels:
        total += channels * c * cfg.kernel * cfg.kernel + channels
        c = channels
    widths, _ = _layers(cfg, in_shape)
    dense = [widths[len(cfg.channels)], *cfg.hidden, 10]
    return total + sum(a * b + b for a, b in zip(dense, dense[1:]))


def _size(shape):
    total = 1
    for s in shape:
        total *= s
    return total
