"""backproplab's benchmark: training speed against PyTorch and scikit-learn, and the CLI's costs.

    make bench                     # installs .[bench] into .venv, then runs this
    .venv/bin/python benchmarks/run.py

Measures, on this machine, in one run: the steady-state time per epoch of six workloads in
backproplab, PyTorch eager, torch.compile and scikit-learn, the compute floor of each workload,
the peak memory and start-up time of the ``backproplab`` command and the wall time of
``backproplab report``. Prints the tables and the targets (PASS/FAIL) and writes
``benchmarks/results.json``.

Each framework runs in a worker process of its own (``--serve NAME``), and the frameworks are
timed in turns, block by block: this machine has slow spells that no process on it accounts
for (a workload's time can double for tens of seconds), and taking turns makes them fall on
every framework alike instead of on whichever happened to run then.

Some machines set OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which pin an old OpenBLAS kernel;
users' machines do not, so this script re-executes itself without them first, and every
measured program inherits that environment.

Last, the digits target (``benchmarks/digits.py``, which also runs on its own): the default CNN
on the handwritten digits reaches at least 97% test accuracy in at most 60 s of training.
"""

import argparse
import datetime
import json
import os
import platform
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
PINNED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REMOVED = "BACKPROPLAB_BENCH_REMOVED"  # tells the re-executed run what was removed
WORKERS = ("backproplab", "torch_eager", "torch_compile", "sklearn")
WORKER_TIMEOUT = 900  # seconds; a worker that takes longer is recorded as failed
TARGETS = {"faster_than_eager": 5.0, "stack_vs_single": 15.0, "stack_vs_eager": 100.0,
           "memory_mb": 300.0, "startup_s": 0.5, "report_s": 60.0}


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


def say(*args):
    print(*args, file=sys.stderr, flush=True)


# -- workers: one framework each, in its own process, timed in turns ---------------------------


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


class Server:
    """A worker: one framework, driven by one JSON request per line on stdin, answering one
    JSON line each (see :class:`Worker`). Everything else it prints goes to stderr."""

    def __init__(self, name):
        import frameworks as fw

        self.name = name
        self.timers = {}
        self.threads = blas_threads()
        self.info = {"threads": self.threads, "versions": {}}
        if name == "backproplab":
            import numpy as np

            import backproplab

            self.info["versions"] = {"numpy": np.__version__,
                                     "backproplab": backproplab.__version__}
            self.make = fw.backproplab_block
        elif name in ("torch_eager", "torch_compile"):
            import torch

            self.info["versions"] = {"torch": torch.__version__}
            self.info["torch_threads_default"] = torch.get_num_threads()
            self.make = fw.torch_eager_block if name == "torch_eager" else fw.torch_compile_block
        else:
            import sklearn

            self.info["versions"] = {"sklearn": sklearn.__version__}
            self.make = fw.sklearn_block

    def handle(self, request):
        import frameworks as fw
        import workloads as wl

        op = request["op"]
        if op == "info":
            info = dict(self.info, pools=blas_info())
            if self.name.startswith("torch"):
                import torch

                info["torch_threads"] = torch.get_num_threads()
                blas = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
                info["torch_blas"] = blas.group(1) if blas else None
            return info
        if op == "matmul":
            return fw.matmul_flops()
        if op == "profile":
            return {"text": fw.profile_w2(wl.BY_NAME["W2"])}
        w = wl.BY_NAME[request["workload"]]
        if op == "setup":  # build, compile (torch.compile), choose the block size
            extra = {}
            if self.name == "torch_compile":
                run_block, extra["compile_s"] = self.make(w, self.threads)
            else:
                run_block = self.make(w, self.threads)
            timer = self.timers[w.name] = wl.Timer(run_block)
            return {"block_epochs": timer.epochs, "warmup_epochs": timer.warmup, **extra}
        if op == "block":
            return self.timers[w.name].block()
        raise ValueError(f"unknown request {op!r}")

    def serve(self):
        # the answers get a descriptor of their own; stray prints (of any library) go to stderr
        answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
        for line in sys.stdin:
            request = json.loads(line)
            if request["op"] == "quit":
                break
            try:
                answer = {"ok": self.handle(request)}
            except Exception as e:
                answer = {"error": f"{type(e).__name__}: {e}".strip()[:2000]}
            answers.write(json.dumps(answer, default=str) + "\n")
            answers.flush()


def serve(name):
    assert not any(v in os.environ for v in PINNED), "the OpenBLAS pins must be removed"
    answers = sys.stdout
    try:
        server = Server(name)
    except Exception as e:  # an uninstalled framework: said once, and the others go on
        answers.write(json.dumps({"unavailable": f"{type(e).__name__}: {e}"}) + "\n")
        answers.flush()
        return
    answers.write(json.dumps({"ready": name}) + "\n")
    answers.flush()
    server.serve()


class WorkerFailed(Exception):
    pass


class Worker:
    """The orchestrator's end of a worker process."""

    def __init__(self, name, tmp):
        self.name, self.failed, self.unavailable = name, None, None
        env = dict(os.environ)
        if name == "torch_compile":  # a cold compile each run: the cache starts empty
            env["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(tmp, "inductor-cache")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "run.py"), "--serve", name],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     text=True, encoding="utf-8")

    def start(self):
        try:
            hello = self._read(WORKER_TIMEOUT)
        except WorkerFailed as e:
            self.failed = str(e)
            return
        if "unavailable" in hello:
            self.unavailable = hello["unavailable"]
            self.close()

    @property
    def alive(self):
        return not (self.failed or self.unavailable)

    def _read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            raise WorkerFailed(f"no answer within {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise WorkerFailed(f"the worker exited (status {self.proc.returncode})")
        return json.loads(line)

    def call(self, timeout=WORKER_TIMEOUT, **request):
        """The worker's answer, or an exception: WorkerFailed (the worker is gone) or
        RuntimeError (the request failed; the worker goes on)."""
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self._read(timeout)
        except (WorkerFailed, OSError) as e:
            self.failed = str(e)
            raise WorkerFailed(self.failed) from None
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["ok"]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def wait_for_quiet(limit=120, share=0.1, window=2.0):
    """Wait (up to ``limit`` s) until other processes use less than ``share`` of the CPU over
    ``window`` seconds; returns the last share seen."""
    from workloads import cpu_sample, others_share

    deadline = time.perf_counter() + limit
    warned = False
    while True:
        before = cpu_sample(children=True)
        time.sleep(window)
        seen = others_share(before, cpu_sample(children=True))
        if seen < share or time.perf_counter() > deadline:
            if seen >= share:
                say(f"warning: other processes still use {seen:.0%} of the CPU; measuring "
                    "anyway (the numbers will be slower and noisier)")
            return seen
        if not warned:
            say(f"other processes use {seen:.0%} of the CPU: waiting up to {limit} s for a "
                "quiet machine…")
            warned = True


def measure_frameworks(tmp):
    """Every workload in every framework, the frameworks timed in turns: block r of each
    framework before block r + 1 of any (in a rotating order), so that a slow spell of the
    machine falls on all of them alike. Returns {framework: record}."""
    import workloads as wl

    workers = [Worker(name, tmp) for name in WORKERS]  # they import their frameworks at once
    for worker in workers:
        worker.start()
    records = {w.name: {"worker": w.name, "results": {}, "errors": {}} for w in workers}
    try:
        for worker in workers:
            if worker.alive:
                records[worker.name].update(worker.call(op="info"))
        backproplab = workers[0]
        if backproplab.alive:
            wait_for_quiet()
            say("matmul throughput (500×500 float64)…")
            records["backproplab"]["matmul"] = backproplab.call(op="matmul")
        for w in wl.WORKLOADS:
            records_w = {}
            quiet = wait_for_quiet()
            say(f"{w.name} ({w.label}):")
            for worker in workers:
                if not worker.alive or (w.stack > 1 and worker.name != "backproplab"):
                    continue  # W5, a stack of networks, is backproplab's alone
                try:
                    setup = worker.call(op="setup", workload=w.name)
                    records_w[worker.name] = (setup, [])
                    if "compile_s" in setup:
                        say(f"  {worker.name}: compiled in {setup['compile_s']:.1f} s")
                except (RuntimeError, WorkerFailed) as e:
                    records[worker.name]["errors"][w.name] = str(e)
                    say(f"  {worker.name}: failed: {str(e).splitlines()[0][:200]}")
            names = list(records_w)
            for r in range(wl.REPEATS):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    worker = workers[WORKERS.index(name)]
                    if w.name in records[name]["errors"] or not worker.alive:
                        continue
                    try:
                        records_w[name][1].append(worker.call(op="block", workload=w.name))
                    except (RuntimeError, WorkerFailed) as e:
                        records[name]["errors"][w.name] = str(e)
            for name, (setup, blocks) in records_w.items():
                if w.name in records[name]["errors"] or len(blocks) < wl.REPEATS:
                    continue
                result = wl.summarise(blocks, setup["block_epochs"], setup["warmup_epochs"])
                result["compile_s"] = setup.get("compile_s")
                result["others_cpu_share_before"] = quiet
                if w.stack > 1:
                    result["per_network_s"] = result["median_s"] / w.stack
                records[name]["results"][w.name] = result
                say(f"  {name}: {wl.fmt_seconds(result['median_s'])} per epoch")
        if backproplab.alive:
            records["backproplab"]["profile_w2"] = backproplab.call(op="profile")["text"]
    finally:
        for worker in workers:
            worker.close()
    for worker in workers:
        if worker.unavailable:
            records[worker.name]["unavailable"] = worker.unavailable
        if worker.failed:
            records[worker.name]["failed"] = worker.failed
    return records


# -- the command line's costs -------------------------------------------------------------------


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


# -- the tables ---------------------------------------------------------------------------------


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


def seconds_of(records, worker_name, w):
    result = records[worker_name].get("results", {}).get(w)
    return None if result is None else result["median_s"]


def evaluate(records, memory, startup, report, digits=None):
    """The targets, each {target, value, goal, measured (as printed), pass}: pass is None
    when it could not be measured."""
    import workloads as wl

    def ratio(a, b):
        return None if a is None or b is None else a / b

    rows = []
    for w in ("W1", "W2", "W3", "W4", "W6"):
        bpl = seconds_of(records, "backproplab", w)
        eager = ratio(seconds_of(records, "torch_eager", w), bpl)
        if w in ("W3", "W6"):
            rows.append((f"{w}: at least as fast as PyTorch eager", eager, 1.0, "×"))
            continue
        rows.append((f"{w}: ≥ 5× faster than PyTorch eager", eager,
                     TARGETS["faster_than_eager"], "×"))
        rows.append((f"{w}: faster than torch.compile",
                     ratio(seconds_of(records, "torch_compile", w), bpl), 1.0, "×>"))
    stack = records["backproplab"].get("results", {}).get("W5", {}).get("per_network_s")
    rows.append(("W5: per network-epoch ≥ 15× cheaper than W2 alone",
                 ratio(seconds_of(records, "backproplab", "W2"), stack),
                 TARGETS["stack_vs_single"], "×"))
    rows.append(("W5: per network-epoch ≥ 100× cheaper than PyTorch eager W2",
                 ratio(seconds_of(records, "torch_eager", "W2"), stack),
                 TARGETS["stack_vs_eager"], "×"))
    out = []
    for name, value, goal, unit in rows:
        ok = None if value is None else (value > goal if unit == "×>" else value >= goal)
        out.append({"target": name, "value": value, "goal": goal,
                    "measured": "—" if value is None else f"{wl.sig3(value)}×", "pass": ok})
    ok = memory["exit_status"] == 0
    out.append({"target": "backproplab train on W3 (200 epochs): peak memory < 300 MB",
                "value": memory["peak_mb"], "goal": TARGETS["memory_mb"],
                "measured": f"{memory['peak_mb']:.0f} MB" if ok else
                f"exit {memory['exit_status']}",
                "pass": ok and memory["peak_mb"] < TARGETS["memory_mb"]})
    out.append({"target": "backproplab --help: start-up < 0.5 s", "value": startup["median_s"],
                "goal": TARGETS["startup_s"], "measured": wl.fmt_seconds(startup["median_s"]),
                "pass": startup["median_s"] < TARGETS["startup_s"]})
    ok = report["exit_status"] == 0
    said = f" (it says {report['reported_s']:.1f} s)" if report["reported_s"] else ""
    out.append({"target": "backproplab report: ≤ 60 s", "value": report["wall_s"],
                "goal": TARGETS["report_s"],
                "measured": f"{report['wall_s']:.1f} s{said}" if ok else
                f"exit {report['exit_status']}",
                "pass": ok and report["wall_s"] <= TARGETS["report_s"]})
    if digits is not None:
        runs = [r for r in digits["runs"]["cnn"] if r["exit_status"] == 0]
        worst = min(runs, key=lambda r: r["test_accuracy"]) if runs else None
        out.append({"target": digits["target"],
                    "value": None if worst is None else worst["test_accuracy"],
                    "goal": digits["goal"],
                    "measured": "failed" if worst is None else
                    f"{100 * worst['test_accuracy']:.1f}% in {worst['train_s']:.1f} s",
                    "pass": digits["pass"]})
    return out


def markdown_table(head, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(head)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(head, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, rule, *body])


def tables(records, targets, floors, info):
    import frameworks as fw
    import workloads as wl

    def cell(worker_name, w):
        rec = records[worker_name]
        if "unavailable" in rec:
            return "not installed"
        if rec.get("failed"):
            return "failed"
        if w in rec.get("errors", {}):
            return "failed"
        s = seconds_of(records, worker_name, w)
        return wl.fmt_seconds(s)

    head = ["", "workload", "backproplab", "PyTorch eager", "torch.compile", "compile time",
            "scikit-learn¹", "× vs eager", "× vs compile", "floor²", "backproplab ÷ floor"]
    rows = []
    for w in wl.WORKLOADS:
        bpl_result = records["backproplab"].get("results", {}).get(w.name)
        if w.stack > 1:
            per_net = bpl_result["per_network_s"] if bpl_result else None
            rows.append([w.name, f"{w.label} (per network-epoch)", wl.fmt_seconds(per_net),
                         "—", "—", "—", "—", "—", "—", wl.fmt_seconds(floors[w.name]),
                         "—" if per_net is None else f"{wl.sig3(per_net / floors[w.name])}×"])
            continue
        bpl = None if bpl_result is None else bpl_result["median_s"]
        eager = seconds_of(records, "torch_eager", w.name)
        compiled = seconds_of(records, "torch_compile", w.name)
        compile_result = records["torch_compile"].get("results", {}).get(w.name)
        rows.append([
            w.name, w.label, cell("backproplab", w.name), cell("torch_eager", w.name),
            cell("torch_compile", w.name),
            f"{compile_result['compile_s']:.1f} s" if compile_result else "—",
            cell("sklearn", w.name),
            f"{wl.sig3(eager / bpl)}×" if bpl and eager else "—",
            f"{wl.sig3(compiled / bpl)}×" if bpl and compiled else "—",
            wl.fmt_seconds(floors[w.name]),
            f"{wl.sig3(bpl / floors[w.name])}×" if bpl else "—",
        ])
    lines = ["Time per epoch (full batch: forward + backward + update; W6: one pass of "
             "mini-batches), median of 5 blocks", "", markdown_table(head, rows), ""]
    lines.append(markdown_table(
        ["target", "measured", "result"],
        [[t["target"], t["measured"],
          "n/a" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")] for t in targets]))
    lines += ["", "× vs eager / compile: how many times faster backproplab is. "
              "Times are per epoch of one network, in float64.",
              f"¹ {fw.SKLEARN_NOTE}.",
              "² Matmul FLOPs per epoch (2·n·in·out per product; forward, dW, and dx except in "
              "the first layer; elementwise work ignored) ÷ the measured matmul rate, "
              f"{info['matmul']}.",
              f"torch.compile: {fw.TORCH_COMPILE_HOW}; compile time = the first epoch's wall "
              "time, with an empty inductor cache (W1's includes torch.compile's one-time "
              "start-up).",
              f"W6 in PyTorch: {fw.TORCH_BATCHES}; in scikit-learn: one partial_fit "
              "(batch_size=256, shuffled) per epoch.",
              "W5: 256 networks of W2's shape in one MLP(seed=list(range(256))), trained by "
              "backproplab.training.train; its time per epoch ÷ 256."]
    for name, rec in records.items():  # what could not be measured, and why
        if "unavailable" in rec:
            lines.append(f"{name}: not measured ({rec['unavailable']})")
        if rec.get("failed"):
            lines.append(f"{name}: the worker failed ({rec['failed']})")
        for w, message in rec.get("errors", {}).items():
            lines.append(f"{name} failed on {w}: {message.splitlines()[0][:300]}")
    lines.append("")
    lines += [f"{k}: {v}" for k, v in info["environment"].items()]
    return "\n".join(lines)


def describe_environment(records, removed, started):
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


def disturbance(records):
    """How much other processes used the CPU during the kept timed blocks, and how many
    blocks were timed again because of them."""
    import workloads as wl

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


def _write_json(path, data):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, default=str)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="NAME", help=argparse.SUPPRESS)  # a worker
    args = parser.parse_args(argv)
    removed = without_pinned_kernel()
    sys.path.insert(0, str(HERE))
    if args.serve:
        serve(args.serve)
        return 0
    import workloads as wl

    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load_start = os.getloadavg()
    if load_start[0] > 1.0:
        say(f"warning: load average {load_start[0]:.2f}: other work on this machine will slow "
            "the measurements")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backproplab-bench-") as tmp:
        records = measure_frameworks(tmp)
        say("backproplab train on W3 (peak memory)…")
        memory = peak_memory(tmp)
        say("backproplab --help (start-up)…")
        startup = startup_time()
        say("backproplab report…")
        report = report_time(tmp)
    say("the digits target…")
    import digits as digits_target

    wait_for_quiet()  # the CNN's small BLAS calls slow down several-fold on a busy machine
    digits = digits_target.measure()
    if records["backproplab"].get("failed") or "matmul" not in records["backproplab"]:
        say(f"the backproplab worker failed: {records['backproplab'].get('failed')}")
        return 1
    matmul = records["backproplab"]["matmul"]
    floors = {w.name: w.flops_per_epoch() / matmul["flops_per_s"] for w in wl.WORKLOADS}
    targets = evaluate(records, memory, startup, report, digits)
    env = describe_environment(records, removed, started)
    env["load average at start (1 min)"] = f"{load_start[0]:.2f}"
    info = {"matmul": f"{matmul['flops_per_s'] / 1e9:.1f} GFLOP/s (NumPy, {matmul['size']}×"
                      f"{matmul['size']} @ {matmul['size']}×{matmul['size']} float64)",
            "environment": env}
    text = tables(records, targets, floors, info) + "\n\n" + digits_target.summary(digits)
    print(text)
    if any(t["pass"] is False for t in targets) and records["backproplab"].get("profile_w2"):
        print("\nA target failed; where W2's time goes in backproplab:\n")
        print(records["backproplab"]["profile_w2"])
    results = {
        "date": started, "machine": machine_info(), "environment": env,
        "openblas_variables_removed": removed, "total_seconds": time.perf_counter() - t0,
        "workloads": {w.name: {"label": w.label, "n": w.n, "hidden": list(w.hidden),
                               "activation": w.activation, "optimizer": w.optimizer,
                               "lr": w.lr, "batch_size": w.batch_size, "stack": w.stack,
                               "flops_per_epoch": w.flops_per_epoch(),
                               "floor_s": floors[w.name]} for w in wl.WORKLOADS},
        "frameworks": records, "targets": targets, "peak_memory": memory,
        "startup": startup, "report": report, "digits": digits, "table": text,
    }
    _write_json(RESULTS, results)
    say(f"results written to {RESULTS} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
