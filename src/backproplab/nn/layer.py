"""The layer contract: what the Sequential container asks of a layer.

Every layer has

    forward(x) -> a              computes its output and keeps what backward will need;
    backward(grad_out) -> dx     takes dL/da, adds its parameters' gradients into their arrays
                                 (``+=``: a gradient accumulates until ``zero_grad``), and
                                 returns dL/dx for the layer below: the chain rule.

A layer with parameters also declares them, and the container owns the memory:

    param_shapes() -> {name: shape}   one network's arrays, e.g. {"W": (n_in, n_out),
                                      "b": (1, n_out)}; the container adds the model axis k;
    bind(params, grads)               receives {name: view} of the container's parameters and
                                      gradients, each shaped (k, *shape);
    initialize(rng, **arrays)         fills one network's arrays (W=…, b=…) in place, drawing
                                      from ``rng``.

Subclassing :class:`Layer` is optional — any object with these methods is a layer — but it
gives a ``bind`` that keeps each parameter as an attribute (``self.W``) beside its gradient
(``self.dW``), and clear errors for what is missing. A layer written this way:

    class Dense(Layer):
        def __init__(self, n_in, n_out):
            self.n_in, self.n_out = n_in, n_out

        def param_shapes(self):
            return {"W": (self.n_in, self.n_out), "b": (1, self.n_out)}

        def initialize(self, rng, W, b):
            r = np.sqrt(6.0 / (self.n_in + self.n_out))  # Glorot's uniform range
            W[...] = rng.uniform(-r, r, W.shape)
            b[...] = 0.0

        def forward(self, x):
            self.x = x
            return x @ self.W + self.b

        def backward(self, grad_out):
            self.dW += self.x.swapaxes(-1, -2) @ grad_out
            self.db += grad_out.sum(axis=-2, keepdims=True)
            return grad_out @ self.W.swapaxes(-1, -2)
"""

import operator

from ..errors import BackproplabError


class Layer:
    """Base of a layer: see the module's docstring for the contract."""

    def param_shapes(self):
        """{name: shape of one network's array}; none for a layer without parameters."""
        return {}

    def bind(self, params, grads):
        """Keep the container's views: parameter ``name`` as ``self.name``, its gradient as
        ``self.dname`` (W and dW, b and db)."""
        for name in params:
            setattr(self, name, params[name])
            setattr(self, "d" + name, grads[name])

    def initialize(self, rng, **arrays):
        """Fill one network's parameter arrays in place; a layer with parameters must say how."""
        raise NotImplementedError(f"{type(self).__name__} declares parameters but does not "
                                  "say how they start: give it initialize(rng, **arrays)")

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError


class LayerContractError(BackproplabError, TypeError):
    """A layer that does not keep the contract, found when the container is built."""


def declared_shapes(layer, position):
    """The parameter shapes ``layer`` declares, checked against the contract; {} for none.

    ``position`` (1-based) names the layer in messages."""
    what = f"layer {position} ({type(layer).__name__})"
    for method in ("forward", "backward"):
        if not callable(getattr(layer, method, None)):
            raise LayerContractError(f"{what} has no {method}() method")
    if not hasattr(layer, "param_shapes"):
        return {}
    shapes = layer.param_shapes()
    if not isinstance(shapes, dict):
        raise LayerContractError(f"{what}: param_shapes() must return a dict {{name: shape}}, "
                                 f"got {type(shapes).__name__}")
    checked = {}
    for name, shape in shapes.items():
        try:
            shape = tuple(map(operator.index, shape if isinstance(shape, (tuple, list))
                              else (shape,)))
        except TypeError:
            shape = None
        if not (isinstance(name, str) and name.isidentifier() and shape
                and min(shape) >= 1):
            raise LayerContractError(f"{what}: param_shapes() must map names to shapes of "
                                     f"whole numbers >= 1, got {name!r}: "
                                     f"{shapes[name]!r}")
        checked[name] = shape
    if checked:
        for method in ("bind", "initialize"):
            if not callable(getattr(layer, method, None)):
                raise LayerContractError(f"{what} declares parameters {', '.join(checked)} "
                                         f"but has no {method}() method")
        if getattr(type(layer), "initialize", None) is Layer.initialize:
            raise LayerContractError(f"{what} declares parameters {', '.join(checked)} but "
                                     "does not say how they start: give it "
                                     "initialize(rng, **arrays)")
    return checked
