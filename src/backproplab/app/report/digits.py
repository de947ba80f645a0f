"""Section 3 of the report: the CNN against the MLP on scikit-learn's handwritten digits, each
with its defaults; without scikit-learn, a note on how to install it."""

import io
import os
from dataclasses import dataclass

from ...data import datasets
from ...figures import images as image_figures
from ..config import TrainConfig
from ..train import train_run
from .prose import _pct

DIGITS_TITLE = "CNN against MLP on digits"
QUICK_DIGITS_EPOCHS = 3  # --quick: the digits' networks train this many epochs


def digits_configs(quick=False):
    """The two digits runs of the report: each model with its defaults (fewer epochs with
    --quick)."""
    configs = [TrainConfig.for_data(data="digits", model=m).check() for m in ("cnn", "mlp")]
    if quick:
        for cfg in configs:
            cfg.epochs = min(cfg.epochs, QUICK_DIGITS_EPOCHS)
    return configs


@dataclass
class DigitsRun:
    """What the section says of one digits run."""

    metrics: dict  # the run's metrics.json
    n_params: int
    n_train: int
    n_test: int
    interrupted: bool


def train_digits(out, quick):
    """Train both models on the digits with their defaults, each run's files in
    ``out/digits/MODEL`` (all of the CNN's figures; of the MLP's its confusion matrix alone):
    {model: (cfg, DigitsRun)}, up to a run that was interrupted."""
    runs = {}
    for cfg in digits_configs(quick):
        printed = io.StringIO()
        run = train_run(cfg, out=os.path.join(out, "digits", cfg.model),
                        plots=cfg.model == "cnn", stdout=printed, stderr=printed)
        runs[cfg.model] = (cfg, DigitsRun(run.metrics, run.net.n_params, len(run.y),
                                          len(run.y_test), run.history.interrupted))
        if run.history.interrupted:
            return runs
    image_figures.confusion_matrix(runs["mlp"][1].metrics["confusion_matrix"],
                                   os.path.join(out, "digits", "mlp", "confusion_matrix.png"),
                                   title="Confusion matrix (test set)")
    return runs


def _digits(doc, out, quick, runs=None):
    """Both models on the digits with their defaults (``runs`` from :func:`train_digits`, or
    trained here): a table of what each reached, the CNN's figures; or, without scikit-learn,
    a note on how to install it."""
    doc.heading(DIGITS_TITLE)
    if not datasets.have_digits():
        doc.paragraph("Skipped: the handwritten digits come with scikit-learn, which is not "
                      f"installed here. Install it with `{datasets.DIGITS_INSTALL_COMMAND}` "
                      "(or `pip install scikit-learn`) and make the report again.")
        return
    runs = train_digits(out, quick) if runs is None else runs
    if any(run.interrupted for _, run in runs.values()):  # never written from a run cut short
        raise KeyboardInterrupt
    cnn_cfg, cnn = runs["cnn"]
    mlp_cfg, mlp = runs["mlp"]
    doc.paragraph(
        f"scikit-learn's 1,797 handwritten digits (8×8 pixels, classes 0–9), split 80/20 by "
        f"class with seed {cnn_cfg.seed}: {cnn.n_train} training and {cnn.n_test} test "
        "images. Both networks end in a softmax over the 10 classes and train on the "
        "cross-entropy with their defaults (`backproplab train --data digits --model cnn`, "
        "and `--model mlp`): "
        + "; ".join(f"{m}: {_describe_model(cfg)}" for m, (cfg, _) in runs.items()) + ".")
    rows = []
    for m, (cfg, run) in runs.items():
        r = run.metrics
        rows.append([m, _layers(cfg), run.n_params, r["epochs_run"], f"{r['seconds']:.1f}",
                     _pct(r["train_accuracy"]), _pct(r["test_accuracy"])])
    doc.table(["model", "layers", "parameters", "epochs", "training seconds",
               "training accuracy", "test accuracy"], rows,
              align=["l", "l", "r", "r", "r", "r", "r"])
    c, m = cnn.metrics, mlp.metrics
    if c["test_accuracy"] is not None and m["test_accuracy"] is not None:
        gap = 100 * (c["test_accuracy"] - m["test_accuracy"])
        wrong = {k: round((1 - r.metrics["test_accuracy"]) * r.n_test)
                 for k, (_, r) in runs.items()}
        doc.paragraph(
            f"On the {cnn.n_test} test images the CNN is "
            + (f"{gap:.1f} points ahead of" if gap > 0 else
               f"{-gap:.1f} points behind" if gap < 0 else "level with")
            + f" the MLP ({_pct(c['test_accuracy'])} against {_pct(m['test_accuracy'])}: "
            f"{wrong['cnn']} images wrong against {wrong['mlp']}), with "
            f"{cnn.n_params} parameters against {mlp.n_params}. The convolution "
            "shares one small kernel over every position of the image, so its few weights "
            "look for the same stroke everywhere; the MLP learns a weight per pixel and unit.")
    rel = "digits/cnn"
    doc.figure(f"{rel}/learning_curve.png", "The CNN's loss, and its training and test "
               "accuracy after each epoch.")
    doc.figure(f"{rel}/confusion_matrix.png", "The CNN's confusion matrix on the test images "
               "(rows: true digit, columns: predicted).")
    doc.figure(f"{rel}/misclassified.png", "Test images the CNN got wrong, with their true and "
               "predicted labels.")
    doc.figure(f"{rel}/filters.png", "The kernels of the CNN's first convolution after "
               "training (blue positive, red negative).")
    doc.figure("digits/mlp/confusion_matrix.png", "The MLP's confusion matrix on the same test "
               "images.")


def _layers(cfg):
    if cfg.model == "cnn":
        convs = " → max-pool 2 → ".join(f"conv {c}@{cfg.kernel}×{cfg.kernel} relu"
                                        for c in cfg.channels)
        dense = "".join(f" → dense {h} relu" for h in cfg.hidden)
        return f"{convs}{dense} → dense 10"
    return " → ".join(f"dense {h} {a}" for h, a in zip(cfg.hidden, cfg.activation)) + \
        " → dense 10"


def _describe_model(cfg):
    return (f"{cfg.optimizer} at learning rate {cfg.lr_value:g}, mini-batches of "
            f"{cfg.batch_size}, {cfg.epochs} epochs")
