"""The README's benchmark tables, drawn from the record: one per CPU model recorded, and the
playground's speed while streaming and StackedSearch's table (from each run that measured them).

    .venv/bin/python benchmarks/readme.py           # redraw them from benchmarks/results.json
    .venv/bin/python benchmarks/readme.py --check   # exit 1 if the README's differ

``run.py --record`` (``make bench-record``) calls :func:`update` after keeping its run, so the
README always shows the latest recorded run of each CPU model, with its date, CPU, BLAS and
kernel: numbers copied by no hand. Each part sits between its two marker lines below.
"""

import argparse
import sys
from pathlib import Path

import machine
import results
import workloads as wl

README = results.HERE.parent / "README.md"
START = ("<!-- benchmark tables: drawn by benchmarks/readme.py from benchmarks/results.json; "
         "do not edit by hand -->")
END = "<!-- end of the benchmark tables -->"
PLAY_START = ("<!-- playground speed: drawn by benchmarks/readme.py from benchmarks/results.json; "
              "do not edit by hand -->")
PLAY_END = "<!-- end of the playground speed -->"
STACKED = ("<!-- stacked search table: begin -->", "<!-- stacked search table: end -->")
FRAMEWORKS = [("backproplab", "backproplab"), ("numpy_bare", "bare NumPy"),
              ("torch_eager", "PyTorch eager"), ("torch_compile", "torch.compile"),
              ("sklearn", "scikit-learn")]


def render(runs):
    """The tables of every recorded run ({CPU model: run}, as results.machines gives it)."""
    return "\n\n".join(_machine(cpu, run) for cpu, run in sorted(runs.items()))


def _machine(cpu, run):
    env = run.get("environment", {})
    blas = run.get("blas") or machine.numpy_blas(run["frameworks"]) or {}
    lines = [f"#### {cpu}, {run['machine'].get('cores', '?')} cores — {run['date'][:10]}", "",
             f"NumPy's BLAS: {blas.get('library', '?')} {blas.get('version', '?')} on its "
             f"{blas.get('kernel', '?')} kernel, {blas.get('threads', '?')} threads; "
             f"{env.get('versions', '')}; load average at the start "
             f"{env.get('load average at start (1 min)', '?')}. Time per epoch (W5: per "
             "network-epoch), the median of 5 timed blocks, float64:", ""]
    head = ["", "workload", *(name for _, name in FRAMEWORKS), "× vs eager", "× vs compile"]
    rows = []
    for w in wl.WORKLOADS:
        times = [_seconds(run, key, w) for key, _ in FRAMEWORKS]
        if w.stack > 1:
            times = [times[0]] + [None] * (len(FRAMEWORKS) - 1)
        ours, eager, compiled = times[0], times[2], times[3]
        rows.append([w.name, w.label, *(wl.fmt_seconds(t) for t in times),
                     _ratio(eager, ours), _ratio(compiled, ours)])
    lines += [results.markdown_table(head, rows), ""]
    lines.append(results.markdown_table(
        ["target (as set when this run was made)", "measured", "result"],
        [[t["target"], t["measured"],
          "n/a" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")]
         for t in run["targets"]]))
    return "\n".join(lines)


def render_playground(runs):
    """The playground's speed while streaming, from each recorded run that measured it."""
    parts = []
    for cpu, run in sorted(runs.items()):
        play = run.get("playground")
        if not play:
            continue
        rows = [[r["network"], f"{r['alone']['epochs_per_s']:,.0f}",
                 f"{r['streaming']['epochs_per_s']:,.0f}", f"{r['speed_share']:.0%}",
                 f"{r['streaming']['frames_per_s']:.1f}",
                 f"{r['streaming']['frame_bytes'] / 1024:.0f} KiB",
                 f"{r['alone']['frame_ms']:.2f} ms"] for r in play["rows"]]
        parts.append(
            f"Recorded on {play['date'][:10]} on an {cpu}, {play['cores']} cores, load average "
            f"{play['load_average_at_start']:.1f} at the start:\n\n" + results.markdown_table(
                ["network", "epochs/s alone", "epochs/s streaming", "kept", "frames/s", "frame",
                 "frame built in"], rows))
    return "\n\n".join(parts) or "(no recorded run has measured the playground yet)"


def _seconds(run, worker, w):
    result = run["frameworks"].get(worker, {}).get("results", {}).get(w.name)
    if result is None:
        return None
    return result.get("per_network_s") if w.stack > 1 else result["median_s"]


def _ratio(theirs, ours):
    return "—" if theirs is None or not ours else f"{wl.sig3(theirs / ours)}×"


def replaced(text, tables, start=START, end=END):
    """``text`` (the README) with the part between the markers made ``tables``."""
    if start not in text or end not in text:
        raise SystemExit(f"{README}: the markers are missing ({start!r} … {end!r})")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n\n{tables}\n\n{end}{tail}"


def render_stacked(runs):
    """StackedSearch against GridSearchCV, from each recorded run that measured it."""
    import stacked_search  # (beside this script; it imports scikit-learn only to measure)

    return "\n\n".join(stacked_search.summary(run["stacked_search"])
                        for _, run in sorted(runs.items()) if run.get("stacked_search"))


def redrawn(text, runs):
    """The README ``text`` with its benchmark tables, the playground's speed and StackedSearch's
    table drawn from the record."""
    text = replaced(text, render(runs))
    text = replaced(text, render_playground(runs), PLAY_START, PLAY_END)
    return replaced(text, render_stacked(runs), *STACKED)


def update(readme=README, record=results.RECORD):
    """Redraw the README's tables from the record; True if they changed."""
    text = Path(readme).read_text(encoding="utf-8")
    new = redrawn(text, results.machines(record))
    if new != text:
        Path(readme).write_text(new, encoding="utf-8")
    return new != text


def keep_part(key, value, readme=README, record=results.RECORD):
    """Put ``value`` under ``key`` in this CPU model's recorded run (digits.py,
    stacked_search.py and playground.py run on their own too) and redraw the README from the
    record, so the two never part; a SystemExit if this model has no recorded run yet."""
    if not results.keep_part(key, value, record):
        raise SystemExit(f"not written: {record} has no run of this CPU model to add {key!r} "
                         "to (make bench-record first)")
    update(readme, record)
    print(f"written to {record} (key {key!r} of this CPU model's run), README redrawn",
          file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only check that the README's tables are the record's")
    args = parser.parse_args(argv)
    if args.check:
        text = README.read_text(encoding="utf-8")
        same = redrawn(text, results.machines()) == text
        print("the README's tables are the record's" if same else
              "the README's tables differ from benchmarks/results.json: run benchmarks/readme.py")
        return 0 if same else 1
    print("README tables redrawn" if update() else "README tables already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
