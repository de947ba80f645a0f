"""The playground's settings: URL strings in, checked and completed; the same strings out in
one canonical form; every bad value a one-line message naming the setting; and the settings a
new choice brings with it (a new optimizer's learning rate, a new data set's n)."""

import pytest

from backproplab.app.playground import DEFAULTS, KEYS, PlaygroundError, Session, choices, limits
from backproplab.app.playground.settings import changed, from_training, normalise
from backproplab.errors import BackproplabError
from backproplab.limits import PLAYGROUND_MAX_LAYERS, PLAYGROUND_MAX_UNITS


def test_the_defaults_are_train_s_on_the_lab_s_xor():
    s = Session({})
    assert list(s.settings) == list(KEYS)
    assert s.settings["data"] == "xor" and s.settings["hidden"] == "10,10"
    assert s.settings["n"] == "21" and s.settings["noise"] == ""  # the fixed points
    assert s.settings["lr"] == "1.0" and s.settings["epochs"] == "20000"
    assert s.command() == "backproplab train --data xor"
    assert DEFAULTS["data"] == "xor" and PlaygroundError is BackproplabError


def test_values_come_back_canonical_and_settings_that_do_not_apply_blank():
    s = Session({"data": "circle", "lr": "1e-2", "optimizer": "adam", "hidden": " 4, 3 ",
                 "activation": "tanh,tanh", "momentum": "0.9", "batch-size": "0",
                 "seed": 7, "noise": "0.1", "play": "true"})
    v = s.settings
    assert v["lr"] == "0.01" and v["hidden"] == "4,3" and v["activation"] == "tanh"
    assert v["momentum"] == "" and v["batch-size"] == "" and v["seed"] == "7"
    assert v["n"] == "100" and v["noise"] == "0.1" and v["test-fraction"] == "0.3"
    assert v["play"] == "1" and v["step-size"] == "" and v["t-max"] == ""
    assert Session(v).settings == v  # the URL it makes reproduces it


def test_a_new_choice_brings_its_own_settings_unless_given():
    v = normalise({"data": "xor"})
    assert normalise({"optimizer": "adam"}, v)["lr"] == "0.001"  # train's default for adam
    assert normalise({"optimizer": "adam", "lr": "0.03"}, v)["lr"] == "0.03"
    assert normalise({"optimizer": "momentum"}, v)["momentum"] == "0.9"
    assert normalise({"optimizer": "adamw"}, v)["weight-decay"] == "0.01"
    circle = normalise({"data": "circle"}, v)
    assert circle["n"] == "100" and circle["test-fraction"] == "0.3"
    assert normalise({"data": "gaussians"}, circle)["noise"] == "0.15"
    assert normalise({"data": "xor"}, circle)["test-fraction"] == "0.0"
    step = normalise({"schedule": "step"}, v)
    assert step["step-size"] == "1000" and step["gamma"] == "0.5"
    assert normalise({"n": "50"}, circle)["test-fraction"] == "0.3"  # not the data: kept


@pytest.mark.parametrize("given, says", [
    ({"lr": "fast"}, "lr must be a number, got 'fast'"),
    ({"lr": "0"}, "lr must be a number > 0"),
    ({"lr": "nan"}, "lr must be a finite number"),
    ({"hidden": "4,x"}, "hidden must be units per layer joined by commas"),
    ({"hidden": ",".join(["4"] * (PLAYGROUND_MAX_LAYERS + 1))},
     f"from 1 to {PLAYGROUND_MAX_LAYERS} hidden layers"),
    ({"hidden": str(PLAYGROUND_MAX_UNITS + 1)}, f"from 1 to {PLAYGROUND_MAX_UNITS} units"),
    ({"activation": "tanh,relu,tanh"}, "3 activations for 2 hidden layers"),
    ({"activation": "swish"}, "unknown activation 'swish'; choose from: sigmoid"),
    ({"data": "mnist"}, "unknown data set 'mnist'; choose from: linear, xor"),
    ({"data": "points"}, "data=points needs points"),
    ({"n": "3000", "data": "circle"}, "n must be from 2 to 2000"),
    ({"epochs": "1e9"}, "epochs must be a whole number"),
    ({"test-fraction": "1"}, "test-fraction must be a number < 1"),
    ({"loss": "ce"}, "--loss ce (softmax cross-entropy) and --output softmax go together"),
    ({"schedule": "cosine", "eta-min": "5"}, "--eta-min must be below the learning rate"),
    ({"schedule": "step", "gamma": "2"}, "must be in (0, 1]"),
    ({"speed": "fast"}, "speed (epochs a second, or max) must be a number"),
    ({"play": "2"}, "unknown play '2'"),
    ({"lrate": "1"}, "unknown setting 'lrate'; the settings are: data, n,"),
    ({"lr": ["1"]}, "lr must be given as text, got list"),
    ({"lr": True}, "lr must be given as text, got bool"),
    ({"seed": "-1"}, "seed must be from 0 to"),
    ({"noise": "x" * 500}, "noise: a value of 500 characters is too long"),
])
def test_bad_settings_get_one_line_naming_them(given, says):
    with pytest.raises(BackproplabError) as e:
        Session(given)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_a_bad_change_leaves_the_session_as_it_was():
    s = Session({"hidden": "4,4"})
    s.train(10)
    before = s.settings
    with pytest.raises(BackproplabError):
        s.apply({"hidden": "4,4", "lr": "-1"})
    assert s.settings == before and s.epochs_done == 10


def test_page_flags_are_ignored_and_only_real_changes_count():
    s = Session({"hide": "lr,optimizer", "lock": "1", "ui-theme": "dark"})
    assert "hide" not in s.settings
    v = s.settings
    assert changed(v, normalise({"n": "50", "noise": "3"}, v)) == set()  # n of xor: shown
    assert changed(v, normalise({"lr": "0.5"}, v)) == {"lr"}


def test_choices_and_limits_for_the_page():
    c = choices()
    assert c["datasets"][:2] == ["linear", "xor"] and c["datasets"][-1] == "points"
    assert "xor_easy" not in c["datasets"]  # an alias of xor
    assert "softmax" in c["outputs"] and "cosine" in c["schedules"] and "adam" in c["optimizers"]
    assert limits() == {"layers": PLAYGROUND_MAX_LAYERS, "units": PLAYGROUND_MAX_UNITS,
                        "points": 2000, "epochs": 100000}


def test_a_run_s_stored_settings_come_back_as_the_page_s():
    s = Session({"data": "moons", "optimizer": "momentum", "lr": "0.2", "hidden": "5",
                 "seed": "2", "batch-size": "10"})
    back = from_training(s.run.cfg.to_dict())
    assert normalise(back) == {**s.settings, "n": "100"}
    with pytest.raises(BackproplabError, match="model cnn, which the playground"):
        from_training({**s.run.cfg.to_dict(), "model": "cnn"})


def test_a_data_set_of_three_classes_brings_its_softmax_output():
    s = Session({"data": "blobs"})
    assert (s.settings["output"], s.settings["loss"]) == ("softmax", "ce")
    s.train(200)
    assert s.frame()["boundary"]["classes"] == 3 and s.frame()["train"]["accuracy"] == 100.0
    other = Session({"data": "xor"})
    assert other.apply({"data": "blobs"}) == "reset" and other.settings["output"] == "softmax"
    with pytest.raises(BackproplabError, match="blobs data set has 3 classes"):
        Session({"data": "blobs", "output": "sigmoid", "loss": "mse"})  # given: not overruled
