"""``backproplab check``, step by step: the learner's network beside backproplab's MLP at the same
weights — structure, forward pass, gradients array by array (with the mistake named), and
training side by side. :func:`check` returns a :class:`Result`; :mod:`.table` prints it."""

import os
from dataclasses import dataclass, field

import numpy as np

from ...data.datasets import CLASSES
from ...engine.gradients import TOL, array_columns, loss_and_backprop
from ...errors import BackproplabError
from ...nn.activations import ACTIVATIONS
from ...nn.losses import get_loss
from ..factory import build_model, load_data
from . import mistakes, protocol
from .learner import Learner, LearnerFailed
from .training import train_both

FORWARD_TOL = 1e-10  # the forward passes agree to this, relative to max(1, |ŷ|)
STEP_LRS = (0.1, 0.2)  # the two learning rates a gradient is read off step at
FD_STEP = 1e-6  # the finite-difference step on the learner's own loss


@dataclass
class Row:
    name: str  # W1, b1, …
    theirs: str  # their name and shape
    vs_backprop: float
    vs_fd: float | None
    passed: bool
    diagnosis: str = ""


@dataclass
class Result:
    lines: list = field(default_factory=list)  # what was found, in order
    rows: list = field(default_factory=list)
    forward_ok: bool = False
    curves_part: int | None = None
    table_at: int | None = None  # the table goes after lines[:table_at], before the rest

    @property
    def passed(self):
        return self.forward_ok and bool(self.rows) and all(r.passed for r in self.rows)


def options_for_check(cfg):
    """Refuse the options check does not take: it compares an MLP on two-class data."""
    if cfg.data in CLASSES:  # before cfg.check(), which would ask for a softmax output
        raise BackproplabError(f"check compares an MLP on two-class points; the {cfg.data} "
                               f"data set has {CLASSES[cfg.data]} classes: use a data set such "
                               "as linear or xor")
    cfg.check()
    if cfg.images or cfg.model != "mlp":
        raise BackproplabError("check compares an MLP on two-class points: use a data set "
                               "such as linear or xor, --model mlp")
    if cfg.loss not in ("mse", "bce") or cfg.output not in ("sigmoid", "none"):
        raise BackproplabError("check takes --loss mse or bce and --output sigmoid or none")
    if cfg.dtype != "float64":
        raise BackproplabError("check works in float64 only")
    return cfg


def check(path, function, cfg, epochs=2000, timeout=60.0, out="."):
    """Check the learner's network of ``path`` (built by ``function``) against the MLP of the
    options ``cfg``; a :class:`Result`. Their code runs in one child process for it all."""
    cfg = options_for_check(cfg)
    x, y, _ = load_data(cfg)
    if y.size and y.max() > 1:  # a CSV file of K classes
        raise BackproplabError(f"check compares an MLP on two-class points; {cfg.data}'s labels "
                               f"go up to {int(y.max())}, so {int(y.max()) + 1} classes: give a "
                               "file of labels 0 and 1")
    y = y.astype(float).reshape(len(x), 1)
    net = build_model(cfg, x.shape[1])
    sizes = [net.n_in, *net.hidden, net.n_out]
    result = Result()
    file = os.path.basename(path)
    with Learner(path, function, timeout) as learner:
        info = learner.start(net.n_in, net.hidden, net.n_out, cfg.seed)
        if "forward" not in info["methods"]:
            raise LearnerFailed(f"{file}: the network has no forward(x); the protocol needs it "
                                "and at least one of backward(x, y) and step(x, y, lr)")
        if not {"backward", "step"} & set(info["methods"]):
            raise LearnerFailed(f"{file}: the network has no backward(x, y) or step(x, y, lr); "
                                "the protocol needs at least one of the two")
        layout = protocol.find_layout(info, sizes, file)
        result.lines.append(protocol.describe(layout))
        Ws, bs = _weights(net, layout.has_bias)
        start = layout.to_theirs(Ws, bs)
        _set(learner, start, file)

        y_hat = learner.forward(x)
        if y_hat.shape not in ((len(x), 1), (len(x),)):
            raise LearnerFailed(f"{file}: forward(x) returned shape {y_hat.shape} for x of "
                                f"shape {x.shape}; ({len(x)}, 1) or ({len(x)},) was expected")
        fw = mistakes.forward(Ws, bs, x, net.activation, cfg.output)
        result.forward_ok = _forward_line(result, y_hat.reshape(-1, 1), fw.a[-1], Ws, bs, x,
                                          net, cfg, layout)
        step = "backward" not in info["methods"]
        grads, lr_note, order = _their_gradients(learner, layout, start, x, y, step, file)
        if lr_note:
            result.lines.append(lr_note)
        loss_fn = get_loss(cfg.loss, cfg.output)
        L, ref = loss_and_backprop(net.select([0]), loss_fn, x, y)
        ref = [ref[0, cols].reshape(shape) for _, _, shape, cols in array_columns(net)]
        scale, their_loss = _convention(result, learner, info, grads, ref, fw.a[-1], y,
                                        float(L[0]), cfg.loss)
        fd = None
        if "loss" in info["methods"]:
            learner.set(start)
            fd = layout.from_theirs(learner.numgrad(x, y, FD_STEP))
        _rows(result, layout, grads, ref, fd, scale, their_loss, Ws, bs, fw, y, cfg.loss,
              STEP_LRS[0] if step else None)
        result.table_at = len(result.lines)
        learner.set(start)
        order = None if "step" in info["methods"] else order
        result.curves_part = train_both(result, learner, net, x, y, cfg, epochs, order, scale,
                                        out, layout.has_bias)
        try:
            warned = learner.warnings()
        except LearnerFailed:  # the child was stopped in training: what it said is said
            warned = []
    if warned:
        total = sum(count for _, count in warned)
        shown = "; ".join(f"{count}× {message}" for message, count in warned[:3])
        more = f"; and {len(warned) - 3} other kinds" if len(warned) > 3 else ""
        result.lines.append(f"NumPy warned {total} times in your code: {shown}{more}")
    return result


def _weights(net, has_bias):
    """backproplab's starting weights, W (n_in, n_out) and b (n_out,); biases of 0 when the
    learner's network has none (so both compute the same function)."""
    arrays = dict(net.param_arrays(0))
    if not has_bias:
        for name, value in arrays.items():
            if name.startswith("b"):
                value[...] = 0.0  # a view of net's parameters: net changes too
    L = len(arrays) // 2
    return ([arrays[f"W{i}"].copy() for i in range(1, L + 1)],
            [arrays[f"b{i}"].copy() for i in range(1, L + 1)])


def _set(learner, arrays, file):
    learner.set(arrays)
    if any(not np.array_equal(a, b) for a, b in zip(learner.get(), arrays)):
        raise LearnerFailed(f"{file}: writing the checker's weights did not change yours: "
                            "parameters() must return the network's own arrays, not copies")


def _forward_line(result, theirs, ours, Ws, bs, x, net, cfg, layout):
    """Compare the outputs; when they differ, name the slip whose output fits."""
    worst = float(np.max(np.abs(theirs - ours)) / max(1.0, float(np.max(np.abs(ours)))))
    if worst <= FORWARD_TOL:
        result.lines.append(f"forward pass: matches backproplab's {layout.label} network "
                            f"(largest difference {worst:.1e})")
        return True
    slips = []
    if layout.has_bias:
        slips.append(("the biases left out", Ws, [b * 0 for b in bs], net.activation,
                      cfg.output))
    if cfg.output == "sigmoid":
        slips.append(("no output activation (ŷ = z)", Ws, bs, net.activation, "none"))
    for name in ACTIVATIONS:
        if name not in net.activation:
            slips.append((f"{name} as the hidden activation", Ws, bs,
                          [name] * len(net.hidden), cfg.output))
    if any(W.shape[0] == W.shape[1] for W in Ws):
        slips.append(("the square weight matrices transposed (x·Wᵀ for x·W)",
                      [W.T if W.shape[0] == W.shape[1] else W for W in Ws], bs,
                      net.activation, cfg.output))
    for text, W2, b2, acts, output in slips:
        other = mistakes.forward(W2, b2, x, acts, output).a[-1]
        if np.max(np.abs(theirs - other)) <= FORWARD_TOL * max(1.0, np.max(np.abs(other))):
            result.lines.append(f"forward pass: DIFFERS (by up to {worst:.2g}); it matches "
                                f"backproplab's with {text}")
            return False
    result.lines.append(f"forward pass: DIFFERS (by up to {worst:.2g}), and none of the "
                        "known slips (no bias, no output activation, another activation, "
                        "transposed weights) explains it")
    return False


def _their_gradients(learner, layout, start, x, y, step, file):
    """Their gradients in backproplab's layout: from backward, or read off two steps."""
    if not step:
        keys, grads = learner.backward(x, y)
        matched = protocol.match_gradients(layout, keys, grads, file)
        return layout.from_theirs(matched), None, _order(layout, keys)
    read = []
    for lr in STEP_LRS:
        learner.set(start)
        learner.step(x, y, lr)
        after = learner.get()
        read.append(layout.from_theirs([(b - a) / lr for b, a in zip(start, after)]))
    same = all(mistakes.rel(g1, g2, 1.0) <= 1e-8 for g1, g2 in zip(*read))
    note = None if same else (
        f"step: the gradient read off (before − after)/lr differs between lr = {STEP_LRS[0]} "
        f"and {STEP_LRS[1]}: the update changes what the gradient is computed with")
    return read[0], note, None


def _order(layout, keys):
    """For each of their arrays, the position of its gradient in backward's answer."""
    if keys is None:
        return list(range(len(layout.names)))
    lowered = [k.lower() for k in keys]
    return [next(i for i, k in enumerate(lowered) if k in {
        name.lower(), "d" + name.lower(), layout.role(slot).lower(),
        "d" + layout.role(slot).lower()}) for slot, name in enumerate(layout.names)]


def _convention(result, learner, info, grads, ref, y_hat, y, L, loss):
    """The one overall factor between their gradients and backproplab's mean loss (their
    loss's, when they give one): mean or sum over samples, with or without the ½."""
    n = len(y)
    names = {1.0: "the mean over samples, as backproplab's",
             0.5: "½ × the mean over samples", float(n): "the sum over samples",
             n / 2: "½ × the sum over samples"}
    if loss == "bce":
        names = {k: v for k, v in names.items() if k in (1.0, float(n))}
    counts = {c: sum(mistakes.rel(g, c * r, c * L) <= TOL for g, r in zip(grads, ref))
              for c in names}
    # the output layer's dW is the nearest to dL/dŷ, where the convention is set: its factor,
    # else the one most arrays agree with (ties: the first, 1)
    top = [c for c in names if mistakes.rel(grads[-2], c * ref[-2], c * L) <= TOL]
    scale = top[0] if top else max(names, key=lambda c: counts[c])
    their_loss = None
    if "loss" in info["methods"]:
        their_loss = learner.loss(y_hat.reshape(-1, 1), y)
        ratio = their_loss / L if L else 1.0
        fits = [c for c in names if abs(ratio - c) <= 1e-8 * c]
        if fits:
            scale = fits[0] if counts[fits[0]] >= counts[scale] else scale
            times = "" if fits[0] == 1 else f" (× {fits[0]:g} backproplab's)"
            result.lines.append(f"your loss: {names[fits[0]]}{times}")
    if scale != 1.0:
        result.lines.append(f"your gradients: of {names[scale]} (× {scale:g} backproplab's); "
                            "compared with that factor, not failed for it")
    return scale, their_loss


def _rows(result, layout, grads, ref, fd, scale, their_loss, Ws, bs, fw, y, loss, step_lr):
    L = len(Ws)
    for i in range(2 * L):
        slot = layout.slots[i]
        if slot is None:
            continue
        name = f"{'b' if i % 2 else 'W'}{i // 2 + 1}"
        theirs = layout.names[slot]
        shown = f"{theirs} {'×'.join(map(str, layout.shapes[slot]))}"
        vs_bp = mistakes.rel(grads[i], scale * ref[i], scale * fw_loss(fw, y, loss))
        vs_fd = None if fd is None else mistakes.rel(grads[i], fd[i], their_loss)
        passed = vs_bp <= TOL and (vs_fd is None or vs_fd <= TOL)
        diagnosis = ""
        if vs_bp > TOL and result.forward_ok:
            diagnosis = mistakes.diagnose(i, grads[i], Ws, bs, fw, y, loss, scale,
                                          scale * fw_loss(fw, y, loss), step_lr)
        elif vs_fd is not None and vs_fd > TOL:
            ratio = _ratio(grads[i], fd[i])
            diagnosis = (f"d{name} is {ratio:g}× the gradient of your own loss: the ½ or 2 "
                         "of the squared error (L = ½·Σ(ŷ − y)² gives dL/dŷ = ŷ − y)"
                         if ratio in (0.5, 2.0) else "your gradient is not your loss's")
        result.rows.append(Row(name, shown, vs_bp, vs_fd, passed, diagnosis))


def fw_loss(fw, y, loss):
    """backproplab's loss of the forward pass fw (mean over samples)."""
    p = fw.a[-1]
    if loss == "bce":
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
    return float(np.mean((p - y) ** 2))


def _ratio(g, fd):
    """g / fd when it is one number (2, ½) over the entries, else NaN."""
    g, fd = np.asarray(g, float).ravel(), np.asarray(fd, float).ravel()
    if g.shape != fd.shape:
        return float("nan")
    big = np.abs(fd) > 1e-6 * np.abs(fd).max()
    r = g[big] / fd[big]
    return round(float(r.mean()), 6) if r.size and np.ptp(r) < 1e-4 else float("nan")
