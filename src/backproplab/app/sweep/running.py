"""Running a sweep: its stacks trained in parallel processes through joblib (loky on this
machine, or a Dask cluster), gathered into one SweepResult in the configurations' order."""

import os
import sys

import numpy as np

from ...errors import BackproplabError
from .planning import plan, train_group
from .results import SweepResult


def run(configs, jobs=None, backend="loky", scheduler=None, progress=True, stream=None,
        grad_norm_every=None, on_done=None):
    """Train every configuration; returns a SweepResult in the configurations' order.

    ``on_done(networks)`` is called as each stack finishes; ``grad_norm_every`` records layer
    gradient norms (see :func:`train_group`)."""
    from joblib import Parallel, delayed, parallel_config

    jobs = jobs or os.cpu_count() or 1
    if jobs < 1 and jobs != -1:
        raise BackproplabError(f"--jobs must be >= 1, got {jobs}")
    # a network asked for twice (the same settings in two experiments) is trained once
    first_of = {}
    for i, cfg in enumerate(configs):
        first_of.setdefault(repr(cfg), i)
    unique = sorted(set(first_of.values()))
    groups = plan([configs[i] for i in unique], jobs)
    for g in groups:
        g.index = [unique[j] for j in g.index]
    client = None  # connect before the progress bar, so a failure leaves no bar behind
    if backend == "dask":
        client = _dask_client(scheduler)
    elif backend != "loky":
        raise BackproplabError(f"unknown backend {backend!r}; choose loky or dask")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(groups), unit="stack", file=stream or sys.stderr, leave=False,
                   disable=not (stream or sys.stderr).isatty())
    width = max((c.epochs for c in configs), default=0)
    loss = np.full((len(configs), width), np.nan)
    acc = np.full((len(configs), width), np.nan)
    metrics = [None] * len(configs)
    norms = [None] * len(configs)
    try:
        with parallel_config(backend=backend if backend == "dask" else "loky",
                             n_jobs=1 if len(groups) == 1 and backend != "dask" else jobs):
            outputs = Parallel(return_as="generator_unordered")(
                delayed(train_group)(g, grad_norm_every) for g in groups)
            for index, group_metrics, group_loss, group_acc, group_norms in outputs:
                for j, i in enumerate(index):
                    metrics[i] = group_metrics[j]
                    loss[i, :group_loss.shape[1]] = group_loss[j]
                    acc[i, :group_acc.shape[1]] = group_acc[j]
                    if group_norms is not None:
                        norms[i] = group_norms[j]
                if bar is not None:
                    bar.update(1)
                if on_done is not None:
                    on_done(len(index))
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    for i, cfg in enumerate(configs):
        j = first_of[repr(cfg)]
        if j != i:
            metrics[i], loss[i], acc[i], norms[i] = metrics[j], loss[j], acc[j], norms[j]
    return SweepResult(list(configs), metrics, loss, acc, norms if grad_norm_every else None,
                       grad_norm_every)


def _dask_client(scheduler):
    if not scheduler:
        raise BackproplabError("--backend dask needs --scheduler ADDRESS (e.g. "
                               "tcp://127.0.0.1:8786)")
    try:
        from dask.distributed import Client
    except ImportError:
        raise BackproplabError("--backend dask needs dask.distributed: "
                               "pip install 'backproplab[dask]'") from None
    try:
        return Client(scheduler, timeout="5s")
    except (OSError, TimeoutError) as e:
        raise BackproplabError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
