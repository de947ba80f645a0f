"""Sweeps: a grid of settings × seeds, trained as stacks of networks.

A sweep file is TOML whose keys are ``backproplab train``'s options; a list value is a grid
axis, ``seeds = N`` means seeds 0..N−1::

    data = "xor"
    hidden = [4, 4]
    lr = [0.01, 0.1, 1.0]
    seeds = 20
    epochs = 5000

Networks that share everything but seed, data seed, lr, momentum, weight decay and L1 penalty
train as one stack, bit for bit as they would alone; stacks run in parallel loky processes, or
on a Dask cluster. A sweep goes through these modules, in this order:

- :mod:`.parsing`  — :func:`parse`: the sweep file, read and checked, as TrainConfigs (its
  errors name the key's line, which :mod:`.tomltext` finds);
- :mod:`.planning` — :func:`plan`: the configurations grouped into stacks (:class:`Group`), and
  :func:`train_group`, which trains one;
- :mod:`.running`  — :func:`run`: every stack trained, in parallel, into a :class:`SweepResult`
  (on Dask through :mod:`.scheduler`'s :func:`connect`);
- :mod:`.results`  — :func:`write` (results.csv, curves.npz), :func:`statistics`,
  :func:`summary` and :func:`format_summary`.

A sweep stopped by Ctrl-C or SIGTERM (:mod:`.stopping`) shuts its workers down and returns what
it has, ``interrupted``, each network's ``status`` saying how it ended (one of
:data:`STATUSES`).

(The modules are not named parse, plan and run: the package's functions of those names would
hide them.)
"""

from .parsing import parse
from .planning import MAX_FLOATS_PER_STACK, PER_NETWORK, Group, check_memory, plan, train_group
from .results import (
    RESULT_COLUMNS,
    STATUSES,
    SweepResult,
    format_summary,
    statistics,
    summary,
    write,
)
from .running import run
from .scheduler import connect

__all__ = ["parse", "plan", "Group", "train_group", "PER_NETWORK", "MAX_FLOATS_PER_STACK", "run",
           "SweepResult", "RESULT_COLUMNS", "STATUSES", "write", "statistics", "summary",
           "format_summary", "check_memory", "connect"]
