"""The report's sentences over every kind of result: each paragraph template rendered over all
solved, none solved, some, one setting, one seed, two seeds, divergence and ties, and checked
against the forms a person would never write."""

import itertools
import re
from types import SimpleNamespace

import numpy as np
import pytest

from backproplab.app.config import TrainConfig
from backproplab.app.report import findings, words
from backproplab.app.report.prose import describe

FORBIDDEN = [
    (r"\bnone solved none\b", "none solved none"),
    (r"\bsolved none\b", "'solved none'"),
    (r"(?<![\d.])0 of\b", "0 of"),
    (r"\d\.5 epochs?\b", "half epochs"),
    (r"\b1 (seeds|epochs|settings)\b", "a plural after 1"),
    (r"\bone (seeds|epochs)\b", "a plural after one"),
    (r"\ball (1|one|0|zero|2|two) ", "all of one, none or two"),
    (r"\b(\w+) \1\b", "a doubled word"),
    (r", ,|,,|, \.|\( |\(\)| \)|\s\.|  ", "an empty list item or stray space"),
    (r"^[^,;]*\w, (and|or) [^,]*$", "', and' after one item"),
    (r"\bby (,|and\b|or\b)", "a list that starts empty"),
    (r"\bnan\b|\bNone\b(?! of)", "a missing number"),
    (r"solved all \d+ seeds?; the fastest", None),  # allowed: listed only to be explicit
]


def _check(text):
    assert text and text.endswith("."), text
    for sentence in re.split(r"(?<=\.) ", text):
        assert not re.match(r"(none|all|both|neither|some|diverged|the|one)\b", sentence), \
            sentence  # a sentence starts with a capital, or with a setting's own name
    for pattern, what in FORBIDDEN:
        if what is not None:
            assert not re.search(pattern, text, re.M), (what, text)


def row(label, solved, n=10, median=None, acc=None, diverged=0, parts=None):
    return {"label": label, "parts": parts, "networks": n, "solved": solved,
            "median_epochs": median if solved else None,
            "accuracy_mean": acc if acc is not None else (1.0 if solved == n else 0.6),
            "diverged": diverged, "diverged_epochs": list(range(5, 5 + diverged))}


def optimizer(name, lr):
    return [("optimizer", name), ("lr", f"lr {lr:g}")]


OUTCOMES = {  # (solved, median) for a setting, per number of seeds
    "all": lambda n: (n, 858), "none": lambda n: (0, None), "some": lambda n: (max(1, n - 1),
                                                                               2000),
    "one": lambda n: (1, 3000), "tie": lambda n: (n, 858),
}


@pytest.mark.parametrize("n", [1, 2, 3, 10, 20])
@pytest.mark.parametrize("grouping", ["plain", "parts"])
def test_every_paragraph_over_every_kind_of_result(n, grouping):
    names = [("gd", 1.0), ("momentum", 0.1), ("nesterov", 0.1), ("adam", 0.01)]
    for size in (1, 2, 4):
        for outcome in itertools.product(OUTCOMES, repeat=size):
            rows = []
            for (name, lr), kind in zip(names, outcome):
                solved, median = OUTCOMES[kind](n)
                if kind == "some" and n == 1:
                    solved, median = 0, None
                parts = optimizer(name, lr) if grouping == "parts" else None
                rows.append(row(f"{name}, lr {lr:g}", solved, n, median, parts=parts,
                                diverged=(n if kind == "none" and name == "gd" else 0)))
            for data in ("linear", "xor", "circle.csv"):
                _check(describe(data, rows))


@pytest.mark.parametrize("bad", [
    "On the XOR data, none solved none.", "lr 1 solved 0 of 10 seeds.",
    "a median of 857.5 epochs.", "it solved 1 seeds.", "sigmoid solved all 1 seeds.",
    "gd and and adam solved it.", "solved by , adam.", "gd, and adam solved it.",
    "gd solved ( all).", "accuracy nan.", "gd solved it. none of the seeds did."])
def test_the_forbidden_forms_are_caught(bad):
    with pytest.raises(AssertionError):
        _check(bad)


def test_grouped_names_read_as_english():
    parts = [optimizer("gd", 1), optimizer("momentum", 0.1), optimizer("nesterov", 0.1),
             optimizer("adam", 0.01), optimizer("adamw", 0.01)]
    assert words.grouped(parts) == (
        "gd at lr 1, momentum and nesterov at lr 0.1, and adam and adamw at lr 0.01")
    assert words.grouped(parts[:2]) == "gd at lr 1 and momentum at lr 0.1"
    assert words.grouped(parts[1:3], "or") == "momentum or nesterov at lr 0.1"
    assert words.grouped([[("hidden", "10×10")]]) == "10×10"
    assert words.listing(["a", "b", "c"]) == "a, b and c"
    assert words.epochs(857.5) == 858 and words.epochs(3510.0) == 3510
    assert [words.some_of(k, 10) for k in (0, 1, 3, 10)] == [
        "none of the ten seeds", "one of the 10 seeds", "3 of the 10 seeds", "all ten seeds"]
    assert words.whole(2) == "both seeds" and words.none_of(2) == "neither seed"
    with pytest.raises(ValueError):
        words.listing([])


def _result(widths, solved_by, stuck_by, epochs=100):
    """A fake sweep over hidden widths, 4 seeds each: loss curves that stay on the plateau for
    the stuck seeds and fall for the others."""
    configs, loss, acc, norms, metrics = [], [], [], [], []
    for w, e in widths:
        for seed in range(4):
            configs.append(TrainConfig(data="xor", hidden=[w, w], epochs=e, seed=seed).check())
            stuck = seed < stuck_by[w]
            curve = np.full(e, 0.25) if stuck else 0.25 * np.exp(-np.arange(e) / 10)
            loss.append(curve)
            a = np.full(e, 0.5)
            if seed < solved_by[w]:
                a[e // 2:] = 1.0
            acc.append(a)
            norms.append(np.full((e // 10, 3), 1e-3 / w))
            metrics.append({"final_accuracy": a[-1], "epoch_100": e // 2 if a[-1] == 1 else None,
                            "diverged": False, "diverged_epoch": None, "test_accuracy": None})
    return SimpleNamespace(configs=configs, loss=loss, accuracy=acc, grad_norms=norms,
                           grad_norm_every=10, metrics=metrics)


@pytest.mark.parametrize("stuck", [0, 2, 4])
def test_findings_sentences(stuck):
    from backproplab.app.report.prose import summarise

    result = _result([(10, 100), (50, 100), (500, 20)], {10: 4, 50: 0, 500: 0},
                     {10: 0, 50: stuck, 500: 4})
    rows = summarise(result, ["hidden", "epochs"])["xor"]
    budget = findings.budgets(result, rows)
    assert len(budget) == 1
    _check(budget[0])
    assert budget[0].startswith("Only 20 epochs for 500×500, against 100 for the others")
    assert "by epoch 20 no other setting had solved a seed either" in budget[0]
    fails = findings.wider_fails(result, "xor", rows, result.grad_norm_every)
    assert len(fails) == 1 and fails[0].startswith("Why 50×50 solved fewer seeds than 10×10")
    _check(fails[0])
    if stuck:
        assert f"in {words.some_of(stuck, 4)} its loss never left the plateau" in fails[0]
    assert "gradient norm was a median of 2e-05 against 0.0001" in fails[0]


def test_the_generalisation_curves_are_the_sweeps_networks_and_read_as_prose():
    from backproplab.app import sweep
    from backproplab.app.factory import load_data, load_test_data, point_model
    from backproplab.app.report import heldout
    from backproplab.engine.trainer import Trainer
    from backproplab.engine.trainingdata import HeldOut

    configs = sweep.parse("g.toml", 'data = "xor"\nhidden = [[4, 4], [8, 8]]\ntest_n = 200\n'
                                    'epochs = 400\nseeds = 2\n')
    watched = heldout.watch(configs, ["hidden"])
    assert watched == {0: 2, 2: 2}  # the first seed of each setting, every 400 // 200 epochs
    result = sweep.run(configs, jobs=1, progress=False, test_curves=watched)
    rows = [{"label": f"{h}×{h}", "index": [i for i, c in enumerate(configs)
                                             if c.hidden == [h, h]]} for h in (4, 8)]
    measured = heldout.curves(result, rows)
    for (_, epochs, train, test), row in zip(measured, rows):
        first = row["index"][0]
        # the sweep's own network: the training loss at each measured epoch is the sweep's
        inside = epochs < 400
        np.testing.assert_array_equal(train[inside], result.loss[first, epochs[inside]])
        assert epochs[0] == 0 and epochs[-1] == 400 and np.all(np.diff(epochs) > 0)
        assert np.all(np.isfinite(test)) and test[0] > 0
        # and its test loss, measured in the stack, is what the network alone gives, bit for bit
        cfg = configs[first]
        x, y, scaling = load_data(cfg)
        net = point_model(cfg, x, y)
        held = HeldOut(net, *load_test_data(cfg, scaling), cfg.loss)
        alone = [float(held.measure(net)[0][0])]
        Trainer(net, x, y, loss=cfg.loss, lr=cfg.lr, epochs=cfg.epochs, every=2,
                callback=lambda p, held=held, net=net, alone=alone: alone.append(
                    float(held.measure(net)[0][0]))).run()
        assert test.tolist() == alone
    text = heldout.paragraph("xor", measured, 200)
    assert text.startswith("Per epoch on the XOR data") and text.count("for ") == 2
    assert "; and for 8×8" in text and "200 fresh points" in text


@pytest.mark.parametrize("test, says", [
    ([0.25, 0.2, 0.1, 0.05], "fell to the end, to 0.05"),
    ([0.25, 0.1, 0.05, 0.2], "ended 4 times higher, at 0.2"),
    ([0.25, 0.1, 0.05, 0.06], "lowest at epoch 20 (0.05) and ended at 0.06"),
    ([0.25, 0.25, 0.25, 0.25], "neither loss left the plateau"),
])
def test_the_generalisation_paragraph_says_what_the_curve_did(test, says):
    from backproplab.app.report import heldout

    train = [0.25, 0.25, 0.25, 0.24] if "plateau" in says else [0.25, 0.1, 0.02, 0.01]
    measured = [("2×2", np.array([0, 10, 20, 30]), np.array(train), np.array(test))]
    text = heldout.paragraph("linear", measured, 1000)
    assert says in text
    assert "; and" not in text and not any(f in text for f in ("  ", " ,", "..", "nan"))
