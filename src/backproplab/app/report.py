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
"""

import io
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib import resources

import numpy as np

from .. import __version__
from ..errors import BackproplabError
from . import sweep
from .config import IMAGE_KEYS, TrainConfig
from .document import Document

EXPERIMENTS = [  # (name, section title, the keys that tell its settings apart)
    ("learning_rates", "a. Learning rates", ["lr"]),
    ("hidden_units", "b. Hidden units", ["hidden", "epochs"]),
    ("no_activation", "c. Without activation functions", ["activation", "output", "lr"]),
    ("optimizers", "d. Optimizers", ["optimizer", "lr"]),
    ("activations", "e. Activation functions", ["activation"]),
    ("losses", "f. mse against bce", ["loss"]),
    ("vanishing_gradients", "g. Vanishing gradients", ["activation", "hidden"]),
    ("generalisation", "h. Generalisation", ["hidden"]),
]
DATA_TITLES = {"linear": "linear data (100 points)", "xor": "XOR data (the lab's 21 points)"}
QUICK = {"seeds": 2, "epochs": 10}  # --quick: these many seeds, 1/10 of the epochs
QUICK_DIGITS_EPOCHS = 3  # --quick: the digits' networks train this many epochs
GRAD_RECORDS = 100  # gradient-norm records per run


def experiment_file(name, folder=None):
    """The sweep file of an experiment: ``folder/NAME.toml`` if that exists, else the
    package's own."""
    if folder:
        path = os.path.join(folder, f"{name}.toml")
        if os.path.exists(path):
            return path
    return str(resources.files("backproplab") / "experiments" / f"{name}.toml")


def load_experiments(folder=None, quick=False):
    """{name: (path, text, configs)} for every experiment."""
    if folder and not os.path.isdir(folder):
        raise BackproplabError(f"--experiments {folder}: no such folder")
    out = {}
    for name, _, _ in EXPERIMENTS:
        path = experiment_file(name, folder)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        configs = sweep.parse(path, text)
        if quick:
            configs = [replace(c, epochs=max(1, c.epochs // QUICK["epochs"]))
                       for c in configs if c.seed < QUICK["seeds"]]
        out[name] = (path, text, configs)
    return out


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
    everything = [c for _, _, configs in exps.values() for c in configs]
    steps = Steps(total=len(everything) + 5 + 2 * len(EXPERIMENTS), enabled=progress)
    try:
        doc = Document("Back Propagation — the lab, measured")
        doc.paragraph(
            f"Written by backproplab {__version__} (NumPy {np.__version__}). Every number, "
            "figure and sentence below comes from the runs made while writing it.")
        # The sweeps run in worker processes while this one trains and draws the Results.
        with ThreadPoolExecutor(1) as background:
            sweeps = background.submit(sweep.run, everything, jobs=jobs, progress=False,
                                       on_done=steps.done,
                                       grad_norm_every=_grad_every(everything))
            _results(doc, out, quick, steps)
            _explained_step(doc)
            result = sweeps.result()
        steps.reach(steps.total - 2 * len(EXPERIMENTS) - 2)  # duplicates were trained once
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
        for name, title, keys in EXPERIMENTS:
            _discussion(doc, out, name, title, keys, by_experiment[name], exps[name][2], steps)
        # after the sweeps, not beside them: the CNN's many small matrix products slow down
        # several-fold when their BLAS threads share the two cores with the sweep's workers
        _digits(doc, out, quick)
        steps.done()
        _settings(doc, exps, quick, experiments)
        seconds = time.perf_counter() - started
        doc.paragraph(f"The report took {seconds:.1f} s to make.")
        paths = doc.write(out)
        steps.done()
    finally:
        steps.close()
    return paths, time.perf_counter() - started


def _grad_every(configs):
    epochs = max((c.epochs for c in configs), default=1)
    return max(1, epochs // GRAD_RECORDS)


def _slice(result, a, b):
    return sweep.SweepResult(result.configs[a:b], result.metrics[a:b], result.loss[a:b],
                             result.accuracy[a:b],
                             None if result.grad_norms is None else result.grad_norms[a:b],
                             result.grad_norm_every)


# -- 1. Results ---------------------------------------------------------------------------


def _results(doc, out, quick, steps):
    from ..figures import sweeps as figures
    from .train import train_run

    doc.heading("Results")
    defaults = TrainConfig().check()
    doc.paragraph(
        f"The lab's network: two hidden layers of {defaults.hidden[0]} sigmoid units and a "
        f"sigmoid output, trained on the mean squared error by gradient descent at learning "
        f"rate {defaults.lr_value:g}, full batch, seed {defaults.seed}.")
    runs = {}
    for data in ("linear", "xor"):
        cfg = TrainConfig(data=data).check()
        if quick:
            cfg.epochs = cfg.epochs // QUICK["epochs"]
        folder = os.path.join(out, "results", data)
        frames, hook = _frame_recorder(cfg) if data == "xor" else (None, None)
        printed = io.StringIO()
        run = runs[data] = train_run(cfg, out=folder, log_every=max(1, cfg.epochs // 10),
                                     stdout=printed, stderr=printed, on_progress=hook)
        steps.done()
        rel = os.path.relpath(folder, out)
        m = run.metrics
        doc.heading(f"The {DATA_TITLES[data]}", 3)
        doc.paragraph(
            f"After {m['epochs_run']} epochs: loss {_num(m['final_loss'])}, training accuracy "
            f"{100 * m['train_accuracy']:.2f}% ({round(m['train_accuracy'] * len(run.y))} of "
            f"{len(run.y)} points), in {m['seconds']:.2f} s.")
        log = [line for line in printed.getvalue().splitlines() if line.startswith("epoch")]
        doc.paragraph("The training log (the loss of each epoch's forward pass, before its "
                      "update):")
        doc.code("\n".join(log))
        proba = run.net.predict_proba(run.x)[:, 0]
        doc.paragraph("The test print — every sample, its ground truth and the prediction:")
        doc.table(["sample", "x₁", "x₂", "ground truth", "prediction", "correct"],
                  [[i, f"{a:.4f}", f"{b:.4f}", int(t), f"{p:.5f}",
                    "yes" if (p >= 0.5) == (t == 1) else "**no**"]
                   for i, ((a, b), t, p) in enumerate(zip(run.x, run.y[:, 0], proba))],
                  align=["r", "r", "r", "r", "r", "l"])
        doc.code(f"loss={run.history.final_loss:.5f} "
                 f"accuracy={100 * run.history.final_accuracy:.2f}%")
        doc.figure(f"{rel}/learning_curve.png", f"Learning curve on the {data} data.")
        doc.figure(f"{rel}/comparison.png", f"Ground truth beside prediction ({data}).")
        doc.figure(f"{rel}/decision_boundary.png", f"Decision boundary ({data}).")
        figures.network_diagram(run.net, os.path.join(folder, "network.png"),
                                 title=f"The trained network ({data})")
        doc.figure(f"{rel}/network.png",
                   f"The trained network ({data}): units per layer, each weight drawn by sign "
                   "(blue positive, red negative) and size.")
        if frames:
            figures.boundary_animation(frames, run.x, run.y, os.path.join(folder, "training.gif"))
            doc.figure(f"{rel}/training.gif",
                       f"The decision boundary as training proceeds on XOR ({len(frames)} "
                       f"frames, epoch 0 to {frames[-1][0]}).")
        steps.done()
    _hidden_units(doc, out, runs)


def best_units(net, x, y):
    """Each hidden unit read as a classifier of the training points: activation above the
    middle of its colour scale (0.5 for sigmoid) as one class, below as the other, whichever
    way round fits better. Per hidden layer: (best unit, its accuracy, number of units)."""
    from ..figures.sweeps import activation_range

    out = []
    for name, a in zip(net.activation, net.hidden_activations(x, m=0)):
        lo, hi = activation_range(name, a)
        accuracy = np.mean((a > (lo + hi) / 2) == (np.asarray(y) == 1), axis=0)
        accuracy = np.maximum(accuracy, 1 - accuracy)
        out.append((int(np.argmax(accuracy)), float(accuracy.max()), a.shape[1]))
    return out


def _hidden_units(doc, out, runs):
    """The neurons.png of each Results run (train_run draws it), with what its units reach."""
    doc.heading("Inside the hidden units", 3)
    act = next(iter(runs.values())).net.activation[0]
    doc.paragraph(
        "Each small map is one hidden unit's activation over the input plane, the plane of the "
        f"decision boundary beside it. A first-layer unit is {'σ' if act == 'sigmoid' else act}"
        "(w·x + b) of the inputs, so its map changes across one straight line; each later "
        "layer mixes the maps before it.")
    for data, run in runs.items():
        path = os.path.relpath(os.path.join(run.out, "neurons.png"), out)
        if not os.path.exists(os.path.join(out, path)):
            continue  # a diverged run draws no maps
        doc.figure(path, f"What each hidden unit detects ({data}).")
        best = best_units(run.net, run.x, run.y)
        doc.paragraph(
            f"On the {DATA_TITLES[data]}, the best single unit of each layer read as a "
            "classifier (activation above the middle of its scale as one class, below as the "
            f"other): " + "; ".join(
                f"h{i + 1}.{unit + 1} (best of {n}) classifies {100 * acc:.0f}%"
                for i, (unit, acc, n) in enumerate(best)) + f" of the {len(run.y)} points.")
        alone = [i for i, (_, acc, _) in enumerate(best) if acc == 1.0]
        if best[0][1] < 1.0 and alone:
            i, (unit, _, _) = alone[0], best[alone[0]]
            doc.paragraph(f"No first-layer unit separates the two classes alone; h{i + 1}."
                          f"{unit + 1} of layer {i + 1} does, from the maps of the layers "
                          "before it.")


def _explained_step(doc):
    """``backproplab explain``'s defaults: one step of a 2-2-2-1 network on two XOR points."""
    from . import explain

    doc.heading("One training step, written out")
    doc.paragraph("What one update of gradient descent does, with every number, as "
                  "`backproplab explain` writes it with its defaults.")
    cfg = TrainConfig(data="xor", hidden=[2, 2]).check()
    explain.document(explain.one_step(cfg, samples=2), doc, level=3)


def _frame_recorder(cfg, count=40):
    """A training hook that keeps ``count`` snapshots of the predicted probability on a grid."""
    from ..data import datasets
    from ..figures import plotting
    from ..nn.losses import get_output

    x, _ = datasets.load(cfg.data, n=cfg.n, noise=cfg.noise, seed=cfg.seed)
    xx, yy, grid = plotting.grid_over(x, steps=60)
    every = max(1, cfg.epochs // count)
    frames = []
    output = get_output(cfg.output)

    def hook(p):
        if p.epochs % every == 0 or p.epochs == cfg.epochs:
            z = p.model.forward(grid)[0, :, 0]
            i = p.epochs - 1
            loss = p.loss[i, 0] if p.epochs else np.nan
            acc = p.accuracy[i, 0] if p.epochs else np.nan
            frames.append((p.epochs, loss, acc, xx, yy, output.forward(z).reshape(xx.shape)))

    return frames, hook


# -- 3. CNN against MLP on digits -----------------------------------------------------------

DIGITS_TITLE = "CNN against MLP on digits"


def digits_configs(quick=False):
    """The two digits runs of the report: each model with its defaults (fewer epochs with
    --quick)."""
    from .config import TrainConfig

    configs = [TrainConfig.for_data(data="digits", model=m).check() for m in ("cnn", "mlp")]
    if quick:
        for cfg in configs:
            cfg.epochs = min(cfg.epochs, QUICK_DIGITS_EPOCHS)
    return configs


def _digits(doc, out, quick):
    """Both models on the digits with their defaults: a table of what each reached, the CNN's
    figures; or, without scikit-learn, a note on how to install it."""
    from ..data import datasets
    from .train import train_run

    doc.heading(DIGITS_TITLE)
    if not datasets.have_digits():
        doc.paragraph("Skipped: the handwritten digits come with scikit-learn, which is not "
                      f"installed here. Install it with `{datasets.DIGITS_INSTALL_COMMAND}` "
                      "(or `pip install scikit-learn`) and make the report again.")
        return
    from ..figures import images as image_figures

    runs = {}
    for cfg in digits_configs(quick):
        printed = io.StringIO()
        # the CNN's figures all go in; of the MLP's only its confusion matrix, drawn below
        runs[cfg.model] = (cfg, train_run(cfg, out=os.path.join(out, "digits", cfg.model),
                                          plots=cfg.model == "cnn", stdout=printed,
                                          stderr=printed))
    image_figures.confusion_matrix(runs["mlp"][1].metrics["confusion_matrix"],
                                   os.path.join(out, "digits", "mlp", "confusion_matrix.png"),
                                   title="Confusion matrix (test set)")
    cnn_cfg, cnn = runs["cnn"]
    mlp_cfg, mlp = runs["mlp"]
    doc.paragraph(
        f"scikit-learn's 1,797 handwritten digits (8×8 pixels, classes 0–9), split 80/20 by "
        f"class with seed {cnn_cfg.seed}: {len(cnn.y)} training and {len(cnn.y_test)} test "
        "images. Both networks end in a softmax over the 10 classes and train on the "
        "cross-entropy with their defaults (`backproplab train --data digits --model cnn`, "
        "and `--model mlp`): "
        + "; ".join(f"{m}: {_describe_model(cfg)}" for m, (cfg, _) in runs.items()) + ".")
    rows = []
    for m, (cfg, run) in runs.items():
        r = run.metrics
        rows.append([m, _layers(cfg), run.net.n_params, r["epochs_run"], f"{r['seconds']:.1f}",
                     _pct(r["train_accuracy"]), _pct(r["test_accuracy"])])
    doc.table(["model", "layers", "parameters", "epochs", "training seconds",
               "training accuracy", "test accuracy"], rows,
              align=["l", "l", "r", "r", "r", "r", "r"])
    c, m = cnn.metrics, mlp.metrics
    if c["test_accuracy"] is not None and m["test_accuracy"] is not None:
        gap = 100 * (c["test_accuracy"] - m["test_accuracy"])
        wrong = {k: round((1 - r.metrics["test_accuracy"]) * len(r.y_test))
                 for k, (_, r) in runs.items()}
        doc.paragraph(
            f"On the {len(cnn.y_test)} test images the CNN is "
            + (f"{gap:.1f} points ahead of" if gap > 0 else
               f"{-gap:.1f} points behind" if gap < 0 else "level with")
            + f" the MLP ({_pct(c['test_accuracy'])} against {_pct(m['test_accuracy'])}: "
            f"{wrong['cnn']} images wrong against {wrong['mlp']}), with "
            f"{cnn.net.n_params} parameters against {mlp.net.n_params}. The convolution "
            "shares one small kernel over every position of the image, so its few weights "
            "look for the same stroke everywhere; the MLP learns a weight per pixel and unit.")
    rel = "digits/cnn"
    doc.figure(f"{rel}/learning_curve.png", "The CNN's loss, and its training and test "
               "accuracy after each epoch.")
    doc.figure(f"{rel}/confusion_matrix.png", "The CNN's confusion matrix on the test images "
               "(rows: true digit, columns: predicted).")
    doc.figure(f"{rel}/misclassified.png", "Test images the CNN got wrong, with their true and "
               "predicted labels.")
    doc.figure(f"{rel}/filters.png", "The kernels of the CNN's first convolution after "
               "training (blue positive, red negative).")
    doc.figure("digits/mlp/confusion_matrix.png", "The MLP's confusion matrix on the same test "
               "images.")


def _layers(cfg):
    if cfg.model == "cnn":
        convs = " → max-pool 2 → ".join(f"conv {c}@{cfg.kernel}×{cfg.kernel} relu"
                                        for c in cfg.channels)
        dense = "".join(f" → dense {h} relu" for h in cfg.hidden)
        return f"{convs}{dense} → dense 10"
    return " → ".join(f"dense {h} {a}" for h, a in zip(cfg.hidden, cfg.activation)) + \
        " → dense 10"


def _describe_model(cfg):
    return (f"{cfg.optimizer} at learning rate {cfg.lr_value:g}, mini-batches of "
            f"{cfg.batch_size}, {cfg.epochs} epochs")


# -- 2. Discussion ------------------------------------------------------------------------


def setting_label(row, keys):
    """A short name for a setting, from the keys that tell the experiment's settings apart."""
    parts = []
    if "activation" in keys and "output" in keys:  # one name for the whole network's nonlinearity
        acts = set(row["activation"]) | {row["output"]}
        parts.append("no activations" if acts == {"none"} else
                     row["output"] if len(acts) == 1 else
                     f"{'-'.join(row['activation'])}, output {row['output']}")
        keys = [k for k in keys if k not in ("activation", "output")]
    for k in keys:
        v = row[k]
        if k == "hidden":
            parts.append("×".join(map(str, v)))
        elif k == "activation":
            parts.append(v[0] if len(set(v)) == 1 else "-".join(v))
        elif k == "lr":
            parts.append(f"lr {v:g}")
        elif k == "epochs":
            parts.append(f"({v} epochs)")
        elif k == "output":
            parts.append(f"output {v}")
        else:
            parts.append(str(v))
    return ", ".join(parts).replace(", (", " (")


def summarise(result, keys):
    """Per data set: one row per setting (in the sweep file's order) with its statistics."""
    tables = {}
    for data in dict.fromkeys(c.data for c in result.configs):
        sub = [i for i, c in enumerate(result.configs) if c.data == data]
        # epochs go into a label only where they differ between this data set's settings
        shown = [k for k in keys if k != "epochs"
                 or len({result.configs[i].epochs for i in sub}) > 1]
        labels = {}
        for i in sub:
            row = result.configs[i].to_dict()
            labels.setdefault(setting_label(row, shown), []).append(i)
        rows = []
        for label, index in labels.items():
            ms = [result.metrics[i] for i in index]
            stats = sweep.statistics(ms)
            median = stats.pop("median_epochs_to_100")
            test = [m["test_accuracy"] for m in ms if m.get("test_accuracy") is not None]
            rows.append({
                **stats, "label": label, "index": index, "median_epochs": median,
                "diverged_epochs": [m["diverged_epoch"] for m in ms if m["diverged"]],
                "epochs": result.configs[index[0]].epochs,
                "test_mean": float(np.mean(test)) if test else None,
                "test_std": float(np.std(test)) if test else None,
            })
        tables[data] = rows
    return tables


def _pct(v):
    return "—" if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"


def _num(v):
    return "—" if v is None else f"{v:.4g}"


def table_rows(rows):
    return [[r["label"], r["networks"],
             f"{_pct(r['accuracy_mean'])} ± {100 * r['accuracy_std']:.1f}"
             if np.isfinite(r["accuracy_mean"]) else "—",
             f"{r['solved']}/{r['networks']} ({100 * r['solved'] / r['networks']:.0f}%)",
             "—" if r["median_epochs"] is None else f"{r['median_epochs']:g}",
             r["diverged"]] for r in rows]


TABLE_HEADER = ["setting", "seeds", "final accuracy (mean ± std)", "solved (100%)",
                "median epochs to 100%", "diverged"]


def _names(rows):
    names = [r["label"] for r in rows]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def describe(data, rows):
    """A paragraph on one data set's results, written from the rows it describes."""
    n = rows[0]["networks"] if rows else 0
    same_n = all(r["networks"] == n for r in rows)
    title = DATA_TITLES.get(data, data)
    sentences = []
    full = [r for r in rows if r["solved"] == r["networks"]]
    none = [r for r in rows if r["solved"] == 0]
    part = [r for r in rows if 0 < r["solved"] < r["networks"]]
    if full:
        fastest = min(full, key=lambda r: (r["median_epochs"] is None, r["median_epochs"] or 0))
        seeds = f"all {n} seeds" if same_n else "all their seeds"
        if len(full) == 1:
            sentences.append(
                f"On the {title}, {fastest['label']} solved {seeds}, reaching 100% in a median "
                f"of {fastest['median_epochs']:g} epochs.")
        else:
            sentences.append(
                f"On the {title}, {_names(full)} solved {seeds}; the fastest, "
                f"{fastest['label']}, reached 100% in a median of {fastest['median_epochs']:g} "
                "epochs.")
    else:
        sentences.append(f"On the {title}, no setting solved every seed.")
    if part:
        sentences.append("Some seeds only: " + "; ".join(
            f"{r['label']} solved {r['solved']} of {r['networks']}" for r in part) + ".")
    if none:
        accs = ", ".join(f"{r['label']} {_pct(r['accuracy_mean'])}" for r in none)
        sentences.append(f"{_names(none)} solved none (mean final accuracy: {accs}).")
    div = [r for r in rows if r["diverged"]]
    if div:
        sentences.append("Diverged: " + "; ".join(
            f"{r['label']} in {r['diverged']} of {r['networks']} seeds (first at epoch "
            f"{min(r['diverged_epochs'])})" for r in div) + ".")
    return " ".join(sentences)


def _discussion(doc, out, name, title, keys, result, configs, steps):
    from ..figures import sweeps as figures

    doc.heading(title, 3)
    tables = summarise(result, keys)
    per_data = "; ".join(
        f"{data} {' or '.join(map(str, sorted({c.epochs for c in configs if c.data == data})))}"
        for data in tables)
    doc.paragraph(
        f"{len(configs)} networks: {sum(len(r) for r in tables.values()) // max(len(tables), 1)} "
        f"settings × {len({c.seed for c in configs})} seeds on each data set; epochs: "
        f"{per_data}; from `{name}.toml`.")
    for data, rows in tables.items():
        doc.paragraph(describe(data, rows))
    extra = EXTRAS.get(name)
    if extra:
        extra(doc, out, result, tables, configs)
    panels = []
    for data, rows in tables.items():
        series = [(r["label"], result.loss[r["index"]], r["diverged_epochs"]) for r in rows]
        panels.append((DATA_TITLES.get(data, data), series))
    path = f"figures/{name}.png"
    figures.band_plot(panels, os.path.join(out, path))
    doc.figure(path, f"{title[3:]}: median loss over seeds with the 10–90% band.")
    steps.done()
    for data, rows in tables.items():
        doc.paragraph(f"On the {DATA_TITLES.get(data, data)}:")
        doc.table(TABLE_HEADER, table_rows(rows), align=["l", "r", "r", "r", "r", "r"])
    steps.done()


# -- experiment-specific paragraphs and figures --------------------------------------------


def _no_activation(doc, out, result, tables, configs):
    """Why XOR cannot be solved without activations: the network is one linear map."""
    from ..models.mlp import MLP
    from .factory import load_data

    linear_cfgs = [c for c in configs if c.activation[0] == "none" and c.output == "none"]
    trainable = [c for c in linear_cfgs if c.data == "xor" and c.seed == min(
        d.seed for d in linear_cfgs)]
    if not trainable:
        return
    cfg = min(trainable, key=lambda c: c.lr_value)
    x, y, _ = load_data(cfg)
    net = MLP(x.shape[1], hidden=cfg.hidden, activation=cfg.activation, output="none",
              seed=cfg.seed)
    h = net.fit(x, y, loss=cfg.loss, optimizer=cfg.optimizer, lr=cfg.lr_value,
                epochs=cfg.epochs)
    W, b = collapse(net)
    gap = float(np.max(np.abs(net.decision_function(x)[:, 0] - (x @ W + b)[:, 0])))
    doc.paragraph(
        f"Without activations the network computes z = ((x W₁ + b₁) W₂ + b₂) W₃ + b₃, which "
        f"multiplies out to one linear map x W + b. For the XOR network of seed {cfg.seed} "
        f"trained at lr {cfg.lr_value:g} for {h.epochs_run} epochs it is:")
    doc.code(f"ŷ = {W[0, 0]:+.6g}·x₁ {W[1, 0]:+.6g}·x₂ {b[0]:+.6g}\n"
             f"(largest difference from the network's own output: {gap:.1e})")
    doc.paragraph(
        "Its prediction is 1 where ŷ ≥ 0.5: one side of one straight line. The XOR points "
        "need two lines (the 0s lie on one diagonal, with the 1s on both sides of it), so no "
        "choice of weights solves them, however many layers are stacked: this network "
        f"reaches {100 * h.final_accuracy:.1f}% (loss {h.final_loss:.4f}).")


def collapse(net):
    """The single linear map (W, b) of a network without activations (network 0)."""
    W = np.eye(net.n_in)
    b = np.zeros(net.n_in)
    for layer in net.dense_layers:
        W = W @ layer.W[0]
        b = b @ layer.W[0] + layer.b[0, 0]
    return W, b


def _vanishing(doc, out, result, tables, configs):
    from ..figures import sweeps as figures

    if result.grad_norms is None:
        return
    every = result.grad_norm_every  # as recorded: one for the whole report's sweep
    panels, facts = [], []
    for data in dict.fromkeys(c.data for c in result.configs):
        for i_rows in tables[data]:
            norms = np.stack([result.grad_norms[i] for i in i_rows["index"]])
            with np.errstate(all="ignore"), _quiet_nan():
                median = np.nanmedian(norms, axis=0)  # (records, layers)
            epochs = every * np.arange(1, median.shape[0] + 1)
            names = [f"W{j + 1}" for j in range(median.shape[1])]
            panels.append((f"{data}: {i_rows['label']}", epochs, median, names))
            first = median[0]
            if np.all(np.isfinite(first)) and first[-1] > 0:
                facts.append((data, i_rows["label"], first[0] / first[-1]))
    path = "figures/vanishing_gradients_norms.png"
    figures.grad_norm_plot(panels, os.path.join(out, path))
    doc.figure(path, "Gradient norm of each layer's weights over training (median over seeds), "
               "from the first layer (light) to the output layer (dark).")
    if facts:
        doc.paragraph(
            "The ratio of the first layer's gradient norm to the output layer's at epoch "
            f"{every} (median over seeds): "
            + "; ".join(f"{lab} on {data}: {r:.3g}" for data, lab, r in facts)
            + ". A ratio far below 1 means the early layers barely learn: the gradient "
            "shrinks by σ′ ≤ 0.25 at every sigmoid layer on its way down.")


def _generalisation(doc, out, result, tables, configs):
    from ..figures import sweeps as figures

    for data, rows in tables.items():
        if rows[0]["test_mean"] is None:
            continue
        cats = [r["label"] for r in rows]
        path = f"figures/generalisation_{data}.png"
        figures.bar_pair(cats, [r["accuracy_mean"] for r in rows],
                         [r["test_mean"] for r in rows], os.path.join(out, path),
                         title=f"Training and fresh-sample accuracy ({data})",
                         train_err=[r["accuracy_std"] for r in rows],
                         test_err=[r["test_std"] for r in rows])
        doc.figure(path, f"Training accuracy beside accuracy on a fresh sample ({data}).")
        n = configs[0].test_n
        doc.paragraph(
            f"On the {DATA_TITLES.get(data, data)}, accuracy on {n} fresh points against "
            "training accuracy: " + "; ".join(
                f"{r['label']} {_pct(r['test_mean'])} against {_pct(r['accuracy_mean'])}"
                for r in rows) + ".")


class _quiet_nan:
    """Silence NumPy's 'All-NaN slice' RuntimeWarning around nan-reductions."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


EXTRAS = {"no_activation": _no_activation, "vanishing_gradients": _vanishing,
          "generalisation": _generalisation}


# -- 3. Settings --------------------------------------------------------------------------


def _settings(doc, exps, quick, folder):
    doc.heading("Settings and reproduction")
    command = "backproplab report --out DIR" + (" --quick" if quick else "") + (
        f" --experiments {folder}" if folder else "")
    doc.paragraph("This report is made by the command below; the experiments are the sweep "
                  "files shown, which `backproplab sweep FILE --out DIR` also runs on their own. "
                  "Copy one into a folder, edit it, and pass the folder with `--experiments` to "
                  "rebuild the report from it.")
    doc.code(command, "sh")
    if quick:
        doc.paragraph(f"`--quick`: only seeds below {QUICK['seeds']} and a tenth of the "
                      "epochs of each file below.")
    defaults = TrainConfig().check()
    doc.paragraph("The Results section uses the defaults of `backproplab train`: "
                  + ", ".join(f"{k} {v}" for k, v in defaults.to_dict().items()
                              if v is not None and k not in ("data", "init", *IMAGE_KEYS))
                  + ".")
    doc.paragraph(f"{DIGITS_TITLE} uses the digits' defaults of `backproplab train --data "
                  "digits`, per model: " + "; ".join(
                      f"{cfg.model}: " + ", ".join(
                          f"{k} {v}" for k, v in cfg.to_dict().items()
                          if v is not None and k not in ("data", "init", "model")
                          and (cfg.model == "cnn" or k not in IMAGE_KEYS))
                      for cfg in digits_configs(quick))
                  + (f" (`--quick`: {QUICK_DIGITS_EPOCHS} epochs)" if quick else "") + ".")
    for name, title, _ in EXPERIMENTS:
        path, text, _ = exps[name]
        doc.paragraph(f"{title} — `{name}.toml`:")
        doc.code(text, "toml")
