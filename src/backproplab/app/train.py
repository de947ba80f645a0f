"""One training run as the ``train`` command does it: data, network, training with a log and a
progress bar, the lab's test print, and every output file.

Points in two classes (the lab's data) or K (a softmax output), and images in K classes (the
digits, with their own test set) go through the same steps; what differs between them — the
test print, the columns of the files, the figures — is in :mod:`.trainfiles`. The model files
a run writes are checkpoints: ``resume`` takes one up and trains on as if the run had never
stopped.
"""

import contextlib
import os
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np

from .. import __version__
from ..engine.history import Progress
from ..engine.trainer import Trainer
from ..engine.trainingdata import HeldOut
from ..errors import BackproplabError
from ..files import write_csv, write_json
from ..models.modelfile import read_checkpoint, read_model_file, save_model, set_weights
from . import budget
from .edge import signals_deferred, silence
from .factory import (
    default_out,
    has_test_data,
    image_model,
    load_data,
    load_images,
    load_test_data,
    point_model,
)
from .outputs import check_out, check_writable_file, run_folder
from .trainfiles import Images, Points
from .trainlog import Log


@dataclass
class TrainRun:
    """What a ``train`` run produced."""

    status: int
    metrics: dict
    net: object
    history: object
    out: str
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None  # images: the test set
    y_test: np.ndarray | None = None
    test_pred: np.ndarray | None = None  # images: the predicted labels of the test set


def train_run(cfg, out=None, log_every=None, plots=True, quiet=False, save=None,
              stdout=None, stderr=None, on_progress=None, resume=None, overwrite=False,
              max_memory=None):
    """Run the ``train`` command; returns a :class:`TrainRun`. ``on_progress(progress)`` is
    called along with the log, every 1/200 of the epochs (every epoch, with a test set).
    ``resume``: a checkpoint (model file) of this configuration's run to go on from.
    ``out`` must be a new or empty folder, unless ``overwrite``: see :mod:`.outputs`.
    ``max_memory``: bytes the run may need, by :mod:`.budget`'s estimate (default 4 GiB)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    cfg.check()
    budget.check(cfg, max_memory)
    if log_every is not None and log_every < 1:
        raise BackproplabError(f"--log-every must be >= 1, got {log_every}")
    if save:  # every output is checked before the first epoch, not after the last
        check_writable_file(save, "--save")
    shown = out = os.fspath(out or default_out(cfg))  # messages name it as it was given
    out = check_out(out, overwrite)
    scaling = None
    if cfg.images:
        x, y, x_test, y_test = load_images(cfg)
        net = image_model(cfg, x, int(max(y.max(), y_test.max())) + 1)
    else:
        x, y, scaling = load_data(cfg)
        x_test, y_test = load_test_data(cfg, scaling) if has_test_data(cfg) else (None, None)
        net = point_model(cfg, x, y)
    checkpoint = _checkpoint(net, resume) if resume else None
    every = log_every or max(1, cfg.epochs // 20)
    test = _test_curve(net, x_test, y_test, cfg, checkpoint)
    log = Log(cfg.epochs, every, quiet, stdout, stderr, test=test and test[1])
    log.hook = on_progress
    if test:
        held = HeldOut(net, x_test, y_test, cfg.loss)

        def measure(p):  # the trainer's observer: it reads the weights, changes nothing
            loss, accuracy = held.measure(net)
            test[0].append(float(loss[0]))
            test[1].append(float(accuracy[0]))
            if on_progress is not None:
                on_progress(p)

        log.hook = measure
    tick = 1 if test else max(1, min(every, cfg.epochs // 200 or 1))
    with one_blas_thread() if cfg.images else contextlib.nullcontext():
        history, seconds, trainer = _fit_logged(net, x, y, cfg, log, tick, stderr, checkpoint)

    result = (Images(net, x, y, x_test, y_test, history, test) if cfg.images else
              Points(net, x, y, x_test, y_test, history, test, cfg.test_fraction is not None))
    if not history.diverged:
        log.line(result.last_line(log))
    metrics = {
        "final_loss": _finite_or_none(history.final_loss),
        "train_accuracy": history.final_accuracy,
        **result.metrics(),
        "epochs_run": history.epochs_run,
        "diverged": history.diverged,
        "diverged_epoch": history.diverged_epoch if history.diverged else None,
        "divergence": history.reason,
        "stopped_early": history.stopped_early,
        "interrupted": history.interrupted,
        "status": _status(history),
        "seconds": seconds,
    }
    settings = _settings(cfg, scaling)
    state = trainer.state()
    if test:
        state[1]["test_loss"], state[1]["test_curve"] = list(test[0]), list(test[1])
    # a Ctrl-C or SIGTERM now waits for the files: they are written whole, then it takes effect
    with signals_deferred(), run_folder(out) as folder:
        write_json(os.path.join(folder, "config.json"), settings)
        write_csv(os.path.join(folder, "history.csv"), *result.history_rows(_rate(cfg)))
        write_csv(os.path.join(folder, "predictions.csv"), *result.prediction_rows())
        for path in (os.path.join(folder, "model.npz"), save):
            if path:
                save_model(net, path, extra=settings, checkpoint=state)
        write_json(os.path.join(folder, "metrics.json"), metrics)
        if plots:
            result.plots(folder)
    if not log.quiet:  # printed last, once every file is safely written
        try:
            result.print_summary(stdout)
            print(f"outputs written to {shown}"
                  + (f" (model also saved to {save})" if save else ""), file=stdout, flush=True)
        except OSError:  # stdout's reader has gone, or it is full: the files are written
            silence(stdout)
    return TrainRun(130 if history.interrupted else 0, metrics, net, history, shown, x, y,
                    x_test, y_test, getattr(result, "test_pred", None))


def _test_curve(net, x_test, y_test, cfg, checkpoint):
    """The test set's (losses, accuracies) so far, or None without a test set: a checkpoint's,
    else empty — but for points, whose entry e is measured after e epochs, the first entry
    (the untrained network's) is measured here. The digits' entry e is after e + 1 epochs."""
    if x_test is None:
        return None
    if checkpoint:
        meta = checkpoint[1]
        accuracies = list(meta.get("test_curve", []))
        return list(meta.get("test_loss", [float("nan")] * len(accuracies))), accuracies
    if cfg.images:
        return [], []
    loss, accuracy = HeldOut(net, x_test, y_test, cfg.loss).measure(net)
    return [float(loss[0])], [float(accuracy[0])]


def _fit_logged(net, x, y, cfg, log, every, stderr, checkpoint=None):
    """Train ``net`` as ``cfg`` says (from ``checkpoint``'s state, if given), showing progress
    through ``log`` every ``every`` epochs, then the final line and how training ended;
    returns (history of the one network, seconds of training, the trainer)."""
    trainer = Trainer(net, x, y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr,
                      epochs=cfg.epochs, batch_size=cfg.batch_size,
                      stop_at_loss=cfg.stop_at_loss, callback=log.progress, every=every,
                      schedule=cfg.lr_schedule(), **cfg.hyper())
    if checkpoint:
        trainer.restore(*checkpoint)
        log.printed = -(-trainer.epoch // log.every) * log.every  # the lines not yet printed
    started = time.perf_counter()
    try:
        history = trainer.run().single()
    finally:
        log.close()
    seconds = time.perf_counter() - started
    log.hook = None
    log.progress(Progress(history.epochs_run, net, None, history.loss[:, None],
                          history.accuracy[:, None]))
    message = history.message()
    if message:
        print(message, file=stderr, flush=True)
    return history, seconds, trainer


def _checkpoint(net, path):
    """Load the weights and the trainer's state of checkpoint ``path`` into ``net``; returns
    the state, (arrays, JSON data)."""
    arrays, _ = read_model_file(path)
    set_weights(net, arrays, path)
    state = read_checkpoint(path)
    if state is None:
        raise BackproplabError(f"{path}: holds weights but no trainer's state (it was not "
                               "written by backproplab train); start from it with --init")
    return state


def _settings(cfg, scaling=None):
    """What config.json holds and model files carry: the settings and how the run was made."""
    return {
        **cfg.applicable(), "standardization": scaling,
        "command": " ".join(["backproplab", *sys.argv[1:]]) if sys.argv else None,
        "versions": {"backproplab": __version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    }


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with NumPy's BLAS on one thread, where threadpoolctl (which scikit-learn,
    and so the digits, brings, as does the playground's [web] extra) can set it.

    A mini-batch of 32 digits makes matrix products far too small to gain from a second thread,
    and while another program keeps one of two cores busy, two BLAS threads wait on each other:
    the default CNN then trained in 28 s instead of 3 s (one thread: 3 s either way). The
    playground's server runs in it too."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _rate(cfg):
    """The learning rate of each epoch's update, as the Trainer sets it, for history.csv; None
    without a schedule (every epoch takes lr)."""
    schedule = cfg.lr_schedule()
    if schedule is None or cfg.schedule in (None, "constant"):
        return None
    return lambda epoch: float(schedule.lr(cfg.lr_value, epoch, cfg.epochs))


def _status(history):
    """How the run ended, in one word: completed, stopped_early (it reached --stop-at-loss),
    diverged or interrupted."""
    if history.diverged:
        return "diverged"
    if history.interrupted:
        return "interrupted"
    return "stopped_early" if history.stopped_early else "completed"


def _finite_or_none(v):
    return float(v) if np.isfinite(v) else None
