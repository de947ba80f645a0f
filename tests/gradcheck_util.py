"""A central finite-difference gradient checker for every parameter of a network.

The analytic gradient is what backpropagation writes into ``net.grads``; the numerical one is

    dL/dp ≈ (L(p + h) − L(p − h)) / ((p + h) − (p − h))

for one parameter p at a time (dividing by the step actually taken, not by 2h, removes the
rounding of p ± h from the estimate). Each column j of ``net.params`` is nudged in every network
of the stack at once: the networks share no numbers, so each one's loss only sees its own nudge.

The error is *norm-based, per parameter array*: for each of W1, b1, W2, … of each network,

    rel = ‖analytic − numerical‖₂ / max(‖analytic‖₂ + ‖numerical‖₂, FLOOR · max(1, |L|)),

and the check reports the largest. Per array rather than over the whole vector, so a bug in one
small array (a bias) is not drowned out by the large ones; norm-based rather than per entry,
because an entry whose true gradient is ~1e-12 has a numerical estimate that is pure rounding.

The floor is there for the same reason: L(p ± h) are rounded to about ε·|L|, so a central
difference resolves a gradient only to about ε·|L|/h ≈ 1e-11·|L| per entry (h = 1e-5). An
array whose gradient norm is below 1e-4·max(1, |L|) (behind a one-unit bottleneck, say) is
therefore held to an absolute error of 1e-10·max(1, |L|) instead of a relative one.
h = 1e-5 balances that rounding against the O(h²) truncation error, and keeps small the chance
that a nudge carries a ReLU's input across its kink, where a difference quotient is wrong.
An array whose gradient is exactly zero both ways (a dead ReLU unit) scores 0.
"""

import numpy as np

H = 1e-5
FLOOR = 1e-4


def loss_and_backprop(net, loss_fn, x, y):
    """One forward and backward pass: the per-network loss (k,) and a copy of the gradients."""
    L = loss_fn.forward(net.forward(x), y)
    net.zero_grad()
    net.backward(loss_fn.backward())
    return L, net.grads.copy()


def numerical_grads(net, loss_fn, x, y, h=H):
    """Central differences of the loss for every parameter of every network: (k, P)."""
    grads = np.empty_like(net.params)
    for j in range(net.n_params):
        saved = net.params[:, j].copy()
        up, down = saved + h, saved - h
        net.params[:, j] = up
        L_up = loss_fn.forward(net.forward(x), y)
        net.params[:, j] = down
        L_down = loss_fn.forward(net.forward(x), y)
        net.params[:, j] = saved
        grads[:, j] = (L_up - L_down) / (up - down)
    return grads


def array_slices(net):
    """(name, slice of the flat parameter vector) for W1, b1, W2, … in the buffer's order."""
    out, start = [], 0
    for name, value in net.param_arrays(0):
        out.append((name, slice(start, start + value.size)))
        start += value.size
    assert start == net.n_params, "param_arrays should cover the whole buffer"
    return out


def relative_errors(net, analytic, numeric, loss):
    """{array name: largest relative error over the networks of the stack}; ``loss`` (k,)."""
    floor = FLOOR * np.maximum(1.0, np.abs(loss))
    errors = {}
    for name, cols in array_slices(net):
        a, b = analytic[:, cols], numeric[:, cols]
        diff = np.linalg.norm(a - b, axis=1)
        scale = np.maximum(np.linalg.norm(a, axis=1) + np.linalg.norm(b, axis=1), floor)
        errors[name] = float(np.max(diff / scale))
    return errors


def gradient_errors(net, loss_fn, x, y, h=H):
    """Backpropagation against central differences: {array name: relative error}."""
    L, analytic = loss_and_backprop(net, loss_fn, x, y)
    numeric = numerical_grads(net, loss_fn, x, y, h)
    return relative_errors(net, analytic, numeric, L)


def assert_gradients_match(net, loss_fn, x, y, tol=1e-6, h=H):
    errors = gradient_errors(net, loss_fn, x, y, h)
    worst = max(errors, key=errors.get)
    assert errors[worst] < tol, f"gradient of {worst} is off: relative errors {errors}"
    return errors
