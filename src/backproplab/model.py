"""The model container: a Sequential stack of layers, and the MLP and CNN built on it.

All parameters of all k networks live in one flat buffer ``params`` of shape (k, P), and their
gradients in ``grads`` of the same shape; each layer holds reshaped *views* of its slice. So the
optimizer updates every parameter of every network with a handful of NumPy calls, divergence is
one check over one array, and a network can be taken out of a stack by indexing one axis.
"""

import contextlib
import copy

import numpy as np

from .activations import ReLU, get_activation
from .conv import Conv2D, Dropout, Flatten, MaxPool2D
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


def dropout_rng(seed):
    """The third random stream of a network with this seed: its dropout masks. The third child
    of ``SeedSequence(seed)`` (the first two are :func:`model_rngs`' and do not change)."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])


class Sequential:
    """Layers run in order, for a stack of k networks of the same shape.

    forward: x (n, n_in) or (k, n, n_in) → output (k, n, n_out) — or images (n, C, H, W) or
    (k, n, C, H, W) when the first layer takes images.  backward: the chain rule, layer by layer
    from the top, each layer adding its parameters' gradients into ``grads``; it stops at the
    first layer with parameters, since nothing below it has any to learn.

    A layer has ``forward(x)`` and ``backward(grad_out)``. A layer with parameters also has
    ``param_shapes()`` ({name: shape of one network's array}), ``bind(params, grads)`` (views
    with the model axis), ``initialize(rng, **arrays)`` (fills one network's arrays, passed by
    name), and the flags ``fresh`` and ``input_grad`` (see :class:`~backproplab.layers.Dense`).

    ``training`` says whether layers that behave differently in training (Dropout) are in
    training mode; ``train_mode(True)`` turns it on, and it is off after construction, after
    :func:`~backproplab.training.train` and inside ``evaluating()``.
    """

    training = False

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
        if self._with_params:  # its input is the data, or made from it: no gradient needed
            self._with_params[0].input_grad = False
        first = self.layers.index(self._with_params[0]) if self._with_params else len(self.layers)
        self._backward_layers = self.layers[first:][::-1]

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
        self._views = list(views.values())  # (layer, its parameters, its gradients)

    def __setstate__(self, state):
        """After unpickling or ``copy.deepcopy`` the layers' parameter arrays are copies of
        their own, no longer views of ``params`` and ``grads``: make them views again (or
        training would update one copy and compute with the other)."""
        self.__dict__.update(state)
        self._bind()

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
            for layer, params, _ in self._views:  # each fills network m's arrays, W=…, b=…
                layer.initialize(rng, **{name: value[m] for name, value in params.items()})
        for layer in self.layers:
            if hasattr(layer, "rngs"):  # dropout: one stream of masks per network
                layer.rngs = [dropout_rng(seed) for seed in seeds]

    def train_mode(self, on=True):
        """Switch training mode (Dropout active) on or off, for every layer; returns self."""
        self.training = bool(on)
        for layer in self.layers:
            if hasattr(layer, "training"):
                layer.training = self.training
        return self

    @contextlib.contextmanager
    def evaluating(self):
        """``with model.evaluating():`` runs the block in evaluation mode, then restores the
        mode it found (so a callback may predict in the middle of training)."""
        was = self.training
        self.train_mode(False)
        try:
            yield self
        finally:
            self.train_mode(was)

    def forward(self, x):
        """The output of every network, (k, n, n_out). Layers reuse their arrays, so the result
        is valid until the next forward pass (copy it to keep it)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        """Backpropagate dL/d(output), down to the first layer with parameters (which skips
        dL/dx: its input is the data). Returns None."""
        for layer in self._backward_layers:
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
            if hasattr(layer, "select_networks"):
                layer.select_networks(index)
        mapping = {id(old): layer for old, layer in zip(self.layers, new.layers)}
        new._layout = [(mapping[id(l)], n, s, a, b) for l, n, s, a, b in self._layout]
        new._backward_layers = [mapping[id(layer)] for layer in self._backward_layers]
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
        """The output unit's pre-activation z: (n, n_out), or (k, n, n_out) for a stack."""
        x = self.check_inputs(x)
        with np.errstate(all="ignore"), self.evaluating():
            return self._squeeze(self.forward(x).copy())

    def predict_proba(self, x):
        """The output after its nonlinearity: P(label = 1), (n, 1), for a sigmoid output; the
        K class probabilities, (n, K), for a softmax output; a leading k axis for a stack."""
        x = self.check_inputs(x)
        with np.errstate(all="ignore"), self.evaluating():
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
    for size in sizes:
        if isinstance(size, bool) or int(size) != size or size < 1:
            raise BackproplabError(f"{what} must be whole numbers >= 1, got {size!r}")


class MLP(Network):
    """A multilayer perceptron: Dense → activation for each hidden layer, then a Dense output.

    ``MLP(2, hidden=(4, 4), activation="sigmoid", seed=0)`` is the lab's network. ``activation``
    is one name for every hidden layer or one per hidden layer; ``output`` is the output unit's
    nonlinearity (``"sigmoid"``, ``"none"`` for a linear output, or ``"softmax"`` over
    ``n_out`` = K ≥ 2 classes). ``seed`` may be a list: the MLP is then a stack of
    ``len(seed)`` networks, one per seed, trained together.
    """

    kind = "mlp"

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
        _whole_sizes((n_in, *hidden, n_out))
        _check_output(output, n_out)
        dtype = _check_dtype(dtype)
        seeds = [seed] if np.isscalar(seed) else list(seed)

        sizes = [int(n_in), *map(int, hidden), int(n_out)]
        acts = [get_activation(name) for name in activation]
        layers = []
        for i, act in enumerate(acts):
            layers += [Dense(sizes[i], sizes[i + 1], init=act.init), act]
        layers.append(Dense(sizes[-2], sizes[-1], init="glorot"))

        self.n_in, self.hidden, self.n_out = sizes[0], sizes[1:-1], sizes[-1]
        self.in_shape = (self.n_in,)
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

    @classmethod
    def from_config(cls, config):
        return cls(config["n_in"], hidden=config["hidden"], activation=config["activation"],
                   output=config["output"], n_out=config["n_out"], seed=config["seed"],
                   dtype=config["dtype"])

    @property
    def dense_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Dense)]


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


MODELS = {cls.kind: cls for cls in (MLP, CNN)}


def load(path):
    """Read any model file written by ``save`` — an MLP or a CNN, as its configuration says."""
    from .files import load_model

    return load_model(None, path)
