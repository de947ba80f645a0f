"""One page's playground: its settings, its data and the run that trains while the page
watches — the object the web server drives, one per browser tab.

Training is ``train``'s computation: the run is built by the functions ``train`` uses and
trained by the engine's resumable Trainer, whose ``run(n)`` called again and again equals one
long run; so after N epochs here the weights are ``train --epochs N``'s with the options of
:meth:`Session.command` (the tests check it bit for bit). The page trains in short slices,
so that it can pause at once, draw a frame, or change the learning rate between two epochs.

Threads: the server calls every method from one worker thread, but for :meth:`pause` (any
thread) and :meth:`robustness` / :meth:`pause_robustness` (a second one); a lock keeps a
frame or a change from meeting a slice of training half done.
"""

import shlex
import threading
import time

from ...data.datasets import FIXED, GENERATORS
from ...errors import BackproplabError
from ...limits import PLAYGROUND_CURVE_POINTS
from . import modelfiles, robustness
from . import points as pts
from .building import build
from .explaining import explain
from .frames import finite, grad_norms, trained_between, weights
from .parsing import POINTS, number
from .settings import LIVE, changed, config, normalise, train_args

SLICE = 0.01  # seconds of training between two looks at the clock, the pause and the lock


class Session:
    """A playground page's state; see the module's docstring and HELPERS14's Session API."""

    def __init__(self, settings=None):
        self._lock = threading.RLock()
        self._pause = threading.Event()
        self._robust_stop = threading.Event()
        self._per_epoch = None  # seconds an epoch took lately, to size the slices
        self.points = None  # (x, y): the page's own points, once clicked or uploaded
        self.source = None  # where they came from: "edited points" or "uploaded NAME"
        self.playing = False  # the server's play state, reported in frames
        self._use(build(normalise(settings or {})))

    def _use(self, run, notes=()):
        """Make ``run`` the current one: its curve starts again, its points are sent anew."""
        with self._lock:
            self.run = run
            self._curve, self._sent, self._restart, self._points_sent = [], 0, True, False
            self._notes = list(notes)  # what the command line must add about this run

    # -- settings -------------------------------------------------------------------------

    @property
    def settings(self):
        """The complete, normalised settings: for the URL and the page's controls."""
        return dict(self.run.values)

    def apply(self, settings):
        """Change some settings; "live" if the run goes on (lr, momentum, weight decay, L1,
        the stopping rule, the run's length, the page's speed), "reset" if it was rebuilt."""
        with self._lock:
            new = normalise(settings, self.run.values, self.points is not None)
            keys = changed(self.run.values, new)
            if keys <= LIVE and self._retune(keys, new):
                return "live"
            self._use(build(new, self.points, self._view(new)))
            return "reset"

    def _retune(self, keys, new):
        """Change the run's settings ``keys`` without a reset, if it can go on with them."""
        run, trainer = self.run, self.run.trainer
        training = keys - {"speed", "play", "epochs"}
        if (training and not len(trainer.active)) or (
                "epochs" in keys and trainer.settings["epochs"] is not None):
            return False  # a stopped or diverged run, or a cosine over the run's length
        hyper = {key.replace("-", "_"): number(new[key]) for key in training - {"stop-at-loss"}}
        stop = {"stop_at_loss": number(new["stop-at-loss"])} if "stop-at-loss" in keys else {}
        trainer.retune(epochs=int(new["epochs"]), **stop, **hyper)
        if training:  # the run is no longer train's with the new values from the start
            self._notes.append(", ".join(f"{k} {new[k] or 'none'}" for k in sorted(training))
                               + f" from epoch {trainer.epoch} (train uses it from the start)")
        run.values = {**new, "n": run.values["n"]}
        run.cfg = config(run.values).check()
        return True

    def _view(self, new):
        """The view to keep: the current one while the data stays the same points."""
        old = self.run.values
        same = all(new[k] == old[k] for k in ("data", "n", "noise", "data-seed"))
        return self.run.data.extent if same else None

    # -- training -------------------------------------------------------------------------

    @property
    def epochs_done(self):
        return self.run.trainer.epoch

    @property
    def finished(self):
        return self.run.finished

    def train(self, epochs, deadline=None):
        """Train up to ``epochs`` more epochs; returns how many ran. Stops early at
        ``deadline`` (a time.perf_counter() value), at the end of the run (its epochs, its
        stopping rule, divergence) or when :meth:`pause` is called."""
        self._pause.clear()
        done, epochs = 0, int(epochs)
        while done < epochs and not self._pause.is_set():
            now = time.perf_counter()
            if deadline is not None and now >= deadline:
                break
            with self._lock:
                run, trainer = self.run, self.run.trainer
                if run.finished:
                    break
                budget = SLICE if deadline is None else min(SLICE, deadline - now)
                n = 1 if self._per_epoch is None else max(1, int(budget / self._per_epoch))
                n = min(n, epochs - done, trainer.epochs - trainer.epoch)
                before, started = trainer.epoch, time.perf_counter()
                trainer.run(n)
                ran = trainer.epoch - before
            if ran:
                self._per_epoch = (time.perf_counter() - started) / ran
            done += ran
            if ran < n:
                break
        return done

    def pause(self):
        """Stop training at the end of the current epoch; safe from any thread."""
        self._pause.set()
        self.run.trainer.stop()

    def reset(self):
        """Back to epoch 0 with the same settings: the same seed, so the same start."""
        with self._lock:
            self._use(build(self.run.values, self.points, self.run.data.extent))

    # -- frames ---------------------------------------------------------------------------

    def frame(self, full=False):
        """The current state for the page (JSON-able): see HELPERS14's frame. The curve's new
        points, and the points when they changed, are in it once: call it for a frame that is
        sent. ``full``: the whole curve and the points (a page that (re)connects)."""
        with self._lock:
            run = self.run
            run.look()
            norms, epoch = grad_norms(run.net), run.trainer.epoch
            status, lr = run.status, run.lr()
            message = run.trainer.history().message() if status == "diverged" else None
            last = self._curve[-1][0] if self._curve else epoch
            between = trained_between(run.trainer.record, last, epoch)
        boundary, units, ranges = run.painter.paint()
        now, test = run.measured()
        if not self._curve or self._curve[-1][0] != epoch:
            self._curve += [(e, finite(v), None) for e, v in between]  # the test set: at frames
            self._curve.append((epoch, now["loss"], test and test["loss"]))
        start = 0 if full else self._sent
        curve = {"epoch": [c[0] for c in self._curve[start:]],
                 "train": [c[1] for c in self._curve[start:]],
                 "test": [c[2] for c in self._curve[start:]] if test else None,
                 "reset": self._restart or full}
        if len(self._curve) > PLAYGROUND_CURVE_POINTS:  # a long session: keep every other
            self._curve = self._curve[::-2][::-1]  # point for a page that reconnects, the last
        self._sent, self._restart = len(self._curve), False
        frame = {"type": "frame", "epoch": epoch, "epochs": run.trainer.epochs,
                 "playing": self.playing, "finished": status != "training", "status": status,
                 "message": message, "lr": lr, "train": now, "test": test, "curve": curve,
                 "grad_norms": norms, "boundary": boundary, "units": units,
                 "unit_size": run.painter.units, "unit_range": ranges,
                 "activations": list(run.cfg.activation), "weights": weights(run.viewer)}
        if full or not self._points_sent:
            frame["points"] = self._points()
            self._points_sent = True
        return frame

    def _points(self):
        d = self.run.data
        test = None if d.x_test is None else {"x": d.x_test.tolist(), "y": d.y_test[:, 0].tolist()}
        return {"train": {"x": d.x.tolist(), "y": d.y[:, 0].tolist()}, "test": test}

    # -- data -----------------------------------------------------------------------------

    def add_point(self, x1, x2, label):
        """Add a point of class ``label``; the data becomes the page's own points, and the
        run starts again."""
        with self._lock:
            d = self.run.data
            self._use_points(pts.add((d.x_all, d.y_all), x1, x2, label), "edited points", True)

    def remove_point(self, x1, x2):
        """Remove the point nearest (x1, x2), if one is near; the run starts again."""
        with self._lock:
            d = self.run.data
            points = pts.remove((d.x_all, d.y_all), x1, x2, d.extent)
            self._use_points(points, "edited points", True)

    def upload_csv(self, name, text):
        """Train on the points of an uploaded CSV file, read by the command line's reader."""
        points = pts.from_csv(name, text)
        with self._lock:
            self._use_points(points, f"uploaded {pts.shown_name(name)}", False)

    def _use_points(self, points, source, keep_view):
        old = self.points
        self.points = points
        try:
            new = normalise({"data": POINTS}, self.run.values, True)
            self._use(build(new, points, self.run.data.extent if keep_view else None))
        except BackproplabError as e:
            self.points = old
            if "leaves no sample of class" in str(e):  # a new class's first point
                raise BackproplabError(f"{e} (to add a new class's first points, set "
                                       "test-fraction to 0)") from None
            raise
        self.source = source

    def new_sample(self):
        """A new draw of the data (its data seed + 1), which also draws a new test split."""
        values = self.run.values
        if values["data"] not in GENERATORS or values["data"] in FIXED:
            if float(values["test-fraction"]) == 0:
                raise BackproplabError(f"the {self._data_name()} are fixed: there is no other "
                                       "sample of them (a test split would be drawn anew)")
        return self.apply({"data-seed": str(int(values["data-seed"]) + 1)})

    def points_csv(self):
        """The current points (all of them, training and test) as a CSV file for ``train``."""
        d = self.run.data
        return pts.to_csv((d.x_all, d.y_all))

    def _data_name(self):
        data = self.run.values["data"]
        return self.source if data == POINTS else f"{data} data set's points"

    # -- the command line, explanations, robustness, model files -----------------------------

    def command_args(self):
        """``train``'s options for this run, as a list (after ``backproplab train``)."""
        return train_args(self.run.cfg)

    def command(self):
        """The equivalent ``backproplab train …`` command, and what it cannot say."""
        notes = []
        if self.run.values["data"] == POINTS:
            notes.append(f"points.csv: the page's {self.source} (Export CSV)")
        notes += self._notes[-3:]
        line = shlex.join(["backproplab", "train", *self.command_args()])
        return line + ("   # " + "; ".join(notes) if notes else "")

    def explain(self, index, which="train"):
        """The current step for one sample, written out as ``backproplab explain`` writes it."""
        with self._lock:
            run = self.run
            net = run.net.select([0])  # a copy: explaining a step takes it, on the copy
        data = run.values["data"]
        return explain(run, net, index, which,
                       data if data != POINTS else self.source.replace("edited", "page's"))

    def robustness(self, seeds=None, epochs=None, progress=None):
        """The current settings over ``seeds`` seeds (default 20) as one stack: see
        :func:`.robustness.run`. Stops promptly when :meth:`pause_robustness` is called."""
        self._robust_stop.clear()
        with self._lock:
            run = self.run
        return robustness.run(run.cfg, run.data, seeds, epochs, progress, self._robust_stop)

    def pause_robustness(self):
        self._robust_stop.set()

    def model_file(self):
        """A model file with the trainer's state, which ``train --resume`` continues."""
        with self._lock:
            return modelfiles.write(self.run, self.command())

    def load_model(self, data):
        """Go on from a model file's weights and trainer state (read as the CLI reads one)."""
        with self._lock:
            run, note = modelfiles.read(data, self.run.values, self.points)
            self._use(run, [note] if note else ())

