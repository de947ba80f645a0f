"""Running a sweep: its stacks trained in this process, in loky worker processes or on a Dask
cluster, gathered into one SweepResult in the configurations' order.

A sweep can be stopped (Ctrl-C, SIGTERM, or the caller's ``stop`` event; see
:mod:`.stopping`): it stops handing out stacks, asks the stacks in training to stop at the end
of their epoch and waits a little for them, then shuts its worker processes down. The result
says ``interrupted`` and marks each network cut short, with the epochs it completed.
"""

import concurrent.futures
import contextlib
import os
import sys
import time
from dataclasses import replace

import numpy as np

from ...errors import BackproplabError
from . import stopping
from .planning import check_memory, plan, train_group
from .results import SweepResult, unfinished
from .scheduler import DEFAULT_TIMEOUT, connect

GRACE = 10.0  # seconds the workers have, once asked to stop, to hand back their stacks
# what joblib sets in its workers, so that their BLAS threads share the cores
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS")


def run(configs, jobs=None, backend="loky", scheduler=None, progress=True, stream=None,
        grad_norm_every=None, on_done=None, timeout=DEFAULT_TIMEOUT, stop=None,
        test_curves=None):
    """Train every configuration; returns a SweepResult in the configurations' order.

    ``jobs``: worker processes (default: every core), at most one per core and per stack; one
    trains in this process. ``backend="dask"`` trains on the Dask ``scheduler``'s cluster,
    reached within ``timeout`` seconds. ``on_done(networks)`` is called as each stack
    finishes; ``grad_norm_every`` records layer gradient norms and ``test_curves``, {index of
    a configuration with a test set: K}, its test loss every K epochs (see
    :func:`train_group`); setting the event ``stop`` stops the sweep as Ctrl-C does."""
    cpus = os.cpu_count() or 1
    jobs = cpus if jobs is None or jobs == -1 else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise BackproplabError(f"--jobs must be >= 1, got {jobs}")
    if backend not in ("loky", "dask"):
        raise BackproplabError(f"unknown backend {backend!r}; choose loky or dask")
    check_memory(configs)
    first_of = trained_once(configs)
    unique = sorted(set(first_of.values()))
    jobs = jobs if backend == "dask" else min(jobs, cpus)  # (a cluster has cores of its own)
    groups = plan([configs[i] for i in unique], jobs)
    watch = {first_of[i]: every for i, every in (test_curves or {}).items()}
    for g in groups:
        g.index = [unique[j] for j in g.index]
        g.watch = {m: watch[i] for m, i in enumerate(g.index) if i in watch} or None
    # connect before the progress bar, so a failure leaves no bar behind
    client = connect(scheduler, timeout) if backend == "dask" else None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(groups), unit="stack", file=stream or sys.stderr, leave=False,
                   disable=not (stream or sys.stderr).isatty())
    gather = _Gather(len(configs), max((c.epochs for c in configs), default=0), bar, on_done)
    stopping.REQUEST.asked = False
    try:
        with stopping.catching():
            if client is not None:
                interrupted = _on_dask(client, groups, grad_norm_every, stop, gather)
            elif min(jobs, len(groups)) <= 1:
                interrupted = _in_process(groups, grad_norm_every, stop, gather)
            else:
                interrupted = _on_loky(groups, min(jobs, len(groups)), grad_norm_every, stop,
                                       gather)
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    metrics, loss, acc, norms = gather.metrics, gather.loss, gather.acc, gather.norms
    for i, cfg in enumerate(configs):
        j = first_of[i]
        if metrics[j] is None:
            metrics[j] = unfinished(0)  # never started
        if j != i:
            metrics[i], loss[i], acc[i], norms[i] = metrics[j], loss[j], acc[j], norms[j]
            if cfg.test_n is None and configs[j].test_n is not None:
                metrics[i] = {**metrics[j], "test_accuracy": None}  # it asked for no test
    tests = {i: gather.tests[first_of[i]] for i in test_curves or {}
             if first_of[i] in gather.tests}
    return SweepResult(list(configs), metrics, loss, acc, norms if grad_norm_every else None,
                       grad_norm_every, interrupted=interrupted,
                       test_curves=tests if test_curves else None)


def trained_once(configs):
    """{i: the configuration trained for configuration i}. A network asked for twice (the same
    settings in two experiments) is trained once, and so is one asked for with and without a
    fresh test sample, which training never sees: the one trained is the first that asks for
    that sample (two sizes of sample train apart)."""
    groups = {}
    for i, cfg in enumerate(configs):
        groups.setdefault(repr(replace(cfg, test_n=None)), []).append(i)
    out = {}
    for index in groups.values():
        first = {}  # test_n (or None) → the first configuration asking for it
        for i in index:
            first.setdefault(configs[i].test_n, i)
        sized = [j for n, j in first.items() if n is not None]
        for i in index:
            n = configs[i].test_n
            out[i] = first[n] if n is not None else sized[0] if sized else first[None]
    return out


class _Gather:
    """The stacks' results as they come back, each network's in its place."""

    def __init__(self, networks, width, bar, on_done):
        self.loss = np.full((networks, width), np.nan)
        self.acc = np.full((networks, width), np.nan)
        self.metrics = [None] * networks
        self.norms = [None] * networks
        self.tests = {}  # sweep index → (epochs, test loss)
        self.bar, self.on_done = bar, on_done

    def take(self, outputs):
        """Place one stack's outputs (:func:`train_group`'s); True if it was cut short, which
        stops the sweep (a signal reached the process that trained it)."""
        index, metrics, loss, acc, norms, tests = outputs
        self.tests.update(tests)
        for j, i in enumerate(index):
            self.metrics[i] = metrics[j]
            self.loss[i, :loss.shape[1]] = loss[j]
            self.acc[i, :acc.shape[1]] = acc[j]
            if norms is not None:
                self.norms[i] = norms[j]
        if self.bar is not None:
            self.bar.update(1)
        if self.on_done is not None:
            self.on_done(len(index))
        if any(m["status"] == "interrupted" for m in metrics):
            stopping.REQUEST.asked = True
            return True
        return False

    def lost(self, group):
        """A stack stopped without an answer: how far its networks got is not known."""
        for i in group.index:
            self.metrics[i] = unfinished(None)


def _in_process(groups, every, stop, gather):
    """Train the stacks one after the other here; True if asked to stop."""
    group = None
    try:
        for group in groups:
            if stopping.asked(stop):
                return True
            gather.take(train_group(group, every, stop))
            group = None
    except KeyboardInterrupt:  # asked twice: the stack in training is dropped at once
        if group is not None:
            gather.lost(group)
        return True
    return stopping.asked(stop)


def _on_loky(groups, workers, every, stop, gather):
    """Train the stacks in ``workers`` loky processes, handing a stack to each worker as it
    becomes free (so no stack waits in a queue when the sweep stops); True if asked to stop."""
    executor = worker_processes(workers)
    waiting, running, finished = list(groups), {}, False
    try:
        while waiting or running:
            if stopping.asked(stop):
                break
            while waiting and len(running) < workers:
                group = waiting.pop(0)
                running[hand_out(executor, train_group, group, every)] = group
            done, _ = stopping.wait_for_any(running, timeout=0.2)
            for future in done:
                running.pop(future)
                gather.take(_outputs(future))
        else:
            finished = True
            return stopping.asked(stop)
        # asked to stop: ask every worker (again and again: one may not have begun its
        # stack yet), and take what they hand back in time
        deadline = time.monotonic() + GRACE
        while running and time.monotonic() < deadline:
            _ask_workers(executor)
            done, _ = stopping.wait_for_any(running, timeout=0.5)
            for future in done:
                group = running.pop(future)
                try:
                    gather.take(future.result())
                except Exception:  # noqa: BLE001 - it failed as it stopped: nothing to take
                    gather.lost(group)
        return True
    except KeyboardInterrupt:  # asked twice: stop at once
        return True
    finally:
        for group in running.values():
            gather.lost(group)
        if not finished:  # no worker goes on training, nor stays behind
            stop_workers(executor, running)


def worker_processes(workers):
    """The sweep's worker processes (loky's reusable executor, kept a while after a sweep, so
    the report hands the same processes its next tasks): their BLAS threads share the cores,
    and an idle one ignores Ctrl-C (see :mod:`.stopping`)."""
    from multiprocessing import resource_tracker

    from joblib.externals.loky import get_reusable_executor

    # the standard library's resource tracker, which a worker's start starts, unblocks Ctrl-C
    # after starting itself (CPython 3.11), undoing held_back: started first, it leaves it be
    resource_tracker.ensure_running()
    cpus = os.cpu_count() or 1
    env = {name: os.environ.get(name, str(max(cpus // workers, 1))) for name in THREAD_VARIABLES}
    env.setdefault("ENABLE_IPC", os.environ.get("ENABLE_IPC", "1"))
    with stopping.held_back():  # a resize starts processes too
        return get_reusable_executor(max_workers=workers, env=env, timeout=300,
                                     initializer=stopping.worker_start)


def hand_out(executor, fn, *args, **kwargs):
    """``executor.submit(fn, ...)``, with Ctrl-C held back while it may start worker processes
    (and loky's thread that starts the later ones): see :func:`.stopping.held_back`."""
    with stopping.held_back():
        return executor.submit(fn, *args, **kwargs)


def stop_workers(executor, futures):
    """Shut ``executor``'s workers down at once, ``futures`` (the tasks handed out) or not.
    It first waits, a moment at most, for loky's thread to pass each task on to the workers:
    loky's shutdown fails in that thread (a KeyError, printed) on a task still between the
    two, as one handed out just before a Ctrl-C can be."""
    try:
        deadline = time.monotonic() + 1.0
        while (any(not (f.running() or f.done()) for f in futures)
               and time.monotonic() < deadline):
            time.sleep(0.001)
    finally:
        executor.shutdown(wait=True, kill_workers=True)


def _outputs(future):
    try:
        return future.result()
    except concurrent.futures.BrokenExecutor as e:
        raise BackproplabError(f"a worker process of the sweep died ({e}); perhaps it ran out "
                               "of memory: try fewer --jobs") from None


def _ask_workers(executor):
    """Send every worker of ``executor`` the sweep's request to stop (see .stopping)."""
    if stopping.ASK_WORKER is None:
        return
    for pid in list(getattr(executor, "_processes", None) or ()):
        with contextlib.suppress(OSError):
            os.kill(pid, stopping.ASK_WORKER)


def _on_dask(client, groups, every, stop, gather):
    """Train the stacks on the Dask cluster; True if asked to stop. A Dask task cannot be
    stopped from here: a stopped sweep cancels the stacks it waits for and marks them lost."""
    running = {client.submit(train_group, g, every, pure=False): g for g in groups}
    try:
        while running:
            if stopping.asked(stop):
                return True
            done = [f for f in running if f.done()]
            if not done:
                time.sleep(0.05)
            for future in done:
                running.pop(future)
                gather.take(future.result())
        return stopping.asked(stop)
    except KeyboardInterrupt:
        return True
    finally:
        if running:
            client.cancel(list(running))
            for group in running.values():
                gather.lost(group)
