"""The report's experiments — which sweep files, their titles, how ``--quick`` shortens them —
and section 4, the settings of every run and the command that reproduces the report."""

import os
from dataclasses import replace
from importlib import resources

from ...errors import BackproplabError
from ...files import read_text_capped
from ...limits import MAX_TEXT_FILE
from .. import sweep
from ..config import IMAGE_KEYS, TrainConfig
from .digits import DIGITS_TITLE, QUICK_DIGITS_EPOCHS, digits_configs

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
QUICK = {"seeds": 2, "epochs": 10}  # --quick: these many seeds, 1/10 of the epochs


def experiment_file(name, folder=None):
    """The sweep file of an experiment: ``folder/NAME.toml`` if there is anything of that name
    (a folder or a broken link too: reading it says what is wrong), else the package's own."""
    if folder:
        path = os.path.join(folder, f"{name}.toml")
        if os.path.lexists(path):
            return path
    return str(resources.files("backproplab") / "experiments" / f"{name}.toml")


def load_experiments(folder=None, quick=False):
    """{name: (path, text, configs)} for every experiment; each file is read only if it is a
    regular UTF-8 file of at most limits.MAX_TEXT_FILE."""
    if folder and not os.path.isdir(folder):
        raise BackproplabError(f"--experiments {folder}: no such folder")
    out = {}
    for name, _, _ in EXPERIMENTS:
        path = experiment_file(name, folder)
        text = read_text_capped(path, MAX_TEXT_FILE, "experiment file")
        configs = sweep.parse(path, text)
        if quick:
            configs = [replace(c, epochs=max(1, c.epochs // QUICK["epochs"]))
                       for c in configs if c.seed < QUICK["seeds"]]
        out[name] = (path, text, configs)
    return out


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
