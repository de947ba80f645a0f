"""Training side by side: the learner's network (by its step, or by its backward and plain
gradient descent) and backproplab's MLP, from the same weights, full batch; both loss curves
in check.png and the epoch where they part."""

import os

import numpy as np

from ...engine.gradients import array_columns
from ...figures.comparison import loss_curves
from .learner import LearnerFailed

PART = 1e-6  # the curves part where their losses differ by more than this, relatively


def losses(outputs, y, loss):
    """backproplab's loss (mean over samples) of each row of outputs (epochs + 1, n)."""
    y = y.reshape(1, -1)
    if loss == "bce":
        p = np.clip(outputs, 1e-15, 1 - 1e-15)
        return np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p), axis=1)
    return np.mean((outputs - y) ** 2, axis=1)


def parting(a, b):
    """The first epoch where the two curves differ by more than PART relatively (or where one
    is not finite and the other is); None when they never do."""
    with np.errstate(invalid="ignore"):
        apart = ~(np.abs(a - b) <= PART * np.maximum(np.abs(b), 1e-12))
    return int(np.argmax(apart)) if apart.any() else None


def _without_biases(net, has_bias):
    """fit's settings that keep backproplab's biases at 0 when the learner's network has none:
    a callback after every update (before the next forward pass) that zeroes them."""
    if has_bias:
        return {}
    cols = np.concatenate([c for _, name, _, c in array_columns(net) if name.startswith("b")])

    def zero(progress):
        progress.model.params[:, cols] = 0.0

    return {"callback": zero, "callback_every": 1}


def train_both(result, learner, net, x, y, cfg, epochs, order, scale, out, has_bias=True):
    """Train both for ``epochs`` epochs at cfg's learning rate; draw check.png in ``out``;
    the epoch where the curves part (None: never). A gradient that is the mean's times
    ``scale`` (the learner's convention) is divided by it in the update done for them."""
    if epochs <= 0:
        return None
    lr = cfg.lr_value
    how = "its step" if order is None else "its backward and gradient descent"
    try:
        theirs = losses(learner.train(x, y, lr, epochs, order, scale), y, cfg.loss)
    except LearnerFailed as e:
        result.lines.append(f"training: not done ({str(e).splitlines()[-1]})")
        return None
    history = net.fit(x, y, loss=cfg.loss, optimizer="gd", lr=lr, epochs=epochs,
                      **_without_biases(net, has_bias))
    ours = np.r_[history.loss, history.final_loss]
    parted = parting(theirs, ours)
    where = ("the curves agree to the end" if parted is None
             else f"the curves part at epoch {parted}")
    result.lines.append(
        f"training: {epochs} epochs at lr {lr:g} (yours by {how}); final loss {theirs[-1]:.6g} "
        f"(yours) and {ours[-1]:.6g} (backproplab's); {where}")
    if out is not None:
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, "check.png")
        loss_curves({"your network": theirs, "backproplab": ours}, path,
                    title="Your network and backproplab's, from the same weights",
                    parted=parted)
        result.lines.append(f"loss curves written to {path}")
    return parted
