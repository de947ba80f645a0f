"""A load test on loopback: ``backproplab serve`` (a real uvicorn, in its own process) with 8
sessions training at once for 20 s, each through its own WebSocket client. Every session gets
its frames, steadily; the server's memory stays bounded; every session is freed at the end.

The bounds hold on a loaded 2-core machine: 8 sessions share one core's worth of Python (the
GIL) with each other and the event loop, so each gets well under the 25 frames a second that
one session gets alone (benchmarks/playground.py measures that case)."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
client = pytest.importorskip("websockets.asyncio.client")

SESSIONS, SECONDS, WARM_UP = 8, 20.0, 3.0
# each session, on average over the 20 s: eight sessions share two cores (about 10 a second
# each when nothing else runs, 7.6 measured with two other test suites beside it)
MIN_FRAMES_PER_SECOND = 5
LONGEST_GAP = 2.0  # seconds without a frame, at most, for any session
MAX_GROWTH_MB = 100  # the server's resident memory, from the warm-up to the end
NETWORKS = [  # the lab's network and larger ones, on data sets of different sizes
    {"data": "xor", "hidden": "4,4", "activation": "tanh", "optimizer": "adam", "lr": "0.03"},
    {"data": "circle", "n": "300", "hidden": "8,8", "activation": "relu", "optimizer": "adam",
     "lr": "0.01"},
    {"data": "spiral", "n": "400", "hidden": "16,16,16", "activation": "tanh",
     "optimizer": "adam", "lr": "0.01", "batch-size": "32"},
    {"data": "moons", "hidden": "10,10", "optimizer": "momentum", "lr": "0.1"},
]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def health(url):
    with urllib.request.urlopen(url + "health", timeout=10) as answer:
        return json.load(answer)


async def one_session(url, settings, until):
    """Train ``settings`` until the time ``until``; the (time, epoch) of every frame."""
    frames, errors = [], []
    async with client.connect(url.replace("http", "ws") + "ws", origin=url.rstrip("/"),
                              max_size=2**24) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(json.dumps({"type": "settings", "settings": {
            **settings, "epochs": "100000", "play": "1"}}))
        while time.perf_counter() < until:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), LONGEST_GAP * 2))
            except asyncio.TimeoutError:
                break
            if message["type"] == "error":
                errors.append(message["message"])
            if message["type"] != "frame":
                continue
            assert message["boundary"]["size"] >= 80 and message["units"]
            frames.append((time.perf_counter(), message["epoch"]))
            if message["finished"]:  # the run's 100,000 epochs: start it again
                await ws.send(json.dumps({"type": "reset"}))
                await ws.send(json.dumps({"type": "play"}))
    return frames, errors


async def load(url, pid):
    start = time.perf_counter()
    until = start + SECONDS
    tasks = [asyncio.create_task(one_session(url, NETWORKS[i % len(NETWORKS)], until))
             for i in range(SESSIONS)]
    await asyncio.sleep(WARM_UP)
    before = rss_mb(pid)
    during = await asyncio.to_thread(health, url)
    results = await asyncio.gather(*tasks)
    return results, before, rss_mb(pid), during, start


def test_eight_sessions_train_at_once_with_frames_for_each_and_bounded_memory():
    proc = subprocess.Popen([sys.executable, "-m", "backproplab", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        url = proc.stdout.readline().split()[2]
        results, before, after, during, start = asyncio.run(load(url, proc.pid))
        for _ in range(100):  # every session freed once its socket has closed
            if health(url)["sessions"] == 0:
                break
            time.sleep(0.05)
        assert health(url)["sessions"] == 0
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert during["sessions"] == SESSIONS
    report = []
    for i, (frames, errors) in enumerate(results):
        assert not errors, errors
        times = [t for t, _ in frames]
        rate = len(frames) / SECONDS
        gap = max(b - a for a, b in zip(times, times[1:]))
        report.append(f"session {i}: {rate:.1f} frames/s, first after {times[0] - start:.2f} "
                      f"s, longest gap {gap:.2f} s, {frames[-1][1]} epochs")
        assert rate >= MIN_FRAMES_PER_SECOND and gap <= LONGEST_GAP, report
        assert times[0] - start < WARM_UP, report
        assert [e for _, e in frames][-1] > 0
    assert after - before < MAX_GROWTH_MB, (before, after)
    assert "Traceback" not in err and proc.returncode == 130
    print("\n".join(report), f"\nserver RSS {before:.0f} → {after:.0f} MB")
