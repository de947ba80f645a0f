"""BackpropClassifier beside scikit-learn's MLPClassifier: test accuracy and fit time on the
same data, with the same settings, over 5 seeds — the README's table.

    .venv/bin/python benchmarks/mlpclassifier.py            # prints it and writes it into
                                                            # README.md (between its markers)
    .venv/bin/python benchmarks/mlpclassifier.py --no-readme

Both classifiers get MLPClassifier's defaults (one hidden layer of 100 relu units, Adam at
0.001, alpha 1e-4, batches of min(200, n), tol 1e-4 over 10 epochs) with ``max_iter=MAX_ITER``
and ``random_state`` = the seed; where the features need scaling (digits, breast cancer) both
sit in a Pipeline behind a StandardScaler. Seed s also draws the data (moons, circles, the
lab's linear points and the test points of XOR) and the train/test split; the two fits of a
seed are timed one after the other, so that a slow spell of the machine falls on both.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SEEDS = range(5)
MAX_ITER = 500


def data_sets(seed):
    """{name: (x_train, y_train, x_test, y_test, scaled)} for one seed."""
    from sklearn.datasets import load_breast_cancer, load_digits, make_circles, make_moons
    from sklearn.model_selection import train_test_split

    from backproplab.data import datasets

    def split(x, y):
        return (*train_test_split(x, y, test_size=0.3, random_state=seed, stratify=y),)

    def reorder(parts):  # train_test_split's order is x_train, x_test, y_train, y_test
        return parts[0], parts[2], parts[1], parts[3]

    out = {}
    out["moons (500, noise 0.25)"] = (*reorder(split(*make_moons(500, noise=0.25,
                                                                 random_state=seed))), False)
    out["circles (500, noise 0.1)"] = (*reorder(split(*make_circles(
        500, noise=0.1, factor=0.5, random_state=seed))), False)
    x, y = datasets.linear(100, seed=seed)
    xt, yt = datasets.fresh_sample("linear", 500, seed=seed)
    out["the lab's linear (100)"] = (x, y.ravel(), xt, yt.ravel(), False)
    x, y = datasets.xor_easy()
    xt, yt = datasets.fresh_sample("xor", 500, seed=seed)
    out["the lab's XOR (21)"] = (x, y.ravel(), xt, yt.ravel(), False)
    out["digits (1797, 64 px)"] = (*reorder(split(*load_digits(return_X_y=True))), True)
    out["breast cancer (569, 30)"] = (*reorder(split(*load_breast_cancer(return_X_y=True))),
                                      True)
    return out


def classifiers(seed, scaled):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from backproplab.sklearn import BackpropClassifier

    out = {"MLPClassifier": MLPClassifier(max_iter=MAX_ITER, random_state=seed),
           "BackpropClassifier": BackpropClassifier(max_iter=MAX_ITER, random_state=seed)}
    if scaled:
        out = {name: make_pipeline(StandardScaler(), est) for name, est in out.items()}
    return out


def measure(seeds=SEEDS):
    """{data set: {classifier: {"accuracy": [...], "seconds": [...], "epochs": [...]}}}."""
    from sklearn.exceptions import ConvergenceWarning

    results = {}
    for seed in seeds:
        for name, (x, y, xt, yt, scaled) in data_sets(seed).items():
            row = results.setdefault(name, {"n": (len(x), len(xt)), "features": x.shape[1],
                                            "classes": len(set(y)), "scaled": scaled})
            for label, est in classifiers(seed, scaled).items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    start = time.perf_counter()
                    est.fit(x, y)
                    seconds = time.perf_counter() - start
                final = est[-1] if hasattr(est, "steps") else est
                cell = row.setdefault(label, {"accuracy": [], "seconds": [], "epochs": []})
                cell["accuracy"].append(float(est.score(xt, yt)))
                cell["seconds"].append(seconds)
                cell["epochs"].append(int(final.n_iter_))
    return results


def table(results, seeds=SEEDS):
    def acc(cell):
        a = cell["accuracy"]
        return f"{100 * statistics.mean(a):.1f} ± {100 * statistics.pstdev(a):.1f}%"

    def fit(cell):
        return f"{1000 * statistics.mean(cell['seconds']):.0f} ms"

    lines = ["| data (train / test) | scaling | MLPClassifier test accuracy | BackpropClassifier "
             "test accuracy | MLPClassifier fit | BackpropClassifier fit | epochs (MLP / "
             "Backprop) |", "|---|---|---:|---:|---:|---:|---:|"]
    for name, row in results.items():
        m, b = row["MLPClassifier"], row["BackpropClassifier"]
        lines.append(
            f"| {name.split(' (')[0]} ({row['n'][0]} / {row['n'][1]}) | "
            f"{'StandardScaler' if row['scaled'] else '—'} | {acc(m)} | {acc(b)} | {fit(m)} | "
            f"{fit(b)} | {statistics.mean(m['epochs']):.0f} / "
            f"{statistics.mean(b['epochs']):.0f} |")
    import sklearn

    lines += ["", f"Mean ± standard deviation over seeds {', '.join(map(str, seeds))} (data, "
              f"split and initial weights); fit time is the mean wall time of `fit`; both with "
              f"MLPClassifier's defaults and max_iter={MAX_ITER}; scikit-learn "
              f"{sklearn.__version__}. Written by `benchmarks/mlpclassifier.py`."]
    return "\n".join(lines)


def write_readme(text, name="mlpclassifier table"):
    """Put ``text`` into README.md between its markers ``<!-- NAME: begin -->`` and
    ``<!-- NAME: end -->``, atomically."""
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    readme = README.read_text(encoding="utf-8")
    if begin not in readme or end not in readme:
        raise SystemExit(f"README.md has no {begin} … {end} markers")
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    tmp = README.with_suffix(".md.tmp")
    tmp.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")
    tmp.replace(README)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args(argv)
    text = table(measure())
    print(text)
    if not args.no_readme:
        write_readme(text)
        print(f"written into {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
