"""The machine the benchmark runs on: its OpenBLAS environment, its thread pools, its CPU, and
how busy other processes keep it.

Some machines set OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which pin an old OpenBLAS kernel;
users' machines do not, so run.py re-executes itself without them first
(:func:`without_pinned_kernel`), and every measured program inherits that environment.

Nothing here imports NumPy at import time: run.py imports this module before the re-execution,
and OpenBLAS must not be loaded until the pins are gone.
"""

import json
import os
import platform
import sys
import time

import workloads as wl

PINNED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REMOVED = "BACKPROPLAB_BENCH_REMOVED"  # tells the re-executed run what was removed


def say(*args):
    """A progress line, on stderr: stdout carries the tables (and a worker's answers)."""
    print(*args, file=sys.stderr, flush=True)


def without_pinned_kernel():
    """Re-execute this script with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (before
    anything has loaded OpenBLAS); returns what was removed, from the re-executed run."""
    present = {v: os.environ[v] for v in PINNED if v in os.environ}
    if present:
        env = {k: v for k, v in os.environ.items() if k not in PINNED}
        env[REMOVED] = json.dumps(present)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    return json.loads(os.environ.get(REMOVED, "{}"))


# -- thread pools and CPU -----------------------------------------------------------------------


def blas_info():
    """threadpoolctl's view of the loaded thread pools (BLAS and OpenMP), or None."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    keys = ("user_api", "internal_api", "prefix", "version", "num_threads", "threading_layer",
            "architecture", "filepath")
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def blas_threads():
    """The thread count NumPy's BLAS uses (what the other frameworks are set to match)."""
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then reports)

    pools = [p for p in blas_info() or [] if p["user_api"] == "blas"]
    for pool in sorted(pools, key=lambda p: "numpy" not in (p["filepath"] or "")):
        return pool["num_threads"]
    return os.cpu_count() or 1


def machine_info():
    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu or platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform()}


# -- other processes ----------------------------------------------------------------------------


def wait_for_quiet(limit=120, share=0.1, window=2.0):
    """Wait (up to ``limit`` s) until other processes use less than ``share`` of the CPU over
    ``window`` seconds; returns the last share seen."""
    deadline = time.perf_counter() + limit
    warned = False
    while True:
        before = wl.cpu_sample(children=True)
        time.sleep(window)
        seen = wl.others_share(before, wl.cpu_sample(children=True))
        if seen < share or time.perf_counter() > deadline:
            if seen >= share:
                say(f"warning: other processes still use {seen:.0%} of the CPU; measuring "
                    "anyway (the numbers will be slower and noisier)")
            return seen
        if not warned:
            say(f"other processes use {seen:.0%} of the CPU: waiting up to {limit} s for a "
                "quiet machine…")
            warned = True


def disturbance(records):
    """How much other processes used the CPU during the kept timed blocks, and how many
    blocks were timed again because of them."""
    shares, retimed = [], 0
    for rec in records.values():
        for result in rec.get("results", {}).values():
            shares += result.get("others_cpu_share", [])
            retimed += result.get("blocks_retimed", 0)
    if not shares:
        return "—"
    over = sum(s > wl.BUSY_LIMIT for s in shares)
    return (f"{retimed} re-timed (others above {wl.BUSY_LIMIT:.0%} of the CPU); of the "
            f"{len(shares)} kept, {over} still above it; others' share in the kept blocks: "
            f"median {sorted(shares)[len(shares) // 2]:.0%}, max {max(shares):.0%}")


# -- the environment, as the tables print it ----------------------------------------------------


def numpy_blas(records):
    """NumPy's BLAS as the backproplab worker saw it: {library, version, kernel, threads}
    (kernel: OpenBLAS's core type in use, threadpoolctl's ``architecture``), or None."""
    pools = records["backproplab"].get("pools") or []
    blas = next((p for p in pools if p["user_api"] == "blas"), None)
    if blas is None:
        return None
    return {"library": blas["prefix"], "version": blas["version"],
            "kernel": blas.get("architecture"), "threads": blas["num_threads"]}


def describe_environment(records, removed, started):
    """{label: text}: the date, CPU, BLAS and its kernel, threads, versions and disturbance,
    from the workers' records (see workers.measure_frameworks)."""
    bpl = records["backproplab"]
    pools = bpl.get("pools") or []
    blas = next((p for p in pools if p["user_api"] == "blas"), None)
    if blas:
        blas_text = (f"{blas['prefix']} {blas['version']} (internal_api {blas['internal_api']}), "
                     f"{blas['num_threads']} threads, kernel (architecture) "
                     f"{blas.get('architecture')}")
    else:
        blas_text = "threadpoolctl not installed: unknown"
    pinned = ", ".join(f"{k}={v}" for k, v in removed.items())
    torch_rec = records["torch_eager"]
    versions = {"Python": platform.python_version()}
    for rec in records.values():
        versions.update(rec.get("versions", {}))
    env = {
        "date": started,
        "CPU": f"{machine_info()['cpu']}, {os.cpu_count()} cores",
        "NumPy BLAS": blas_text,
        "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE": f"removed ({pinned}) before measuring"
        if removed else "not set",
        "threads": f"NumPy BLAS {bpl.get('threads')}, torch.get_num_threads() "
                   f"{torch_rec.get('torch_threads', '—')} (torch BLAS "
                   f"{torch_rec.get('torch_blas', '—')}), set to match",
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "timed blocks and other processes": disturbance(records),
    }
    return env
