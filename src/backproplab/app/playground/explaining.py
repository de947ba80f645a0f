"""Explain this step: for a sample chosen in the plot, the numbers of one gradient-descent step
of the page's network, forward and backward, written out as ``backproplab explain`` writes them
(its own step and writing, :mod:`backproplab.app.explain`).

What the page explains is the step gradient descent would take on that one sample from the
current weights. Training itself steps on all its points at once (or on mini-batches), and may
use another optimizer: for those, the text says plainly that the update written out is plain
gradient descent at the run's learning rate — the gradients dW are the same whatever the
optimizer does with them, and they are what backpropagation computes.
"""

from ...checks import is_whole
from ...errors import BackproplabError
from ..explain import document, render, step_of


def explain(run, net, index, which, data_name):
    """The text of the step of ``net`` (a copy of ``run``'s network, which the step changes)
    on sample ``index`` of the training set (``which="train"``) or the test set."""
    data = run.data
    if which not in ("train", "test"):
        raise BackproplabError(f"which set: train or test, got {str(which)[:20]!r}")
    x, y = (data.x, data.y) if which == "train" else (data.x_test, data.y_test)
    if x is None:
        raise BackproplabError("there is no test set: set test-fraction above 0")
    where = "training" if which == "train" else "test"
    if not is_whole(index) or not 0 <= index < len(x):
        raise BackproplabError(f"the {where} set has samples 0…{len(x) - 1}, got "
                               f"{str(index)[:20]}")
    cfg, epoch, lr = run.cfg, run.trainer.epoch, run.lr()
    x1, x2 = x[index]
    about = (f"sample {index} of the {where} set, ({x1:.4g}, {x2:.4g}) of class "
             f"{int(y[index, 0])},")
    step = step_of(net, x[index:index + 1], y[index:index + 1], cfg.loss, lr, data_name,
                   cfg.seed, epoch, about=about, note=_note(run, len(data.x), which, lr))
    return render(document(step), "text")


def _note(run, n, which, lr):
    """Where the numbers come from, and how the page's training differs from this step."""
    cfg, epoch = run.cfg, run.trainer.epoch
    how = (f"in mini-batches of {cfg.batch_size}" if cfg.batch_size and cfg.batch_size < n
           else f"on all {n} training points at once")
    text = (f"the weights are the page's after {epoch} epochs, and the step is the one "
            f"gradient descent takes on this sample alone (training steps {how}")
    text += "; a test sample is never trained on)." if which == "test" else ")."
    changes = []
    if cfg.optimizer != "gd":
        changes.append(f"the {cfg.optimizer} optimizer")
    if cfg.weight_decay:
        changes.append(f"weight decay {cfg.weight_decay:g}")
    if cfg.l1:
        changes.append(f"an L1 penalty {cfg.l1:g}")
    if changes:
        text += (f" Training uses {' and '.join(changes)}: its update is not the plain "
                 "W ← W − η·dW written out in step 5, but it starts from the same gradients "
                 "dW of step 4.")
    if run.trainer.schedule is not None:
        text += f" η = {lr:g} is the {cfg.schedule} schedule's rate for epoch {epoch}."
    return text
