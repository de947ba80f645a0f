"""Sweeps: a grid of settings × seeds, trained as stacks of networks.

A sweep file is TOML whose keys are ``backproplab train``'s options; a list value is a grid
axis, ``seeds = N`` means seeds 0..N−1::

    data = "xor"
    hidden = [4, 4]
    lr = [0.01, 0.1, 1.0]
    seeds = 20
    epochs = 5000

Networks that share everything but seed, data seed, lr, momentum, weight decay and L1 penalty
train as one stack, bit for bit as they would alone; stacks run in parallel processes through
joblib. A sweep goes through four modules, in this order:

- :mod:`.parsing`  — :func:`parse`: the sweep file, read and checked, as TrainConfigs;
- :mod:`.planning` — :func:`plan`: the configurations grouped into stacks (:class:`Group`), and
  :func:`train_group`, which trains one;
- :mod:`.running`  — :func:`run`: every stack trained, in parallel, into a :class:`SweepResult`;
- :mod:`.results`  — :func:`write` (results.csv, curves.npz), :func:`statistics`,
  :func:`summary` and :func:`format_summary`.

(The modules are not named parse, plan and run: the package's functions of those names would
hide them.)
"""

from .parsing import parse
from .planning import MAX_FLOATS_PER_STACK, PER_NETWORK, Group, plan, train_group
from .results import RESULT_COLUMNS, SweepResult, format_summary, statistics, summary, write
from .running import run

__all__ = ["parse", "plan", "Group", "train_group", "PER_NETWORK", "MAX_FLOATS_PER_STACK", "run",
           "SweepResult", "RESULT_COLUMNS", "write", "statistics", "summary", "format_summary"]
