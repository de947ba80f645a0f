"""The digits target: the default CNN reaches at least 97% test accuracy in at most 60 s of
training on this machine.

    .venv/bin/python benchmarks/digits.py            # on its own: prints, updates results.json
    make bench                                       # benchmarks/run.py calls it too

Runs ``backproplab train --data digits --model cnn`` with every other setting at its default,
as a user would, once per seed (``--seeds``, default 0 only: the defaults' own run), and reads
test accuracy and training seconds (the time spent in ``fit``, without loading data or writing
files) from each run's metrics.json; the command's wall time is recorded beside them. The MLP
baseline (``--model mlp``) is measured the same way, for comparison; it has no target.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = {"test_accuracy": 0.97, "train_s": 60.0}


def backproplab_command():
    script = Path(sys.executable).parent / "backproplab"
    return [str(script)] if script.exists() else [sys.executable, "-m", "backproplab"]


def train(model, seed, tmp):
    """One ``backproplab train --data digits --model MODEL --seed SEED`` with its defaults:
    what its metrics.json and config.json say, and its wall time."""
    out = os.path.join(tmp, f"{model}-seed{seed}")
    args = ["train", "--data", "digits", "--model", model, "--seed", str(seed), "--quiet",
            "--no-plots", "--out", out]
    start = time.perf_counter()
    proc = subprocess.run([*backproplab_command(), *args], capture_output=True, text=True)
    wall = time.perf_counter() - start
    run = {"command": " ".join(["backproplab", *args[:-2]]), "exit_status": proc.returncode,
           "wall_s": wall, "stderr": proc.stderr.strip()[-2000:]}
    if proc.returncode == 0:
        with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
            metrics = json.load(f)
        with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        run.update(test_accuracy=metrics["test_accuracy"],
                   train_accuracy=metrics["train_accuracy"], train_s=metrics["seconds"],
                   epochs=metrics["epochs_run"],
                   # (config.json lists only the settings that apply: the mlp has no kernel)
                   settings={k: config.get(k) for k in ("hidden", "channels", "kernel",
                                                         "optimizer", "lr", "batch_size",
                                                         "epochs", "loss")})
    return run


def measure(seeds=(0,)):
    """Both models over ``seeds``; the CNN's runs judged against the target."""
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="backproplab-digits-") as tmp:
        runs = {model: [train(model, seed, tmp) for seed in seeds] for model in ("cnn", "mlp")}
    ok = [r for r in runs["cnn"] if r["exit_status"] == 0]
    passed = bool(ok) and len(ok) == len(runs["cnn"]) and all(
        r["test_accuracy"] >= TARGET["test_accuracy"] and r["train_s"] <= TARGET["train_s"]
        for r in ok)
    return {"target": f"default CNN on digits: test accuracy ≥ "
                      f"{100 * TARGET['test_accuracy']:.0f}% in ≤ {TARGET['train_s']:.0f} s of "
                      "training",
            "goal": TARGET, "seeds": list(seeds), "runs": runs, "pass": passed,
            "date": started, "load_average_at_start": load,
            "cores": os.cpu_count()}


def summary(result):
    """The result as a Markdown table and the target's line."""
    lines = ["| model | seed | test accuracy | training accuracy | epochs | training s | "
             "command wall s |", "|---|---:|---:|---:|---:|---:|---:|"]
    for model, runs in result["runs"].items():
        for seed, r in zip(result["seeds"], runs):
            if r["exit_status"] != 0:
                lines.append(f"| {model} | {seed} | exit {r['exit_status']} | | | | |")
                continue
            lines.append(f"| {model} | {seed} | {100 * r['test_accuracy']:.2f}% | "
                         f"{100 * r['train_accuracy']:.2f}% | {r['epochs']} | "
                         f"{r['train_s']:.1f} | {r['wall_s']:.1f} |")
    lines += ["", f"{result['target']}: {'PASS' if result['pass'] else 'FAIL'}",
              f"({result['date']}, {result['cores']} cores, load average at start "
              f"{result['load_average_at_start']:.2f})"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="the seeds to train (default: 0, the defaults' run)")
    parser.add_argument("--no-save", action="store_true",
                        help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args(argv)
    result = measure(args.seeds)
    print(summary(result))
    if not args.no_save:
        import readme

        readme.keep_part("digits", result)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
