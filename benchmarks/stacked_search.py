"""StackedSearch against GridSearchCV: the same search, the same numbers, how much sooner.

    .venv/bin/python benchmarks/stacked_search.py     # on its own: prints, updates results.json
                                                      # and the README's table
    make bench                                        # benchmarks/run.py calls it too

Each workload is a 5-fold search over learning rates and seeds, run by scikit-learn's
GridSearchCV (n_jobs=1, one fit after another) and by backproplab's StackedSearch (each
fold's candidates as one stack of networks), in turns, ``REPEATS`` times; the median wall time
of each is reported, and every split's test score is checked to be the same bit for bit.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPEATS = 3
LEARNING_RATES = [0.001, 0.003, 0.01, 0.03]
SEEDS = [0, 1, 2, 3, 4]


def workloads():
    """(name, estimator, x, y): the lab's network on the lab's linear data, and
    MLPClassifier's defaults on moons."""
    from sklearn.datasets import make_moons

    from backproplab.data import datasets
    from backproplab.sklearn import BackpropClassifier

    x, y = datasets.linear(100, seed=0)
    xm, ym = make_moons(500, noise=0.25, random_state=0)
    return [
        ("the lab's linear data (100 points), 10-10 sigmoid, mse, gd, full batch, 1000 epochs",
         BackpropClassifier((10, 10), "sigmoid", solver="gd", loss="mse", batch_size=None,
                            max_iter=1000, tol=0.0), x, y.ravel(),
         {"learning_rate_init": [0.1, 0.3, 1.0, 3.0], "random_state": SEEDS}),
        ("moons (500 points), the defaults: 100 relu, adam, batch 200, 200 epochs",
         BackpropClassifier(), xm, ym,
         {"learning_rate_init": LEARNING_RATES, "random_state": SEEDS}),
    ]


def _time(search, x, y):
    start = time.perf_counter()
    search.fit(x, y)
    return time.perf_counter() - start


def measure(repeats=REPEATS):
    """Both searches on every workload, in turns; the median seconds and whether every
    split's test score agreed."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV

    from backproplab.sklearn import StackedSearch

    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    load = os.getloadavg()[0]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, est, x, y, grid in workloads():
            times = {"GridSearchCV": [], "StackedSearch": []}
            for _ in range(repeats):
                grid_search = GridSearchCV(est, grid, cv=5)
                stacked = StackedSearch(est, grid, cv=5)
                times["GridSearchCV"].append(_time(grid_search, x, y))
                times["StackedSearch"].append(_time(stacked, x, y))
            same = all((grid_search.cv_results_[k] == stacked.cv_results_[k]).all()
                       for k in grid_search.cv_results_ if k.startswith("split"))
            median = {k: statistics.median(v) for k, v in times.items()}
            rows.append({"workload": name, "candidates": len(stacked.cv_results_["params"]),
                         "folds": 5, "seconds": times, "median_s": median, "same_scores": same,
                         "speedup": median["GridSearchCV"] / median["StackedSearch"]})
    passed = all(r["same_scores"] and r["speedup"] > 1.0 for r in rows)
    return {"target": "StackedSearch: the same scores as GridSearchCV, sooner", "rows": rows,
            "pass": passed, "date": started, "load_average_at_start": load,
            "cores": os.cpu_count(), "repeats": repeats}


def summary(result):
    """The result as a Markdown table and the target's line."""
    lines = ["| search (5 folds, learning rates × seeds) | candidates | GridSearchCV | "
             "StackedSearch | × faster | same scores |", "|---|---:|---:|---:|---:|---|"]
    for r in result["rows"]:
        m = r["median_s"]
        lines.append(f"| {r['workload']} | {r['candidates']} | {m['GridSearchCV']:.2f} s | "
                     f"{m['StackedSearch']:.2f} s | {r['speedup']:.2f}× | "
                     f"{'yes' if r['same_scores'] else 'NO'} |")
    lines += ["", f"{result['target']}: {'PASS' if result['pass'] else 'FAIL'}",
              f"(median of {result['repeats']}; {result['date']}, {result['cores']} cores, load "
              f"average at start {result['load_average_at_start']:.2f})"]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--no-save", action="store_true",
                        help="print only; leave benchmarks/results.json as it is")
    args = parser.parse_args(argv)
    result = measure(args.repeats)
    print(summary(result))
    if not args.no_save:
        import readme

        readme.keep_part("stacked_search", result)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
