"""Robustness: the page's settings over 20 seeds as one stack. Each network of the stack is its
seed trained alone; the summary counts what it says; another thread can stop it at once."""

import threading
import time

import numpy as np

from backproplab.app.playground import Session
from backproplab.app.playground.robustness import train_stack


def test_each_network_of_the_stack_is_its_seed_alone():
    settings = {"data": "circle", "n": "50", "hidden": "5,4", "activation": "tanh",
                "optimizer": "adam", "lr": "0.02", "batch-size": "8", "data-seed": "4",
                "epochs": "40"}
    s = Session(settings)
    stack, _ = train_stack(s.run.cfg, s.run.data, [0, 1, 2, 3], 40)
    alone = Session({**settings, "seed": "2"})
    alone.train(40)
    np.testing.assert_array_equal(stack.params[2], alone.run.net.params[0])
    assert not np.array_equal(stack.params[1], alone.run.net.params[0])


def test_the_summary_says_what_the_seeds_did():
    s = Session({"hidden": "4,4", "activation": "tanh", "optimizer": "adam", "lr": "0.03",
                 "epochs": "300"})
    seen = []
    r = s.robustness(progress=seen.append)
    assert r["finished"] and r["done"] == 1.0 and r["seeds"] == list(range(20))
    solved = [seed for seed, acc in zip(r["seeds"], r["accuracy"]) if acc == 100.0]
    assert r["solved"] == len(solved) / 20 and r["failed"] == sorted(set(r["seeds"]) - set(solved))
    assert 0 < r["solved"] <= 1
    band = r["band"]
    assert len(band["epoch"]) == 200 and band["epoch"][0] == 0 and band["epoch"][-1] == 299
    assert all(lo <= mid <= hi for lo, mid, hi in zip(band["min"], band["median"], band["max"]))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 100
    assert s.epochs_done == 0  # the page's own run is untouched


def test_stopped_networks_leave_the_band_and_short_runs_send_every_epoch():
    s = Session({"stop-at-loss": "0.2", "hidden": "4,4", "epochs": "500"})
    r = s.robustness(seeds=5, epochs=50)
    assert len(r["band"]["epoch"]) <= 50 and len(r["seeds"]) == 5


def test_another_thread_stops_it_promptly():
    s = Session({"data": "circle", "n": "2000", "hidden": "16,16,16", "epochs": "100000"})
    result = {}
    worker = threading.Thread(target=lambda: result.update(s.robustness()))
    worker.start()
    time.sleep(0.3)
    asked = time.perf_counter()
    s.pause_robustness()
    worker.join(5)
    assert not worker.is_alive() and time.perf_counter() - asked < 2.0
    assert result["finished"] is False and 0 <= result["done"] < 1
