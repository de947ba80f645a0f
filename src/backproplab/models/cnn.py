"""A small convolutional network for images in K classes (the digits)."""


import numpy as np

from ..errors import BackproplabError
from ..nn.activations import ReLU
from ..nn.conv import Conv2D, Flatten, MaxPool2D
from ..nn.dropout import Dropout
from ..nn.layers import Dense
from .network import Network, _check_dtype, _check_output, _whole_sizes


class CNN(Network):
    """A small convolutional network for K-class image classification:

        [Conv2D c@k×k (padding k//2) → ReLU → MaxPool2D 2] for each channel count but the last,
        Conv2D c@k×k (padding k//2) → ReLU → Flatten → [Dropout]
        → [Dense h → ReLU → [Dropout]] for each hidden size → Dense K,

    with a softmax output (trained with the ``ce`` loss). The defaults,
    ``CNN(in_shape=(1, 8, 8), n_classes=10, channels=(8, 16), kernel=3)``, are
    conv 8@3×3 → relu → maxpool 2 → conv 16@3×3 → relu → flatten → dense 10, for 8×8 digits:
    1×8×8 → 8×8×8 → 8×4×4 → 16×4×4 → 256 → 10. ``dropout`` is the probability p of dropping
    each input of the Dense layers (0: no Dropout layer). ``seed`` may be a list, for a stack.
    """

    kind = "cnn"
    output = "softmax"

    def __init__(self, in_shape=(1, 8, 8), n_classes=10, channels=(8, 16), kernel=3, hidden=(),
                 dropout=0.0, seed=0, dtype="float64"):
        in_shape = (in_shape,) if np.isscalar(in_shape) else tuple(in_shape)
        if len(in_shape) != 3:
            raise BackproplabError(f"in_shape is one image's (channels, height, width), got "
                                   f"{in_shape!r}")
        channels = [channels] if np.isscalar(channels) else list(channels)
        hidden = [hidden] if np.isscalar(hidden) else list(hidden)
        if not channels:
            raise BackproplabError("a CNN needs at least one convolutional layer (channels)")
        _whole_sizes(in_shape, "image sizes (in_shape)")
        _whole_sizes((*channels, kernel, *hidden), "channels, kernel and hidden sizes")
        _check_output("softmax", n_classes)
        if not (np.isscalar(dropout) and 0.0 <= dropout < 1.0):
            raise BackproplabError(f"the dropout probability must be in [0, 1), got {dropout!r}")
        dtype = _check_dtype(dtype)
        seeds = [seed] if np.isscalar(seed) else list(seed)

        kernel, shape, layers = int(kernel), tuple(map(int, in_shape)), []
        for i, c in enumerate(map(int, channels)):
            conv = Conv2D(shape[0], c, kernel, padding=kernel // 2, init="he")
            shape = conv.output_shape(shape)
            layers += [conv, ReLU()]
            if i < len(channels) - 1:
                if min(shape[1:]) < 2:
                    raise BackproplabError(f"images of shape {tuple(in_shape)} are too small "
                                           f"for {len(channels)} convolutional layers")
                layers.append(MaxPool2D(2))
                shape = (shape[0], shape[1] // 2, shape[2] // 2)
        layers.append(Flatten())
        size = int(np.prod(shape))
        for h in map(int, hidden):
            layers += [Dropout(dropout)] if dropout else []
            layers += [Dense(size, h, init="he"), ReLU()]
            size = h
        layers += [Dropout(dropout)] if dropout else []
        layers.append(Dense(size, int(n_classes), init="glorot"))

        self.in_shape, self.n_out = tuple(map(int, in_shape)), int(n_classes)
        self.channels, self.kernel, self.hidden = [int(c) for c in channels], kernel, \
            [int(h) for h in hidden]
        self.dropout, self.seeds = float(dropout), seeds
        super().__init__(layers, n_models=len(seeds), dtype=dtype)
        self.initialize(seeds)

    def config(self):
        """The settings that rebuild this network (without its weights), as plain JSON data."""
        return {
            "kind": self.kind, "in_shape": list(self.in_shape), "n_classes": self.n_out,
            "channels": self.channels, "kernel": self.kernel, "hidden": self.hidden,
            "dropout": self.dropout, "output": self.output, "dtype": self.dtype.name,
            "seed": self.seeds[0] if self.k == 1 else self.seeds,
        }

    @classmethod
    def from_config(cls, config):
        return cls(in_shape=config["in_shape"], n_classes=config["n_classes"],
                   channels=config["channels"], kernel=config["kernel"],
                   hidden=config["hidden"], dropout=config["dropout"], seed=config["seed"],
                   dtype=config["dtype"])
