"""Backpropagation's gradients against central finite differences: the one checker, used by
``backproplab gradcheck`` and by the tests.

The numerical gradient of the loss L for one parameter p is the central difference

    g_fd = (L(p + h) − L(p − h)) / ((p + h) − (p − h)),

divided by the step actually taken: p ± h are rounded to the nearest float, so their difference
is 2h only approximately (off by up to ε·|p|), and dividing by it keeps that rounding out of
the estimate for free.

h = 1e-5 balances the two errors of a central difference in float64. Truncation: the estimate
is off by h²/6 · L‴ ≈ 2e-11·|L‴|. Rounding: L(p ± h) are each rounded to about ε·|L|, which
divided by 2h is about 1e-11·|L|. The sum is smallest near h = ε^(1/3) ≈ 6e-6. A small h also
keeps small the chance that a nudge carries a relu's input across its kink at 0, where a
difference quotient sees the mean of two slopes. (In float32, ε·|L|/h is about 1e-2: the check
says nothing, so it is done in float64.)

THE relative error, per entry of every parameter array, with g from backpropagation:

    rel = |g − g_fd| / max(|g|, |g_fd|, floor),    floor = FLOOR · max(1, |L|),  FLOOR = 1e-4.

Per entry, so that one wrong entry cannot hide among many right ones (a norm over the array
would average it away), and a bug shows its own size: a gradient n times too small scores
1 − 1/n. Divided by the larger of the two, so the error is symmetric and at most 2 (1 when one
side is 0). The floor is there because of the rounding above: g_fd resolves a gradient only to
about 1e-11·|L|, so an entry whose true gradient is tiny (a saturated unit, a bias behind a
one-unit bottleneck) would score near 1 with a right backward. Below the floor an entry is held
to an absolute error of tol·floor instead, still far above that rounding. An array passes when
its largest rel is at most ``TOL``.

The 2·P nudged copies of a network (P parameters) are networks of one stack (the model axis of
:class:`~backproplab.engine.Sequential`), so their losses come from one forward pass, or from as
few as a memory budget allows. A stack of k networks is checked network by network, at once.
"""

import re
from dataclasses import dataclass

import numpy as np

from ..errors import BackproplabError
from ..nn.conv import Conv2D
from .trainer import train

H = 1e-5  # the finite-difference step
FLOOR = 1e-4  # smallest gradient judged relatively, times max(1, |L|)
TOL = 1e-5  # largest relative error that passes
BUDGET = 2_000_000  # numbers one forward pass of a stack of nudged copies may keep


def error_floor(loss):
    """FLOOR · max(1, |L|): the smallest gradient judged relatively (one per network)."""
    return FLOOR * np.maximum(1.0, np.abs(loss))


def relative_error(g, g_fd, loss):
    """Each entry's (absolute, relative) error: |g − g_fd| and |g − g_fd| / max(|g|, |g_fd|, floor).

    g, g_fd: (k, m), m entries of each of k networks; loss: (k,), each network's L.
    """
    floor = error_floor(np.asarray(loss, dtype=np.float64).reshape(-1, 1))
    err = np.abs(g - g_fd)
    return err, err / np.maximum(np.maximum(np.abs(g), np.abs(g_fd)), floor)


@dataclass
class ArrayCheck:
    """One parameter array's verdict: its largest errors over the entries checked."""

    layer: int  # the number of the layer with parameters, from 1: the 2 of W2, b2
    name: str
    shape: tuple  # one network's array
    checked: int  # entries compared (all, unless at most some were asked for)
    max_abs: float
    max_rel: float
    passed: bool  # max_rel ≤ tol


def check_arrays(net, losses, loss, analytic, h=H, tol=TOL, most=None, chunk=None):
    """Compare ``analytic`` (k, P), backpropagation's gradient of each of net's k networks at
    losses ``loss`` (k,), with central differences of ``losses`` (see
    :func:`finite_differences`); one :class:`ArrayCheck` per array W1, b1, W2, …, worst over
    the k networks. ``most`` checks at most that many evenly spaced entries of each array;
    ``chunk``: columns per forward pass (all at once when None).
    """
    picked = [(layer, name, shape, evenly_spaced(cols, most))
              for layer, name, shape, cols in array_columns(net)]
    numeric = finite_differences(net, losses, np.concatenate([c for *_, c in picked]), h, chunk)
    out, start = [], 0
    for layer, name, shape, cols in picked:
        err, rel = relative_error(analytic[:, cols], numeric[:, start:start + len(cols)], loss)
        start += len(cols)
        out.append(ArrayCheck(layer, name, shape, len(cols), float(err.max()), float(rel.max()),
                              bool(rel.max() <= tol)))
    return out


def array_columns(net):
    """(layer number, name, shape, columns of the flat parameter vector) for W1, b1, W2, …"""
    out, start = [], 0
    for name, value in net.param_arrays(0):
        layer = int(re.search(r"\d+$", name).group())
        out.append((layer, name, value.shape, np.arange(start, start + value.size)))
        start += value.size
    assert start == net.n_params, "param_arrays covers the whole parameter buffer"
    return out


def evenly_spaced(cols, most):
    """At most ``most`` of ``cols``, evenly spaced from the first to the last (all for None)."""
    if most is None or len(cols) <= most:
        return cols
    return cols[np.unique(np.linspace(0, len(cols) - 1, most).round().astype(int))]


def finite_differences(net, losses, columns, h=H, chunk=None):
    """Central differences of each network's loss for the parameters ``columns`` (positions in
    the flat parameter vector): (k, len(columns)).

    ``losses(stack, index)`` returns the loss of every network of ``stack``, a copy of the
    networks ``index`` of ``net`` with one parameter nudged: (len(index),). For ``chunk``
    columns at a time (all when None) the stack holds every network nudged up, then every one
    nudged down, by each column in turn: 2·chunk·k networks, evaluated in one call.
    """
    k, columns = net.k, np.asarray(columns)
    chunk = max(1, len(columns)) if chunk is None else chunk
    out = np.empty((k, len(columns)))
    for start in range(0, len(columns), chunk):
        cols = columns[start:start + chunk]
        m = len(cols)
        index = np.tile(np.arange(k), 2 * m)  # network i, nudged by cols[j]: row j·k + i
        stack = net.select(index)
        up, at = np.arange(m * k), np.repeat(cols, k)
        stack.params[up, at] += h
        stack.params[m * k + up, at] -= h
        taken = stack.params[up, at] - stack.params[m * k + up, at]
        L = losses(stack, index)
        out[:, start:start + m] = ((L[:m * k] - L[m * k:]) / taken).reshape(m, k).T
    return out


def columns_per_pass(net, x, budget=BUDGET):
    """How many columns' nudged copies (2k networks each) one forward pass on x (one network's
    data) may hold, for it to keep at most ``budget`` numbers; at least 1."""
    return max(1, budget // (2 * net.k * forward_numbers(net, x)))


def forward_numbers(net, x):
    """How many numbers network 0's forward pass on x keeps: every layer's output, and a
    convolution's patch matrix (C_in·kh·kw numbers per output position)."""
    total, a = 0, np.asarray(x, net.dtype)
    for layer in net.select([0]).layers:  # a copy: net's layers keep what they saw last
        a = layer.forward(a)
        total += a.size
        if isinstance(layer, Conv2D):
            kh, kw = layer.kernel_size
            total += a.size // layer.out_channels * layer.in_channels * kh * kw
    return max(total, 1)


# -- the two ways to get a loss and its gradient ----------------------------------------------


def train_gradient(net, x, y, loss=None):
    """The losses (k,) and the gradient (k, P) that ``train``'s first update of ``net`` uses:
    what training follows, for any loss, activation or layer it can train. ``net`` takes that
    step, so pass a copy."""
    seen = {}

    def keep(progress):
        seen["grads"] = progress.model.grads.copy()

    history = train(net, x, y, loss=loss, optimizer="gd", epochs=1, callback=keep,
                    callback_every=1)
    if history.interrupted:  # Ctrl-C: a check stops at once, it has nothing to keep
        raise KeyboardInterrupt
    if len(seen.get("grads", ())) != net.k:  # a network whose loss is not finite stopped
        raise BackproplabError(f"the loss is not finite at these weights ({history.reason[0]})")
    return history.loss[0], seen["grads"]


def trained_losses(x, y, loss=None):
    """``losses(stack, index)`` for :func:`finite_differences`: the loss ``train`` reports for
    each network (epochs=0, so no update), on data x, y shared by all."""
    def losses(stack, index):
        history = train(stack, x, y, loss=loss, epochs=0)
        if history.interrupted:
            raise KeyboardInterrupt
        return history.final_loss

    return losses


def loss_and_backprop(net, loss_fn, x, y):
    """One forward and backward pass: each network's loss (k,) and a copy of the gradients."""
    L = loss_fn.forward(net._forward(x), y)  # the loss reads the output at once: no copy
    net.zero_grad()
    net.backward(loss_fn.backward())
    return L, net.grads.copy()


def gradient_errors(net, loss_fn, x, y, h=H, per_network=False):
    """{array name: largest relative error}, over its entries and the k networks: one forward
    and backward pass through ``net`` and ``loss_fn`` (a loss object) against central
    differences of the same loss. x, y are shared by every network, or with ``per_network``
    one data set per network (a leading axis of k)."""
    L, analytic = loss_and_backprop(net, loss_fn, x, y)

    def losses(stack, index):  # one pass per chunk of columns, read at once: no copy
        if per_network:
            return loss_fn.forward(stack._forward(x[index]), y[index])
        return loss_fn.forward(stack._forward(x), y)

    chunk = columns_per_pass(net, x[0] if per_network else x)
    return {a.name: a.max_rel for a in check_arrays(net, losses, L, analytic, h, chunk=chunk)}


def assert_gradients_match(net, loss_fn, x, y, tol=TOL, h=H, per_network=False):
    """Raise AssertionError, naming the array, unless every relative error is at most ``tol``;
    returns the errors."""
    errors = gradient_errors(net, loss_fn, x, y, h, per_network)
    worst = max(errors, key=errors.get)
    if not errors[worst] <= tol:
        raise AssertionError(f"gradient of {worst} is off: relative errors {errors}")
    return errors
