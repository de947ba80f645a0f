"""Section 1 of the report: the lab's network on the linear and the XOR data — training log,
per-sample table, figures, an animation of the XOR boundary, what the hidden units detect —
and one training step written out."""

import io
import os

import numpy as np

from ...figures import animation, network, plotting
from ...figures.units import activation_range
from .. import explain
from ..config import TrainConfig
from ..factory import build_model
from ..train import train_run
from .prose import DATA_TITLES, _num


def _results(doc, out, quick, steps):
    doc.heading("Results")
    defaults = TrainConfig().check()
    doc.paragraph(
        f"The lab's network: two hidden layers of {defaults.hidden[0]} sigmoid units and a "
        f"sigmoid output, trained on the mean squared error by gradient descent at learning "
        f"rate {defaults.lr_value:g}, full batch, seed {defaults.seed}.")
    runs = {}
    for data in ("linear", "xor"):
        cfg = TrainConfig(data=data).check()  # in full even with --quick: it takes seconds
        folder = os.path.join(out, "results", data)
        hook, frames = _frame_recorder(cfg) if data == "xor" else (None, None)
        printed = io.StringIO()
        run = runs[data] = train_run(cfg, out=folder, log_every=max(1, cfg.epochs // 10),
                                     stdout=printed, stderr=printed, on_progress=hook)
        if run.history.interrupted:  # a report is never written from a run cut short
            raise KeyboardInterrupt
        steps.done()
        rel = os.path.relpath(folder, out)
        m = run.metrics
        doc.heading(f"The {DATA_TITLES[data]}", 3)
        doc.paragraph(
            f"After {m['epochs_run']} epochs: loss {_num(m['final_loss'])}, training accuracy "
            f"{100 * m['train_accuracy']:.2f}% ({round(m['train_accuracy'] * len(run.y))} of "
            f"{len(run.y)} points), in {m['seconds']:.2f} s.")
        log = [line for line in printed.getvalue().splitlines() if line.startswith("epoch")]
        doc.paragraph("The training log (the loss of each epoch's forward pass, before its "
                      "update):")
        doc.code("\n".join(log))
        proba = run.net.predict_proba(run.x)[:, 0]
        doc.paragraph("The test print — every sample, its ground truth and the prediction:")
        doc.table(["sample", "x₁", "x₂", "ground truth", "prediction", "correct"],
                  [[i, f"{a:.4f}", f"{b:.4f}", int(t), f"{p:.5f}",
                    "yes" if (p >= 0.5) == (t == 1) else "**no**"]
                   for i, ((a, b), t, p) in enumerate(zip(run.x, run.y[:, 0], proba))],
                  align=["r", "r", "r", "r", "r", "l"])
        doc.code(f"loss={run.history.final_loss:.5f} "
                 f"accuracy={100 * run.history.final_accuracy:.2f}%")
        doc.figure(f"{rel}/learning_curve.png", f"Learning curve on the {data} data.")
        doc.figure(f"{rel}/comparison.png", f"Ground truth beside prediction ({data}).")
        doc.figure(f"{rel}/decision_boundary.png", f"Decision boundary ({data}).")
        network.network_diagram(run.net, os.path.join(folder, "network.png"),
                                 title=f"The trained network ({data})")
        doc.figure(f"{rel}/network.png",
                   f"The trained network ({data}): units per layer, each weight drawn by sign "
                   "(blue positive, red negative) and size.")
        if frames:
            shown = frames(run)
            animation.boundary_animation(shown, run.x, run.y, os.path.join(folder, "training.gif"))
            doc.figure(f"{rel}/training.gif", _animation_caption(shown))
        steps.done()
    _hidden_units(doc, out, runs)


def best_units(net, x, y):
    """Each hidden unit read as a classifier of the training points: activation above the
    middle of its colour scale (0.5 for sigmoid) as one class, below as the other, whichever
    way round fits better. Per hidden layer: (best unit, its accuracy, number of units)."""
    out = []
    for name, a in zip(net.activation, net.hidden_activations(x, m=0)):
        lo, hi = activation_range(name, a)
        accuracy = np.mean((a > (lo + hi) / 2) == (np.asarray(y) == 1), axis=0)
        accuracy = np.maximum(accuracy, 1 - accuracy)
        out.append((int(np.argmax(accuracy)), float(accuracy.max()), a.shape[1]))
    return out


def _hidden_units(doc, out, runs):
    """The neurons.png of each Results run (train_run draws it), with what its units reach."""
    doc.heading("Inside the hidden units", 3)
    act = next(iter(runs.values())).net.activation[0]
    doc.paragraph(
        "Each small map is one hidden unit's activation over the input plane, the plane of the "
        f"decision boundary beside it. A first-layer unit is {'σ' if act == 'sigmoid' else act}"
        "(w·x + b) of the inputs, so its map changes across one straight line; each later "
        "layer mixes the maps before it.")
    for data, run in runs.items():
        path = os.path.relpath(os.path.join(run.out, "neurons.png"), out)
        if not os.path.exists(os.path.join(out, path)):
            continue  # a diverged run draws no maps
        doc.figure(path, f"What each hidden unit detects ({data}).")
        best = best_units(run.net, run.x, run.y)
        doc.paragraph(
            f"On the {DATA_TITLES[data]}, the best single unit of each layer read as a "
            "classifier (activation above the middle of its scale as one class, below as the "
            f"other): " + "; ".join(
                f"h{i + 1}.{unit + 1} (best of {n}) classifies {100 * acc:.0f}%"
                for i, (unit, acc, n) in enumerate(best)) + f" of the {len(run.y)} points.")
        alone = [i for i, (_, acc, _) in enumerate(best) if acc == 1.0]
        if best[0][1] < 1.0 and alone:
            i, (unit, _, _) = alone[0], best[alone[0]]
            doc.paragraph(f"No first-layer unit separates the two classes alone; h{i + 1}."
                          f"{unit + 1} of layer {i + 1} does, from the maps of the layers "
                          "before it.")


def _explained_step(doc):
    """``backproplab explain``'s defaults: one step of a 2-2-2-1 network on two XOR points."""
    doc.heading("One training step, written out")
    doc.paragraph("What one update of gradient descent does, with every number, as "
                  "`backproplab explain` writes it with its defaults.")
    cfg = TrainConfig(data="xor", hidden=[2, 2]).check()
    explain.document(explain.one_step(cfg, samples=2), doc, level=3)


def _animation_caption(frames):
    """What the GIF shows, from its frames: the epochs, and those with no boundary drawn."""
    epochs = [frame[0] for frame in frames]
    caption = (f"The decision boundary as training proceeds on XOR, in {len(frames)} frames from "
               f"the network before its first update (epoch 0) to the trained one (epoch "
               f"{epochs[-1]}). The frames are spaced half by the change of the loss and half "
               "by time on a log scale: dense where the loss falls fast, and some on any "
               "plateau. Each frame's title gives its epoch; the epochs shown are "
               f"{', '.join(map(str, epochs))}.")
    flat = [i for i, frame in enumerate(frames) if not animation.has_boundary(frame[5])]
    if flat:
        runs = []  # consecutive frames as one stretch: "epochs 0 to 2400"
        for i in flat:
            if runs and runs[-1][1] == i - 1:
                runs[-1][1] = i
            else:
                runs.append([i, i])
        where = ", ".join(f"epoch {epochs[a]}" if a == b else f"epochs {epochs[a]} to {epochs[b]}"
                          for a, b in runs)
        which = "every frame" if len(flat) == len(frames) else f"{len(flat)} of the frames"
        caption += (f" In {which} ({where}) the network puts the whole plane in one class, so "
                    "no boundary is drawn.")
    return caption


def _frame_recorder(cfg, count=40):
    """(hook, frames) for the animation of one run of ``cfg``. The training hook keeps the
    weights at each epoch it is called (a few dozen numbers); after the run, ``frames(run)``
    picks ``count`` of those epochs (:func:`~backproplab.figures.animation.frame_epochs`), the
    first being epoch 0, the network before its first update, and returns for each ``(epoch,
    loss, accuracy, xx, yy, proba)``: loss and accuracy after that many epochs, and the
    predicted probability on a grid over the data."""
    weights = {}

    def hook(p):
        weights[p.epochs] = p.model.params[0].copy()  # the weights after p.epochs updates

    def frames(run):
        h = run.history
        weights[0] = build_model(cfg, run.x.shape[1]).params[0]  # where this run started
        weights[h.epochs_run] = run.net.params[0].copy()
        loss = np.append(h.loss, h.final_loss)  # loss[e]: after e epochs, e = 0 … epochs_run
        accuracy = np.append(h.accuracy, h.final_accuracy)
        net = run.net.select([0])  # a copy to load each frame's weights into
        xx, yy, grid = plotting.grid_over(run.x, steps=60)
        out = []
        recorded = sorted(e for e in weights if e <= h.epochs_run)
        for e in animation.frame_epochs(recorded, loss, count):
            net.params[0] = weights[e]
            proba = net.predict_proba(grid)[:, 0].reshape(xx.shape)
            out.append((e, loss[e], accuracy[e], xx, yy, proba))
        return out

    return hook, frames
