"""``backproplab gradcheck``: backpropagation's gradients against central finite differences,
for every parameter of the network ``train`` builds from the options.

The checker and its one relative error are :mod:`backproplab.engine.gradients` (the formula,
the floor, the step h = 1e-5); this module builds the network, picks the samples, plants the
bug of ``--break`` and prints the table. Both sides go through ``train`` itself: the analytic
gradient is the one its first update uses, the loss L the one it reports, so what is checked is
what ``train`` computes, for any loss, activation or layer it can train.

Kinks: relu and leaky_relu have no derivative at z = 0 (backprop takes one side's slope, a
finite difference straddling 0 sees the mean of both); elu has one, but its curvature jumps
there, so a central difference is off by O(h) instead of O(h²). For random data and weights a
pre-activation at a kink has probability zero, but not for the lab's data: at the point (0, 0)
with the initial biases of 0, z = 0 exactly. Samples with any such pre-activation within 10·h
of a kink are set aside, and the report says which.
"""

import textwrap
from dataclasses import dataclass, field

import numpy as np

from ..engine.gradients import (
    FLOOR,
    TOL,
    H,
    array_columns,
    check_arrays,
    columns_per_pass,
    error_floor,
    train_gradient,
    trained_losses,
)
from ..errors import BackproplabError, unknown_name
from ..models.mlp import MLP
from .factory import image_model, load_data, load_images, point_model

# Activations with a kink at 0: relu's and leaky_relu's slope jumps there; elu's slope is
# continuous but its curvature jumps, which leaves a central difference only O(h) accurate.
KINKS = {"relu": 0.0, "leaky_relu": 0.0, "elu": 0.0}
KINK_MARGIN = 10  # samples with a kinked pre-activation within this many h are set aside


@dataclass
class Result:
    rows: list  # an ArrayCheck per parameter array: layer, name, shape, checked, max errors
    loss: float
    samples: int  # samples the check used
    set_aside: list = field(default_factory=list)  # samples at a kink (indices into the data)
    h: float = H
    tol: float = TOL
    floor: float = FLOOR
    broken: int | None = None
    network: str = ""  # layer sizes, 2-10-10-1

    @property
    def passed(self):
        return all(r.passed for r in self.rows)


def check(cfg, samples=None, epochs=0, h=H, tol=TOL, break_layer=None, max_params=None):
    """Check every parameter's gradient of the network ``train`` builds from ``cfg``
    (a :class:`~backproplab.app.config.TrainConfig`), on its first ``samples`` samples (all when
    None), after ``epochs`` epochs of training on them (0: at the initial weights).

    ``break_layer`` (1-based, over the layers with parameters: the 2 of W2, b2) plants a bug
    in that layer's backward (see :func:`plant_bug`). ``max_params`` checks at most that many
    entries of each array, evenly spaced. Returns a :class:`Result`.
    """
    cfg.check()
    if cfg.dtype != "float64":
        raise BackproplabError(
            "gradcheck works in float64 only: in float32 a finite difference is rounded to "
            "about 1e-2 of the gradient and tells nothing; drop --dtype float32")
    if cfg.test_n is not None:
        raise BackproplabError("--test-n does not apply to gradcheck")
    for value, what in ((h, "the step (--step)"), (tol, "the tolerance (--tol)")):
        if not (np.isfinite(value) and value > 0):
            raise BackproplabError(f"{what} must be a number > 0, got {value!r}")
    if max_params is not None and max_params < 1:
        raise BackproplabError(f"--max-params must be >= 1, got {max_params}")
    if epochs < 0:
        raise BackproplabError(f"--epochs must be >= 0, got {epochs}")
    if cfg.images:
        if cfg.dropout:
            raise BackproplabError(
                "gradcheck needs the loss to be one function of the weights, and dropout draws "
                "a new mask at every evaluation: use --dropout 0 (the tests check Dropout's "
                "gradient with a fixed mask)")
        x, y, _, _ = load_images(cfg)
        n_classes = int(y.max()) + 1  # of the whole training set, before taking samples
        net = image_model(cfg, x, n_classes)
    else:
        x, y, _ = load_data(cfg)
        net = point_model(cfg, x, y)  # K classes from the whole training set, as train's
    x, y = first_samples(x, y, samples)
    if epochs:
        history = net.fit(x, y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr,
                          epochs=epochs, batch_size=cfg.batch_size,
                          stop_at_loss=cfg.stop_at_loss, schedule=cfg.lr_schedule(),
                          **cfg.hyper())
        if history.interrupted:
            raise KeyboardInterrupt
        if history.diverged:
            raise BackproplabError(f"training before the check {history.message()}")
    layers = sorted({layer for layer, _, _, _ in array_columns(net)})
    if break_layer is not None and break_layer not in layers:
        raise BackproplabError(f"--break {break_layer}: the network's layers with parameters "
                               f"are {layers[0]} to {layers[-1]}")

    kept = away_from_kinks(net, x, KINK_MARGIN * h)
    if not kept.any():
        hint = (" (images with blank regions meet the initial biases of 0 there: check after "
                "a few epochs, --epochs 3)" if cfg.images and not epochs else "")
        raise BackproplabError("every sample has a pre-activation at a kink (of relu, "
                               f"leaky_relu or elu): no gradient is left to check{hint}")
    set_aside = np.flatnonzero(~kept).tolist()
    x, y = x[kept], y[kept]
    if break_layer is not None and len(x) < 2:
        raise BackproplabError("--break needs at least 2 samples: the bug it plants (dividing "
                               "by the number of samples again) changes nothing for one")

    probe = net.select([0])  # the copy that takes train's first step, with the bug if asked
    if break_layer is not None:
        plant_bug(probe, break_layer, len(x))
    L, analytic = train_gradient(probe, x, y, cfg.loss)
    rows = check_arrays(net, trained_losses(x, y, cfg.loss), L, analytic, h, tol, max_params,
                        columns_per_pass(net, x))
    loss = float(L[0])
    return Result(rows, loss, len(x), set_aside, h, tol, float(error_floor(loss)), break_layer,
                  network_label(net))


def away_from_kinks(net, x, margin):
    """Which samples have no pre-activation of a kinked activation within ``margin`` of its
    kink (network 0); a bool per sample."""
    kept = np.ones(len(x), bool)
    a = np.asarray(x, net.dtype)
    for layer in net.layers:
        name = getattr(layer, "name", None)
        if name in KINKS:
            near = np.abs(a[0] - KINKS[name]) <= margin  # a is this layer's input z
            kept &= ~near.reshape(len(x), -1).any(axis=1)
        a = layer.forward(a)
    return kept


def plant_bug(net, layer, n):
    """Make layer ``layer``'s backward divide its parameters' gradients by the number of
    samples n, a second time: the loss is already a mean over samples, and averaging again is
    a slip that still trains (slowly), so only a gradient check shows it. The gradient passed
    on to the layers below stays right, so only this layer's arrays are wrong — each entry by
    the factor 1/n, a relative error of 1 − 1/n. Only this instance is changed (its backward
    is wrapped); the layer classes are untouched."""
    cols = np.concatenate([c for i, _, _, c in array_columns(net) if i == layer])
    target = [lay for lay in net.layers if hasattr(lay, "param_shapes")][layer - 1]
    right = target.backward

    def backward(grad_out):
        dx = right(grad_out)
        net.grads[:, cols] /= n
        return dx

    target.backward = backward

def network_label(net):
    """"2-10-10-1" for an MLP; the layers in order for anything else."""
    if isinstance(net, MLP):
        return "-".join(map(str, [net.n_in, *net.hidden, net.n_out]))
    return " → ".join(_layer_label(layer) for layer in net.layers)


def _layer_label(layer):
    kind = type(layer).__name__
    if kind == "Conv2D":
        (kh, kw), c_out = layer.kernel_size, layer.out_channels
        return f"conv {c_out}@{kh}×{kw}"
    if kind == "MaxPool2D":
        return f"maxpool {layer.size[0]}"
    if kind == "Dense":
        return f"dense {layer.n_out}"
    return getattr(layer, "name", kind.lower())


def first_samples(x, y, samples):
    """The first ``samples`` samples of a data set (all of them for None)."""
    if samples is None:
        return x, y
    if isinstance(samples, bool) or int(samples) != samples or samples < 1:
        raise BackproplabError(f"--samples must be a whole number >= 1, got {samples!r}")
    if samples > len(x):
        raise BackproplabError(f"--samples {samples}: the data set has only {len(x)} samples")
    return x[:samples], y[:samples]


# -- printing -----------------------------------------------------------------------------


def describe(cfg, result, epochs=0):
    """The lines above the table: what was checked, how, and at what tolerance."""
    where = "the initial weights" if not epochs else f"the weights after {epochs} epochs"
    units = ("" if cfg.model == "cnn"
             else f"{'/'.join(dict.fromkeys(cfg.activation))} hidden units, ")
    lines = [
        f"gradcheck: the {result.network} network ({units}{cfg.output} output, loss "
        f"{cfg.loss}) on {result.samples} samples of {cfg.data}, seed {cfg.seed}, at {where}, "
        "in float64",
        f"central differences with step h = {result.h:g}; "
        "rel = |g − g_fd| / max(|g|, |g_fd|, floor), "
        f"floor = 1e-4·max(1, |L|) = {result.floor:.3g}; pass: rel ≤ {result.tol:g}",
        f"loss L = {result.loss:.6g}",
    ]
    if result.set_aside:
        shown = ", ".join(map(str, result.set_aside[:10]))
        more = "" if len(result.set_aside) <= 10 else f" and {len(result.set_aside) - 10} more"
        kinked = "/".join(a for a in dict.fromkeys(cfg.activation) if a in KINKS)
        lines.append(
            f"set aside: sample{'s' if len(result.set_aside) > 1 else ''} {shown}{more}, with "
            f"a pre-activation within {KINK_MARGIN}·h of {kinked}'s kink at 0, where a finite "
            "difference is wrong (relu's slope jumps there: backprop takes one side's, a "
            "finite difference the mean of both; elu's curvature jumps)")
    if result.broken is not None:
        lines.append(
            f"--break {result.broken}: layer {result.broken}'s backward divides its gradients "
            "by the number of samples again (the loss is already a mean), so they are "
            f"{result.samples} times too small: rel = 1 − 1/{result.samples} = "
            f"{1 - 1 / result.samples:.3g} where the gradient is above the floor")
    return lines


HEADER = ["layer", "param", "shape", "checked", "max abs error", "max rel error", "result"]


def table_rows(result):
    return [[str(r.layer), r.name, "×".join(map(str, r.shape)), str(r.checked),
             f"{r.max_abs:.2e}", f"{r.max_rel:.2e}", "pass" if r.passed else "FAIL"]
            for r in result.rows]


def verdict(result):
    failed = [r.name for r in result.rows if not r.passed]
    if not failed:
        return (f"all {len(result.rows)} parameter arrays pass: backprop's gradients match the "
                "finite differences")
    return (f"{len(failed)} of {len(result.rows)} parameter arrays FAIL ({', '.join(failed)}): "
            "their backprop gradients do not match the finite differences")


FORMATS = ("text", "markdown")


def format_result(cfg, result, epochs=0, fmt="text"):
    """The report as text (an aligned table) or as a Markdown section."""
    if fmt not in FORMATS:
        raise unknown_name("format", fmt, FORMATS)
    head, rows = HEADER, table_rows(result)
    right = {0, 3, 4, 5}
    if fmt == "markdown":
        lines = ["## Gradient check", ""]
        lines += [f"- {line}" for line in describe(cfg, result, epochs)] + [""]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("| " + " | ".join("---:" if i in right else "---"
                                       for i in range(len(head))) + " |")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines + ["", verdict(result) + "."]) + "\n"
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    table = ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                       for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in [head, *rows]]
    head = [textwrap.fill(line, 100, subsequent_indent="  ") for line in describe(cfg, result,
                                                                                 epochs)]
    return "\n".join([*head, "", *table, "", verdict(result)]) + "\n"
