"""The playground server under hostile or careless clients, through Starlette's test client:
every bad message is an error reply and the socket stays open; other tabs go on as if nothing
happened; the limits — message size, upload size, sessions at once, idle time, messages per
second — each end in their own message; a closed tab's session and thread are freed; a bug in
the session is one line to the page, not a dead server."""

import json
import threading
import warnings

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # Starlette's note that it would prefer httpx2
    warnings.filterwarnings("ignore", "Using `httpx`")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from backproplab.app.playground import Session  # noqa: E402
from backproplab.app.serve.protocol import Policy  # noqa: E402
from backproplab.app.serve.web import create_app  # noqa: E402
from serve_socket import HOST, connect, eventually, receive  # noqa: E402

LAB = {"data": "xor", "hidden": "4,4", "activation": "tanh", "optimizer": "adam", "lr": "0.03",
       "epochs": "100000"}


def client_for(**policy):
    app = create_app("127.0.0.1", 8765, policy=Policy(**policy))
    return TestClient(app, base_url=f"http://{HOST}")


def replies(ws, kind):
    """Messages up to the first of type ``kind`` (frames skipped); that one last."""
    seen = []
    while not seen or seen[-1]["type"] != kind:
        m = json.loads(receive(ws))
        if m["type"] != "frame":
            seen.append(m)
    return seen


def sessions_threads():
    return sum(t.name == "playground-session" and t.is_alive() for t in threading.enumerate())


HOSTILE = [
    "not json", "", "[]", "null", '"play"', "{}", '{"type": null}', '{"type": "shutdown"}',
    '{"type": "step", "epochs": NaN}', '{"type": "step", "epochs": 1e999}',
    '{"type": "step", "epochs": -3}', '{"type": "step", "epochs": "9"}',
    '{"type": "step", "epochs": ' + "7" * 4500 + "}",
    '{"type": "point", "action": "add", "x": Infinity, "y": 0}',
    '{"type": "explain", "index": 99999999}',
    '{"type": "upload", "name": "../../etc/passwd", "text": "root:x:0:0"}',
    '{"type": "upload", "name": "/etc/passwd", "text": 1}',
    '{"type": "load-model", "data": "AAAA"}', '{"type": "load-model", "data": "%%%"}',
    '{"type": "settings", "settings": {"data": "/etc/passwd"}}',
    '{"type": "settings", "settings": {"data": "../../secret.csv"}}',
    '{"type": "settings", "settings": {"hidden": "100000,100000"}}',
    '{"type": "settings", "settings": {"data": "circle", "n": "1000000000"}}',
    '{"type": "settings", "settings": {"__class__": "x"}}',
    '{"type": "settings", "settings": 1}',
    "[" * 3000 + "]" * 3000, '{"a":' * 50 + "1" + "}" * 50,
    "x" * 10_001,  # larger than the policy's 10,000 bytes
]


def test_every_hostile_message_gets_an_error_and_the_socket_stays_open():
    with client_for(message_bytes=10_000) as client, connect(client) as ws:
        json.loads(receive(ws))  # hello
        ws.send_text(json.dumps({"type": "settings", "settings": LAB}))
        replies(ws, "settings")
        for raw in HOSTILE:
            ws.send_text(raw)
            answer = replies(ws, "error")
            assert len(answer) == 1, (raw[:40], answer)
            assert answer[0]["message"] and "\n" not in answer[0]["message"], raw[:40]
            assert "Traceback" not in answer[0]["message"] and "internal" not in answer[0][
                "message"], (raw[:40], answer)
        ws.send_bytes(b'{"type": "play"}')
        assert "binary" in replies(ws, "error")[0]["message"]
        ws.send_text(json.dumps({"type": "step", "epochs": 2}))  # still serving this tab
        ws.send_text(json.dumps({"type": "export-csv"}))
        assert replies(ws, "csv")[-1]["text"].startswith("x1,x2")


def test_no_file_on_the_server_is_read_for_a_client():
    with client_for() as client, connect(client) as ws:
        json.loads(receive(ws))
        ws.send_text(json.dumps({"type": "settings", "settings": {"data": "/etc/passwd"}}))
        error = replies(ws, "error")[-1]
        assert error["about"] == "settings" and "root:" not in error["message"]


def test_a_hostile_tab_does_not_disturb_another():
    with client_for() as client, connect(client) as good, connect(client) as bad:
        json.loads(receive(good)), json.loads(receive(bad))
        good.send_text(json.dumps({"type": "settings", "settings": {**LAB, "play": "1"}}))
        for raw in HOSTILE * 2:
            bad.send_text(raw)
            replies(bad, "error")
        epochs = []
        for _ in range(10):
            m = json.loads(receive(good))
            if m["type"] == "frame":
                epochs.append(m["epoch"])
        assert len(epochs) >= 5 and epochs == sorted(epochs) and epochs[-1] > epochs[0]
        assert client.get("/health").json()["sessions"] == 2


def test_an_upload_larger_than_the_limit_is_refused_by_its_size():
    with client_for(upload_bytes=1000) as client, connect(client) as ws:
        json.loads(receive(ws))
        ws.send_text(json.dumps({"type": "upload", "name": "big.csv",
                                 "text": "x1,x2,y\n" + "0.5,0.5,1\n" * 200}))
        error = replies(ws, "error")[-1]
        assert error == {"type": "error", "about": "upload", "message":
                         "big.csv: the file is larger than 1000 bytes, the most the playground "
                         "takes"}


def test_sessions_beyond_the_limit_are_refused_until_one_closes():
    with client_for(sessions=2) as client:
        with connect(client) as a:
            json.loads(receive(a))
            with connect(client) as b:
                json.loads(receive(b))
                with connect(client) as c:
                    refusal = json.loads(receive(c))
                    assert refusal["type"] == "error"
                    assert "too many sessions at once (at most 2)" in refusal["message"]
                    with pytest.raises(WebSocketDisconnect) as closed:
                        json.loads(receive(c))
                    assert closed.value.code == 1013
            with connect(client) as d:  # b has closed: there is room again
                assert json.loads(receive(d))["type"] == "hello"


def test_an_idle_session_is_closed_and_freed():
    with client_for(idle_seconds=0.3) as client, connect(client) as ws:
        json.loads(receive(ws))
        ws.send_text(json.dumps({"type": "settings", "settings": LAB}))
        said = replies(ws, "error")[-1]
        assert said["message"] == ("closed after 0.3 seconds without a message; reload the page "
                                   "for a new session")
        with pytest.raises(WebSocketDisconnect) as closed:
            json.loads(receive(ws))
        assert closed.value.code == 4000
        assert client.get("/health").json()["sessions"] == 0


def test_a_flooding_client_is_warned_then_cut_off():
    with client_for(messages_per_second=5) as client, connect(client) as ws:
        json.loads(receive(ws))
        for _ in range(40):
            ws.send_text('{"type": "pause"}')
        seen = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                m = json.loads(receive(ws))
                if m["type"] == "error":
                    seen.append(m["message"])
        assert closed.value.code == 1008
        assert seen[0] == "too many messages (at most 5 a second): some were dropped"
        assert seen[-1] == "too many messages: the session is closed"


def test_a_closed_tab_frees_its_session_and_thread():
    before = sessions_threads()
    with client_for() as client:
        for _ in range(3):
            with connect(client) as ws:
                json.loads(receive(ws))
                ws.send_text(json.dumps({"type": "settings", "settings": {**LAB, "play": "1"}}))
                replies(ws, "settings")
                assert sessions_threads() == before + 1
            # the server ends the closed tab's session in its own time, not before close returns
            assert eventually(lambda: client.get("/health").json()["sessions"] == 0
                              and sessions_threads() == before)


class Buggy(Session):
    """A session with a bug in explain, and one in train."""

    def explain(self, index, which="train"):
        return 1 / 0

    def train(self, epochs, deadline=None):
        raise KeyError("a bug")


def test_a_bug_in_the_session_is_one_line_and_the_session_goes_on(caplog):
    app = create_app("127.0.0.1", 8765, session_class=Buggy)
    with TestClient(app, base_url=f"http://{HOST}") as client, connect(client) as ws:
        json.loads(receive(ws))
        ws.send_text(json.dumps({"type": "explain", "index": 0}))
        error = replies(ws, "error")[-1]
        assert error == {"type": "error", "about": "explain",
                         "message": "internal error: ZeroDivisionError: division by zero"}
        ws.send_text(json.dumps({"type": "play"}))
        error = replies(ws, "error")[-1]
        assert error["about"] == "play" and "KeyError" in error["message"]
        ws.send_text(json.dumps({"type": "export-csv"}))
        assert replies(ws, "csv")[-1]["text"]
    assert "ZeroDivisionError" in caplog.text  # the traceback is in the server's log
