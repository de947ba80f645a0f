"""The playground's speed: does watching slow training down? The issue's targets: while the
page streams, training keeps at least 80% of its speed without the page; and at least 20
frames a second for the lab's networks, each with the boundary on a grid of at least 80×80
and the unit maps.

    .venv/bin/python benchmarks/playground.py            # prints; writes results/playground.json
    .venv/bin/python benchmarks/playground.py --record   # … into this CPU's run in results.json
    make bench-playground                                # the same as the first; make bench too

For each network, two runs of the same Session settings, each in a process of its own:

- alone: the Session trains as the server's worker does — in chunks that end every 1/25 s —
  with nobody watching (no frame built, nothing sent);
- streaming: ``backproplab serve`` (a real uvicorn on loopback) with a real WebSocket client
  that plays the session and receives its frames, as the page does.

Training speed is epochs per second while the run trains (a run that reaches its 100,000
epochs starts again; the restart is not counted). In the streaming run it is read from the
frames: the epoch each frame reports and when it arrived. Frame size is the JSON text's.
"""

import argparse
import asyncio
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORD = HERE / "results.json"  # the committed record: its CPU model's run, key "playground"
LATEST = HERE / "results" / "playground.json"  # git-ignored: every other run
TARGET = {"speed_share": 0.80, "frames_per_second": 20.0}
NETWORKS = {  # name → the page's settings; the first is the one the 80% target is judged on
    "lab xor 2-4-4-1 (sigmoid, mse, gd)": {"data": "xor", "hidden": "4,4"},
    "lab xor 2-10-10-1 (train's defaults)": {"data": "xor"},
    "xor 4-4 tanh adam (the URL below)": {"data": "xor", "hidden": "4,4", "activation": "tanh",
                                         "optimizer": "adam", "lr": "0.03"},
    "largest: spiral 2000 points, 6×16 tanh": {
        "data": "spiral", "n": "2000", "hidden": "16,16,16,16,16,16", "activation": "tanh",
        "optimizer": "adam", "lr": "0.01"},
}
SECONDS, WARM_UP = 8.0, 1.0
FRAME_INTERVAL = 1 / 25


def epochs_per_second(samples):
    """Σ Δepoch / Σ Δt over consecutive (time, epoch) samples of one run (a restart — the
    epoch going down — is left out)."""
    epochs = seconds = 0.0
    for (t0, e0), (t1, e1) in zip(samples, samples[1:]):
        if e1 >= e0:
            epochs, seconds = epochs + e1 - e0, seconds + t1 - t0
    return epochs / seconds if seconds else 0.0


def alone(settings, seconds):
    """The Session trained as the server's worker trains it, with no frames: its speed, and
    what a frame would cost (built and encoded, 50 times)."""
    from backproplab.app.playground import Session
    from backproplab.app.serve import protocol
    from backproplab.app.serve.launch import one_blas_thread

    one_blas_thread()  # as the server does
    s = Session({**settings, "epochs": "100000"})
    samples, start = [], time.perf_counter()
    while (now := time.perf_counter()) < start + WARM_UP + seconds:
        s.train(10**9, deadline=now + FRAME_INTERVAL)
        if now >= start + WARM_UP:
            samples.append((time.perf_counter(), s.epochs_done))
        if s.finished:
            s.reset()
    texts, built = [], time.perf_counter()
    for _ in range(50):
        texts.append(protocol.encode(s.frame()))
    frame_ms = (time.perf_counter() - built) / 50 * 1000
    return {"epochs_per_s": epochs_per_second(samples), "frame_ms": frame_ms,
            "frame_bytes": len(texts[-1].encode())}


async def watch(url, settings, seconds):
    """Play ``settings`` over a WebSocket, as the page does: (time, epoch, bytes) per frame
    after the warm-up, and the frame's grid sizes."""
    from websockets.asyncio.client import connect

    frames, grid = [], None
    async with connect(url.replace("http", "ws") + "ws", origin=url.rstrip("/"),
                       max_size=2**24) as ws:
        await ws.recv()  # hello
        await ws.send(json.dumps({"type": "settings", "settings": {
            **settings, "epochs": "100000", "play": "1"}}))
        start = time.perf_counter()
        while (now := time.perf_counter()) < start + WARM_UP + seconds:
            text = await ws.recv()
            message = json.loads(text)
            if message["type"] == "error":
                raise RuntimeError(message["message"])
            if message["type"] != "frame":
                continue
            grid = (message["boundary"]["size"], message["unit_size"])
            if now >= start + WARM_UP:
                frames.append((now, message["epoch"], len(text.encode())))
            if message["finished"]:
                await ws.send(json.dumps({"type": "reset"}))
                await ws.send(json.dumps({"type": "play"}))
    return frames, grid


def streaming(settings, seconds):
    """``backproplab serve`` in a child process, one client playing ``settings``."""
    server = subprocess.Popen([sys.executable, "-m", "backproplab", "serve", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[2]
        frames, grid = asyncio.run(watch(url, settings, seconds))
    finally:
        server.terminate()
        server.communicate(timeout=30)
    span = frames[-1][0] - frames[0][0]
    return {"epochs_per_s": epochs_per_second([(t, e) for t, e, _ in frames]),
            "frames_per_s": (len(frames) - 1) / span,
            "frame_bytes": sum(b for *_, b in frames) / len(frames),
            "boundary_grid": grid[0], "unit_grid": grid[1]}


def measure(seconds=SECONDS):
    """Both runs of every network; the targets judged."""
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load = os.getloadavg()[0]
    rows = []
    for name, settings in NETWORKS.items():
        print(f"playground: {name}…", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, __file__, "--alone", json.dumps(settings),
                                str(seconds)], capture_output=True, text=True, check=True)
        row = {"network": name, "settings": settings, "alone": json.loads(child.stdout),
               "streaming": streaming(settings, seconds)}
        row["speed_share"] = row["streaming"]["epochs_per_s"] / row["alone"]["epochs_per_s"]
        rows.append(row)
    lab = rows[0]
    lab_frames = [r["streaming"]["frames_per_s"] for r in rows[:3]]
    targets = [
        {"target": f"streaming keeps ≥ {TARGET['speed_share']:.0%} of the training speed "
                   f"({lab['network']})", "value": lab["speed_share"],
         "pass": lab["speed_share"] >= TARGET["speed_share"]},
        {"target": f"≥ {TARGET['frames_per_second']:.0f} frames/s, boundary ≥ 80×80 with "
                   "the unit maps (the lab's networks)", "value": min(lab_frames),
         "pass": min(lab_frames) >= TARGET["frames_per_second"]
         and all(r["streaming"]["boundary_grid"] >= 80 for r in rows)},
    ]
    return {"date": started, "load_average_at_start": load, "cores": os.cpu_count(),
            "seconds": seconds, "rows": rows, "targets": targets}


def summary(result):
    """The result as a Markdown table and the targets' lines."""
    lines = ["| network | epochs/s alone | epochs/s streaming | share | frames/s | frame KiB | "
             "frame build ms | grid |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in result["rows"]:
        a, s = r["alone"], r["streaming"]
        lines.append(f"| {r['network']} | {a['epochs_per_s']:,.0f} | {s['epochs_per_s']:,.0f} | "
                     f"{r['speed_share']:.0%} | {s['frames_per_s']:.1f} | "
                     f"{s['frame_bytes'] / 1024:.1f} | {a['frame_ms']:.2f} | "
                     f"{s['boundary_grid']}² + units {s['unit_grid']}² |")
    lines.append("")
    for t in result["targets"]:
        value = f"{t['value']:.0%}" if "%" in t["target"] else f"{t['value']:.1f}"
        lines.append(f"{t['target']}: {value} {'PASS' if t['pass'] else 'FAIL'}")
    lines.append(f"({result['date']}, {result['cores']} cores, load average at start "
                 f"{result['load_average_at_start']:.2f}, {result['seconds']:g} s a run)")
    return "\n".join(lines)


def write(result, record):
    """Into this CPU model's recorded run, key 'playground' (--record: the README's table is
    redrawn too), else results/playground.json."""
    if record:
        import readme  # beside this script (it imports nothing heavy)

        readme.keep_part("playground", result)
        return RECORD
    LATEST.parent.mkdir(parents=True, exist_ok=True)
    tmp = LATEST.with_name(LATEST.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, LATEST)
    return LATEST


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alone", nargs=2, metavar=("SETTINGS", "SECONDS"),
                        help=argparse.SUPPRESS)  # the child process of the 'alone' runs
    parser.add_argument("--seconds", type=float, default=SECONDS,
                        help="measured seconds of each run (default: %(default)g)")
    parser.add_argument("--record", action="store_true",
                        help="write the committed record, benchmarks/results.json")
    args = parser.parse_args(argv)
    if args.alone:
        print(json.dumps(alone(json.loads(args.alone[0]), float(args.alone[1]))))
        return 0
    result = measure(args.seconds)
    print(summary(result))
    print(f"written to {write(result, args.record)}", file=sys.stderr)
    return 0 if all(t["pass"] for t in result["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
