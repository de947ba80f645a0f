"""Sweeps: a grid of settings × seeds, trained as stacks of networks.

A sweep file is TOML whose keys are ``backproplab train``'s options. A list value is a grid
axis (for ``hidden`` and a per-layer ``activation``, a list of lists); ``seeds = N`` means seeds
0..N−1 (a list also works). A table value gives one value per data set
(``epochs = {linear = 3000, xor = 6000}``). ``[[grid]]`` tables, if present, are grids of their
own that inherit the top-level keys; the sweep is their union::

    data = "xor"
    hidden = [4, 4]
    lr = [0.01, 0.1, 1.0]
    seeds = 20
    epochs = 5000

Networks that share everything but seed, data seed, lr, momentum, weight decay and L1 penalty
train as one stack (:func:`backproplab.training.train`), bit for bit as they would alone (a
learning-rate schedule is shared, each network scaling its own lr); stacks run in parallel
processes through joblib.
"""

import itertools
import math
import os
import sys
from dataclasses import dataclass

import numpy as np

from ..data.datasets import FIXED
from ..errors import BackproplabError
from .config import CONFIG_KEYS, TrainConfig

PER_NETWORK = ("seed", "data_seed", "lr", "momentum", "weight_decay", "l1")  # may differ in a stack
MAX_FLOATS_PER_STACK = 24_000_000  # about 200 MB of float64 working arrays per stack

# key -> (kind of one value, description for messages)
_KINDS = {
    "data": (str, "a data set name or CSV path"),
    "n": (int, "a whole number"),
    "noise": (float, "a number"),
    "hidden": ("ints", "a list of layer sizes"),
    "activation": ("names", "an activation name or a list of them per layer"),
    "loss": (str, "a loss name"),
    "output": (str, "an output name"),
    "optimizer": (str, "an optimizer name"),
    "lr": (float, "a number"),
    "momentum": (float, "a number"),
    "weight_decay": (float, "a number"),
    "l1": (float, "a number"),
    "schedule": (str, "a schedule name"),
    "step_size": (int, "a whole number"),
    "gamma": (float, "a number"),
    "t_max": (int, "a whole number"),
    "eta_min": (float, "a number"),
    "epochs": (int, "a whole number"),
    "batch_size": (int, "a whole number"),
    "seed": (int, "a whole number"),
    "data_seed": (int, "a whole number"),
    "dtype": (str, "float64 or float32"),
    "standardize": (bool, "true or false"),
    "stop_at_loss": (float, "a number"),
    "init": (str, "a model file path"),
    "test_n": (int, "a whole number"),
}
assert set(_KINDS) == set(CONFIG_KEYS)


def _is(value, kind):
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "ints":
        return isinstance(value, list) and all(_is(v, int) for v in value)
    if kind == "names":
        return isinstance(value, str) or (isinstance(value, list)
                                          and all(isinstance(v, str) for v in value))
    return isinstance(value, kind)


def _axis(path, key, value):
    """The values a key takes: one, or a grid axis of several.

    A list is an axis, except for ``hidden``, whose single value is itself a list (so its axis
    is a list of lists); ``activation`` takes a name or, per layer, a list of names.
    """
    kind, description = _KINDS[key]
    if isinstance(value, dict):  # one value per data set: {linear = 3000, xor = 6000}
        if key == "data" or not value:
            raise BackproplabError(f"{path}: key {key!r} cannot be a table here")
        for name, v in value.items():
            if not _is(v, kind) or (kind == "ints" and not v):
                raise BackproplabError(f"{path}: key {key!r}, data set {name!r}: must be "
                                       f"{description}, got {v!r}")
        return [value]
    if kind == "ints":
        is_axis = isinstance(value, list) and any(isinstance(v, list) for v in value)
    else:
        is_axis = isinstance(value, list)
    values = value if is_axis else [value]
    if is_axis and not values:
        raise BackproplabError(f"{path}: key {key!r} is an empty list; a grid axis needs at "
                               "least one value")
    for v in values:
        if not _is(v, kind) or (kind == "ints" and not v):
            also = " (a grid axis: a list of such lists)" if kind == "ints" else \
                " (a grid axis: a list of them)"
            raise BackproplabError(f"{path}: key {key!r} must be {description}{also}, "
                                   f"got {v!r}")
    return values


def _seeds(path, table):
    if "seeds" in table and "seed" in table:
        raise BackproplabError(f"{path}: give 'seeds' or 'seed', not both")
    if "seeds" not in table:
        return None
    s = table["seeds"]
    if _is(s, int):
        if s < 1:
            raise BackproplabError(f"{path}: key 'seeds' must be >= 1, got {s}")
        return list(range(s))
    if isinstance(s, list):
        if not s:
            raise BackproplabError(f"{path}: key 'seeds' is an empty list")
        if all(_is(v, int) and v >= 0 for v in s):
            return list(s)
    raise BackproplabError(f"{path}: key 'seeds' must be a count N (seeds 0..N-1) or a list of "
                           f"whole numbers >= 0, got {s!r}")


def _normalise(path, table, where=""):
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in _KINDS and name not in ("seeds", "grid"):
            raise BackproplabError(
                f"{path}: unknown key {key!r}{where}; valid keys: seeds, "
                + ", ".join(CONFIG_KEYS))
        out[name] = value
    return out


def parse(path, text=None):
    """The list of TrainConfigs a sweep file asks for, each checked."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    if text is None:
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
        except FileNotFoundError:
            raise BackproplabError(f"{path}: no such sweep file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise BackproplabError(f"{path}: cannot read it ({e})") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        if "at end of document" in message:  # name the line there too: the file's last
            message = message.replace("at end of document",
                                      f"at line {text.count(chr(10)) + 1}, the end of the file")
        raise BackproplabError(f"{path}: not valid TOML: {message}") from None
    top = _normalise(path, table)
    grids = top.pop("grid", [{}])
    if not isinstance(grids, list) or not grids or not all(isinstance(g, dict) for g in grids):
        raise BackproplabError(f"{path}: 'grid' must be a list of tables ([[grid]] sections)")
    configs = []
    for i, grid in enumerate(grids):
        merged = {**top, **_normalise(path, grid, f" in [[grid]] number {i + 1}")}
        if "grid" in merged:
            raise BackproplabError(f"{path}: [[grid]] tables cannot hold more [[grid]] tables")
        seeds = _seeds(path, merged)
        merged.pop("seeds", None)
        axes = {key: _axis(path, key, value) for key, value in merged.items()}
        if seeds is not None:
            axes["seed"] = seeds
        for combo in itertools.product(*axes.values()):
            settings = dict(zip(axes, combo))
            for key, value in settings.items():
                if isinstance(value, dict):
                    data = settings.get("data", TrainConfig.data)
                    if data not in value:
                        raise BackproplabError(f"{path}: key {key!r} gives no value for data "
                                               f"set {data!r}")
                    settings[key] = value[data]
            try:
                cfg = TrainConfig(**settings).check()
            except BackproplabError as e:
                raise BackproplabError(f"{path}: {e}") from None
            if cfg.images:
                raise BackproplabError(f"{path}: a sweep trains MLPs on two-class data; train "
                                       f"on the {cfg.data} with backproplab train")
            configs.append(cfg)
    return configs


def _stack_key(cfg):
    d = cfg.to_dict()
    for name in PER_NETWORK:
        d.pop(name)
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(d.items()))


@dataclass
class Group:
    """Networks that train as one stack: their configurations and their places in the sweep."""

    configs: list
    index: list

    @property
    def first(self):
        return self.configs[0]


def plan(configs, jobs=1):
    """Group the configurations into stacks, split where memory or parallelism asks."""
    groups = {}
    for i, cfg in enumerate(configs):
        groups.setdefault(_stack_key(cfg), []).append(i)
    out = []
    for index in groups.values():
        cfg = configs[index[0]]
        per_network = _floats_per_network(cfg)
        size = max(1, min(len(index), MAX_FLOATS_PER_STACK // per_network))
        work = len(index) * per_network * max(cfg.epochs, 1)
        if jobs > 1 and work > 2e9:  # a big stack: give every worker a share
            size = min(size, math.ceil(len(index) / jobs))
        for start in range(0, len(index), size):
            part = index[start:start + size]
            out.append(Group([configs[i] for i in part], part))
    # largest first, so the parallel pool finishes together
    out.sort(key=lambda g: -len(g.index) * _floats_per_network(g.first) * max(g.first.epochs, 1))
    return out


def _floats_per_network(cfg):
    sizes = [2, *cfg.hidden, 1]
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    n = cfg.n or 100
    return 4 * params + 6 * n * sum(sizes)


def train_group(group, grad_norm_every=None):
    """Train one stack; returns (index, per-network metrics, loss curves, accuracy curves,
    gradient norms or None). With ``grad_norm_every`` = K, the Frobenius norm of each layer's
    weight gradient is recorded every K epochs: (networks, epochs // K, layers)."""
    from ..engine.trainer import train
    from ..models.mlp import MLP
    from .factory import load_data, start_from

    cfgs = group.configs
    first = cfgs[0]
    data_seeds = [c.seed if c.data_seed is None else c.data_seed for c in cfgs]
    if first.data in FIXED or first.data.lower().endswith(".csv") or len(set(data_seeds)) == 1:
        x, y, _ = load_data(first)  # one data set for the whole stack
    else:
        loaded = [load_data(c)[:2] for c in cfgs]
        x = np.stack([a for a, _ in loaded])
        y = np.stack([b for _, b in loaded])
    net = MLP(x.shape[-1], hidden=first.hidden, activation=first.activation, output=first.output,
              seed=[c.seed for c in cfgs], dtype=first.dtype)
    if first.init:
        start_from(net, first.init)
    hyper = {}
    for name in ("momentum", "weight_decay", "l1"):
        values = [getattr(c, name) for c in cfgs]
        if any(v is not None for v in values):
            default = _default_hyper(first.optimizer, name)
            hyper[name] = [default if v is None else v for v in values]
    norms, record = None, None
    if grad_norm_every:
        layers = len(net.dense_layers)
        norms = np.full((net.k, first.epochs // grad_norm_every, layers), np.nan)

        def record(p):
            t = p.epochs // grad_norm_every - 1
            for j, layer in enumerate(p.model.dense_layers):
                norms[p.active, t, j] = np.sqrt(np.sum(layer.dW * layer.dW, axis=(1, 2)))

    history = train(net, x, y, loss=first.loss, optimizer=first.optimizer,
                    lr=[c.lr_value for c in cfgs], epochs=first.epochs,
                    batch_size=first.batch_size, stop_at_loss=first.stop_at_loss,
                    callback=record, callback_every=grad_norm_every,
                    schedule=first.lr_schedule(), **hyper)
    test_acc = _test_accuracy(net, cfgs) if first.test_n else [None] * net.k
    metrics = []
    for m in range(net.k):
        acc = history.accuracy[:, m]
        hit = np.flatnonzero(acc == 1.0)
        if hit.size:
            epoch_100 = int(hit[0])
        elif history.final_accuracy[m] == 1.0:
            epoch_100 = int(history.epochs_run[m])
        else:
            epoch_100 = None
        metrics.append({
            "final_loss": float(history.final_loss[m]),
            "final_accuracy": float(history.final_accuracy[m]),
            "epochs_run": int(history.epochs_run[m]),
            "epoch_100": epoch_100,
            "diverged": bool(history.diverged[m]),
            "diverged_epoch": int(history.diverged_epoch[m]) if history.diverged[m] else None,
            "test_accuracy": None if history.diverged[m] else test_acc[m],
        })
    return group.index, metrics, history.loss.T.copy(), history.accuracy.T.copy(), norms


def _test_accuracy(net, cfgs):
    """Each network's accuracy on its own fresh sample (drawn from its data seed)."""
    from .factory import load_test_data

    samples = [load_test_data(c) for c in cfgs]
    x = np.stack([a for a, _ in samples])
    y = np.stack([b for _, b in samples])
    pred = net.predict(x)
    pred = pred[None] if net.k == 1 else pred
    return [float(v) for v in np.mean(pred == y, axis=(1, 2))]


def _default_hyper(optimizer, name):
    from ..nn.optimizers import OPTIMIZERS

    return OPTIMIZERS[optimizer].defaults[name]


@dataclass
class SweepResult:
    """Every network of a sweep: its configuration, its metrics, its curves (NaN-padded)."""

    configs: list
    metrics: list
    loss: np.ndarray  # (networks, max epochs)
    accuracy: np.ndarray
    grad_norms: list = None  # per network: (records, layers), with grad_norm_every
    grad_norm_every: int = None  # record i is the norm after epoch (i + 1) · grad_norm_every

    def rows(self):
        for cfg, m in zip(self.configs, self.metrics):
            yield {**cfg.to_dict(), **m}


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


RESULT_COLUMNS = [*CONFIG_KEYS, "final_loss", "final_accuracy", "epochs_run", "epoch_100",
                  "diverged", "diverged_epoch", "test_accuracy"]


def write(result, out):
    """results.csv (one row per network, full precision) and curves.npz (loss and accuracy per
    epoch, NaN after a network stopped; row i is results.csv's row i)."""
    from ..files import atomic_open, write_csv

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, list):
            return "-".join(str(x) for x in v)
        return v

    write_csv(os.path.join(out, "results.csv"), RESULT_COLUMNS,
              ([cell(row[c]) for c in RESULT_COLUMNS] for row in result.rows()))
    with atomic_open(os.path.join(out, "curves.npz"), "wb") as f:
        np.savez_compressed(f, loss=result.loss, accuracy=result.accuracy)


def statistics(metrics):
    """What the summaries report for a group of networks (their metrics from train_group):
    how many, final accuracy mean and std, how many solved (100% at the end), the median
    epoch at which those first reached 100%, how many diverged."""
    acc = np.array([m["final_accuracy"] for m in metrics], dtype=float)
    finite = bool(np.isfinite(acc).any())
    solved = [m for m in metrics if m["final_accuracy"] == 1.0]
    epochs = [m["epoch_100"] for m in solved if m["epoch_100"] is not None]
    return {
        "networks": len(metrics),
        "accuracy_mean": float(np.nanmean(acc)) if finite else float("nan"),
        "accuracy_std": float(np.nanstd(acc)) if finite else float("nan"),
        "solved": len(solved),
        "median_epochs_to_100": float(np.median(epochs)) if epochs else None,
        "diverged": sum(bool(m["diverged"]) for m in metrics),
    }


def summary(result, keys=None):
    """Per setting (all keys that vary, but the seed): its :func:`statistics`."""
    rows = list(result.rows())
    if keys is None:
        keys = [k for k in CONFIG_KEYS if k not in ("seed", "data_seed")
                and len({_hashable(r[k]) for r in rows}) > 1]
    groups = {}
    for r in rows:
        groups.setdefault(tuple(_hashable(r[k]) for k in keys), []).append(r)
    return keys, [{**dict(zip(keys, key)), **statistics(rs)} for key, rs in groups.items()]


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


def format_summary(keys, rows):
    """The summary as a plain-text table."""
    head = [*keys, "networks", "accuracy", "solved", "median epochs to 100%", "diverged"]
    body = []
    for r in rows:
        med = r["median_epochs_to_100"]
        body.append([*(_shown(r[k]) for k in keys),
                     str(r["networks"]),
                     f"{100 * r['accuracy_mean']:.1f}% ± {100 * r['accuracy_std']:.1f}",
                     f"{r['solved']}/{r['networks']}",
                     "—" if med is None else f"{med:g}", str(r["diverged"])])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip() for b in body]
    return "\n".join(lines)


def _shown(v):
    """A setting in the table: layer lists as 4-4, an unset one (None) as —."""
    if v is None:
        return "—"
    return "-".join(map(str, v)) if isinstance(v, tuple) else str(v)
