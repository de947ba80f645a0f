"""Explain this step: the page's network, its step for one chosen sample, written out by
``backproplab explain``'s own code — the same numbers as ``explain`` itself for the same
weights and sample — and for an optimizer other than plain gradient descent, a plain word that
the update written out is gradient descent's."""

import pytest

from backproplab.app.playground import Session
from backproplab.errors import BackproplabError


def _from(text, heading):
    return text[text.index(heading):]


def test_the_step_at_epoch_0_is_explain_s_own(cli):
    s = Session({"hidden": "3,2", "activation": "tanh"})
    ours = s.explain(0)
    status, theirs, _ = cli("explain", "--data", "xor", "--hidden", 3, 2, "--activation",
                            "tanh", "--samples", 1)
    assert status == 0
    assert _from(ours, "1. The weights before the step") == \
        _from(theirs, "1. The weights before the step")
    assert "on sample 0 of the training set, (0, 0) of class 0, of the xor data" in \
        " ".join(ours.split())


def test_after_training_the_weights_are_the_page_s(cli):
    s = Session({"hidden": "2,2", "lr": "0.5"})
    s.train(40)
    ours = s.explain(5)
    status, theirs, _ = cli("explain", "--data", "xor", "--hidden", 2, 2, "--lr", 0.5,
                            "--samples", 21, "--epochs", 40)
    assert status == 0
    weights = "1. The weights before the step"
    assert _from(ours, weights).split("2. Forward pass")[0] == \
        _from(theirs, weights).split("2. Forward pass")[0]
    assert "after 40 epochs of training" in ours
    assert "training steps on all 21 training points at once" in " ".join(ours.split())
    assert s.epochs_done == 40  # explaining took its step on a copy
    again = Session({"hidden": "2,2", "lr": "0.5"})
    again.train(40)
    assert (again.run.net.params == s.run.net.params).all()


def test_other_optimizers_are_said_plainly():
    s = Session({"hidden": "4,4", "optimizer": "adam", "lr": "0.03", "weight-decay": "0.01",
                 "batch-size": "5", "schedule": "cosine"})
    s.train(3)
    text = " ".join(s.explain(2).split())
    assert "Training uses the adam optimizer and weight decay 0.01: its update is not the " \
           "plain W ← W − η·dW written out in step 5" in text
    assert "in mini-batches of 5" in text
    assert "cosine schedule's rate for epoch 3" in text


def test_a_test_sample_and_a_softmax_network():
    s = Session({"data": "circle", "n": "30", "output": "softmax", "loss": "ce"})
    text = " ".join(s.explain(1, "test").split())
    assert "sample 1 of the test set" in text and "a test sample is never trained on" in text
    assert "δ3 = dL/dz3 = (ŷ − Y)/n" in text  # the softmax cross-entropy's output delta


@pytest.mark.parametrize("index, which, says", [
    (21, "train", "the training set has samples 0…20, got 21"),
    (-1, "train", "the training set has samples 0…20"),
    ("3", "train", "got 3"),
    (0, "test", "there is no test set: set test-fraction above 0"),
    (0, "valid", "which set: train or test"),
])
def test_bad_requests_get_a_message(index, which, says):
    with pytest.raises(BackproplabError, match=says):
        Session({}).explain(index, which)
