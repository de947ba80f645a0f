"""The catalogue of backprop's usual mistakes, each computed as the gradient it would give.

The right backward pass of an MLP with layers l = 1…L, a0 = x, zl = a(l−1)·Wl + bl,
al = f(zl) (the output's own nonlinearity at l = L):

    δL = dL/dŷ ⊙ out′(zL)                  (bce from logits: δL = (ŷ − y)/n)
    δl = (δ(l+1)·W(l+1)ᵀ) ⊙ f′(zl)
    dWl = a(l−1)ᵀ·δl,    dbl = Σₙ δl

Each mistake changes one of these lines (:func:`backprop` takes the changes) or one array
(:func:`array_mistakes`); :func:`diagnose` names the ones whose gradient matches the learner's.
The forward quantities z, a come from backproplab's own activation and output layers.
"""

from dataclasses import dataclass

import numpy as np

from ...engine.gradients import relative_error
from ...nn.activations import get_activation
from ...nn.losses import get_output

MATCH = 1e-8  # a mistake fits when its gradient is the learner's to this relative error
# f′ written with the output a = f(z), as courses write it: given z instead, it is another slip
OUTPUT_FORMS = {"sigmoid": (lambda a: a * (1 - a), "{v}(1 − {v})"),
                "tanh": (lambda a: 1 - a * a, "1 − {v}²")}


def _apply(layer, z):
    """(f(z), f′(z)) of an activation or output layer, as new arrays."""
    a = layer.forward(z).copy()
    return a, layer.backward(np.ones_like(z)).copy()


@dataclass
class Forward:
    """The forward quantities: z[l], a[l] for l = 1…L (index 0: a = x), and the layers."""

    z: list
    a: list
    layers: list  # activation objects, the output's last


def forward(Ws, bs, x, activation, output):
    """The forward pass in NumPy with backproplab's activations; ``activation`` one name per
    hidden layer."""
    layers = [get_activation(name) for name in activation] + [get_output(output)]
    z, a = [None], [x]
    for W, b, layer in zip(Ws, bs, layers):
        z.append(a[-1] @ W + b)
        a.append(_apply(layer, z[-1])[0])
    return Forward(z, a, layers)


def derivative(layer, values):
    """f′(values) of an activation layer, for any input values."""
    return _apply(layer, values)[1]


def backprop(Ws, bs, fw, y, loss, changes=None, lr=None):
    """The gradients [dW1, db1, …] (db as (n_out,)) with the mistakes ``changes``:
    {layer l: "at_output" (f′(al) used for f′(zl)), "left_out" (f′(zl) left out),
    "no_transpose" (δ(l+1)·W(l+1) for δ(l+1)·W(l+1)ᵀ), "updated" (W(l+1) − lr·dW(l+1) used)}."""
    changes = changes or {}
    L, n = len(Ws), len(y)
    y_hat = fw.a[L]
    grads = [None] * (2 * L)
    for l in range(L, 0, -1):
        change = changes.get(l)
        if l == L:
            if loss == "bce":
                delta = (y_hat - y) / n
                grads[2 * l - 2], grads[2 * l - 1] = fw.a[l - 1].T @ delta, delta.sum(axis=0)
                continue
            upstream = 2 * (y_hat - y) / n
        else:
            W_above = Ws[l]
            if changes.get(l + 1) == "updated" or change == "updated":
                W_above = W_above - lr * grads[2 * l]
            upstream = delta @ (W_above if change == "no_transpose" else W_above.T)
        if change == "left_out":
            delta = upstream
        elif change == "at_output":
            delta = upstream * derivative(fw.layers[l - 1], fw.a[l])
        elif change == "form_at_z":
            delta = upstream * OUTPUT_FORMS[fw.layers[l - 1].name][0](fw.z[l])
        else:
            delta = upstream * derivative(fw.layers[l - 1], fw.z[l])
        grads[2 * l - 2], grads[2 * l - 1] = fw.a[l - 1].T @ delta, delta.sum(axis=0)
    return grads


def rel(g, expected, loss):
    """The largest relative error of the entries of g against ``expected`` (same shape)."""
    if np.shape(g) != np.shape(expected):
        return np.inf
    _, r = relative_error(np.reshape(g, (1, -1)), np.reshape(expected, (1, -1)), loss)
    return float(r.max()) if r.size else 0.0


def _meant(l, L, layers, loss):
    """The line of the chain rule for δl, and f′(zl) written out where it is simple."""
    if l == L:
        line = f"δ{L} = dL/dŷ ⊙ out′(z{L}), dL/dŷ = 2(ŷ − y)/n"
    else:
        line = f"δ{l} = (δ{l + 1}·W{l + 1}ᵀ) ⊙ f′(z{l})"
    name = layers[l - 1].name
    if name == "sigmoid":
        line = line.replace("f′", "σ′").replace("out′", "σ′")
        line += f", with σ′(z{l}) = a{l}(1 − a{l})"
    elif name == "tanh":
        line += f", with f′(z{l}) = 1 − a{l}²"
    return line


CHANGES = {
    "at_output": "using {f}(a{l}) instead",
    "left_out": "with the factor {f}(z{l}) left out",
    "form_at_z": ("using {form} instead: that formula takes the output a{l} = {fn}(z{l}), and "
                  "yours is given z{l}"),
    "no_transpose": "with W{k} not transposed (δ{k}·W{k} for δ{k}·W{k}ᵀ)",
    "updated": ("with W{k} already updated by the step: update the weights only after the "
                "whole backward pass has used them"),
}


def delta_variants(Ws, L, loss, step, names):
    """(description, changes) for every mistake in a δ line: at one layer, or at every layer.
    ``names``: each layer's activation (the output's last)."""
    out = []
    for kind in ("at_output", "left_out", "form_at_z"):
        layers = [l for l in range(1, L + 1) if not (l == L and loss == "bce")
                  and (kind != "form_at_z" or names[l - 1] in OUTPUT_FORMS)]
        out += [((kind, l), {l: kind}) for l in layers]
        if len(layers) > 1:
            out.append(((kind, "all"), dict.fromkeys(layers, kind)))
    out += [(("no_transpose", l), {l: "no_transpose"}) for l in range(1, L)
            if Ws[l].shape[0] == Ws[l].shape[1]]
    if step:
        out.append((("updated", "all"), dict.fromkeys(range(1, L), "updated")))
    return out


def diagnose(index, g, Ws, bs, fw, y, loss, scale, loss_value, step_lr=None):
    """The sentence naming the mistake whose gradient of array ``index`` (0: W1, 1: b1, …)
    matches the learner's ``g`` (canonical orientation; a bias may come per sample,
    (n, n_out)), or the size and pattern of the error when none does."""
    L = len(Ws)
    layer, is_bias = index // 2 + 1, index % 2 == 1
    name = f"{'b' if is_bias else 'W'}{layer}"
    right = scale * backprop(Ws, bs, fw, y, loss)[index]
    n = len(y)

    def fits(expected):
        return rel(g, expected, loss_value) <= MATCH

    if is_bias and np.ndim(g) == 2 and g.shape == (n, right.size) and rel(
            g.sum(axis=0), right, loss_value) <= MATCH:
        return (f"d{name} = Σₙ δ{layer} (summed over the samples, shape ({right.size},)); "
                f"yours is δ{layer} itself, one row per sample: the bias gradient not summed")
    if not is_bias and np.shape(g) == right.T.shape and fits(right.T):
        return (f"d{name} = a{layer - 1}ᵀ·δ{layer}, shape {right.shape}; yours is its transpose "
                f"(δ{layer}ᵀ·a{layer - 1}): a missing transpose")
    if not is_bias and right.shape[0] == right.shape[1] and fits(right.T):
        return (f"d{name} = a{layer - 1}ᵀ·δ{layer}; yours is its transpose "
                f"(δ{layer}ᵀ·a{layer - 1}): a missing transpose")
    if fits(-right):
        return (f"d{name} has the wrong sign: gradient descent w ← w − lr·dw needs "
                f"dw = +∂L/∂w, and yours is −∂L/∂{name}: a sign error")
    if n > 1 and fits(n * right):
        return (f"d{name} is n = {n} times too large: the loss is a mean, dL/dŷ = 2(ŷ − y)/n; "
                "not divided by n")
    if n > 1 and fits(right / n):
        return (f"d{name} is n = {n} times too small: dL/dŷ = 2(ŷ − y)/n takes the mean "
                "once; divided by n twice")
    names = [layer.name for layer in fw.layers]
    for (kind, where), changes in delta_variants(Ws, L, loss, step_lr is not None, names):
        layers = sorted(changes)
        if not any(l >= layer for l in layers):
            continue  # a change above the array's layer cannot reach it
        if fits(scale * backprop(Ws, bs, fw, y, loss, changes, step_lr)[index]):
            l = max(l for l in layers if l >= layer) if kind != "updated" else layer
            f = "σ′" if fw.layers[l - 1].name == "sigmoid" else "f′"
            form = OUTPUT_FORMS.get(names[l - 1], (None, ""))[1].format(v=f"z{l}")
            fn = "σ" if names[l - 1] == "sigmoid" else names[l - 1]
            text = CHANGES[kind].format(f=f, l=l, k=l + 1, form=form, fn=fn)
            every = " (the same in every layer)" if where == "all" else ""
            return f"{_meant(l, L, fw.layers, loss)}; your d{name} matches {text}{every}"
    return pattern(name, g, right, loss_value)


def pattern(name, g, right, loss_value):
    """What the error looks like when no mistake fits: its size, and which rows and columns."""
    if np.shape(g) != np.shape(right):
        return (f"d{name} has shape {tuple(np.shape(g))} where {tuple(right.shape)} is "
                "expected, and no mistake in the catalogue fits")
    g2, r2 = np.atleast_2d(g), np.atleast_2d(right)
    _, r = relative_error(g2.reshape(1, -1), r2.reshape(1, -1), loss_value)
    bad = (r > 1e-5).reshape(g2.shape)
    text = f"no mistake in the catalogue fits d{name}: largest relative error {r.max():.2g}"
    ratio = np.divide(g2, r2, out=np.full(g2.shape, np.nan), where=r2 != 0)
    if np.isfinite(ratio).all() and np.ptp(ratio) <= 1e-8 * max(1, abs(ratio.flat[0])):
        return text + f", every entry {ratio.flat[0]:.4g} times the right one"
    rows, cols = np.flatnonzero(bad.any(axis=1)), np.flatnonzero(bad.any(axis=0))
    if g2.shape[0] > 1 and len(rows) < g2.shape[0]:
        text += f"; wrong in rows {', '.join(map(str, rows))} of {g2.shape[0]}"
    if len(cols) < g2.shape[1]:
        text += f"; wrong in columns {', '.join(map(str, cols))} of {g2.shape[1]}"
    if len(rows) == g2.shape[0] and len(cols) == g2.shape[1]:
        text += "; every entry is off"
    return text

