"""The framework workers and the timing in turns.

Each framework runs in a worker process of its own (``run.py --serve NAME``), and the frameworks
are timed in turns, block by block: this machine has slow spells that no process on it accounts
for (a workload's time can double for tens of seconds), and taking turns makes them fall on
every framework alike instead of on whichever happened to run then.

The protocol: the orchestrator's :class:`Worker` writes one JSON request per line to the
worker's stdin ({"op": "info" | "matmul" | "profile" | "setup" | "block" | "quit", ...}); the
worker's :class:`Server` answers each with one JSON line, {"ok": answer} or {"error": text}.
Its first line says {"ready": name}, or {"unavailable": why} for a framework not installed.
"""

import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import workloads as wl
from machine import PINNED, blas_info, blas_threads, say, wait_for_quiet

HERE = Path(__file__).resolve().parent
WORKERS = ("backproplab", "numpy_bare", "torch_eager", "torch_compile", "sklearn")
WORKER_TIMEOUT = 900  # seconds; a worker that takes longer is recorded as failed


# -- the worker's end: one framework, in its own process ----------------------------------------


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
        elif name == "numpy_bare":  # backproplab's NumPy calls with nothing around them
            import numpy as np

            self.info["versions"] = {"numpy": np.__version__}
            self.make = fw.numpy_bare_block
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


# -- the orchestrator's end: the workers, timed in turns ----------------------------------------


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


def measure_frameworks(tmp):
    """Every workload in every framework, the frameworks timed in turns: block r of each
    framework before block r + 1 of any (in a rotating order), so that a slow spell of the
    machine falls on all of them alike. Returns {framework: record}."""
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
                if worker.name == "numpy_bare" and not w.has_bare_epoch:
                    continue  # written for the sigmoid-gd workloads only
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
