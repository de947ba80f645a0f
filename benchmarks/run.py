"""backproplab's benchmark: training speed against PyTorch and scikit-learn, and the CLI's costs.

    make bench                     # installs .[bench] into .venv, then runs this
    make bench-record              # the same, kept as the record of this CPU model: results.json
    .venv/bin/python benchmarks/run.py [--record]

Measures, on this machine, in one run: the steady-state time per epoch of six workloads in
backproplab, PyTorch eager, torch.compile and scikit-learn (and a bare NumPy epoch for W1–W3:
backproplab's own calls, nothing around them), the compute floor of each workload,
the peak memory and start-up time of the ``backproplab`` command and the wall time of
``backproplab report``. Prints the tables and the targets (PASS/FAIL) and writes them as JSON
to ``benchmarks/results/latest.json`` (git-ignored), or with ``--record`` into the committed
``benchmarks/results.json`` as the latest run of this CPU model (each model seen keeps its
latest run), then redraws the README's tables from it (readme.py).

This script is the driver; the parts are, in the order it runs them:

- machine.py: re-executes this script without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (which pin
  an old OpenBLAS kernel; users' machines do not set them), waits for a quiet machine, and
  describes it (CPU, BLAS, threads, versions);
- workers.py: each framework in a worker process of its own (``--serve NAME``), the frameworks
  timed in turns, block by block, so that the machine's slow spells fall on all of them alike;
- workloads.py and frameworks.py: the six workloads, the timing loop, and each framework's
  training loop as its users write it;
- cli_costs.py: the peak memory, start-up time and ``report`` wall time of the command;
- digits.py (which also runs on its own): the default CNN on the handwritten digits reaches at
  least 97% test accuracy in at most 60 s of training;
- stacked_search.py (which also runs on its own): backproplab.sklearn's StackedSearch against
  GridSearchCV on the same grids, the same scores, how much sooner;
- playground.py (which also runs on its own): ``backproplab serve`` streaming frames keeps at
  least 80% of the training speed, at 20 frames a second or more;
- results.py: the targets (PASS/FAIL), the tables, and where the JSON goes;
- readme.py (which also runs on its own): the README's tables, one per CPU model recorded.
"""

import argparse
import datetime
import os
import sys
import tempfile
import time

import cli_costs  # the modules beside this script: sys.path[0] when it is run
import digits as digits_target
import machine
import playground as playground_target
import readme
import results
import stacked_search
import workers
import workloads as wl
from machine import say


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="NAME", help=argparse.SUPPRESS)  # a worker
    parser.add_argument("--record", action="store_true",
                        help="write the committed record, benchmarks/results.json (default: "
                             "benchmarks/results/latest.json, which git ignores)")
    args = parser.parse_args(argv)
    removed = machine.without_pinned_kernel()
    if args.serve:
        workers.serve(args.serve)
        return 0

    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load_start = os.getloadavg()
    if load_start[0] > 1.0:
        say(f"warning: load average {load_start[0]:.2f}: other work on this machine will slow "
            "the measurements")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backproplab-bench-") as tmp:
        records = workers.measure_frameworks(tmp)
        say("backproplab train on W3 (peak memory)…")
        memory = cli_costs.peak_memory(tmp)
        say("backproplab --help (start-up)…")
        startup = cli_costs.startup_time()
        say("backproplab report…")
        report = cli_costs.report_time(tmp)
    say("the digits target…")
    machine.wait_for_quiet()  # the CNN's small BLAS calls slow down several-fold on a busy machine
    digits = digits_target.measure()
    say("StackedSearch against GridSearchCV…")
    machine.wait_for_quiet()
    stacked = stacked_search.measure()
    say("the playground (backproplab serve)…")
    playground = playground_target.measure()
    if records["backproplab"].get("failed") or "matmul" not in records["backproplab"]:
        say(f"the backproplab worker failed: {records['backproplab'].get('failed')}")
        return 1
    matmul = records["backproplab"]["matmul"]
    floors = {w.name: w.flops_per_epoch() / matmul["flops_per_s"] for w in wl.WORKLOADS}
    targets = results.evaluate(records, memory, startup, report, digits, stacked)
    env = machine.describe_environment(records, removed, started)
    env["load average at start (1 min)"] = f"{load_start[0]:.2f}"
    info = {"matmul": f"{matmul['flops_per_s'] / 1e9:.1f} GFLOP/s (NumPy, {matmul['size']}×"
                      f"{matmul['size']} @ {matmul['size']}×{matmul['size']} float64)",
            "environment": env}
    text = (results.tables(records, targets, floors, info) + "\n\n"
            + digits_target.summary(digits) + "\n\n" + stacked_search.summary(stacked) + "\n\n"
            + playground_target.summary(playground))
    print(text)
    if any(t["pass"] is False for t in targets) and records["backproplab"].get("profile_w2"):
        print("\nA target failed; where W2's time goes in backproplab:\n")
        print(records["backproplab"]["profile_w2"])
    record = {
        "date": started, "machine": machine.machine_info(), "blas": machine.numpy_blas(records),
        "environment": env,
        "openblas_variables_removed": removed, "total_seconds": time.perf_counter() - t0,
        "workloads": results.describe_workloads(floors),
        "frameworks": records, "targets": targets, "peak_memory": memory,
        "startup": startup, "report": report, "digits": digits, "stacked_search": stacked,
        "playground": playground,
        "table": text,
    }
    if args.record:  # the latest run of this CPU model, and the README's tables redrawn
        results.keep(record)
        readme.update()
        say(f"recorded in {results.RECORD} as the latest run on {record['machine']['cpu']}, "
            f"and the README's tables redrawn, in {time.perf_counter() - t0:.0f} s")
        return 0
    results.write_json(results.LATEST, record)
    say(f"results written to {results.LATEST} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
