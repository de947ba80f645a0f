"""The report's worker processes (the digits' training and the Discussion's figures): results
come back, errors are raised where the result is asked for, and a Ctrl-C — which a terminal
sends to every process of the report — ends the report and its workers cleanly."""

import os
import signal
import subprocess
import sys
import time

import pytest

from backproplab.app.report import _Workers
from backproplab.errors import BackproplabError


def fail(message):
    raise BackproplabError(message)


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_back_and_errors_are_raised_where_asked_for(jobs):
    with _Workers(jobs) as workers:
        tasks = [workers.submit(pow, 2, e) for e in range(5)]
        broken = workers.submit(fail, "no figure") if jobs > 1 else None
        assert [workers.result(t) for t in tasks] == [1, 2, 4, 8, 16]
        if broken is not None:
            with pytest.raises(BackproplabError, match="no figure"):
                workers.result(broken)
    if jobs == 1:  # done at once, here
        with _Workers(jobs) as workers, pytest.raises(BackproplabError, match="here"):
            workers.submit(fail, "here")


SCRIPT = """
import sys, time
from backproplab.app.report import _Workers
try:
    with _Workers(2) as workers:
        if {ready}:  # the report's tasks go to the sweep's workers, started and ready
            ready = [workers.submit(time.sleep, 0.5) for _ in range(2)]  # one each, at once
            [workers.result(task) for task in ready]
        task = workers.submit(time.sleep, 60)  # without: the workers start here
        workers.submit(time.sleep, 60)
        print("started", flush=True)
        workers.submit(time.sleep, 60)  # waits here for a free worker
        workers.result(task)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


# a Ctrl-C at once finds the workers still importing NumPy; one after 0.3 s, at their first task
@pytest.mark.parametrize(("ready", "after"), [(True, 0.0), (True, 0.5), (False, 0.0),
                                              (False, 0.05), (False, 0.3)])
def test_ctrl_c_to_every_process_stops_the_workers_too(tmp_path, ready, after):
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(ready=ready)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline() == "started\n"
    time.sleep(after)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert out == "interrupted\n" and "Traceback" not in err
    deadline = time.monotonic() + 10
    while subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True).stdout:
        assert time.monotonic() < deadline, "a worker outlived the report"
        time.sleep(0.1)
