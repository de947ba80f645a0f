"""The benchmark's record: the latest run of each CPU model, each with its CPU, BLAS and kernel,
and the README's tables drawn from it, not typed."""

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench(request):
    sys.path.insert(0, str(BENCH))  # the benchmark's modules import each other by name
    request.addfinalizer(lambda: sys.path.remove(str(BENCH)))
    import readme
    import results

    return results, readme


def test_the_readme_shows_the_recorded_runs_as_readme_py_draws_them(bench):
    results, readme = bench
    runs = results.machines()
    assert runs, "benchmarks/results.json records no run"
    text = readme.README.read_text(encoding="utf-8")
    assert readme.redrawn(text, runs) == text, \
        "the README's benchmark tables differ from the record: run benchmarks/readme.py"
    for cpu, run in runs.items():
        assert f"#### {cpu}, " in text and run["date"][:10] in text


def test_every_recorded_run_says_its_cpu_blas_and_kernel(bench):
    results, _ = bench
    for cpu, run in results.machines().items():
        assert run["machine"]["cpu"] == cpu
        assert run["blas"]["library"] and run["blas"]["kernel"] and run["blas"]["threads"]
        assert run["date"] and run["targets"]


def test_a_run_is_kept_as_the_latest_of_its_cpu_model_beside_the_others(bench, tmp_path):
    results, readme = bench
    amd = results.machines()["AMD EPYC"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(amd))  # the first format: one run, no models
    assert list(results.machines(path)) == ["AMD EPYC"]
    intel = copy.deepcopy(amd)
    intel["machine"]["cpu"] = "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"
    intel["date"] = "2026-12-01T10:00:00+00:00"
    results.keep(intel, path)
    newer = copy.deepcopy(amd)
    newer["date"] = "2026-12-02T10:00:00+00:00"
    results.keep(newer, path)
    runs = results.machines(path)
    assert sorted(runs) == ["AMD EPYC", intel["machine"]["cpu"]]
    assert runs["AMD EPYC"]["date"].startswith("2026-12-02")  # the latest replaced the first
    readme_path = tmp_path / "README.md"
    readme_path.write_text(f"intro\n{readme.START}\nstale\n{readme.END}\nplay\n"
                           f"{readme.PLAY_START}\nstale\n{readme.PLAY_END}\nsearch\n"
                           f"{readme.STACKED[0]}\nstale\n{readme.STACKED[1]}\nrest\n")
    assert readme.update(readme_path, path)
    drawn = readme_path.read_text()
    assert drawn.index("#### AMD EPYC, 2 cores — 2026-12-02") < drawn.index(
        "#### Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, 2 cores — 2026-12-01")
    assert drawn.startswith("intro\n") and drawn.endswith("rest\n") and "stale" not in drawn
    assert not readme.update(readme_path, path)  # drawn again: nothing changes


def test_a_part_measured_on_its_own_is_kept_and_drawn_or_refused(bench, tmp_path):
    """digits.py, stacked_search.py and playground.py keep their part in this CPU model's run
    and redraw the README with it; with no run of this model recorded, nothing is written."""
    results, readme = bench
    import machine

    run = copy.deepcopy(results.machines()["AMD EPYC"])
    run["machine"]["cpu"] = machine.machine_info()["cpu"]
    record, page = tmp_path / "results.json", tmp_path / "README.md"
    results.keep(run, record)
    page.write_text(readme.README.read_text(encoding="utf-8"), encoding="utf-8")
    faster = copy.deepcopy(run["stacked_search"])
    faster["rows"][0]["speedup"] = 99.5
    readme.keep_part("stacked_search", faster, page, record)
    assert results.machines(record)[run["machine"]["cpu"]]["stacked_search"] == faster
    assert "| 99.50× |" in page.read_text(encoding="utf-8")
    record.write_text(json.dumps({"machines": {}}))
    with pytest.raises(SystemExit, match="no run of this CPU model to add 'digits'"):
        readme.keep_part("digits", {}, page, record)
    assert json.loads(record.read_text()) == {"machines": {}}


@pytest.mark.parametrize("name", ["W1", "W2", "W3"])
def test_the_bare_numpy_epoch_is_backproplabs_arithmetic(bench, name):
    """The benchmark's bare NumPy epoch is a fair floor only if it does backproplab's own
    work: after 30 epochs its weights are backproplab's, bit for bit."""
    import inspect

    import frameworks
    import workloads

    from backproplab import MLP, train

    w = workloads.BY_NAME[name]
    run_block = frameworks.numpy_bare_block(w)
    run_block(30)
    bare = inspect.getclosurevars(run_block).nonlocals["Wb"]  # [W; b] of each layer
    x, y = w.dataset()
    model = MLP(2, hidden=w.hidden, activation=w.activation, seed=0)
    train(model, x, y, loss="mse", optimizer="gd", lr=w.lr, epochs=30)
    arrays = [a[0] for _, a in model.param_arrays()]
    for i, Wb in enumerate(bare):
        assert np.array_equal(Wb[:-1], arrays[2 * i]) and np.array_equal(Wb[-1], arrays[2 * i + 1])


def test_the_bare_numpy_epoch_refuses_what_it_is_not_written_for(bench):
    import frameworks
    import workloads

    with pytest.raises(ValueError, match="sigmoid, gd, full batch, one network"):
        frameworks.numpy_bare_block(workloads.BY_NAME["W4"])
