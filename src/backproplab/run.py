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
from datetime import datetime

import numpy as np

from . import __version__, datasets
from .errors import BackproplabError
from .files import read_model_file, set_weights, write_csv, write_json
from .model import MLP
from .training import Progress

PRINT_LIMIT = 1000  # test-print lines; the rest are in predictions.csv


def load_data(cfg):
    """The training set of a configuration: (x, y, standardisation or None)."""
    seed = cfg.seed if cfg.data_seed is None else cfg.data_seed
    x, y = datasets.load(cfg.data, n=cfg.n, noise=cfg.noise, seed=seed)
    scaling = None
    if cfg.standardize:
        mean, std = x.mean(axis=0), x.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        x = (x - mean) / std
        scaling = {"mean": mean.tolist(), "std": std.tolist()}
    return x, y, scaling


def load_test_data(cfg, scaling=None):
    """A fresh sample of ``cfg.test_n`` points from the training data's distribution, scaled
    as the training data was; (x, y)."""
    seed = cfg.seed if cfg.data_seed is None else cfg.data_seed
    x, y = datasets.fresh_sample(cfg.data, cfg.test_n, noise=cfg.noise, seed=seed)
    if scaling:
        x = (x - np.array(scaling["mean"])) / np.array(scaling["std"])
    return x, y


def load_images(cfg):
    """The training and test images of a configuration, (x, y, x_test, y_test): images
    (n, 1, 8, 8) for the cnn, flattened to (n, 64) for the mlp; labels (n,) 0..K−1."""
    seed = cfg.seed if cfg.data_seed is None else cfg.data_seed
    x, y, x_test, y_test = datasets.digits_split(seed=seed)
    if cfg.model == "mlp":
        x, x_test = x.reshape(len(x), -1), x_test.reshape(len(x_test), -1)
    return x, y, x_test, y_test


def build_model(cfg, n_in, n_classes=None):
    """The network of a configuration, starting from ``cfg.init``'s weights if given.

    ``n_in`` is the number of input features, or an image's shape (C, H, W) for the cnn;
    ``n_classes`` the K of a softmax output."""
    if cfg.model == "cnn":
        from .model import CNN

        net = CNN(in_shape=tuple(n_in), n_classes=n_classes, channels=tuple(cfg.channels),
                  kernel=cfg.kernel, hidden=tuple(cfg.hidden), dropout=cfg.dropout,
                  seed=cfg.seed, dtype=cfg.dtype)
    elif n_classes is not None:
        net = MLP(n_in, hidden=cfg.hidden, activation=cfg.activation, output=cfg.output,
                  n_out=n_classes, seed=cfg.seed, dtype=cfg.dtype)
    else:
        net = MLP(n_in, hidden=cfg.hidden, activation=cfg.activation, output=cfg.output,
                  seed=cfg.seed, dtype=cfg.dtype)
    if cfg.init:
        start_from(net, cfg.init)
    return net


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


def image_model(cfg, x, n_classes):
    """The network of an image configuration, for images x as ``load_images`` gives them: the
    cnn takes each image's shape (C, H, W), the mlp its number of pixels."""
    return build_model(cfg, x.shape[1:] if cfg.model == "cnn" else x.shape[1], n_classes)


def start_from(net, path):
    """Give every network of ``net`` the weights of the one saved in ``path`` (its layer sizes
    must fit)."""
    arrays, _ = read_model_file(path)
    one = net if net.k == 1 else net.select([0])
    set_weights(one, arrays, path)
    net.params[...] = one.params  # one row, broadcast over the stack


def default_out(cfg):
    stem = os.path.splitext(os.path.basename(cfg.data))[0]
    if cfg.images:
        stem = f"{stem}-{cfg.model}"
    base = os.path.join("runs", f"{stem}-seed{cfg.seed}-{datetime.now():%Y%m%d-%H%M%S}")
    out, i = base, 1
    while os.path.exists(out):
        i += 1
        out = f"{base}-{i}"
    return out


def prepare_out(out):
    if os.path.exists(out) and not os.path.isdir(out):
        raise BackproplabError(f"--out {out}: exists and is a file, not a folder")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise BackproplabError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    return out


class Log:
    """Progress bar (on a terminal) and the lab's log lines, written around each other.

    ``test``, if given, is a list the training hook fills with each epoch's test accuracy; the
    lines and the bar then show it too."""

    def __init__(self, epochs, every, quiet, stdout, stderr, test=None):
        self.every, self.quiet, self.stdout, self.test = every, quiet, stdout, test
        self.width = len(str(epochs))
        self.bar = None
        if not quiet and epochs and hasattr(stderr, "isatty") and stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=epochs, unit="epoch", file=stderr, leave=False,
                            dynamic_ncols=True)
        self.printed = 0  # next epoch whose log line is due
        self.hook = None

    def line(self, text):
        if self.quiet:
            return
        try:
            if self.bar is not None:
                self.bar.write(text, file=self.stdout)
            else:
                print(text, file=self.stdout, flush=True)
        except BrokenPipeError:  # the reader went away (| head): train on, print no more
            self.quiet = True
            silence(self.stdout)

    def epoch_line(self, epoch, loss, acc, test=None):
        line = f"epoch {epoch:>{self.width}}  loss {loss:.6f}  accuracy {100 * acc:6.2f}%"
        return line if test is None else f"{line}  test accuracy {100 * test:6.2f}%"

    def _test_at(self, epoch):
        return self.test[epoch] if self.test is not None and epoch < len(self.test) else None

    def progress(self, p):
        """Training's callback: log lines for the epochs done so far, and the bar."""
        if self.hook is not None:
            self.hook(p)
        while self.printed < p.epochs:
            self.line(self.epoch_line(self.printed, p.loss[self.printed, 0],
                                      p.accuracy[self.printed, 0], self._test_at(self.printed)))
            self.printed += self.every
        if self.bar is not None:
            if self.test is not None and p.epochs:
                test = self._test_at(p.epochs - 1)
                self.bar.set_postfix_str(
                    f"loss {p.loss[p.epochs - 1, 0]:.4f}, accuracy "
                    f"{100 * p.accuracy[p.epochs - 1, 0]:.1f}%"
                    + ("" if test is None else f", test {100 * test:.1f}%"), refresh=False)
            self.bar.update(p.epochs - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


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
    from .losses import confusion_matrix

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
    from . import image_figures, plotting

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


def silence(stream):
    """Point a stream whose reader has gone at /dev/null, so that later writes don't fail."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass


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
    from . import figures, plotting

    plotting.learning_curve(history.loss, history.accuracy,
                            os.path.join(out, "learning_curve.png"),
                            final=(history.epochs_run, history.final_loss,
                                   history.final_accuracy))
    if x.shape[1] == 2:
        plotting.comparison(x, y, pred, os.path.join(out, "comparison.png"))
        if not history.diverged:  # a diverged network has no boundary to draw
            plotting.decision_boundary(net, x, y, os.path.join(out, "decision_boundary.png"))
            figures.hidden_units(net, x, y, os.path.join(out, "neurons.png"))
