"""The playground's WebSocket through Starlette's test client, with the real Session: every
message type and its reply, play/pause/step/reset and live settings, hostile messages (each an
error reply, the socket kept, other tabs unharmed), and the limits — sessions at once, idle
time, flooding, upload and message size — each with its message."""

import base64
import json
import time
import warnings

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # Starlette's note that it would prefer httpx2
    warnings.filterwarnings("ignore", "Using `httpx`")
    from starlette.testclient import TestClient

from backproplab.app.playground import Session  # noqa: E402
from backproplab.app.serve.web import create_app  # noqa: E402
from serve_socket import HOST, connect, receive  # noqa: E402

LAB = {"data": "xor", "hidden": "4,4", "activation": "tanh", "optimizer": "adam", "lr": "0.03",
       "seed": "0", "epochs": "100000"}  # the longest run: it plays on through every test


def strict(text):
    """JSON as a browser's JSON.parse reads it: no NaN or Infinity."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in a reply"))


class Tab:
    """One page's socket: send messages, read replies (skipping frames when asked)."""

    def __init__(self, ws):
        self.ws = ws
        self.hello = self.next()
        assert self.hello["type"] == "hello"

    def send(self, kind, **fields):
        self.ws.send_text(json.dumps({"type": kind, **fields}))

    def next(self):
        return strict(receive(self.ws))

    def until(self, kind, test=lambda m: True, errors_ok=False):
        """The next message of type ``kind`` that passes ``test``; an error on the way fails."""
        for _ in range(5000):
            m = self.next()
            if m["type"] == "error" and kind != "error" and not errors_ok:
                pytest.fail(f"unexpected error: {m}")
            if m["type"] == kind and test(m):
                return m
        pytest.fail(f"no {kind} message")

    def paused(self):
        """Wait for the paused frame, then check that nothing more is on its way."""
        frame = self.until("frame", lambda m: not m["playing"])
        self.send("export-csv")
        assert self.next()["type"] == "csv"  # no frame came between
        return frame


@pytest.fixture
def app():
    return create_app("127.0.0.1", 8765)


@pytest.fixture
def client(app):
    with TestClient(app, base_url=f"http://{HOST}") as c:
        yield c


@pytest.fixture
def tab(client):
    with connect(client) as ws:
        t = Tab(ws)
        t.send("settings", settings=LAB)
        t.settings = t.until("settings")
        t.first = t.until("frame")
        yield t


# -- the messages, one by one ----------------------------------------------------------------------


def test_hello_tells_the_page_its_choices_limits_and_defaults(tab):
    hello = tab.hello
    assert hello["choices"]["datasets"][:2] == ["linear", "xor"]
    assert {"tanh", "relu", "sigmoid"} <= set(hello["choices"]["activations"])
    assert hello["limits"]["layers"] == 6 and hello["limits"]["upload_bytes"] == 2**20
    assert hello["defaults"] == Session({}).settings


def test_the_first_settings_make_the_session_paused_at_epoch_0(tab):
    assert tab.settings["reset"] is True
    assert tab.settings["settings"]["hidden"] == "4,4"
    assert tab.settings["command"].startswith("backproplab train ")
    assert "--hidden 4 4" in tab.settings["command"]
    frame = tab.first
    assert frame["epoch"] == 0 and frame["playing"] is False
    assert frame["boundary"]["size"] >= 80 and len(frame["units"]) == 2
    assert len(base64.b64decode(frame["boundary"]["p"])) == frame["boundary"]["size"] ** 2
    assert len(frame["points"]["train"]["x"]) == 21


def test_play_streams_frames_and_pause_stops_them(tab):
    tab.send("play")
    started, epochs = time.perf_counter(), []
    while time.perf_counter() - started < 1.0:
        frame = tab.until("frame")
        assert frame["playing"], {k: frame[k] for k in ("epoch", "status", "finished", "epochs")}
        epochs.append(frame["epoch"])
    assert len(epochs) >= 10 and epochs == sorted(epochs) and epochs[-1] > epochs[0]
    tab.send("pause")
    assert tab.paused()["epoch"] >= epochs[-1]


def test_play_in_the_first_settings_starts_training(client):
    with connect(client) as ws:
        t = Tab(ws)
        t.send("settings", settings={**LAB, "play": "1"})
        assert t.until("frame", lambda m: m["epoch"] > 0)["playing"]


def test_step_trains_exactly_that_many_epochs_and_reset_goes_back(tab):
    tab.send("step", epochs=7)
    assert tab.paused()["epoch"] == 7
    tab.send("step")
    assert tab.paused()["epoch"] == 8
    tab.send("reset")
    assert tab.paused()["epoch"] == 0


def test_a_live_setting_changes_while_it_plays_and_a_structural_one_resets(tab):
    tab.send("play")
    before = tab.until("frame", lambda m: m["epoch"] > 50)["epoch"]
    tab.send("settings", settings={"lr": "0.01"})
    reply = tab.until("settings")
    assert reply["reset"] is False and reply["settings"]["lr"] == "0.01"
    assert tab.until("frame", lambda m: m["epoch"] > before + 50)["playing"]
    tab.send("settings", settings={"hidden": "3,3"})
    assert tab.until("settings")["reset"] is True
    frame = tab.paused()
    assert frame["epoch"] == 0 and len(frame["units"][0]) == 3


def test_a_speed_throttles_training_and_a_frame_comes_only_with_new_epochs(tab):
    tab.send("settings", settings={"speed": "20"})
    assert tab.until("settings")["reset"] is False
    tab.send("play")
    started, frames = time.perf_counter(), []
    while time.perf_counter() - started < 1.0:
        frames.append(tab.until("frame"))
    assert 10 <= frames[-1]["epoch"] <= 30  # 20 epochs a second
    assert len(frames) <= frames[-1]["epoch"] + 2
    tab.send("settings", settings={"speed": "max"})  # live, while it plays
    assert tab.until("settings")["settings"]["speed"] == "max"
    assert tab.until("frame", lambda m: m["epoch"] > 1000)["playing"]


def test_a_bad_setting_is_an_error_and_the_session_goes_on(tab):
    tab.send("settings", settings={"activation": "nope"})
    error = tab.until("error")
    assert error["about"] == "settings" and "nope" in error["message"]
    tab.send("settings", settings={"hidden": "4," * 7 + "4"})
    assert "6" in tab.until("error")["message"]
    tab.send("step", epochs=3)
    assert tab.paused()["epoch"] == 3


def test_points_clicked_in_and_away_change_the_data(tab):
    tab.send("point", action="add", x=0.5, y=0.5, label=1)
    reply = tab.until("settings")
    assert reply["settings"]["data"] == "points" and reply["settings"]["n"] == "22"
    assert len(tab.until("frame")["points"]["train"]["x"]) == 22
    tab.send("point", action="remove", x=0.5, y=0.5)
    assert tab.until("settings")["settings"]["n"] == "21"
    tab.send("export-csv")
    csv = tab.until("csv")
    assert csv["name"] == "points.csv" and len(csv["text"].strip().splitlines()) == 22


def test_new_sample_draws_the_data_again(tab):
    tab.send("new-sample")  # the lab's 21 XOR points are fixed
    assert "fixed" in tab.until("error")["message"]
    tab.send("settings", settings={"data": "circle"})
    seed = tab.until("settings")["settings"]["data-seed"]
    tab.send("new-sample")
    assert tab.until("settings")["settings"]["data-seed"] == str(int(seed) + 1)


def test_an_upload_is_read_by_the_clis_reader(tab):
    tab.send("upload", name="mine.csv", text="x1,x2,y\n0,0,0\n1,1,0\n0,1,1\n1,0,1\n")
    reply = tab.until("settings")
    assert reply["settings"]["data"] == "points" and reply["settings"]["n"] == "4"
    tab.send("upload", name="bad.csv", text="x1,x2,y\n0,0,0\n1,one,0\n")
    error = tab.until("error")
    assert error["about"] == "upload" and "bad.csv" in error["message"] and "3" in error["message"]


def test_explain_writes_the_step_for_one_sample(tab):
    tab.send("explain", index=2)
    reply = tab.until("explain")
    assert reply["index"] == 2 and reply["set"] == "train" and "forward" in reply["text"].lower()
    tab.send("explain", index=21)
    assert tab.until("error")["about"] == "explain"


def test_a_model_file_goes_out_and_comes_back(tab):
    tab.send("step", epochs=20)
    tab.paused()
    tab.send("export-model")
    model = tab.until("model")
    assert model["name"] == "model.npz" and base64.b64decode(model["data"])[:2] == b"PK"
    tab.send("reset")
    tab.paused()
    tab.send("load-model", data=model["data"])
    assert tab.until("settings")["settings"]["hidden"] == "4,4"
    assert tab.until("frame")["epoch"] == 20
    tab.send("load-model", data=base64.b64encode(b"not a model").decode())
    assert tab.until("error")["about"] == "load-model"


def test_robustness_runs_beside_training_and_can_be_stopped(tab):
    tab.send("settings", settings={"epochs": "300"})
    tab.until("settings")
    tab.send("robustness", action="start")
    tab.send("step", epochs=5)  # the session is not blocked meanwhile
    result = tab.until("robustness", lambda m: m["finished"])
    assert result["done"] == 1.0 and 0 <= result["solved"] <= 1 and len(result["seeds"]) == 20
    assert len(result["band"]["median"]) == len(result["band"]["epoch"])
    tab.send("settings", settings={"epochs": "100000"})
    tab.until("settings")
    tab.send("robustness", action="start")
    tab.until("robustness")  # under way (a progress report)
    tab.send("robustness", action="stop")
    stopped = tab.until("robustness", lambda m: "band" in m)  # the result, not a progress report
    assert stopped["finished"] is False and stopped["done"] < 1
