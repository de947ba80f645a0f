"""The command line's edge: whatever a user can cause ends in one line and exit status 2,
Ctrl-C and SIGTERM in 130 — never a traceback; outputs are checked before training, a run's
folder is its own, and files are written whole."""

import json
import os
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from backproplab.app.edge import signals_deferred

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "BACKPROPLAB_DEBUG": ""}


def backproplab(*args, env=None, limit=None, **kw):
    """Run the command in a child process; (status, stdout, stderr)."""
    def cap():
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kw}
    proc = subprocess.run([sys.executable, "-m", "backproplab", *map(str, args)], text=True,
                          env=env or ENV, preexec_fn=cap, timeout=120, **streams)
    return proc.returncode, proc.stdout, proc.stderr


def one_line(err):
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def leftovers(folder):
    return [n for n in os.listdir(folder) if n.endswith((".tmp", ".partial", ".old"))]


def test_memory_refused_by_the_machine_is_one_line(tmp_path):
    status, _, err = backproplab("train", "--data", "xor", "--hidden", 8000, 8000, "--epochs", 1,
                                 "--no-plots", "--max-memory", "1T", "--out", tmp_path / "r",
                                 limit=700 * 2**20)
    assert status == 2
    assert "not enough memory" in one_line(err)


def test_debug_shows_the_traceback(tmp_path):
    args = ("train", "--data", "xor", "--save", tmp_path / "missing" / "m.npz", "--epochs", 1)
    status, _, err = backproplab(*args)
    assert status == 2 and "does not exist" in one_line(err)
    for env in ({**ENV, "BACKPROPLAB_DEBUG": "1"}, None):
        extra = () if env else ("--debug",)
        status, _, err = backproplab(*args, *extra, env=env)
        assert status == 1 and "Traceback" in err and "BackproplabError" in err


@pytest.mark.parametrize("target, says", [
    ("folder", "is a folder"), ("missing/m.npz", "does not exist"), ("/dev/null",
                                                                      "not a regular file"),
])
def test_save_is_checked_before_training(cli, tmp_path, target, says):
    (tmp_path / "folder").mkdir()
    path = target if target.startswith("/") else tmp_path / target
    started = time.perf_counter()
    status, _, err = cli("train", "--data", "xor", "--epochs", 10**6, "--save", path,
                         "--out", tmp_path / "run")
    assert status == 2 and says in err
    assert time.perf_counter() - started < 5  # refused before the million epochs
    assert not (tmp_path / "run").exists()


def test_out_under_a_file_is_refused_before_training(cli, tmp_path):
    (tmp_path / "afile").write_text("x")
    status, _, err = cli("train", "--data", "xor", "--epochs", 10**6, "--out",
                         tmp_path / "afile" / "run")
    assert status == 2 and "cannot create" in err


def test_a_run_folder_never_mixes_two_runs(cli, tmp_path):
    out = tmp_path / "run"
    assert cli("train", "--data", "xor", "--epochs", 20, "--out", out, "--quiet")[0] == 0
    assert (out / "decision_boundary.png").exists()
    status, _, err = cli("train", "--data", "xor", "--epochs", 20, "--out", out, "--no-plots")
    assert status == 2 and "holds files already" in err and "--overwrite" in err
    assert cli("train", "--data", "linear", "--epochs", 30, "--out", out, "--no-plots",
               "--quiet", "--overwrite")[0] == 0
    assert not (out / "decision_boundary.png").exists()  # the old run's figures went with it
    assert json.loads((out / "config.json").read_text())["data"] == "linear"
    assert leftovers(tmp_path) == []


def test_a_disk_error_while_writing_is_one_line_and_leaves_no_half_run(cli, tmp_path,
                                                                        monkeypatch):
    from backproplab.app import train

    def full(path, *a, **k):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(train, "write_csv", full)
    status, _, err = cli("train", "--data", "xor", "--epochs", 20, "--out", tmp_path / "run")
    assert status == 2
    assert "history.csv: No space left on device" in one_line(err)
    assert not (tmp_path / "run").exists() and leftovers(tmp_path) == []


def test_metrics_say_how_the_run_ended(cli, tmp_path):
    cli("train", "--data", "xor", "--epochs", 50, "--out", tmp_path / "a", "--quiet")
    cli("train", "--data", "linear", "--lr", 1e300, "--activation", "relu", "--output", "none",
        "--epochs", 50, "--out", tmp_path / "b", "--quiet", "--no-plots")
    cli("train", "--data", "xor", "--epochs", 5000, "--stop-at-loss", 0.24, "--out",
        tmp_path / "c", "--quiet", "--no-plots")
    statuses = [json.loads((tmp_path / d / "metrics.json").read_text())["status"] for d in "abc"]
    assert statuses == ["completed", "diverged", "stopped_early"]


def test_stdout_closed_early_is_not_an_error(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "backproplab", "train", "--data", "xor",
                             "--epochs", "3000", "--log-every", "1", "--out", tmp_path / "r",
                             "--no-plots"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=ENV)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert err == ""
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["epochs_run"] == 3000


def test_stdout_on_a_full_device_is_not_a_traceback(tmp_path):
    with open("/dev/full", "w") as full:
        status, _, err = backproplab("train", "--data", "xor", "--epochs", 100, "--out",
                                     tmp_path / "r", "--no-plots", stdout=full)
    assert "Traceback" not in (err or "")
    assert status == 0 and (tmp_path / "r" / "model.npz").exists()


def test_an_ascii_terminal_gets_readable_output():
    env = {**ENV, "PYTHONIOENCODING": "ascii"}
    status, out, err = backproplab("explain", env=env)
    assert status == 0 and err == ""
    assert "?" in out and "The loss went down" in out  # σ, ×, ⊙ shown as '?'


def finish(proc):
    """The process's output once it has ended; killed (and the test failed) if it does not."""
    try:
        return proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the process did not stop") from None


@pytest.mark.parametrize("delay", [0.1, 0.3, 0.6])
def test_an_early_ctrl_c_is_an_interruption_not_a_traceback(tmp_path, delay):
    proc = subprocess.Popen([sys.executable, "-m", "backproplab", "train", "--data", "xor",
                             "--epochs", "10000000", "--out", tmp_path / "r", "--no-plots"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = finish(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_training_keeps_what_was_trained(tmp_path, sig):
    proc = subprocess.Popen([sys.executable, "-m", "backproplab", "train", "--data", "xor",
                             "--epochs", "10000000", "--log-every", "200", "--out", tmp_path / "r"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    for line in proc.stdout:
        if line.startswith("epoch") and int(line.split()[1]) >= 400:
            proc.send_signal(sig)
            break
    out, err = finish(proc)
    assert proc.returncode == 130 and "Traceback" not in err
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["epochs_run"] >= 400
    with np.load(tmp_path / "r" / "model.npz") as f:  # a whole model file, and a checkpoint
        assert json.loads(str(f["trainer"]))["epoch"] == metrics["epochs_run"]
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "r") == []


def test_a_signal_while_files_are_written_waits_for_them(tmp_path):
    path = tmp_path / "f.txt"
    with pytest.raises(KeyboardInterrupt), signals_deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)  # a second one too
        path.write_text("all of it")
    assert path.read_text() == "all of it"


@pytest.mark.parametrize("command", [
    ["gradcheck", "--data", "digits", "--model", "cnn", "--channels", "16", "32"],
    ["explain", "--epochs", "10000000"],
])
def test_gradcheck_and_explain_stop_promptly(command):
    if command[0] == "gradcheck":
        pytest.importorskip("sklearn")
    proc = subprocess.Popen([sys.executable, "-m", "backproplab", *command],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    started = time.perf_counter()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.perf_counter() - started < 5
    assert "Traceback" not in err


def _in_a_mount(tmp_path, mount, *args):
    """Run the command with ``mount`` ('ro' or a tmpfs size) applied to tmp_path/disk, in a
    mount namespace of its own (unshare), so the test needs no privileges it does not have."""
    import shlex
    import shutil

    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    disk = tmp_path / "disk"
    disk.mkdir()
    how = (f"mount -o bind,ro {disk} {disk}" if mount == "ro"
           else f"mount -t tmpfs -o size={mount} tmpfs {disk}")
    command = shlex.join([sys.executable, "-m", "backproplab", *map(str, args)])
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"{how} && echo mounted"],
                           capture_output=True, text=True)
    if "mounted" not in probe.stdout:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.strip()}")
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", f"{how} && {command}; echo rc=$?"],
                          capture_output=True, text=True, env=ENV, timeout=120)
    return int(proc.stdout.strip().rsplit("rc=", 1)[1]), proc.stderr, disk


def test_a_read_only_disk_is_refused_before_training(tmp_path):
    started = time.perf_counter()
    status, err, disk = _in_a_mount(tmp_path, "ro", "train", "--data", "xor", "--epochs",
                                    10**7, "--out", tmp_path / "disk" / "run")
    assert status == 2 and "read-only" in one_line(err)
    assert time.perf_counter() - started < 20  # not after ten million epochs


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path):
    status, err, disk = _in_a_mount(tmp_path, "64k", "train", "--data", "xor", "--epochs", 50,
                                    "--out", tmp_path / "disk" / "run")
    assert status == 2 and "No space left on device" in one_line(err)
