"""``backproplab report``: the whole lab in one command.

1. Results: the lab's network on the linear and the XOR data — training log, per-sample test
   table, loss and accuracy, learning curve, ground truth beside prediction, decision boundary,
   a diagram of the trained network and an animation of the boundary while it trains.
2. Discussion: the sweep files shipped in ``backproplab/experiments`` (learning rates, hidden
   units, no activations, optimizers, activations, losses, vanishing gradients,
   generalisation), each over many seeds, as curves, tables and paragraphs written from the
   measured numbers.
3. CNN against MLP on the handwritten digits (when scikit-learn, which holds them, is there).
4. The settings of every experiment and the command that reproduces the report.

The sections live one to a module: ``results``, ``discussion`` (its words in ``prose``),
``digits`` and ``settings`` (which also loads the experiment files); this module runs them in
order.
"""

import concurrent.futures
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ... import __version__
from ...errors import BackproplabError
from .. import sweep
from ..document import Document
from . import heldout
from .digits import DIGITS_TITLE, QUICK_DIGITS_EPOCHS, _digits, digits_configs
from .discussion import _discussion, collapse
from .prose import DATA_TITLES, describe, setting_label, summarise, table_rows
from .results import _explained_step, _results, best_units
from .settings import EXPERIMENTS, QUICK, _settings, experiment_file, load_experiments, sections

__all__ = [
    "DATA_TITLES", "DIGITS_TITLE", "EXPERIMENTS", "QUICK", "QUICK_DIGITS_EPOCHS", "Steps",
    "best_units", "build", "collapse", "describe", "digits_configs", "experiment_file",
    "load_experiments", "sections", "setting_label", "summarise", "table_rows",
]

GRAD_RECORDS = 100  # gradient-norm records per run


class Steps:
    """One progress bar over the report's steps (on a terminal)."""

    def __init__(self, total, enabled):
        self.bar, self.total = None, total
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="step", leave=False, file=sys.stderr)

    def done(self, n=1):
        if self.bar is not None:
            self.bar.update(n)

    def reach(self, n):
        if self.bar is not None and self.bar.n < n:
            self.bar.update(n - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def build(out, quick=False, jobs=None, experiments=None, progress=True):
    """Run the lab and write ``out/report.md`` and ``out/report.html``; returns their paths
    and the seconds it took."""
    started = time.perf_counter()
    os.makedirs(os.path.join(out, "figures"), exist_ok=True)
    exps = load_experiments(experiments, quick)
    parts = sections(exps)
    everything = [c for _, _, configs in exps.values() for c in configs]
    steps = Steps(total=len(everything) + 5 + 2 * len(parts), enabled=progress)
    try:
        doc = Document("Back Propagation — the lab, measured")
        doc.paragraph(
            f"Written by backproplab {__version__} (NumPy {np.__version__}). Every number, "
            "figure and sentence below comes from the runs made while writing it.")
        if quick:
            doc.paragraph(
                f"**A quick report** (`--quick`): the Results below ran in full, but each "
                f"experiment of the Discussion ran only {QUICK['seeds']} seeds for a tenth of its "
                "epochs, and the digits' networks a few epochs. Its numbers are true of those "
                "short runs; many settings have not finished learning in them. Without "
                "`--quick` the report runs everything in full.")
        # The sweeps run in worker processes while this one trains and draws the Results.
        stop = threading.Event()
        with ThreadPoolExecutor(1) as background:
            sweeps = background.submit(sweep.run, everything, jobs=jobs, progress=False,
                                       on_done=steps.done,
                                       grad_norm_every=_grad_every(everything), stop=stop,
                                       test_curves=_test_curves(exps, parts))
            try:
                _results(doc, out, quick, steps)
                _explained_step(doc)
                result = sweeps.result()
            except BaseException:  # Ctrl-C, or an error: the sweep stops its workers too
                stop.set()
                raise
        if result.interrupted:  # no report from networks cut short: stop as Ctrl-C does
            raise KeyboardInterrupt
        steps.reach(steps.total - 2 * len(parts) - 2)  # duplicates were trained once
        by_experiment, start = {}, 0
        for name, (_, _, configs) in exps.items():
            by_experiment[name] = _slice(result, start, start + len(configs))
            start += len(configs)
        doc.heading("Discussion")
        doc.paragraph(
            "Each experiment trains every setting on both data sets from many seeds (the seed "
            "draws the initial weights and, for the linear data, the 100 points). Curves show "
            "the median loss over seeds and the band between the 10th and 90th percentile; "
            "× marks a run that diverged. *Solved* counts the seeds whose network classifies "
            "every training point correctly at the end.")
        # The sweep's worker processes draw the Discussion's figures while this one writes its
        # words and then trains the digits' networks (here, as before: a worker's BLAS runs on
        # one thread, and a product's last bits may depend on the threads that compute it).
        # After the sweeps, not beside them: the CNN's many small matrix products slow down
        # several-fold when they share the two cores with the sweep's stacks.
        with _Workers(jobs) as workers:
            for name, title, keys in parts:
                _discussion(doc, out, name, title, keys, by_experiment[name], exps[name][2],
                            steps, draw=workers.submit)
            _digits(doc, out, quick)
            workers.wait()
        steps.done()
        _settings(doc, exps, quick, experiments)
        seconds = time.perf_counter() - started
        doc.paragraph(f"The report took {seconds:.1f} s to make.")
        paths = doc.write(out)
        steps.done()
    finally:
        steps.close()
    return paths, time.perf_counter() - started


class _Workers:
    """Tasks for the sweep's worker processes, once it is done (with ``--jobs 1`` there are
    none: a task is done at once, here), stopped with the report: a ``with`` block that ends
    by an error or Ctrl-C stops them too. As in the sweep, a task goes to a worker only when one
    is free, so that stopping never has queued work to untangle; the others wait here, and are
    handed out whenever this process asks for a result."""

    def __init__(self, jobs):
        cpus = os.cpu_count() or 1
        self.workers = min(cpus if jobs is None or jobs < 1 else jobs, cpus)
        self.pool, self.waiting, self.running, self.results = None, [], {}, {}

    def __enter__(self):
        if self.workers > 1:  # the sweep's own, still running: no process to start
            self.pool = sweep.running.worker_processes(self.workers)
        return self

    def submit(self, fn, *args, **kwargs):
        """Hand ``fn(*args, **kwargs)`` to a worker; returns the task's number, for result."""
        task = len(self.results) + len(self.waiting) + len(self.running)
        if self.pool is None:
            self.results[task] = fn(*args, **kwargs)
        else:
            self.waiting.append((task, fn, args, kwargs))
            self._hand_out()
        return task

    def result(self, task):
        """The task's result (its error raised here), once it is done."""
        while task not in self.results:
            sweep.stopping.wait_for_any(self.running, timeout=0.2)
            self._hand_out()
        return self.results[task]

    def wait(self):
        """Wait for every task; the first error is raised here."""
        while self.waiting or self.running:
            self.result(next(iter(self.running.values())))

    def _hand_out(self):
        """Take the results of the tasks done, and give the waiting ones the free workers."""
        try:
            for future in [f for f in self.running if f.done()]:
                self.results[self.running.pop(future)] = future.result()
            while self.waiting and len(self.running) < self.workers:
                task, fn, args, kwargs = self.waiting.pop(0)
                self.running[sweep.running.hand_out(self.pool, fn, *args, **kwargs)] = task
        except concurrent.futures.BrokenExecutor as e:
            raise BackproplabError(f"a worker process of the report died ({e}); perhaps it "
                                   "ran out of memory") from None

    def __exit__(self, kind, *exc):
        if self.pool is not None and kind is not None:  # an error or Ctrl-C: stop them
            sweep.running.stop_workers(self.pool, self.running)


def _grad_every(configs):
    epochs = max((c.epochs for c in configs), default=1)
    return max(1, epochs // GRAD_RECORDS)


def _test_curves(exps, parts):
    """The sweep's ``test_curves``: what the generalisation section draws (see
    :func:`heldout.watch`), as indices into the list of every experiment's configurations."""
    keys = {name: k for name, _, k in parts}
    out, start = {}, 0
    for name, (_, _, configs) in exps.items():
        if name == "generalisation":
            out.update({start + i: k for i, k in heldout.watch(configs, keys[name]).items()})
        start += len(configs)
    return out


def _slice(result, a, b):
    tests = {i - a: c for i, c in (result.test_curves or {}).items() if a <= i < b}
    return sweep.SweepResult(result.configs[a:b], result.metrics[a:b], result.loss[a:b],
                             result.accuracy[a:b],
                             None if result.grad_norms is None else result.grad_norms[a:b],
                             result.grad_norm_every, test_curves=tests)
