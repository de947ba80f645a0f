"""What the ``backproplab`` command costs a user: the peak memory of ``backproplab train`` on
W3, the start-up time of ``backproplab --help`` and the wall time of ``backproplab report``.

Each runs the installed console script (``backproplab.app.cli:main``) next to this Python, or
``python -m backproplab`` where there is none, as a subprocess that inherits this run's
environment (the OpenBLAS pins already removed, see machine.py).
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path


def backproplab_command():
    script = Path(sys.executable).parent / "backproplab"
    return [str(script)] if script.exists() else [sys.executable, "-m", "backproplab"]


def peak_memory(tmp):
    """Peak resident memory of ``backproplab train`` on W3, from the rusage that wait4
    returns for that one child (its ru_maxrss, like RUSAGE_CHILDREN but for it alone)."""
    args = [*backproplab_command(), "train", "--data", "xor", "--hidden", "500", "500",
            "--epochs", "200", "--no-plots", "--quiet", "--out", os.path.join(tmp, "train-w3")]
    errors = os.path.join(tmp, "train-w3.stderr")
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    start = time.perf_counter()
    pid = os.posix_spawn(args[0], args, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(errors, encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    return {"command": " ".join(["backproplab", *args[len(backproplab_command()):]]),
            "exit_status": code, "stderr": stderr[-2000:], "seconds": seconds,
            "maxrss_kib": usage.ru_maxrss, "peak_mb": usage.ru_maxrss * 1024 / 1e6}


def startup_time(runs=5):
    """``backproplab --help``: one untimed run (disk cache), then the median of ``runs``."""
    args = [*backproplab_command(), "--help"]
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return {"command": "backproplab --help", "median_s": sorted(times)[runs // 2],
            "runs_s": times}


def report_time(tmp):
    """One ``backproplab report`` as a subprocess: its wall time and what it printed."""
    args = [*backproplab_command(), "report", "--out", os.path.join(tmp, "report")]
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    said = re.search(r"report written to .* in ([0-9.]+) s", proc.stdout)
    return {"command": "backproplab report --out <tmp>", "exit_status": proc.returncode,
            "wall_s": wall, "reported_s": float(said.group(1)) if said else None,
            "stdout": proc.stdout.strip()[-500:], "stderr": proc.stderr.strip()[-2000:]}
