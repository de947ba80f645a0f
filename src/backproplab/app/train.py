"""One training run as the ``train`` command does it: data, network, training with a log and a
progress bar, the lab's test print, and every output file.

Two-class points (the lab's data) and images in K classes (the digits, with their own test
set) share the log, the settings and the files' format; :func:`train_run` picks the path.
"""

import contextlib
import os
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np

from .. import __version__
from ..data import datasets
from ..engine.history import Progress
from ..errors import BackproplabError
from ..files import write_csv, write_json
from ..models.mlp import MLP
from .factory import (
    build_model,
    default_out,
    image_model,
    load_data,
    load_images,
    load_test_data,
    prepare_out,
)
from .trainlog import Log, silence

PRINT_LIMIT = 1000  # test-print lines; the rest are in predictions.csv


def _fit_logged(net, x, y, cfg, log, every, stderr):
    """Train ``net`` as ``cfg`` says, showing progress through ``log`` every ``every`` epochs,
    then the final line and how training ended; returns (history, seconds of training)."""
    started = time.perf_counter()
    try:
        history = net.fit(x, y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr,
                          epochs=cfg.epochs, batch_size=cfg.batch_size,
                          stop_at_loss=cfg.stop_at_loss, callback=log.progress,
                          callback_every=every, schedule=cfg.lr_schedule(), **cfg.hyper())
    finally:
        log.close()
    seconds = time.perf_counter() - started
    log.hook = None
    log.progress(Progress(history.epochs_run, net, None, history.loss[:, None],
                          history.accuracy[:, None]))
    message = history.message()
    if message:
        print(message, file=stderr, flush=True)
    return history, seconds


@dataclass
class TrainRun:
    """What a ``train`` run produced."""

    status: int
    metrics: dict
    net: MLP
    history: object
    out: str
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None  # images: the test set
    y_test: np.ndarray | None = None
    test_pred: np.ndarray | None = None  # images: the predicted labels of the test set


def train_run(cfg, out=None, log_every=None, plots=True, quiet=False, save=None,
              stdout=None, stderr=None, on_progress=None):
    """Run the ``train`` command; returns a :class:`TrainRun`. ``on_progress(progress)`` is
    called along with the log, every 1/200 of the epochs (every epoch, for images)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    cfg.check()
    if cfg.images:
        return image_run(cfg, out, log_every, plots, quiet, save, stdout, stderr, on_progress)
    x, y, scaling = load_data(cfg)
    x_test, y_test = load_test_data(cfg, scaling) if cfg.test_n else (None, None)
    net = build_model(cfg, x.shape[1])
    out = prepare_out(out or default_out(cfg))
    if log_every is not None and log_every < 1:
        raise BackproplabError(f"--log-every must be >= 1, got {log_every}")
    every = log_every or max(1, cfg.epochs // 20)
    log = Log(cfg.epochs, every, quiet, stdout, stderr)
    log.hook = on_progress
    tick = max(1, min(every, cfg.epochs // 200 or 1))
    history, seconds = _fit_logged(net, x, y, cfg, log, tick, stderr)
    proba = net.predict_proba(x)[:, 0]
    pred = (proba >= 0.5).astype(np.int64)
    if not history.diverged:
        log.line(log.epoch_line(history.epochs_run, history.final_loss, history.final_accuracy))

    metrics = {
        "final_loss": _finite_or_none(history.final_loss),
        "train_accuracy": history.final_accuracy,
        **({"test_accuracy": None if history.diverged
            else float(np.mean(net.predict(x_test) == y_test)), "test_n": cfg.test_n}
           if cfg.test_n else {}),
        "epochs_run": history.epochs_run,
        "diverged": history.diverged,
        "diverged_epoch": history.diverged_epoch if history.diverged else None,
        "divergence": history.reason,
        "stopped_early": history.stopped_early,
        "interrupted": history.interrupted,
        "seconds": seconds,
    }
    settings = _settings(cfg, scaling)
    write_json(os.path.join(out, "config.json"), settings)
    write_csv(os.path.join(out, "history.csv"), ["epoch", "loss", "accuracy"],
              zip(range(len(history.loss)), history.loss, history.accuracy))
    features = [f"x{i + 1}" for i in range(x.shape[1])]
    write_csv(os.path.join(out, "predictions.csv"),
              ["sample", *features, "label", "probability", "prediction"],
              ([i, *x[i], int(y[i, 0]), proba[i], int(pred[i])] for i in range(len(x))))
    net.save(os.path.join(out, "model.npz"), extra=settings)
    if save:
        net.save(save, extra=settings)
    write_json(os.path.join(out, "metrics.json"), metrics)
    if plots:
        _plots(out, net, x, y, pred, history)
    if not log.quiet:  # printed last, once every file is safely written
        try:
            _test_print(stdout, y[:, 0], proba, history, metrics.get("test_accuracy"),
                        cfg.test_n)
            print(f"outputs written to {out}"
                  + (f" (model also saved to {save})" if save else ""), file=stdout, flush=True)
        except BrokenPipeError:
            silence(stdout)
    return TrainRun(130 if history.interrupted else 0, metrics, net, history, out, x, y)


def _settings(cfg, scaling=None):
    """What config.json holds and model files carry: the settings and how the run was made."""
    return {
        **cfg.to_dict(), "standardization": scaling,
        "command": " ".join(["backproplab", *sys.argv[1:]]) if sys.argv else None,
        "versions": {"backproplab": __version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    }


def image_run(cfg, out, log_every, plots, quiet, save, stdout, stderr, on_progress):
    """``train`` on images in K classes: the test set's accuracy after every epoch in the log
    and the bar, and the confusion matrix, the misclassified test images and the first layer's
    kernels as figures."""
    from ..engine.metrics import confusion_matrix

    x, y, x_test, y_test = load_images(cfg)
    n_classes = int(max(y.max(), y_test.max())) + 1
    net = image_model(cfg, x, n_classes)
    out = prepare_out(out or default_out(cfg))
    if log_every is not None and log_every < 1:
        raise BackproplabError(f"--log-every must be >= 1, got {log_every}")
    every = log_every or max(1, cfg.epochs // 20)
    test_curve = []  # the test accuracy after each epoch, measured by the hook

    def measure(p):
        test_curve.append(float(np.mean(net.predict(x_test) == y_test)))
        if on_progress is not None:
            on_progress(p)

    log = Log(cfg.epochs, every, quiet, stdout, stderr, test=test_curve)
    log.hook = measure
    with one_blas_thread():
        history, seconds = _fit_logged(net, x, y, cfg, log, 1, stderr)

    proba = net.predict_proba(x)
    test_proba = net.predict_proba(x_test)
    pred, test_pred = proba.argmax(axis=-1), test_proba.argmax(axis=-1)
    test_accuracy = None if history.diverged else float(np.mean(test_pred == y_test))
    matrix = confusion_matrix(y_test, test_pred, n_classes)
    if not history.diverged:
        log.line(log.epoch_line(history.epochs_run, history.final_loss, history.final_accuracy,
                                test_accuracy))
    metrics = {
        "final_loss": _finite_or_none(history.final_loss),
        "train_accuracy": history.final_accuracy,
        "test_accuracy": test_accuracy, "test_n": len(y_test), "train_n": len(y),
        "n_classes": n_classes,
        "confusion_matrix": np.asarray(matrix).tolist(),
        "epochs_run": history.epochs_run,
        "diverged": history.diverged,
        "diverged_epoch": history.diverged_epoch if history.diverged else None,
        "divergence": history.reason,
        "stopped_early": history.stopped_early,
        "interrupted": history.interrupted,
        "seconds": seconds,
    }
    settings = _settings(cfg)
    write_json(os.path.join(out, "config.json"), settings)
    write_csv(os.path.join(out, "history.csv"), ["epoch", "loss", "accuracy", "test_accuracy"],
              ([e, loss, acc, test_curve[e] if e < len(test_curve) else float("nan")]
               for e, (loss, acc) in enumerate(zip(history.loss, history.accuracy))))
    classes = [f"probability_{c}" for c in range(n_classes)]
    write_csv(os.path.join(out, "predictions.csv"),
              ["set", "sample", "label", "prediction", *classes],
              [*(["train", i, int(y[i]), int(pred[i]), *proba[i]] for i in range(len(y))),
               *(["test", i, int(y_test[i]), int(test_pred[i]), *test_proba[i]]
                 for i in range(len(y_test)))])
    net.save(os.path.join(out, "model.npz"), extra=settings)
    if save:
        net.save(save, extra=settings)
    write_json(os.path.join(out, "metrics.json"), metrics)
    if plots:
        _image_plots(out, net, history, test_curve, matrix, x_test, y_test, test_pred)
    if not log.quiet:
        try:
            print(f"loss={history.final_loss:.5f} accuracy={100 * history.final_accuracy:.2f}% "
                  f"on the {len(y)} training images", file=stdout)
            if test_accuracy is not None:
                print(f"test accuracy={100 * test_accuracy:.2f}% on the {len(y_test)} test "
                      f"images ({int(np.trace(matrix))} right)", file=stdout)
            print(f"outputs written to {out}"
                  + (f" (model also saved to {save})" if save else ""), file=stdout, flush=True)
        except BrokenPipeError:
            silence(stdout)
    return TrainRun(130 if history.interrupted else 0, metrics, net, history, out, x, y,
                    x_test, y_test, test_pred)


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with NumPy's BLAS on one thread, where threadpoolctl (which scikit-learn,
    and so the digits, brings) can set it.

    A mini-batch of 32 digits makes matrix products far too small to gain from a second thread,
    and while another program keeps one of two cores busy, two BLAS threads wait on each other:
    the default CNN then trained in 28 s instead of 3 s (one thread: 3 s either way)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def first_kernels(net, image_shape):
    """The first layer's weights as kernels (C_out, C_in, kh, kw) of network 0: a convolution's
    own, or a dense layer's — one input image's worth of weights per unit."""
    W = np.asarray(net.layers[0].W)[0]
    if W.ndim == 4:
        return W
    return W.swapaxes(-1, -2).reshape(W.shape[-1], *image_shape)


def _image_plots(out, net, history, test_curve, matrix, x_test, y_test, test_pred):
    from ..figures import images as image_figures
    from ..figures import plotting

    plotting.learning_curve(history.loss, history.accuracy,
                            os.path.join(out, "learning_curve.png"),
                            final=(history.epochs_run, history.final_loss,
                                   history.final_accuracy),
                            test_accuracy=test_curve)
    image_figures.confusion_matrix(matrix, os.path.join(out, "confusion_matrix.png"),
                                   title="Confusion matrix (test set)")
    images = x_test.reshape(len(x_test), *datasets.DIGITS_SHAPE)  # the mlp's are flattened
    image_figures.misclassified(images, y_test, test_pred, os.path.join(out, "misclassified.png"),
                                title="Misclassified test images")
    kernels = first_kernels(net, images.shape[1:])
    conv = kernels.shape[-2:] != images.shape[-2:]
    if conv:
        image_figures.filters(kernels, os.path.join(out, "filters.png"))
    else:
        image_figures.filters(kernels, os.path.join(out, "filters.png"),
                              title="First layer's weights", noun="units, an image each")


def _finite_or_none(v):
    return float(v) if np.isfinite(v) else None


def _test_print(stdout, labels, proba, history, test_accuracy=None, test_n=None):
    for i, (t, p) in enumerate(zip(labels, proba)):
        if i == PRINT_LIMIT:
            print(f"… {len(labels) - PRINT_LIMIT} more samples in predictions.csv", file=stdout)
            break
        print(f"Iter {i} | ground truth {int(t)} | prediction {p:.5f}", file=stdout)
    print(f"loss={history.final_loss:.5f} accuracy={100 * history.final_accuracy:.2f}%",
          file=stdout, flush=True)
    if test_accuracy is not None:
        print(f"accuracy on a fresh sample of {test_n} points: {100 * test_accuracy:.2f}%",
              file=stdout, flush=True)


def _plots(out, net, x, y, pred, history):
    from ..figures import plotting
    from ..figures.units import hidden_units

    plotting.learning_curve(history.loss, history.accuracy,
                            os.path.join(out, "learning_curve.png"),
                            final=(history.epochs_run, history.final_loss,
                                   history.final_accuracy))
    if x.shape[1] == 2:
        plotting.comparison(x, y, pred, os.path.join(out, "comparison.png"))
        if not history.diverged:  # a diverged network has no boundary to draw
            plotting.decision_boundary(net, x, y, os.path.join(out, "decision_boundary.png"))
            hidden_units(net, x, y, os.path.join(out, "neurons.png"))
