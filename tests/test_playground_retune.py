"""Changing a live run's learning rate, optimizer settings, stopping rule or length
(``Trainer.retune``): the playground does it while a run plays. A change takes effect from the
next epoch, exactly as a run started with the new settings from the same state (a checkpoint
restored into a new trainer) would go on — and a run without changes is train's, untouched."""

import numpy as np
import pytest

from backproplab.data import datasets
from backproplab.engine.trainer import Trainer
from backproplab.errors import BackproplabError
from backproplab.models.mlp import MLP

X, Y = datasets.load("circle", n=40, seed=3)


def _trainer(optimizer, schedule=None, batch_size=None, **hyper):
    net = MLP(2, hidden=(5, 4), activation="tanh", seed=1)
    return net, Trainer(net, X, Y, optimizer=optimizer, epochs=60, schedule=schedule,
                        batch_size=batch_size, **hyper)


@pytest.mark.parametrize("optimizer, schedule, batch_size, before, after", [
    ("gd", None, None, {"lr": 0.5}, {"lr": 0.2, "weight_decay": 0.01}),
    ("momentum", "cosine", 8, {"lr": 0.05, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.5}),
    ("adam", "step", None, {"lr": 0.01}, {"lr": 0.03, "beta1": 0.8, "l1": 0.001}),
    ("rmsprop", None, 16, {"lr": 0.01}, {"lr": 0.005, "alpha": 0.9, "momentum": 0.3}),
])
def test_a_change_mid_run_is_a_resume_with_the_new_settings(optimizer, schedule, batch_size,
                                                              before, after):
    kw = {"schedule": schedule if schedule != "step" else _step()}
    live_net, live = _trainer(optimizer, batch_size=batch_size, **kw, **before)
    live.run(25)
    state = live.state()
    weights = live_net.params.copy()
    live.retune(**after)
    live.run(35)

    net, resumed = _trainer(optimizer, batch_size=batch_size, **kw, **{**before, **after})
    net.params[...] = weights
    resumed.restore(*state)
    resumed.run(35)
    np.testing.assert_array_equal(live_net.params, net.params)
    assert not np.array_equal(live_net.params, _untouched(optimizer, batch_size, kw, before))


def _step():
    from backproplab.nn.schedules import Step
    return Step(step_size=10, gamma=0.5)


def _untouched(optimizer, batch_size, kw, before):
    net, trainer = _trainer(optimizer, batch_size=batch_size, **kw, **before)
    trainer.run(60)
    return net.params


def test_retuning_to_the_same_values_changes_no_number():
    a, ta = _trainer("adam", lr=0.02, weight_decay=0.001)
    b, tb = _trainer("adam", lr=0.02, weight_decay=0.001)
    ta.run(60)
    for _ in range(6):
        tb.retune(lr=0.02, weight_decay=0.001, stop_at_loss=None, epochs=60)
        tb.run(10)
    np.testing.assert_array_equal(a.params, b.params)


def test_a_weight_decay_that_was_zero_takes_effect():
    # the optimizer remembers which terms are 0 for every network: a change must forget that
    a, ta = _trainer("gd", lr=0.5)
    b, tb = _trainer("gd", lr=0.5)
    ta.run(10), tb.run(10)
    tb.retune(weight_decay=0.1)
    ta.run(1), tb.run(1)
    assert not np.array_equal(a.params, b.params)


def test_the_stopping_rule_and_the_length_change_live():
    net, trainer = _trainer("gd", lr=0.5)
    trainer.run(5)
    trainer.retune(stop_at_loss=1.0)  # every loss is below 1: it stops at once
    history = trainer.run(10)
    assert trainer.epoch == 5 and history.stopped_early[0]
    net, trainer = _trainer("gd", lr=0.5)
    trainer.retune(epochs=7)
    trainer.run()
    assert trainer.epoch == 7


def test_bad_changes_are_refused_with_a_message():
    _, trainer = _trainer("gd", lr=0.5)
    with pytest.raises(BackproplabError, match="learning rate must be > 0"):
        trainer.retune(lr=0.0)
    with pytest.raises(BackproplabError, match="no setting momentum"):
        trainer.retune(momentum=0.9)
    with pytest.raises(BackproplabError, match="finite"):
        trainer.retune(lr=float("nan"))
    _, cosine = _trainer("gd", lr=0.5, schedule="cosine")
    with pytest.raises(BackproplabError, match="cannot change mid-run"):
        cosine.retune(epochs=100)
    cosine.retune(epochs=60)  # its own length is fine
