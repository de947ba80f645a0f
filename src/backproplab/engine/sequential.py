"""The model container: a Sequential stack of layers, for one network or a stack of k.

All parameters of all k networks live in one flat buffer ``params`` of shape (k, P), and their
gradients in ``grads`` of the same shape; each layer holds reshaped *views* of its slice. So the
optimizer updates every parameter of every network with a handful of NumPy calls, divergence is
one check over one array, and a network can be taken out of a stack by indexing one axis.
"""

import contextlib
import copy

import numpy as np

from ..errors import BackproplabError
from ..nn.layer import declared_shapes
from .seeds import dropout_rng, model_rngs


class Sequential:
    """Layers run in order, for a stack of k networks of the same shape.

    forward: x (n, n_in) or (k, n, n_in) → output (k, n, n_out) — or images (n, C, H, W) or
    (k, n, C, H, W) when the first layer takes images — a new array each call, the caller's to
    keep.  backward: the chain rule, layer by layer from the top, each layer adding its
    parameters' gradients into ``grads``; it stops at the lowest layer with parameters, since
    nothing below it has any to learn.

    Any layer that keeps the contract of :mod:`backproplab.nn.layer` may be used — forward and
    backward, and for one with parameters param_shapes, bind and initialize — whatever its
    class; one that breaks it is refused here, with the reason. ``zero_grad()`` sets every
    gradient to 0, so that backward's ``+=`` starts from nothing. ``initialize(seeds)`` draws
    each network's starting weights from its own seed.

    ``training`` says whether layers that behave differently in training (Dropout) are in
    training mode; ``train_mode(True)`` turns it on, and it is off after construction, after
    :func:`~backproplab.engine.trainer.train` and inside ``evaluating()``.
    """

    training = False
    seeds = None  # set by initialize(seeds)

    def __init__(self, layers, n_models=1, dtype=np.float64):
        self.layers = list(layers)
        self.k = int(n_models)
        if self.k < 1:
            raise BackproplabError(f"a model stack needs at least one network, got {n_models}")
        self.dtype = np.dtype(dtype)
        self._layout = []  # (layer, name, shape, start, stop) for every parameter array
        size = 0
        for position, layer in enumerate(self.layers, 1):
            for name, shape in declared_shapes(layer, position).items():
                n = int(np.prod(shape))
                self._layout.append((layer, name, shape, size, size + n))
                size += n
        self.params = np.zeros((self.k, size), self.dtype)
        self.grads = np.zeros((self.k, size), self.dtype)
        self._bind()
        with_params = [layer for layer, *_ in self._views]
        if with_params and hasattr(with_params[0], "input_grad"):
            with_params[0].input_grad = False  # its input is the data: no dL/dx needed
        first = self.layers.index(with_params[0]) if with_params else len(self.layers)
        self._backward_layers = self.layers[first:][::-1]

    def _bind(self):
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
        # The built-in layers with parameters (Dense, Conv2D) can *write* their next gradient
        # instead of adding it to zeros (flag ``fresh``): the same numbers, one pass fewer.
        # Training uses that; every other layer's gradients are zeroed (see _clear_grads).
        self._writers = [layer for layer, *_ in self._views if hasattr(layer, "fresh")]
        self._zeroed = [g for layer, _, grads in self._views if not hasattr(layer, "fresh")
                        for g in grads.values()]

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
        self.seeds = seeds
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
        """The output of every network, (k, n, n_out): a new array, the caller's to keep."""
        return self._forward(x).copy()

    def _forward(self, x):
        """The forward pass itself, for the engine: what it returns is the last layer's own
        array, which the next pass overwrites (the fast layers reuse their buffers, see
        ``docs/performance.md``). The trainer reads it at once, so it copies nothing."""
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
        """Set every gradient to 0: the next backward adds into zeros."""
        self.grads.fill(0.0)
        for layer in self._writers:
            layer.fresh = True  # adding to 0 or writing: the same numbers

    def _clear_grads(self):
        """What zero_grad does, as training does it every step: the built-in layers write their
        next gradient (``fresh``) instead of adding it to zeros; other layers' are zeroed."""
        for layer in self._writers:
            layer.fresh = True
        for g in self._zeroed:
            g.fill(0.0)

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
