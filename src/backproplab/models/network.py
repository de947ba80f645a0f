"""What every ready-made network shares: an output unit, seeds, a configuration, prediction,
training, saving and loading."""


import numpy as np

from ..checks import wholes
from ..engine.sequential import Sequential
from ..engine.trainer import train
from ..errors import BackproplabError
from ..nn.layers import Dense
from ..nn.losses import get_output
from .modelfile import load_model, save_model


class Network(Sequential):
    """A Sequential with an output unit, seeds and a configuration: what MLP and CNN share —
    prediction, training (``fit``), saving and loading.

    Subclasses set ``in_shape`` (the shape of one sample: ``(n_in,)``, or ``(C, H, W)`` for
    images), ``n_out``, ``output`` (the output nonlinearity's name) and ``seeds``, and give
    ``config()`` and ``from_config(config)``. The network computes the output's pre-activation
    z; the output nonlinearity is applied by ``predict_proba`` and, in training, by the loss.
    """

    kind = None  # the name a model file gives this class

    @property
    def n_classes(self):
        """Classes the network tells apart: K for a softmax output, 2 for a single unit."""
        return self.n_out if self.output == "softmax" else 2

    def _squeeze(self, a):
        return a[0] if self.k == 1 else a

    def check_inputs(self, x):
        """x as an array of the model's dtype, shaped (n, *in_shape), or (k, n, *in_shape) for
        one data set per network; a clear error otherwise."""
        try:
            x = np.asarray(x, dtype=self.dtype)
        except (TypeError, ValueError):
            raise BackproplabError("the inputs must be numeric") from None
        d = len(self.in_shape)
        if x.ndim in (d + 1, d + 2) and x.shape[-d:] == self.in_shape:
            if x.ndim == d + 2 and x.shape[0] != self.k:
                raise BackproplabError(f"per-network data needs a leading axis of {self.k}")
            return x
        if d == 1:
            raise BackproplabError(
                f"the network takes {self.in_shape[0]} input features but the data has "
                f"{x.shape[-1] if x.ndim else 0}" + (f" (shape {x.shape}: give x as (n, "
                "features))" if x.ndim not in (2, 3) else "")
            )
        raise BackproplabError(
            f"the network takes images of shape {self.in_shape} (channels, height, width), "
            f"as an array (n, {', '.join(map(str, self.in_shape))}); got shape {x.shape}"
        )

    def decision_function(self, x):
        """The output unit's pre-activation z: (n, n_out), or (k, n, n_out) for a stack; a new
        array, like every array the prediction methods return."""
        x = self.check_inputs(x)
        with np.errstate(all="ignore"), self.evaluating():
            return self._squeeze(self.forward(x))

    def predict_proba(self, x):
        """The output after its nonlinearity: P(label = 1), (n, 1), for a sigmoid output; the
        K class probabilities, (n, K), for a softmax output; a leading k axis for a stack."""
        x = self.check_inputs(x)
        with np.errstate(all="ignore"), self.evaluating():
            # forward's z is a new array, and so is what a new output unit makes of it (a
            # linear output, "none", returns z itself)
            return self._squeeze(get_output(self.output).forward(self.forward(x)))

    def hidden_activations(self, x, m=None):
        """What every hidden unit computes for the inputs x (n, n_in): a list with one array
        per hidden layer, its activations a = f(z) — (n, units) for network m (or for a lone
        network), else (k, n, units).

        The layers' own forward passes compute them; a network taken out of a stack runs
        alone, so a wide stack is not evaluated whole for one of its networks.
        """
        if m is not None and not 0 <= m < self.k:
            raise IndexError(f"network {m} of a stack of {self.k}")
        net = self if m is None or self.k == 1 else self.select([m])
        x = np.asarray(x, dtype=self.dtype)
        out = []
        with np.errstate(all="ignore"):
            for layer in net.layers[:-1]:  # the last layer is the output's Dense
                x = layer.forward(x)
                if not isinstance(layer, Dense):
                    out.append(x.copy())  # layers reuse their arrays: keep a copy
        return [a[0] if m is not None or self.k == 1 else a for a in out]

    def predict(self, x):
        """Labels: for a softmax output the most probable class, (n,) integers 0…K−1; for a
        single output unit 0/1 (probability ≥ 0.5), (n, 1). A leading k axis for a stack."""
        proba = self.predict_proba(x)
        if self.output == "softmax":
            return proba.argmax(axis=-1)
        return (proba >= 0.5).astype(np.int64)

    def fit(self, x, y, **settings):
        """Train in place and return the :class:`~backproplab.engine.history.History` (squeezed for
        one network). The settings are those of :func:`backproplab.engine.trainer.train`: loss,
        optimizer, lr, epochs, batch_size, stop_at_loss, momentum, weight_decay, …"""
        history = train(self, x, y, **settings)
        return history.single() if self.k == 1 else history

    def save(self, path, extra=None):
        """Write the weights ``W1, b1, W2, b2, …`` and the configuration (JSON) to an .npz file,
        atomically. ``extra`` (JSON data) is stored beside the configuration."""
        save_model(self, path, extra)

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save` (never unpickling anything)."""
        return load_model(cls, path)


def _check_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise BackproplabError(f"unknown dtype {dtype!r}; choose float64 or float32") from None
    if dtype not in (np.float64, np.float32):
        raise BackproplabError(f"unknown dtype {dtype.name!r}; choose float64 or float32")
    return dtype


def _check_output(output, n_out):
    get_output(output)  # an unknown output name fails here, listing the valid ones
    if output == "softmax" and n_out < 2:
        raise BackproplabError(f"a softmax output needs one unit per class, at least 2; got "
                               f"n_out = {n_out}")


def _whole_sizes(sizes, what="layer sizes"):
    return wholes(sizes, what)
