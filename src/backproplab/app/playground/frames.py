"""What the page draws of a network, as compact JSON: the decision boundary over the view and
every hidden unit's activation over the same plane, each as base64 bytes (one per pixel), plus
the weights and the gradient norms.

The page asks for this at least 20 times a second while training goes on, so it is one forward
pass of the network's own layers over one batch of grid points — the boundary's fine grid and
the units' coarse one together — read as it goes (the layers' forward passes, nothing
re-implemented), then scaled to bytes with a few vectorised NumPy calls.
"""

import base64

import numpy as np

from ...nn.layers import Dense
from ...nn.losses import get_output

BOUNDARY = 80  # the boundary's pixels a side (the issue asks for at least 80)
UNITS = 32  # each hidden unit's map, pixels a side
FIXED_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # activations with a range of
FLOOR_ZERO = {"relu", "softplus"}  # … and those that never go below 0 (their top: the data's)


def grid(view, size):
    """The centres of a size × size grid of pixels over ``view`` (x0, x1, y0, y1): (size², 2),
    row-major, row 0 at the top (y1), as an image is stored."""
    x0, x1, y0, y1 = view
    steps = (np.arange(size) + 0.5) / size
    xs, ys = x0 + steps * (x1 - x0), y1 - steps * (y1 - y0)
    return np.column_stack([np.tile(xs, size), np.repeat(ys, size)])


class Painter:
    """Draws one network (of one structure, over one view) again and again: the grid is made
    once; each :meth:`paint` runs the network's layers over it."""

    def __init__(self, net, view, boundary=BOUNDARY, units=UNITS):
        self.net, self.view = net, view
        self.boundary, self.units = boundary, units
        self.points = np.concatenate([grid(view, boundary), grid(view, units)])
        self.output = get_output(net.output)

    def paint(self):
        """The boundary (a dict, see :meth:`_boundary`), the unit maps ([[{"p": base64}] per
        unit] per hidden layer) and their ranges ([lo, hi] per hidden layer: byte 0 is lo, 255
        is hi) of the network's current weights."""
        net, split = self.net, self.boundary**2
        maps, ranges = [], []
        with np.errstate(all="ignore"), net.evaluating():
            out = self.points
            for layer in net.layers:
                out = layer.forward(out)
                if not isinstance(layer, Dense):  # a hidden layer's activation
                    units, lo_hi = _unit_maps(out[0, split:], layer.name)
                    maps.append(units)
                    ranges.append(lo_hi)
            proba = self.output.forward(out[:, :split])[0]  # (size², n_out)
        return self._boundary(proba), maps, ranges

    def _boundary(self, proba):
        """{"size", "extent", "classes", and "p" (P(class 1) as a byte) for two classes, or
        "label" (the likeliest class) and "confidence" (its probability, from 1/K as 0 to 1
        as 255) for more}."""
        size, k = self.boundary, proba.shape[-1]
        out = {"size": size, "extent": list(self.view), "classes": max(k, 2)}
        proba = np.nan_to_num(proba, nan=0.5)
        if k <= 2:
            p = proba[:, -1]  # a single unit's P(1), or softmax's second class
            out["p"] = _bytes(p)
            return out
        label = proba.argmax(axis=-1)
        top = proba.max(axis=-1)
        out["label"] = _b64(label.astype(np.uint8))
        out["confidence"] = _bytes((top - 1 / k) / (1 - 1 / k))
        return out


def _unit_maps(a, name):
    """One hidden layer's activations a (pixels, units) as one base64 map per unit, and the
    range its bytes span: the activation's own (sigmoid 0…1, tanh −1…1), else the layer's
    values now (from 0 for relu and softplus)."""
    finite = a[np.isfinite(a)]
    if name in FIXED_RANGE:
        lo, hi = FIXED_RANGE[name]
    else:
        lo = 0.0 if name in FLOOR_ZERO or not finite.size else float(finite.min())
        hi = float(finite.max()) if finite.size else 1.0
        hi = hi if hi > lo else lo + 1.0
    scaled = np.nan_to_num((a - lo) / (hi - lo), nan=0.0)
    columns = np.ascontiguousarray(_to_bytes(scaled).T)  # one row of pixels per unit
    return [{"p": _b64(row)} for row in columns], [lo, hi]


def _to_bytes(p):
    """Values 0…1 (clipped) as bytes 0…255, rounded."""
    return (np.clip(p, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def _bytes(p):
    return _b64(_to_bytes(p))


def _b64(array):
    return base64.b64encode(array.tobytes()).decode("ascii")


def grad_norms(net):
    """‖dW_l‖ (Frobenius) of each dense layer's last gradient, network 0: vanishing gradients
    show as norms that shrink towards the input."""
    return [finite(np.sqrt(np.sum(np.square(layer.dW[0])))) for layer in net.dense_layers]


def weights(net):
    """Each dense layer's W (n_in × n_out) and b (n_out) as nested lists of numbers (None for
    a value that is not finite, which JSON cannot hold)."""
    return [{"W": _numbers(layer.W[0]), "b": _numbers(layer.b[0].reshape(-1))}
            for layer in net.dense_layers]


def _numbers(a):
    if np.all(np.isfinite(a)):
        return a.tolist()
    return np.where(np.isfinite(a), a, None).tolist()


def finite(v):
    """A number for JSON: None where it is not finite (a diverged run's loss)."""
    v = float(v)
    return v if np.isfinite(v) else None


def trained_between(record, last, epoch, most=32):
    """The training loss of up to ``most`` epochs evenly spread after epoch ``last`` and before
    ``epoch``, as (epoch, loss) pairs, from the trainer's own per-epoch record (``record.loss[e]``
    is the loss after e epochs, network 0): at full speed hundreds of epochs run between two
    frames, and the curve shows their shape rather than one point a frame."""
    if epoch - last < 2:
        return []
    between = np.unique(np.linspace(last + 1, epoch - 1, min(most, epoch - last - 1)).astype(int))
    between = between[between < len(record.loss)]
    return [(int(e), float(v)) for e, v in zip(between, record.loss[between, 0])]
