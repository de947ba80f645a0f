"""What a run found: the targets judged PASS or FAIL, the tables printed, the JSON written.

Everything here reads the records the other modules made (workers.measure_frameworks,
cli_costs, digits.measure) and measures nothing itself.

Where the JSON goes: an ordinary run (``make bench``) writes ``results/latest.json``, which git
ignores, so measuring never changes the repository; ``--record`` (``make bench-record``) keeps
the run in ``results.json``, the committed record, as the latest run of its CPU model beside
the other models' (:func:`keep`), and readme.py then redraws the README's tables from it.
"""

import json
import os
from pathlib import Path

import workloads as wl

HERE = Path(__file__).resolve().parent
RECORD = HERE / "results.json"  # tracked: rewritten only when a run is meant to be the record
LATEST = HERE / "results" / "latest.json"  # git-ignored: every other run's results

# issue 16's targets, which must hold on every kind of machine the lab runs on
TARGETS = {"faster_than_eager": 6.0, "W3_vs_eager": 1.1, "W6_vs_eager": 1.5,
           "stack_vs_single": 20.0, "stack_vs_eager": 150.0, "memory_mb": 300.0,
           "startup_s": 0.5, "report_s": 30.0,
           "over_bare": 1.3}  # the aim: the engine and bookkeeping ≤ 30% over a bare epoch


# -- the targets and the tables -----------------------------------------------------------------


def seconds_of(records, worker_name, w):
    result = records[worker_name].get("results", {}).get(w)
    return None if result is None else result["median_s"]


def evaluate(records, memory, startup, report, digits=None, stacked=None):
    """The targets, each {target, value, goal, measured (as printed), pass}: pass is None
    when it could not be measured."""
    def ratio(a, b):
        return None if a is None or b is None else a / b

    rows = []
    for w in ("W1", "W2", "W3", "W4", "W6"):
        bpl = seconds_of(records, "backproplab", w)
        eager = ratio(seconds_of(records, "torch_eager", w), bpl)
        if w in ("W3", "W6"):
            goal = TARGETS[f"{w}_vs_eager"]
            rows.append((f"{w}: ≥ {goal:g}× as fast as PyTorch eager", eager, goal, "×"))
            continue
        rows.append((f"{w}: ≥ {TARGETS['faster_than_eager']:g}× faster than PyTorch eager",
                     eager, TARGETS["faster_than_eager"], "×"))
        rows.append((f"{w}: faster than torch.compile",
                     ratio(seconds_of(records, "torch_compile", w), bpl), 1.0, "×>"))
    for w in ("W1", "W2"):  # issue 16's aim, which W1's and W2's 6× rest on
        bare = seconds_of(records, "numpy_bare", w)
        rows.append((f"{w} (aim): backproplab's epoch ≤ {TARGETS['over_bare']:g}× a bare NumPy "
                     "epoch", ratio(seconds_of(records, "backproplab", w), bare),
                     TARGETS["over_bare"], "×≤"))
    stack = records["backproplab"].get("results", {}).get("W5", {}).get("per_network_s")
    rows.append((f"W5: per network-epoch ≥ {TARGETS['stack_vs_single']:g}× cheaper than W2 "
                 "alone", ratio(seconds_of(records, "backproplab", "W2"), stack),
                 TARGETS["stack_vs_single"], "×"))
    rows.append((f"W5: per network-epoch ≥ {TARGETS['stack_vs_eager']:g}× cheaper than "
                 "PyTorch eager W2", ratio(seconds_of(records, "torch_eager", "W2"), stack),
                 TARGETS["stack_vs_eager"], "×"))
    out = []
    for name, value, goal, unit in rows:
        ok = None if value is None else {"×>": value > goal, "×≤": value <= goal}.get(
            unit, value >= goal)
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
    out.append({"target": f"backproplab report: ≤ {TARGETS['report_s']:g} s",
                "value": report["wall_s"],
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
    if stacked is not None:
        slowest = min(stacked["rows"], key=lambda r: r["speedup"])
        out.append({"target": f"{stacked['target']} (every workload)",
                    "value": slowest["speedup"], "goal": 1.0,
                    "measured": f"{wl.sig3(slowest['speedup'])}× at least"
                    + ("" if all(r["same_scores"] for r in stacked["rows"])
                       else ", scores differ"),
                    "pass": stacked["pass"]})
    return out


def markdown_table(head, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(head)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(head, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, rule, *body])


def tables(records, targets, floors, info):
    """The speed table, the targets' table, their notes and the environment, as Markdown."""
    import frameworks as fw  # not at the top: it loads OpenBLAS (see machine.py)

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

    head = ["", "workload", "backproplab", "bare NumPy³", "PyTorch eager", "torch.compile",
            "compile time", "scikit-learn¹", "× vs eager", "× vs compile", "floor²",
            "backproplab ÷ floor"]
    rows = []
    for w in wl.WORKLOADS:
        bpl_result = records["backproplab"].get("results", {}).get(w.name)
        if w.stack > 1:
            per_net = bpl_result["per_network_s"] if bpl_result else None
            rows.append([w.name, f"{w.label} (per network-epoch)", wl.fmt_seconds(per_net),
                         "—", "—", "—", "—", "—", "—", "—", wl.fmt_seconds(floors[w.name]),
                         "—" if per_net is None else f"{wl.sig3(per_net / floors[w.name])}×"])
            continue
        bpl = None if bpl_result is None else bpl_result["median_s"]
        eager = seconds_of(records, "torch_eager", w.name)
        compiled = seconds_of(records, "torch_compile", w.name)
        compile_result = records["torch_compile"].get("results", {}).get(w.name)
        rows.append([
            w.name, w.label, cell("backproplab", w.name),
            cell("numpy_bare", w.name) if w.has_bare_epoch else "—", cell("torch_eager", w.name),
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
              "³ backproplab's own NumPy calls for an epoch (forward, backward, gd update, into "
              "the same kept arrays, the same numbers) with nothing around them: no engine, no "
              "loss value, accuracy or divergence check; for the sigmoid-gd workloads.",
              "² Matmul FLOPs per epoch (2·n·in·out per product; forward, dW, and dx except in "
              "the first layer; elementwise work ignored) ÷ the measured matmul rate, "
              f"{info['matmul']}.",
              f"torch.compile: {fw.TORCH_COMPILE_HOW}; compile time = the first epoch's wall "
              "time, with an empty inductor cache (W1's includes torch.compile's one-time "
              "start-up).",
              f"W6 in PyTorch: {fw.TORCH_BATCHES}; in scikit-learn: one partial_fit "
              "(batch_size=256, shuffled) per epoch.",
              "W5: 256 networks of W2's shape in one MLP(seed=list(range(256))), trained by "
              "backproplab.train; its time per epoch ÷ 256."]
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



# -- results.json -------------------------------------------------------------------------------


def describe_workloads(floors):
    """{name: settings, FLOPs and floor} of every workload, as results.json keeps them."""
    return {w.name: {"label": w.label, "n": w.n, "hidden": list(w.hidden),
                     "activation": w.activation, "optimizer": w.optimizer,
                     "lr": w.lr, "batch_size": w.batch_size, "stack": w.stack,
                     "flops_per_epoch": w.flops_per_epoch(),
                     "floor_s": floors[w.name]} for w in wl.WORKLOADS}


def destination(record=False):
    """Where a run's JSON goes: the tracked record if asked for, else the ignored latest."""
    return RECORD if record else LATEST


def machines(path=RECORD):
    """{CPU model: its latest recorded run} from the record. A record of the first format (one
    run, before runs were kept per CPU model) is that run, under its CPU model."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    if "machines" in data:
        return data["machines"]
    return {data["machine"]["cpu"]: data}


def keep(run, path=RECORD):
    """Record ``run`` as its CPU model's latest, beside the other models' latest runs."""
    runs = machines(path)
    runs[run["machine"]["cpu"]] = run
    write_json(path, {"about": "backproplab's benchmark record: the latest `make bench-record` "
                               "run on each CPU model, by model (see benchmarks/results.py)",
                      "machines": dict(sorted(runs.items()))})


def keep_part(key, value, path=RECORD):
    """Put ``value`` under ``key`` in this CPU model's recorded run (digits.py and
    stacked_search.py run on their own); False, and nothing written, if this model has none."""
    import machine  # (not at the top: machine imports nothing heavy, but run.py imports us)

    runs = machines(path)
    cpu = machine.machine_info()["cpu"]
    if cpu not in runs:
        return False
    runs[cpu][key] = value
    keep(runs[cpu], path)
    return True


def write_json(path, data):
    """Write ``data`` as JSON atomically: a temporary file beside ``path`` (its folder made if
    need be), then os.replace."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, default=str)
        f.write("\n")
    os.replace(tmp, path)
