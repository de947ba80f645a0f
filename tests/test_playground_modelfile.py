"""Model files from the page: a checkpoint that ``train --resume`` continues as if the run had
been train's all along; one loaded back into a page goes on the same way; a bad or hostile file
gets the safe reader's message, naming model.npz and never a temporary path."""

import io
import zipfile

import numpy as np
import pytest

from backproplab.app.playground import Session
from backproplab.errors import BackproplabError
from backproplab.limits import PLAYGROUND_MESSAGE_BYTES
from backproplab.models.mlp import MLP


def _weights(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k[0] in "Wb"}


@pytest.mark.parametrize("settings", [
    {"hidden": "4,4", "activation": "tanh", "optimizer": "adam", "lr": "0.03"},
    {"data": "circle", "n": "60", "batch-size": "16", "optimizer": "momentum", "lr": "0.05",
     "schedule": "cosine", "epochs": "90", "data-seed": "2"},  # with a test split
])
def test_train_resume_goes_on_from_the_page_s_model_file(cli, tmp_path, settings):
    s = Session(settings)
    s.train(30)
    path = tmp_path / "model.npz"
    path.write_bytes(s.model_file())
    status, _, err = cli("train", "--resume", path, "--epochs", 90, "--out", tmp_path / "on",
                         "--no-plots", "--quiet")
    assert status == 0, err
    status, _, err = cli("train", *s.command_args(), "--epochs", 90, "--out",
                         tmp_path / "whole", "--no-plots", "--quiet")
    assert status == 0, err
    on, whole = _weights(tmp_path / "on" / "model.npz"), _weights(tmp_path / "whole" /
                                                                  "model.npz")
    for name in whole:
        assert np.array_equal(on[name], whole[name]), name


def test_a_model_file_loaded_into_a_page_goes_on_the_same_way():
    settings = {"data": "moons", "hidden": "6,3", "optimizer": "rmsprop", "lr": "0.01",
                "batch-size": "20", "seed": "3", "speed": "10"}
    s = Session(settings)
    s.train(25)
    page = Session({"data": "linear", "speed": "max"})
    page.load_model(s.model_file())
    assert page.settings == {**s.settings, "speed": "max"}
    assert page.epochs_done == 25 and page.command() == s.command()
    s.train(20), page.train(20)
    np.testing.assert_array_equal(s.run.net.params, page.run.net.params)


def test_a_file_of_weights_alone_starts_from_them(tmp_path):
    net = MLP(2, hidden=(3,), activation="relu", seed=9)
    net.save(tmp_path / "w.npz")
    page = Session({})
    page.load_model((tmp_path / "w.npz").read_bytes())
    assert page.settings["hidden"] == "3" and page.settings["activation"] == "relu"
    assert page.epochs_done == 0 and "--init model.npz" in page.command()
    np.testing.assert_array_equal(page.run.net.params, net.params)


def _zip(**members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("data, says", [
    (b"not a model", "model.npz: not a backproplab model file (.npz)"),
    (_zip(**{"evil.pkl": b"x"}), "model.npz: unexpected member 'evil.pkl'"),
    (b"PK\x03\x04" + b"\0" * (PLAYGROUND_MESSAGE_BYTES), "more than the 4 MiB the page may"),
    ("text", "model.npz: expected the file's bytes"),
])
def test_bad_files_are_refused_by_the_safe_reader(data, says):
    page = Session({"hidden": "4"})
    with pytest.raises(BackproplabError) as e:
        page.load_model(data)
    assert says in str(e.value) and "/tmp" not in str(e.value) and "backproplab-" not in \
        str(e.value)
    assert page.settings["hidden"] == "4"


def test_files_the_page_cannot_take(tmp_path):
    MLP(3, hidden=(4,), seed=0).save(tmp_path / "three.npz")
    big = Session({"hidden": "4"})
    with pytest.raises(BackproplabError, match="one MLP with 2 inputs"):
        big.load_model((tmp_path / "three.npz").read_bytes())
    MLP(2, hidden=(40,), seed=0).save(tmp_path / "wide.npz")
    with pytest.raises(BackproplabError, match="cannot take its run: hidden: from 1 to 16"):
        big.load_model((tmp_path / "wide.npz").read_bytes())


def test_a_run_on_the_page_s_points_needs_them():
    s = Session({"hidden": "4", "test-fraction": "0"})
    s.add_point(0.3, 0.35, 1)
    s.train(5)
    data = s.model_file()
    with pytest.raises(BackproplabError, match="cannot take its run: data=points needs points"):
        Session({}).load_model(data)
    s.train(5)
    s.load_model(data)  # the page that has them goes back to epoch 5
    assert s.epochs_done == 5 and s.settings["data"] == "points"
