"""The model container: a Sequential stack of layers, and the MLP built on it.

All parameters of all k networks live in one flat buffer ``params`` of shape (k, P), and their
gradients in ``grads`` of the same shape; each layer holds reshaped *views* of its slice. So the
optimizer updates every parameter of every network with a handful of NumPy calls, divergence is
one check over one array, and a network can be taken out of a stack by indexing one axis.
"""

import copy

import numpy as np

from .activations import get_activation
from .errors import BackproplabError
from .layers import Dense
from .losses import get_output


def model_rngs(seed):
    """The two random streams of a network with this seed: initialisation and mini-batch order.

    Both are children of ``SeedSequence(seed)``, so they are independent of each other and of
    the data set, which draws from ``default_rng(seed)`` itself.
    """
    init, order = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init), np.random.default_rng(order)


class Sequential:
    """Layers run in order, for a stack of k networks of the same shape.

    forward: x (n, n_in) or (k, n, n_in) → output (k, n, n_out).  backward: the chain rule,
    layer by layer from the top, each layer adding its parameters' gradients into ``grads``.
    """

    def __init__(self, layers, n_models=1, dtype=np.float64):
        self.layers = list(layers)
        self.k = int(n_models)
        if self.k < 1:
            raise BackproplabError(f"a model stack needs at least one network, got {n_models}")
        self.dtype = np.dtype(dtype)
        self._layout = []  # (layer, name, shape, start, stop) for every parameter array
        size = 0
        for layer in self.layers:
            for name, shape in getattr(layer, "param_shapes", dict)().items():
                n = int(np.prod(shape))
                self._layout.append((layer, name, tuple(shape), size, size + n))
                size += n
        self.params = np.zeros((self.k, size), self.dtype)
        self.grads = np.zeros((self.k, size), self.dtype)
        self._bind()
        if self.layers and hasattr(self.layers[0], "input_grad"):
            self.layers[0].input_grad = False  # its input is the data: no gradient needed

    def _bind(self):
        self._with_params = [layer for layer in self.layers if hasattr(layer, "fresh")]
        views = {}
        for layer, name, shape, start, stop in self._layout:
            p = self.params[:, start:stop].reshape((self.k, *shape))
            g = self.grads[:, start:stop].reshape((self.k, *shape))
            assert np.shares_memory(p, self.params) and np.shares_memory(g, self.grads)
            views.setdefault(id(layer), (layer, {}, {}))
            views[id(layer)][1][name] = p
            views[id(layer)][2][name] = g
        for layer, p, g in views.values():
            layer.bind(p, g)

    @property
    def n_params(self):
        """Parameters per network."""
        return self.params.shape[1]

    def initialize(self, seeds):
        """Draw each network's initial weights from its own seed's initialisation stream, so a
        network starts the same whether it is alone or one of a stack."""
        seeds = list(seeds)
        if len(seeds) != self.k:
            raise ValueError(f"{self.k} networks need {self.k} seeds, got {len(seeds)}")
        for m, seed in enumerate(seeds):
            rng, _ = model_rngs(seed)
            for layer in self.layers:
                if hasattr(layer, "initialize"):
                    layer.initialize(rng, layer.W[m], layer.b[m])

    def forward(self, x):
        """The output of every network, (k, n, n_out). Layers reuse their arrays, so the result
        is valid until the next forward pass (copy it to keep it)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        """Backpropagate dL/d(output); returns dL/dx, or None when the first layer skips it."""
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def zero_grad(self):
        """Start the gradients afresh: the next backward writes them rather than adding to them
        (``grads`` holds stale numbers until it runs)."""
        for layer in self._with_params:
            layer.fresh = True

    def select(self, index):
        """A copy of the networks ``index`` (a sequence of positions in the stack)."""
        new = copy.copy(self)
        new.layers = [copy.copy(layer) for layer in self.layers]
        for layer in new.layers:
            vars(layer).pop("_key", None)  # its own buffers, not the original's
        mapping = {id(old): layer for old, layer in zip(self.layers, new.layers)}
        new._layout = [(mapping[id(l)], n, s, a, b) for l, n, s, a, b in self._layout]
        new.k = len(index)
        new.params = self.params[np.asarray(index)].copy()
        new.grads = np.zeros_like(new.params)
        new._bind()
        return new

    def param_arrays(self, m=None):
        """(name, array) for each parameter in layer order: W1, b1, W2, b2, …; for network m
        alone when m is given (W as (n_in, n_out), b as (n_out,)), else with the model axis."""
        out, number = [], {}
        for layer, name, _, _, _ in self._layout:
            i = number.setdefault(id(layer), len(number) + 1)  # layers with parameters, from 1
            value = getattr(layer, name)
            if name == "b":
                value = value.reshape(value.shape[0], -1)
            out.append((f"{name}{i}", value if m is None else value[m]))
        return out


class MLP(Sequential):
    """A multilayer perceptron: Dense → activation for each hidden layer, then a Dense output.

    ``MLP(2, hidden=(4, 4), activation="sigmoid", seed=0)`` is the lab's network. ``activation``
    is one name for every hidden layer or one per hidden layer; ``output`` is the output unit's
    nonlinearity (``"sigmoid"``, or ``"none"`` for a linear output). ``seed`` may be a list: the
    MLP is then a stack of ``len(seed)`` networks, one per seed, trained together.

    The network computes the output unit's pre-activation z; ``predict_proba`` applies the
    output nonlinearity, and the loss applies it in training (see :mod:`backproplab.losses`).
    """

    def __init__(self, n_in, hidden=(4, 4), activation="sigmoid", output="sigmoid", n_out=1,
                 seed=0, dtype="float64"):
        hidden = [hidden] if np.isscalar(hidden) else list(hidden)
        if isinstance(activation, str):
            activation = [activation] * len(hidden)
        activation = list(activation)
        if len(activation) != len(hidden):
            raise BackproplabError(
                f"{len(activation)} activations given for {len(hidden)} hidden layers; give one "
                "name for all of them or one per hidden layer"
            )
        for size in (n_in, *hidden, n_out):
            if int(size) != size or size < 1:
                raise BackproplabError(f"layer sizes must be whole numbers >= 1, got {size!r}")
        get_output(output)  # an unknown output name fails here, listing the valid ones
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise BackproplabError(f"unknown dtype {dtype!r}; choose float64 or float32") from None
        if dtype not in (np.float64, np.float32):
            raise BackproplabError(f"unknown dtype {dtype.name!r}; choose float64 or float32")
        seeds = [seed] if np.isscalar(seed) else list(seed)

        sizes = [int(n_in), *map(int, hidden), int(n_out)]
        acts = [get_activation(name) for name in activation]
        layers = []
        for i, act in enumerate(acts):
            layers += [Dense(sizes[i], sizes[i + 1], init=act.init), act]
        layers.append(Dense(sizes[-2], sizes[-1], init="glorot"))

        self.n_in, self.hidden, self.n_out = sizes[0], sizes[1:-1], sizes[-1]
        self.activation, self.output, self.seeds = [a.name for a in acts], output, seeds
        super().__init__(layers, n_models=len(seeds), dtype=dtype)
        self.initialize(seeds)

    def config(self):
        """The settings that rebuild this network (without its weights), as plain JSON data."""
        return {
            "n_in": self.n_in, "hidden": self.hidden, "activation": self.activation,
            "output": self.output, "n_out": self.n_out, "dtype": self.dtype.name,
            "seed": self.seeds[0] if self.k == 1 else self.seeds,
        }

    @property
    def dense_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    def _squeeze(self, a):
        return a[0] if self.k == 1 else a

    def decision_function(self, x):
        """The output unit's pre-activation z: (n, n_out), or (k, n, n_out) for a stack."""
        x = np.asarray(x, dtype=self.dtype)
        with np.errstate(all="ignore"):
            return self._squeeze(self.forward(x).copy())

    def predict_proba(self, x):
        """The output after its nonlinearity — P(label = 1) for a sigmoid output: (n, 1), or
        (k, n, 1) for a stack."""
        x = np.asarray(x, dtype=self.dtype)
        with np.errstate(all="ignore"):
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
        """0/1 labels: probability ≥ 0.5."""
        return (self.predict_proba(x) >= 0.5).astype(np.int64)

    def fit(self, x, y, **settings):
        """Train in place and return the :class:`~backproplab.training.History` (squeezed for
        one network). The settings are those of :func:`backproplab.training.train`: loss,
        optimizer, lr, epochs, batch_size, stop_at_loss, momentum, weight_decay, …"""
        from .training import train

        history = train(self, x, y, **settings)
        return history.single() if self.k == 1 else history

    def save(self, path, extra=None):
        """Write the weights ``W1, b1, W2, b2, …`` and the configuration (JSON) to an .npz file,
        atomically. ``extra`` (JSON data) is stored beside the configuration."""
        from .files import save_model

        save_model(self, path, extra)

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save` (never unpickling anything)."""
        from .files import load_model

        return load_model(cls, path)
