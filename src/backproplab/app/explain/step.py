"""``backproplab explain``: one training step of a small network, written out with its numbers.

:func:`one_step` runs one gradient-descent step through the network's own layers, loss and
optimizer — the same calls, in the same order, as ``train``'s — and keeps a copy of every array
along the way: each layer's z and a, the loss, each δ with the factors of the chain rule that
make it, each dW and db, the updated weights and the loss after. So its numbers *are* train's,
to the last bit (tests/test_explain.py checks it with np.array_equal). :func:`document` writes
them out, in the lab's notation:

    forward   a0 = x,   zl = a(l−1)·Wl + bl,   al = f(zl),   ŷ = out(zL)
    backward  δL = dL/dzL = dL/dŷ ⊙ out′(zL)
              dWl = a(l−1)ᵀ·δl,   dbl = Σₙ δl,   δ(l−1) = (δl·Wlᵀ) ⊙ f′(z(l−1))
    update    Wl ← Wl − η·dWl,   bl ← bl − η·dbl
"""

from dataclasses import dataclass

import numpy as np

from ...errors import BackproplabError
from ...nn.losses import class_labels, get_loss, get_output
from ...nn.optimizers import get_optimizer
from ..factory import load_data, point_model
from ..gradcheck import first_samples

DIGITS = 6  # significant digits printed


@dataclass
class LayerStep:
    """One dense layer's numbers in the step: (rows, columns) arrays of network 0."""

    number: int
    activation: str  # the nonlinearity after it: a hidden activation, or the output's
    W: np.ndarray  # before the step
    b: np.ndarray
    z: np.ndarray  # forward
    a: np.ndarray
    grad_a: np.ndarray | None  # dL/da: from the layer above (dL/dŷ for mse's output)
    slope: np.ndarray | None  # f′(z), as the activation's backward computes it
    delta: np.ndarray  # dL/dz
    dW: np.ndarray
    db: np.ndarray
    W_new: np.ndarray  # after the step
    b_new: np.ndarray


@dataclass
class Step:
    x: np.ndarray
    y: np.ndarray  # the labels as a column (n, 1): 0/1, or the classes for ce
    layers: list
    loss_name: str
    lr: float
    loss_before: float
    loss_after: float
    data: str
    seed: int
    epochs: int  # epochs trained before the step
    onehot: np.ndarray | None = None  # ce: Y = onehot(y), (n, K)
    about: str | None = None  # which samples, if not "the first n samples"
    note: str | None = None  # where the numbers come from, if not train's step epochs + 1


def one_step(cfg, samples=2, epochs=0):
    """One gradient-descent step of the network ``train`` builds from ``cfg`` (a
    :class:`~backproplab.app.config.TrainConfig`) on the first ``samples`` samples of its data
    (all for None), after ``epochs`` epochs of training on them. Returns a :class:`Step`."""
    cfg.check()
    if cfg.images:
        raise BackproplabError(
            "explain writes out every matrix of a tiny network (z = a·W + b, "
            "layer by layer); the digits' networks have thousands of weights — use "
            "backproplab gradcheck --data digits to check their gradients")
    if cfg.optimizer != "gd" or cfg.weight_decay or cfg.l1:
        raise BackproplabError(
            "explain writes out plain gradient descent, W ← W − η·dW: use --optimizer gd "
            "without --weight-decay or --l1")
    if cfg.schedule != "constant":
        raise BackproplabError("explain writes out one step at the learning rate --lr: "
                               "--schedule does not apply")
    if cfg.batch_size is not None:
        raise BackproplabError("explain writes out one full-batch step on --samples samples; "
                               "--batch-size does not apply")
    if cfg.test_n is not None:
        raise BackproplabError("--test-n does not apply to explain")
    if epochs < 0:
        raise BackproplabError(f"--epochs must be >= 0, got {epochs}")
    x, y, _ = load_data(cfg)
    net = point_model(cfg, x, y)  # K classes from the whole training set, as train's
    x, y = first_samples(x, y, samples)
    if epochs:
        history = net.fit(x, y, loss=cfg.loss, optimizer="gd", lr=cfg.lr, epochs=epochs,
                          stop_at_loss=cfg.stop_at_loss)
        if history.interrupted:
            raise KeyboardInterrupt
        if history.diverged or history.stopped_early:
            raise BackproplabError(f"training before the step did not run its {epochs} "
                                   f"epochs: {history.message() or 'it reached --stop-at-loss'}")
    return step_of(net, x, y, cfg.loss, cfg.lr, cfg.data, cfg.seed, epochs)


def step_of(net, x, y, loss, lr, data, seed, epochs, about=None, note=None):
    """One gradient-descent step of ``net`` (one network, updated in place: give a copy to keep
    the original) on the samples x (n, n_in), y (n,) or (n, 1), with learning rate ``lr`` and
    the ``loss`` named; ``data``, ``seed``, ``epochs``, ``about`` and ``note`` are what the
    :class:`Step` says of where it comes from. The playground explains its own network's step
    on a chosen sample through this."""
    x = np.asarray(x, net.dtype)
    loss_fn = get_loss(loss, net.output)
    onehot = None
    if loss_fn.multiclass:  # ce takes the class numbers (n,), as train's does
        target = class_labels(y, net.n_out, len(x))
        onehot = np.eye(net.n_out, dtype=net.dtype)[target]
        y = target[:, None].astype(net.dtype)  # shown as a column, as 0/1 labels are
    else:
        y = target = np.asarray(y, net.dtype).reshape(len(x), -1)
    opt = get_optimizer("gd", [net.params], [net.grads], lr)

    with np.errstate(all="ignore"):
        # forward, layer by layer: the calls Sequential.forward makes
        dense = [layer for layer in net.layers if hasattr(layer, "param_shapes")]
        before = [(layer.W[0].copy(), layer.b[0].copy()) for layer in dense]
        zs, acts, out = [], [], x
        for layer in net.layers:
            out = layer.forward(out)
            (zs if hasattr(layer, "param_shapes") else acts).append(out[0].copy())
        loss_before = float(loss_fn.forward(out, target)[0])
        acts.append(loss_fn.proba[0].copy())  # ŷ = out(zL)

        # backward: the calls of train's update (zero_grad, then Sequential.backward)
        net.zero_grad()
        grad = loss_fn.backward()
        deltas, grads_a, grads = [grad[0].copy()], [None], []
        for layer in reversed(net.layers):
            grad = layer.backward(grad)
            if hasattr(layer, "param_shapes"):
                grads.append((layer.dW[0].copy(), layer.db[0].copy()))
                if grad is not None:
                    grads_a.append(grad[0].copy())
            else:
                deltas.append(grad[0].copy())
        deltas.reverse(), grads_a.reverse(), grads.reverse()
        opt.step()
        after = [(layer.W[0].copy(), layer.b[0].copy()) for layer in dense]
        loss_after = float(loss_fn.forward(net.forward(x), target)[0])

    activations = [layer for layer in net.layers if not hasattr(layer, "param_shapes")]
    names = [act.name for act in activations] + [net.output]
    slopes = [_slope(act, z) for act, z in zip(activations, zs)]
    slopes.append(_output_slope(loss_fn, net, zs[-1]))
    grads_a[-1] = _dL_dyhat(loss_fn, acts[-1], y)
    layers = [
        LayerStep(i + 1, names[i], *before[i], zs[i], acts[i], grads_a[i], slopes[i],
                  deltas[i], *grads[i], *after[i])
        for i in range(len(dense))
    ]
    return Step(x, y, layers, loss, float(opt.hyper["lr"][0, 0]), loss_before, loss_after,
                data, seed, epochs, onehot=onehot, about=about, note=note)


def _slope(act, z):
    """f′(z) as the activation's own backward computes it (its backward of ones)."""
    act.forward(z[None])
    return act.backward(np.ones_like(z)[None])[0].copy()


def _output_slope(loss_fn, net, z):
    """out′(zL), for mse; None for a loss whose δ needs no separate factor (bce, ce)."""
    if loss_fn.name != "mse":
        return None
    return _slope(get_output(net.output), z)


def _dL_dyhat(loss_fn, yhat, y):
    """dL/dŷ for mse, 2(ŷ − y)/(n·n_out), as MSE.backward computes it; None otherwise."""
    if loss_fn.name != "mse":
        return None
    n, n_out = yhat.shape
    return (2.0 / (n * n_out)) * (yhat - y)


# -- writing it out -----------------------------------------------------------------------
