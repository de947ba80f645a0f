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

import textwrap
from dataclasses import dataclass

import numpy as np

from ..errors import BackproplabError, unknown_name
from ..nn.losses import get_loss, get_output
from ..nn.optimizers import get_optimizer
from .document import Document
from .factory import build_model, load_data
from .gradcheck import FORMATS, first_samples

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
    y: np.ndarray
    layers: list
    loss_name: str
    lr: float
    loss_before: float
    loss_after: float
    data: str
    seed: int
    epochs: int  # epochs trained before the step


def one_step(cfg, samples=2, epochs=0):
    """One gradient-descent step of the network ``train`` builds from ``cfg`` (a
    :class:`~backproplab.config.TrainConfig`) on the first ``samples`` samples of its data
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
    x, y = first_samples(x, y, samples)
    net = build_model(cfg, x.shape[1])
    if epochs:
        history = net.fit(x, y, loss=cfg.loss, optimizer="gd", lr=cfg.lr, epochs=epochs,
                          stop_at_loss=cfg.stop_at_loss)
        if history.diverged or history.stopped_early:
            raise BackproplabError(f"training before the step did not run its {epochs} "
                                   f"epochs: {history.message() or 'it reached --stop-at-loss'}")
    x = np.asarray(x, net.dtype)
    y = np.asarray(y, net.dtype).reshape(len(x), -1)
    loss_fn = get_loss(cfg.loss, net.output)
    opt = get_optimizer("gd", [net.params], [net.grads], cfg.lr)

    with np.errstate(all="ignore"):
        # forward, layer by layer: the calls Sequential.forward makes
        dense = [layer for layer in net.layers if hasattr(layer, "param_shapes")]
        before = [(layer.W[0].copy(), layer.b[0].copy()) for layer in dense]
        zs, acts, out = [], [], x
        for layer in net.layers:
            out = layer.forward(out)
            (zs if hasattr(layer, "param_shapes") else acts).append(out[0].copy())
        loss_before = float(loss_fn.forward(out, y)[0])
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
        loss_after = float(loss_fn.forward(net.forward(x), y)[0])

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
    return Step(x, y, layers, cfg.loss, float(opt.hyper["lr"][0, 0]), loss_before, loss_after,
                cfg.data, cfg.seed, epochs)


def _slope(act, z):
    """f′(z) as the activation's own backward computes it (its backward of ones)."""
    act.forward(z[None])
    return act.backward(np.ones_like(z)[None])[0].copy()


def _output_slope(loss_fn, net, z):
    """out′(zL), for mse; None for a loss whose δ needs no separate factor (bce)."""
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

SYMBOL = {"sigmoid": "σ", "none": ""}
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
    doc.paragraph(
        f"One step of gradient descent{trained} for a {network_name(step)} network "
        f"({', '.join(hidden)} hidden units, {step.layers[-1].activation} output, loss "
        f"{step.loss_name}) on the first {n} samples of the {step.data} data, seed "
        f"{step.seed}, learning rate η = {step.lr:g}.")
    doc.paragraph(
        f"Notation: a0 = x holds one sample per row; layer l computes zl = a(l−1)·Wl + bl and "
        f"al = f(zl); ŷ = a{top} is the output and δl = dL/dzl. `·` is the matrix product, `⊙` "
        "the elementwise one, `ᵀ` the transpose, `Σₙ` a sum over the samples (the rows). "
        f"Numbers are rounded for print ({DIGITS} decimals); the arrays themselves are those of "
        f"`backproplab train`'s step {step.epochs + 1}, to the last bit (the tests check it).")

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
    doc.code("\n".join(lines))

    doc.heading("3. Loss", level)
    mean = f"n = {n}" if n_out == 1 else f"n·n_out = {n}·{n_out}"
    formula = {"mse": "L = mean((ŷ − y)²)",
               "bce": f"L = mean(−y·log ŷ − (1 − y)·log(1 − ŷ)) = mean(softplus(z{top}) − "
                      f"y·z{top})"}.get(step.loss_name, f"L = {step.loss_name}(ŷ, y)")
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
