"""Stopping a sweep: Ctrl-C (SIGINT) or SIGTERM in the middle of training writes what was
trained, marks every network cut short as `interrupted` with the epochs it completed, shuts the
worker processes down and exits 130 — for a sweep in one process and one on loky workers, and
for the report, whose sweep runs beside it."""

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import backproplab
from backproplab.app import sweep

SRC = str(Path(backproplab.__file__).parent.parent)
EPOCHS = 200_000  # a stack of four takes many seconds: none finishes before the signal
LONG = f"""\
data = "xor"
hidden = [8, 8]
lr = [0.5, 1.0]
seeds = 2
epochs = [{EPOCHS}, {EPOCHS + 1}, {EPOCHS + 2}]
"""  # three stacks of four networks (epochs differ, lr and seed do not split a stack)


def _stat(pid):
    """(parent pid, state, CPU seconds) of a process, from /proc; None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf(
        "SC_CLK_TCK")


def descendants(pid):
    """Every living process below ``pid``."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _stat(entry)) is not None:
            parents.setdefault(info[0], []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    info = _stat(pid)
    return info is not None and info[1] != "Z"


def start(args, tmp_path, **popen):
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "backproplab", *map(str, args)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)


def wait_until_training(proc, workers=0, cpu=1.0, limit=60):
    """Wait until the sweep has trained for a while: until the process itself (``workers`` =
    0), or that many of its worker processes, have used ``cpu`` seconds of CPU each — past
    start-up, parsing and the workers' start."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        pids = descendants(proc.pid) if workers else [proc.pid]
        if sum((_stat(p) or (0, "", 0))[2] >= cpu for p in pids) >= max(workers, 1):
            return
        time.sleep(0.05)
    raise AssertionError("the sweep never started training")


def assert_gone(pids, within=10):
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if alive(p)], "processes left over"


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_sweep_writes_what_it_has_marks_it_and_exits_130(tmp_path, jobs, signum):
    (tmp_path / "long.toml").write_text(LONG)
    proc = start(["sweep", "long.toml", "--out", "out", "--jobs", jobs, "--quiet"], tmp_path)
    wait_until_training(proc, workers=jobs if jobs > 1 else 0)
    workers = descendants(proc.pid)
    assert len(workers) >= jobs - 1 + (jobs > 1)  # loky's workers (and its resource tracker)
    sent = time.monotonic()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 10  # stopped at the end of an epoch, not of the run
    assert proc.returncode == 130, stderr
    assert stdout == "" and "Traceback" not in stderr
    assert "interrupted: 0 of 12 networks finished" in stderr
    assert_gone(workers)

    rows = read_rows(tmp_path / "out" / "results.csv")
    assert len(rows) == 12
    assert {r["status"] for r in rows} == {"interrupted"}  # none is presented as finished
    ran = np.array([int(r["epochs_run"]) for r in rows])
    cut = ran > 0
    # the stacks in training (largest first: one per worker) stopped where they were
    training = sweep.plan(sweep.parse("long.toml", LONG), jobs)[:jobs]
    assert sorted(np.flatnonzero(cut)) == sorted(i for g in training for i in g.index)
    assert (ran[cut] < EPOCHS).all() and (ran[~cut] == 0).all()  # the others never started
    assert all(r["final_loss"] for r, c in zip(rows, cut) if c)
    assert not any(r["final_loss"] or r["test_accuracy"] or r["diverged"]
                   for r, c in zip(rows, cut) if not c)
    with np.load(tmp_path / "out" / "curves.npz") as f:
        loss = f["loss"]
    for row, n in zip(loss, ran):
        assert np.isfinite(row[:n]).all() and np.isnan(row[n:]).all()


def test_a_signal_to_one_worker_stops_the_whole_sweep(tmp_path):
    """A worker's stack cut short (here: Ctrl-C sent to that worker alone) is an interruption
    of the sweep: the others are stopped too, and it ends with 130."""
    (tmp_path / "long.toml").write_text(LONG)
    proc = start(["sweep", "long.toml", "--out", "out", "--jobs", 2, "--quiet"], tmp_path)
    wait_until_training(proc, workers=2)
    workers = descendants(proc.pid)
    busy = max(workers, key=lambda p: (_stat(p) or (0, "", 0))[2])
    os.kill(busy, signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert_gone(workers)
    rows = read_rows(tmp_path / "out" / "results.csv")
    assert {r["status"] for r in rows} == {"interrupted"}
    assert sum(int(r["epochs_run"]) > 0 for r in rows) == 4  # two stacks of two networks


def loky_workers():
    """The loky worker processes below this one."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            if alive(pid) and "LokyProcess" in Path(f"/proc/{pid}/cmdline").read_text():
                found.append(pid)
        except OSError:
            pass
    return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_stop_event_stops_a_sweep_run_in_another_thread(jobs):
    """What the report does: the sweep runs in a thread, where no signal arrives, and the
    caller sets ``stop``. The stacks in training stop where they are; the workers are shut
    down."""
    configs = sweep.parse("long.toml", LONG)
    idle = set(loky_workers())  # an earlier sweep's, waiting to be reused
    stop = threading.Event()
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    started = time.monotonic()
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=sweep.run(
        configs, jobs=jobs, progress=False, stop=stop)))
    thread.start()
    thread.join(30)
    timer.cancel()
    assert not thread.is_alive() and time.monotonic() - started < 15
    result = result["r"]
    assert result.interrupted
    assert {m["status"] for m in result.metrics} == {"interrupted"}
    ran = np.array([m["epochs_run"] for m in result.metrics])
    training = sweep.plan(configs, jobs)[:jobs]
    assert sorted(np.flatnonzero(ran)) == sorted(i for g in training for i in g.index)
    assert (ran < EPOCHS).all()
    if jobs == 1:
        assert set(loky_workers()) <= idle  # none was started
    else:
        assert_gone(loky_workers(), within=5)  # the workers of the stopped sweep are shut down


def wait_for_loky_training(cpu=1.0, workers=2, limit=60):
    """Wait until ``workers`` loky workers of this process have each used ``cpu`` more seconds
    of CPU than when called (workers of an earlier sweep may be reused)."""
    before = {}
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        used = 0
        for pid in loky_workers():
            seconds = (_stat(pid) or (0, "", 0))[2]
            used += seconds - before.setdefault(pid, seconds) >= cpu
        if used >= workers:
            return
        time.sleep(0.05)
    raise AssertionError("the sweep never started training")


@pytest.mark.parametrize("where", ["main thread", "workers"])
def test_an_interrupted_sweep_ends_the_report_with_130(cli, tmp_path, monkeypatch, where):
    """The report trains its sweep in worker processes while it draws the Results. Ctrl-C
    there (in its main thread, or in the workers, which a terminal's Ctrl-C reaches too) stops
    the sweep and its workers, and the report ends with 130 instead of being written from
    networks cut short. (The Results themselves are left out here, to keep the test short.)"""
    from backproplab.app import report

    experiments = tmp_path / "experiments"
    experiments.mkdir()
    (experiments / "learning_rates.toml").write_text(
        'data = ["linear", "xor"]\nlr = [0.5, 1.0]\nseeds = 2\nepochs = 2000000\n')
    seen = []

    def results(doc, out, quick, steps):
        wait_for_loky_training()
        seen.extend(loky_workers())
        if where == "main thread":
            raise KeyboardInterrupt
        for pid in seen:
            os.kill(pid, signal.SIGINT)

    monkeypatch.setattr(report, "_results", results)
    monkeypatch.setattr(report, "_explained_step", lambda doc: None)
    started = time.monotonic()
    status, _, stderr = cli("report", "--out", tmp_path / "report", "--quick", "--jobs", 2,
                            "--quiet", "--experiments", experiments)
    assert status == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert time.monotonic() - started < 30
    assert not (tmp_path / "report" / "report.md").exists()
    assert len(seen) >= 2
    assert_gone(seen, within=5)


def test_jobs_are_capped_at_the_cores_and_the_stacks(tmp_path):
    """--jobs 100 starts one worker per core (and never more than there are stacks)."""
    (tmp_path / "long.toml").write_text(LONG)
    cores = os.cpu_count()
    expected = min(cores, len(sweep.plan(sweep.parse("long.toml", LONG), cores)))
    proc = start(["sweep", "long.toml", "--out", "out", "--jobs", 100, "--quiet"], tmp_path)
    try:
        wait_until_training(proc, workers=min(expected, 2))
        workers = [p for p in descendants(proc.pid)
                   if "LokyProcess" in Path(f"/proc/{p}/cmdline").read_text()]
        assert len(workers) == expected
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert_gone(workers)


def test_one_stack_trains_in_this_process(tmp_path):
    (tmp_path / "one.toml").write_text(f'data = "xor"\nhidden = [8, 8]\nepochs = {EPOCHS}\n')
    proc = start(["sweep", "one.toml", "--out", "out", "--jobs", 2, "--quiet"], tmp_path)
    try:
        wait_until_training(proc)
        assert not descendants(proc.pid)  # no worker process for a single stack
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 130
