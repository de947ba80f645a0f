"""The configuration a model file carries, checked before anything is built from it.

Every field is checked by type and range, and the configuration says which arrays W1, b1, …
the file must hold and their shapes — worked out here from the numbers alone, as the MLP and
the CNN lay out their layers, so that a 6 KB file whose configuration asks for 74 GiB of
weights is refused from its arrays' headers, not discovered by allocating them.
"""

import json
import math
import re

from ..checks import is_real, is_whole
from ..errors import BackproplabError
from ..limits import MAX_JSON_DEPTH, MAX_LAYER_SIZE
from ..nn.activations import ACTIVATIONS
from ..nn.losses import OUTPUTS

KINDS = ("mlp", "cnn")
DTYPES = {"float64": 8, "float32": 4}  # name → bytes per weight

_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def parse_json(text, what):
    """JSON ``text`` as data. Its nesting is checked first, by a scan that does not recurse:
    json.loads recurses once per level, so a deep enough text would exhaust Python's stack."""
    depth = 0
    for bracket in _NOT_BRACKETS.sub("", _STRINGS.sub("", text)):  # brackets outside strings
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise BackproplabError(f"{what} nests arrays and objects more than "
                                   f"{MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # ValueError: also an integer of > 4300 digits
        raise BackproplabError(f"{what} is not valid JSON") from None


def implied_arrays(config):
    """The arrays a model file with this configuration holds, [(name, shape)] as
    ``param_arrays`` gives them: W (n_in, n_out) and b (n_out,) for a dense layer,
    W (C_out, C_in, k, k) and b (C_out,) for a convolution, a leading axis k for a stack of k.

    Every field the model's ``from_config`` reads is checked first; the error names it."""
    if not isinstance(config, dict):
        raise BackproplabError("it is not a JSON object")
    kind = config.get("kind", "mlp")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _unknown("kind of model", kind, KINDS)
    dtype = _field(config, "dtype")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise _unknown("dtype", dtype, DTYPES)
    k = _networks(config)
    layers = _mlp_layers(config) if kind == "mlp" else _cnn_layers(config)
    lead = (k,) if k > 1 else ()
    return [(f"{p}{i}", lead + shape) for i, layer in enumerate(layers, 1)
            for p, shape in zip("Wb", layer)]


def _networks(config):
    """How many networks the file holds: one per seed, as ``n_models`` says."""
    seed = _field(config, "seed")
    seeds = seed if isinstance(seed, list) else [seed]
    if not seeds or not all(is_whole(s) and s >= 0 for s in seeds):
        raise BackproplabError(f"seed must be a whole number >= 0 or a list of them, got "
                               f"{_shown(seed)}")
    k = config.get("n_models", len(seeds))
    if not (is_whole(k) and k == len(seeds)):
        raise BackproplabError(f"n_models is {_shown(k)} but there are {len(seeds)} seeds")
    return k


def _mlp_layers(config):
    """[(W shape, b shape)] of an MLP: one dense layer per hidden size, then the output's."""
    n_in, n_out, hidden = _size(config, "n_in"), _size(config, "n_out"), _sizes(config, "hidden")
    activation = _field(config, "activation")
    names = [activation] * len(hidden) if isinstance(activation, str) else activation
    if not (isinstance(names, list) and len(names) == len(hidden)):
        raise BackproplabError(f"activation must be one name or one per hidden layer "
                               f"({len(hidden)}), got {_shown(activation)}")
    for name in names:
        _name(name, "activation", ACTIVATIONS)
    output = _name(_field(config, "output"), "output", OUTPUTS)
    if output == "softmax" and n_out < 2:
        raise BackproplabError(f"a softmax output needs n_out >= 2, got {n_out}")
    sizes = [n_in, *hidden, n_out]
    return [((a, b), (b,)) for a, b in zip(sizes, sizes[1:])]


def _cnn_layers(config):
    """[(W shape, b shape)] of a CNN, laid out as :class:`~backproplab.models.cnn.CNN` lays out
    its layers: convolutions (padding k//2) with a 2×2 max-pool between them, then dense
    layers from the flattened maps to each hidden size and to the classes."""
    in_shape, channels = _sizes(config, "in_shape"), _sizes(config, "channels")
    kernel, hidden = _size(config, "kernel"), _sizes(config, "hidden")
    n_classes = _size(config, "n_classes", minimum=2)
    if len(in_shape) != 3:
        raise BackproplabError(f"in_shape must be (channels, height, width), got "
                               f"{_shown(in_shape)}")
    if not channels:
        raise BackproplabError("a CNN needs at least one convolutional layer (channels)")
    dropout = _field(config, "dropout")
    if not (is_real(dropout) and 0 <= dropout < 1):  # NaN fails both comparisons
        raise BackproplabError(f"dropout must be a number in [0, 1), got {_shown(dropout)}")
    if config.get("output", "softmax") != "softmax":
        raise BackproplabError(f"a CNN's output is softmax, got {_shown(config['output'])}")
    (c, h, w), layers = in_shape, []
    for i, out in enumerate(channels):
        layers.append(((out, c, kernel, kernel), (out,)))
        c, h, w = out, h + 2 * (kernel // 2) - kernel + 1, w + 2 * (kernel // 2) - kernel + 1
        if i < len(channels) - 1:
            if min(h, w) < 2:
                raise BackproplabError(f"images of shape {tuple(in_shape)} are too small for "
                                       f"{len(channels)} convolutional layers")
            h, w = h // 2, w // 2
    sizes = [c * h * w, *hidden, n_classes]
    return layers + [((a, b), (b,)) for a, b in zip(sizes, sizes[1:])]


def check_trainer_state(meta):
    """The checkpoint's JSON data (see :mod:`backproplab.engine.checkpoint`), checked by type
    and range before a trainer takes it up: the counts, the networks still training, one
    reason and one stream state per network."""
    if not isinstance(meta, dict):
        raise BackproplabError("it is not a JSON object")
    k = _size(meta, "k")
    for key in ("epoch", "t"):
        _size(meta, key, minimum=0)
    if not isinstance(_field(meta, "settings"), dict):
        raise BackproplabError("its settings are not a JSON object")
    active = _field(meta, "active")
    if not (isinstance(active, list) and all(is_whole(m) and 0 <= m < k for m in active)):
        raise BackproplabError(f"active must list networks 0 to {k - 1}, got {_shown(active)}")
    seconds = _field(meta, "seconds")
    if not (is_real(seconds) and 0 <= seconds < math.inf):
        raise BackproplabError(f"seconds must be a number >= 0, got {_shown(seconds)}")
    for key, allowed in (("reason", (str, type(None))), ("orders", (dict,))):
        value = _field(meta, key)
        if key == "orders" and value is None:
            continue  # full-batch training draws no mini-batch order
        if not (isinstance(value, list) and len(value) == k
                and all(isinstance(v, allowed) for v in value)):
            raise BackproplabError(f"{key} must hold one entry per network ({k}), got "
                                   f"{_shown(value)}")
    dropout = _field(meta, "dropout")
    if not (isinstance(dropout, list) and all(isinstance(layer, list) for layer in dropout)):
        raise BackproplabError(f"dropout must be a list of lists, got {_shown(dropout)}")


def weight_count(shapes):
    """The number of values in arrays of these shapes (a Python int: no overflow)."""
    return sum(math.prod(shape) for shape in shapes)


def _field(config, key):
    if key not in config:
        raise BackproplabError(f"it has no {key!r}")
    return config[key]


def _size(config, key, minimum=1):
    value = _field(config, key)
    if not (is_whole(value) and minimum <= value <= MAX_LAYER_SIZE):
        raise BackproplabError(f"{key} must be a whole number from {minimum} to "
                               f"{MAX_LAYER_SIZE}, got {_shown(value)}")
    return int(value)


def _sizes(config, key):
    value = _field(config, key)
    if not (isinstance(value, list)
            and all(is_whole(v) and 1 <= v <= MAX_LAYER_SIZE for v in value)):
        raise BackproplabError(f"{key} must be a list of whole numbers from 1 to "
                               f"{MAX_LAYER_SIZE}, got {_shown(value)}")
    return [int(v) for v in value]


def _name(value, kind, registry):
    if not (isinstance(value, str) and value in registry):
        raise _unknown(kind, value, registry)
    return value


def _unknown(kind, value, valid):
    return BackproplabError(f"unknown {kind} {_shown(value)}; choose from: {', '.join(valid)}")


def _shown(value, limit=60):
    """A value for a message, cut short: a hostile file's value may be megabytes long."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
