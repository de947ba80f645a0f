"""What a ``train`` run writes and prints that depends on its data: points in two classes (the
lab's) or K, or images in K classes (the digits). The pipeline itself is :mod:`.train`'s."""

import os

import numpy as np

from ..data import datasets
from ..engine.metrics import confusion_matrix
from ..figures import classes, plotting
from ..figures import images as image_figures
from ..figures.units import hidden_units

PRINT_LIMIT = 100  # samples the test print shows all of; beyond, the first and last EDGE
EDGE = 5  # (every sample is in predictions.csv)


def history_table(h, test=None, rate=None):
    """history.csv's header and rows: a row for every epoch the log prints — each epoch's
    loss and accuracy, then (unless it diverged) the trained network's at epoch epochs_run.
    ``test`` (losses, accuracies), if given, adds test_loss and test_accuracy: entry e on row
    e, and the last one (the trained network's) on the final row. ``rate(e)``, given for a
    learning-rate schedule, adds lr: the rate of the update made after row e's loss (none on
    the final row, which no update follows)."""
    def at(i):
        return [seq[i] if i < len(seq) else float("nan") for seq in test] if test else []

    def lr(e):
        return [rate(e)] if rate else []

    header = (["epoch", "loss", "accuracy"] + (["test_loss", "test_accuracy"] if test else [])
              + (["lr"] if rate else []))
    rows = [[e, loss, acc, *at(e), *lr(e)]
            for e, (loss, acc) in enumerate(zip(h.loss, h.accuracy))]
    if not h.diverged:
        rows.append([h.epochs_run, h.final_loss, h.final_accuracy,
                     *at(max(len(test[1]) - 1, 0) if test else 0), *([""] if rate else [])])
    return header, rows


def curve_marks(h):
    """learning_curve's mini-batch spread and divergence mark for history ``h``."""
    return {"spread": (h.loss_min, h.loss_max),
            "diverged": (h.diverged_epoch, h.reason) if h.diverged else None}


class Points:
    """Points in two classes (one output unit) or K (a softmax output): the lab's per-sample
    test print, and the decision boundary. With a test set, ``test`` (losses, accuracies)
    measured on it, entry e after e epochs."""

    def __init__(self, net, x, y, x_test, y_test, history, test=None, held_out=False):
        self.net, self.x, self.y, self.history = net, x, y, history
        self.x_test, self.y_test, self.test = x_test, y_test, test
        self.held_out = held_out  # the test set is a share of the data, not a fresh sample
        self.n_classes = net.n_out if net.output == "softmax" else None  # K; None: one unit
        if self.n_classes:
            self.proba = net.predict_proba(x)  # (n, K)
            self.pred = self.proba.argmax(axis=-1)
        else:
            self.proba = net.predict_proba(x)[:, 0]  # P(label = 1)
            self.pred = (self.proba >= 0.5).astype(np.int64)
        self.test_accuracy = self.test_pred = None
        if x_test is not None and not history.diverged:
            if self.n_classes:
                self.test_pred = net.predict(x_test)
                self.test_accuracy = float(np.mean(self.test_pred == y_test[:, 0]))
            else:
                self.test_accuracy = float(np.mean(net.predict(x_test) == y_test))

    def metrics(self):
        out = {}
        if self.x_test is not None:
            out = {"test_accuracy": self.test_accuracy, "test_n": len(self.x_test)}
        if self.n_classes:  # rows: the true class, columns: the predicted one
            k = self.n_classes
            out["n_classes"] = k
            out["train_confusion_matrix"] = confusion_matrix(self.y, self.pred, k).tolist()
            if self.test_pred is not None:
                out["test_confusion_matrix"] = confusion_matrix(self.y_test, self.test_pred,
                                                                k).tolist()
        return out

    def history_rows(self, rate=None):
        return history_table(self.history, self.test, rate)

    def prediction_rows(self):
        x, y, proba, pred = self.x, self.y, self.proba, self.pred
        features = [f"x{i + 1}" for i in range(x.shape[1])]
        if self.n_classes:
            classes = [f"probability_{c}" for c in range(self.n_classes)]
            return (["sample", *features, "label", "prediction", *classes],
                    ([i, *x[i], int(y[i, 0]), int(pred[i]), *proba[i]] for i in range(len(x))))
        return (["sample", *features, "label", "probability", "prediction"],
                ([i, *x[i], int(y[i, 0]), proba[i], int(pred[i])] for i in range(len(x))))

    def last_line(self, log):
        h = self.history
        test = self.test[1][-1] if self.test and self.test[1] else None
        return log.epoch_line(h.epochs_run, h.final_loss, h.final_accuracy, test)

    def plots(self, out):
        h, x, y = self.history, self.x, self.y
        test = self.test or (None, None)
        plotting.learning_curve(h.loss, h.accuracy, os.path.join(out, "learning_curve.png"),
                                final=(h.epochs_run, h.final_loss, h.final_accuracy),
                                test_loss=test[0], test_accuracy=test[1], test_first=0,
                                **curve_marks(h))
        if x.shape[1] != 2:
            return
        if self.n_classes:
            classes.comparison(x, y, self.pred, os.path.join(out, "comparison.png"),
                               self.n_classes)
        else:
            plotting.comparison(x, y, self.pred, os.path.join(out, "comparison.png"))
        if not h.diverged:  # a diverged network has no boundary to draw
            if self.n_classes:
                classes.decision_regions(self.net, x, y,
                                         os.path.join(out, "decision_boundary.png"))
            else:
                plotting.decision_boundary(self.net, x, y,
                                           os.path.join(out, "decision_boundary.png"))
            hidden_units(self.net, x, y, os.path.join(out, "neurons.png"))

    def print_summary(self, stdout):
        labels, h, n = self.y[:, 0], self.history, len(self.y)
        shown = range(n) if n <= PRINT_LIMIT else [*range(EDGE), None, *range(n - EDGE, n)]
        for i in shown:
            if i is None:
                print(f"… {n - 2 * EDGE} samples more: all {n} are in predictions.csv",
                      file=stdout)
                continue
            if self.n_classes:  # the most probable class, and its probability
                said = f"{self.pred[i]} (probability {self.proba[i, self.pred[i]]:.5f})"
            else:
                said = f"{self.proba[i]:.5f}"
            print(f"Iter {i} | ground truth {int(labels[i])} | prediction {said}", file=stdout)
        print(f"loss={h.final_loss:.5f} accuracy={100 * h.final_accuracy:.2f}%",
              file=stdout, flush=True)
        if self.test_accuracy is not None:
            sample = "the held-out" if self.held_out else "a fresh sample of"
            print(f"accuracy on {sample} {len(self.x_test)} points: "
                  f"{100 * self.test_accuracy:.2f}%", file=stdout, flush=True)


class Images:
    """Images in K classes with their own test set: the test loss and accuracy of every epoch
    (``test``: (losses, accuracies), entry e after e + 1 epochs), the confusion matrix, the
    misclassified test images and the first layer's kernels."""

    def __init__(self, net, x, y, x_test, y_test, history, test):
        self.net, self.x, self.y, self.history = net, x, y, history
        self.x_test, self.y_test, self.test = x_test, y_test, test
        self.n_classes = int(max(y.max(), y_test.max())) + 1
        self.proba, self.test_proba = net.predict_proba(x), net.predict_proba(x_test)
        self.pred, self.test_pred = self.proba.argmax(axis=-1), self.test_proba.argmax(axis=-1)
        self.test_accuracy = (None if history.diverged
                              else float(np.mean(self.test_pred == y_test)))
        self.matrix = confusion_matrix(y_test, self.test_pred, self.n_classes)

    def metrics(self):
        return {"test_accuracy": self.test_accuracy, "test_n": len(self.y_test),
                "train_n": len(self.y), "n_classes": self.n_classes,
                "confusion_matrix": np.asarray(self.matrix).tolist()}

    def history_rows(self, rate=None):
        return history_table(self.history, self.test, rate)

    def prediction_rows(self):
        y, y_test = self.y, self.y_test
        classes = [f"probability_{c}" for c in range(self.n_classes)]
        return (["set", "sample", "label", "prediction", *classes],
                [*(["train", i, int(y[i]), int(self.pred[i]), *self.proba[i]]
                   for i in range(len(y))),
                 *(["test", i, int(y_test[i]), int(self.test_pred[i]), *self.test_proba[i]]
                   for i in range(len(y_test)))])

    def last_line(self, log):
        h = self.history
        return log.epoch_line(h.epochs_run, h.final_loss, h.final_accuracy, self.test_accuracy)

    def plots(self, out):
        h, x_test = self.history, self.x_test
        plotting.learning_curve(h.loss, h.accuracy, os.path.join(out, "learning_curve.png"),
                                final=(h.epochs_run, h.final_loss, h.final_accuracy),
                                test_loss=self.test[0], test_accuracy=self.test[1],
                                **curve_marks(h))
        image_figures.confusion_matrix(self.matrix, os.path.join(out, "confusion_matrix.png"),
                                       title="Confusion matrix (test set)")
        images = x_test.reshape(len(x_test), *datasets.DIGITS_SHAPE)  # the mlp's are flat
        image_figures.misclassified(images, self.y_test, self.test_pred,
                                    os.path.join(out, "misclassified.png"),
                                    title="Misclassified test images")
        kernels = first_kernels(self.net, images.shape[1:])
        if kernels.shape[-2:] != images.shape[-2:]:  # a convolution's
            image_figures.filters(kernels, os.path.join(out, "filters.png"))
        else:
            image_figures.filters(kernels, os.path.join(out, "filters.png"),
                                  title="First layer's weights", noun="units, an image each")

    def print_summary(self, stdout):
        h = self.history
        print(f"loss={h.final_loss:.5f} accuracy={100 * h.final_accuracy:.2f}% "
              f"on the {len(self.y)} training images", file=stdout)
        if self.test_accuracy is not None:
            print(f"test accuracy={100 * self.test_accuracy:.2f}% on the {len(self.y_test)} "
                  f"test images ({int(np.trace(self.matrix))} right)", file=stdout)


def first_kernels(net, image_shape):
    """The first layer's weights as kernels (C_out, C_in, kh, kw) of network 0: a convolution's
    own, or a dense layer's — one input image's worth of weights per unit."""
    W = np.asarray(net.layers[0].W)[0]
    if W.ndim == 4:
        return W
    return W.swapaxes(-1, -2).reshape(W.shape[-1], *image_shape)
