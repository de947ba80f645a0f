"""Frames: what the page draws, as JSON. The boundary and the unit maps are the network's own
outputs over the grid, to the byte; the curve and the points are sent once; a diverged run's
numbers are nulls, never NaN (which JSON has not)."""

import base64
import json

import numpy as np
import pytest

from backproplab.app.playground import Session
from backproplab.app.playground.frames import grid


def _bytes(text, size):
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8).reshape(size, size)


def _scaled(p):
    return (np.clip(p, 0, 1) * 255 + 0.5).astype(np.uint8)


def test_the_grid_is_an_image_row_0_at_the_top():
    g = grid((0.0, 4.0, 10.0, 12.0), 4)
    assert g.shape == (16, 2)
    assert g[0].tolist() == [0.5, 11.75]  # top left pixel's centre
    assert g[3].tolist() == [3.5, 11.75] and g[-1].tolist() == [3.5, 10.25]


@pytest.mark.parametrize("settings", [
    {"hidden": "4,4"},
    {"data": "circle", "hidden": "5,3,2", "activation": "tanh,relu,elu", "output": "softmax",
     "loss": "ce", "optimizer": "adam", "lr": "0.01"},
])
def test_boundary_and_unit_maps_are_the_network_s_outputs(settings):
    s = Session(settings)
    s.train(30)
    f = s.frame()
    b, net = f["boundary"], s.run.net
    x0, x1, y0, y1 = b["extent"]
    assert (x0, x1, y0, y1) == s.run.data.extent and b["size"] >= 80
    proba = net.predict_proba(grid(b["extent"], b["size"]))[:, -1]
    assert np.array_equal(_bytes(b["p"], b["size"]).ravel(), _scaled(proba))
    size = f["unit_size"]
    hidden = net.hidden_activations(grid(b["extent"], size))
    assert len(f["units"]) == len(hidden) == len(f["unit_range"])
    for maps, a, (lo, hi), name in zip(f["units"], hidden, f["unit_range"], f["activations"]):
        assert len(maps) == a.shape[1]
        if name == "tanh":
            assert (lo, hi) == (-1.0, 1.0)
        for unit, p in enumerate(maps):
            expected = _scaled((a[:, unit] - lo) / (hi - lo))
            assert np.array_equal(_bytes(p["p"], size).ravel(), expected)
    for layer, drawn in zip(net.dense_layers, f["weights"]):
        assert drawn["W"] == layer.W[0].tolist() and drawn["b"] == layer.b[0, 0].tolist()
    norms = [np.linalg.norm(layer.dW[0]) for layer in net.dense_layers]
    assert f["grad_norms"] == pytest.approx(norms, rel=1e-12)


def test_more_than_two_classes_draw_label_and_confidence():
    s = Session({"data": "circle", "output": "softmax", "loss": "ce", "test-fraction": "0"})
    for x, y in ((0.1, 0.1), (0.12, 0.1), (0.9, 0.9)):
        s.add_point(x, y, 2)
    s.train(20)
    b = s.frame()["boundary"]
    proba = s.run.net.predict_proba(grid(b["extent"], b["size"]))
    assert b["classes"] == 3
    assert np.array_equal(_bytes(b["label"], b["size"]).ravel(), proba.argmax(axis=1))
    confidence = (proba.max(axis=1) - 1 / 3) / (2 / 3)
    assert np.array_equal(_bytes(b["confidence"], b["size"]).ravel(), _scaled(confidence))


def test_the_curve_and_the_points_are_sent_once():
    s = Session({"data": "linear", "n": "40"})
    first = s.frame()
    assert first["curve"]["reset"] and first["curve"]["epoch"] == [0]
    assert len(first["points"]["train"]["x"]) == 28 and len(first["points"]["test"]["y"]) == 12
    assert first["test"] is not None and first["train"]["accuracy"] <= 100
    s.train(5)
    second = s.frame()
    # the epochs trained between two frames come from the trainer's record; the test set is
    # measured at the frame only
    assert second["curve"]["epoch"] == [1, 2, 3, 4, 5] and not second["curve"]["reset"]
    assert second["curve"]["train"][:4] == s.run.trainer.history().loss[1:5, 0].tolist()
    assert second["curve"]["test"][:4] == [None] * 4
    assert "points" not in second
    assert s.frame()["curve"]["epoch"] == []  # no epoch trained since: no new point
    assert s.frame(full=True)["curve"]["epoch"] == [0, 1, 2, 3, 4, 5]
    assert "points" in s.frame(full=True)
    s.reset()
    again = s.frame()
    assert again["curve"]["reset"] and again["curve"]["epoch"] == [0] and "points" in again
    loss, train_loss = second["curve"]["train"][-1], second["train"]["loss"]
    assert loss == train_loss and second["curve"]["test"][-1] == second["test"]["loss"]


def test_a_fast_stretch_between_two_frames_shows_its_shape():
    s = Session({"data": "xor", "hidden": "4,4"})
    s.frame()
    s.train(400)
    epochs = s.frame()["curve"]["epoch"]
    assert len(epochs) == 33 and epochs[-1] == 400  # 32 spread over epochs 1…399, then 400
    assert epochs == sorted(set(epochs)) and epochs[0] == 1 and epochs[-2] == 399


def test_every_frame_is_json_a_diverged_one_too():
    s = Session({"lr": "1e6", "activation": "relu", "output": "none", "hidden": "4"})
    s.train(100)
    f = s.frame()
    assert f["status"] == "diverged"
    text = json.dumps(f, allow_nan=False)  # raises on NaN or infinity
    assert json.loads(text)["train"]["loss"] is None
    ok = Session({"data": "linear"})
    json.dumps(ok.frame(), allow_nan=False)


def test_a_long_session_keeps_a_thinned_curve(monkeypatch):
    from backproplab.app.playground import session
    monkeypatch.setattr(session, "PLAYGROUND_CURVE_POINTS", 10)
    s = Session({"hidden": "2"})
    for _ in range(25):
        s.train(1)
        assert len(s.frame()["curve"]["epoch"]) == 1  # every frame still sends its point
    s.train(3)
    assert s.frame()["curve"]["epoch"] == [26, 27, 28]
    kept = s.frame(full=True)["curve"]["epoch"]
    assert len(kept) <= 10 and kept[-1] == 28 and kept == sorted(kept)
