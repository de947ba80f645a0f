"""The explained step written out: each layer's forward pass, the loss, each δ with the factors
of the chain rule, the gradients and the update, in the lab's notation, as text or Markdown."""


import textwrap

import numpy as np

from ...errors import unknown_name
from ..document import Document
from ..gradcheck import FORMATS
from .step import DIGITS

SYMBOL = {"sigmoid": "σ", "none": ""}  # softmax is written out: softmax(z)
SLOPE = {  # f′(z) in terms of z and a
    "sigmoid": "{a} ⊙ (1 − {a})",
    "tanh": "1 − {a}²",
    "relu": "[{z} > 0]",
    "leaky_relu": "1 where {z} > 0, else 0.01",
    "elu": "1 where {z} > 0, else {a} + 1",
    "softplus": "σ({z})",
}


def matrix(array):
    """An array's rows at DIGITS significant digits, aligned: fixed point unless some
    magnitude needs exponents."""
    a = np.atleast_2d(array)
    mags = np.abs(a[a != 0])
    fixed = mags.size == 0 or (mags.min() >= 1e-4 and mags.max() < 1e4)
    cells = [[f"{v:.{DIGITS}f}" if fixed else f"{v:.{DIGITS - 1}e}" for v in row] for row in a]
    width = max(len(c) for row in cells for c in row)
    return ["  [ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells]


def shape(array):
    return "×".join(map(str, np.atleast_2d(array).shape))


def _eq(label, array):
    return [f"{label}   ({shape(array)})", *matrix(array)]


def _f(name, z):
    return z if name == "none" else f"{SYMBOL.get(name, name)}({z})"


def _f_slope(name, z, a):
    head = f"{SYMBOL.get(name, name)}′({z})"
    rule = SLOPE.get(name)
    return head + (f" = {rule.format(z=z, a=a)}" if rule else "")


def network_name(step):
    sizes = [step.x.shape[1]] + [layer.W.shape[1] for layer in step.layers]
    return "-".join(map(str, sizes))


TITLE = "One training step, written out"


def document(step, doc=None, heading=None, level=2):
    """Write ``step`` into a :class:`~backproplab.document.Document`: a new one titled
    ``TITLE`` when ``doc`` is None, else ``doc`` under ``heading`` (at ``level``). One
    sub-heading per stage. Returns the document."""
    doc = doc or Document(TITLE)
    if heading:
        doc.heading(heading, level)
        level += 1
    top = len(step.layers)
    hidden = sorted({layer.activation for layer in step.layers[:-1]})
    n, n_out = step.y.shape
    trained = "" if not step.epochs else f" after {step.epochs} epochs of training"
    samples = step.about or f"the first {n} samples"
    doc.paragraph(
        f"One step of gradient descent{trained} for a {network_name(step)} network "
        f"({', '.join(hidden)} hidden units, {step.layers[-1].activation} output, loss "
        f"{step.loss_name}) on {samples} of the {step.data} data, seed "
        f"{step.seed}, learning rate η = {step.lr:g}.")
    doc.paragraph(
        f"Notation: a0 = x holds one sample per row; layer l computes zl = a(l−1)·Wl + bl and "
        f"al = f(zl); ŷ = a{top} is the output and δl = dL/dzl. `·` is the matrix product, `⊙` "
        "the elementwise one, `ᵀ` the transpose, `Σₙ` a sum over the samples (the rows). "
        f"Numbers are rounded for print ({DIGITS} decimals); " + (step.note or (
            f"the arrays themselves are those of `backproplab train`'s step {step.epochs + 1}, "
            "to the last bit (the tests check it).")))

    doc.heading("1. The weights before the step", level)
    doc.code("\n".join(sum((_eq(f"W{s.number}", s.W) + _eq(f"b{s.number}", s.b)
                            for s in step.layers), [])))

    doc.heading("2. Forward pass", level)
    lines = _eq("a0 = x", step.x)
    for s in step.layers:
        i = s.number
        lines += _eq(f"z{i} = a{i - 1}·W{i} + b{i}", s.z)
        label = f"a{i} = {_f(s.activation, f'z{i}')}"
        if i == top:
            label = f"ŷ = a{i} = {_f(s.activation, f'z{i}')}"
        lines += _eq(label + ("   (no activation)" if s.activation == "none" else ""), s.a)
    lines += _eq("y (the labels)", step.y)
    if step.onehot is not None:
        lines += _eq("Y = onehot(y)   (row i: 1 in column y_i, the class, else 0)", step.onehot)
    doc.code("\n".join(lines))

    doc.heading("3. Loss", level)
    mean = f"n = {n}" if n_out == 1 else f"n·n_out = {n}·{n_out}"
    formula = {"mse": "L = mean((ŷ − y)²)",
               "bce": f"L = mean(−y·log ŷ − (1 − y)·log(1 − ŷ)) = mean(softplus(z{top}) − "
                      f"y·z{top})",
               "ce": f"L = mean(−log ŷ[y]) = mean(log Σⱼ exp(z{top}ⱼ) − z{top}[y]), ŷ[y] the "
                     "probability of each sample's own class"}.get(
        step.loss_name, f"L = {step.loss_name}(ŷ, y)")
    doc.code(f"{formula}, the mean over {mean} values\nL = {step.loss_before:.{DIGITS}f}")

    doc.heading("4. Backward pass: the chain rule, from the top", level)
    lines = []
    for s in reversed(step.layers):
        i = s.number
        if i == top:
            lines += _output_delta(step, s, top, n, n_out)
        else:
            above = f"δ{i + 1}·W{i + 1}ᵀ"
            lines += _eq(f"dL/da{i} = {above}", s.grad_a)
            if s.activation == "none":
                lines += _eq(f"δ{i} = dL/dz{i} = dL/da{i}   (no activation: the factor is 1)",
                             s.delta)
            else:
                slope = f"{SYMBOL.get(s.activation, s.activation)}′(z{i})"
                lines += _eq(_f_slope(s.activation, f"z{i}", f"a{i}"), s.slope)
                lines += _eq(f"δ{i} = dL/dz{i} = dL/da{i} ⊙ {slope} = ({above}) ⊙ {slope}",
                             s.delta)
        lines += _eq(f"dW{i} = dL/dW{i} = a{i - 1}ᵀ·δ{i}", s.dW)
        lines += _eq(f"db{i} = dL/db{i} = Σₙ δ{i}", s.db)
        lines.append("")
    lines.append("(dL/da0 = δ1·W1ᵀ is not needed: a0 = x is the data.)")
    doc.code("\n".join(lines))

    doc.heading(f"5. Update: gradient descent, η = {step.lr:g}", level)
    lines = []
    for s in step.layers:
        i = s.number
        lines += _eq(f"W{i} ← W{i} − η·dW{i}", s.W_new) + _eq(f"b{i} ← b{i} − η·db{i}", s.b_new)
    doc.code("\n".join(lines))

    doc.heading("6. The loss after the step", level)
    change = step.loss_after - step.loss_before
    doc.code(f"L: {step.loss_before:.{DIGITS}f} → {step.loss_after:.{DIGITS}f}   "
             f"({'down' if change < 0 else 'up'} by {abs(change):.{DIGITS - 1}e})")
    doc.paragraph(
        "The loss went down: a small enough step against the gradient always lowers it."
        if change < 0 else
        "The loss went up: this step was too large for the slope it followed (try a smaller "
        "--lr).")
    return doc


def _output_delta(step, s, top, n, n_out):
    mean = "n" if n_out == 1 else "(n·n_out)"
    if step.loss_name == "mse":
        lines = _eq(f"dL/dŷ = 2(ŷ − y)/{mean}", s.grad_a)
        if s.activation == "none":
            return lines + _eq(f"δ{top} = dL/dz{top} = dL/dŷ   (linear output: the factor is 1)",
                               s.delta)
        sym = SYMBOL.get(s.activation, s.activation)
        return lines + _eq(_f_slope(s.activation, f"z{top}", "ŷ"), s.slope) + _eq(
            f"δ{top} = dL/dz{top} = dL/dŷ ⊙ {sym}′(z{top})", s.delta)
    if step.loss_name == "bce":
        return _eq(f"δ{top} = dL/dz{top} = (ŷ − y)/{mean}   (σ′ cancels against the log's "
                   "derivative)", s.delta)
    if step.loss_name == "ce":
        return _eq(f"δ{top} = dL/dz{top} = (ŷ − Y)/n   (the softmax's Jacobian cancels "
                   "against the log's derivative)", s.delta)
    return _eq(f"δ{top} = dL/dz{top}   (the {step.loss_name} loss's backward)", s.delta)


def render(doc, fmt="text"):
    """The document as Markdown, or as plain text for a terminal."""
    if fmt not in FORMATS:
        raise unknown_name("format", fmt, FORMATS)
    if fmt == "markdown":
        return doc.markdown()
    out = [doc.title, "=" * len(doc.title), ""]
    for block in doc.blocks:
        kind = block[0]
        if kind == "heading":
            out += [block[2], "-" * len(block[2]), ""]
        elif kind == "paragraph":
            out += [textwrap.fill(block[1].replace("`", ""), 100), ""]
        elif kind == "code":
            out += [block[2], ""]
    return "\n".join(out).rstrip() + "\n"
