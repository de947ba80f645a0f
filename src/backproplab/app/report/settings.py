"""The report's experiments — which sweep files, their titles, how ``--quick`` shortens them —
and section 4, the settings of every run and the command that reproduces the report."""

import os
import re
from dataclasses import replace
from importlib import resources

from ...errors import BackproplabError
from ...files import read_text_capped
from ...limits import MAX_TEXT_FILE
from .. import sweep
from ..config import CONFIG_KEYS, IMAGE_KEYS, TrainConfig
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
    """{name: (path, text, configs)} for every shipped experiment (``folder``'s file of the same
    name replaces it), then for every new one in ``folder`` (a file that declares its own
    ``title``); each file is read only if it is a regular UTF-8 file of at most
    limits.MAX_TEXT_FILE. A ``.toml`` file of another name without a title is an error: most
    likely a misspelt name, whose edit would otherwise be lost without a word."""
    if folder and not os.path.isdir(folder):
        raise BackproplabError(f"--experiments {folder}: no such folder")
    shipped = [name for name, _, _ in EXPERIMENTS]
    extra = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".toml")
                   and f[:-5] not in shipped) if folder else []
    out = {}
    for name in shipped + extra:
        path = experiment_file(name, folder)
        text = read_text_capped(path, MAX_TEXT_FILE, "experiment file")
        title, body = _title(path, text)
        if name in extra and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
            raise BackproplabError(f"{path}: a new experiment's file name may hold only letters, "
                                   "digits, _ and - (it names the section's figures)")
        if name in extra and title is None:
            raise BackproplabError(
                f"{path}: not one of the report's experiments ({', '.join(shipped)}); to "
                "replace one, name the file after it; to add a new one, give it a title "
                "(title = \"…\" at the top)")
        configs = sweep.parse(path, body)
        if quick:
            configs = [replace(c, epochs=max(1, c.epochs // QUICK["epochs"]))
                       for c in configs if c.seed < QUICK["seeds"]]
        out[name] = (path, text, configs)
    return out


def sections(exps):
    """(name, section title, the keys that tell its settings apart) of every experiment loaded:
    the shipped ones, then the new ones lettered on from them."""
    out = [(name, title, keys) for name, title, keys in EXPERIMENTS]
    for name, (path, text, configs) in exps.items():
        if name in {n for n, _, _ in EXPERIMENTS}:
            continue
        title, _ = _title(path, text)
        letter = chr(ord("a") + len(out)) if len(out) < 26 else str(len(out) + 1)
        rows = [c.to_dict() for c in configs]
        keys = [k for k in CONFIG_KEYS if k not in ("seed", "data", "data_seed")
                and len({repr(r[k]) for r in rows}) > 1]
        out.append((name, f"{letter}. {title}", keys))
    return out


def _title(path, text):
    """(the file's ``title``, or None; the text with the title's line blanked for the sweep
    parser, which knows only training settings — blanked, not removed, so that its errors
    still name the right lines)."""
    found = re.search(r'^[ \t]*title[ \t]*=[ \t]*"([^"\\\n]{1,100})"[ \t]*(#.*)?$', text, re.M)
    if found is None or re.search(r"^[ \t]*\[", text[:found.start()], re.M):  # top-level only
        return None, text
    return found.group(1).strip(), text[:found.start()] + text[found.end():]


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
        doc.paragraph(f"`--quick`: the Discussion ran only seeds below {QUICK['seeds']} and a "
                      "tenth of the epochs of each file below; the Results ran in full.")
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
    for name, title, _ in sections(exps):
        path, text, _ = exps[name]
        doc.paragraph(f"{title} — `{name}.toml`:")
        doc.code(text, "toml")
