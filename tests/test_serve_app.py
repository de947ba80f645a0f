"""backproplab serve over HTTP: the page and its files (and nothing else on the server's disk),
the security headers, the Host and Origin checks against DNS rebinding and cross-site WebSocket
hijacking, and the command itself — the missing extra, a port in use, the printed address,
--open, and a clean stop on Ctrl-C or SIGTERM with a session playing."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # Starlette's note that it would prefer httpx2
    warnings.filterwarnings("ignore", "Using `httpx`")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from backproplab.app.serve.guard import allowed_hosts  # noqa: E402
from backproplab.app.serve.web import create_app, static_files  # noqa: E402
from backproplab.limits import PLAYGROUND_MESSAGE_BYTES  # noqa: E402

HOST = "127.0.0.1:8765"
ORIGIN = f"http://{HOST}"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app("127.0.0.1", 8765), base_url=ORIGIN) as c:
        yield c


def connect(client, host=HOST, origin=ORIGIN):
    headers = {"origin": origin} if origin is not None else {}
    return client.websocket_connect(f"ws://{host}/ws", headers=headers)


# -- the page and its files -----------------------------------------------------------------------


def test_the_page_is_served_with_its_files(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text.lower()
    files = static_files()
    assert {"index.html", "playground.css", "playground.js"} <= set(files)
    for name, media_type in files.items():
        answer = client.get(f"/static/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == media_type
    assert "/static/playground.js" in page.text  # the page asks for what is served


@pytest.mark.parametrize("path", [
    "/static/../web.py", "/static/..%2Fweb.py", "/static/%2e%2e%2fweb.py", "/static/web.py",
    "/static/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd", "/static//etc/passwd",
    "/static/static/index.html", "/static/index.html%00.js", "/static/", "/web.py",
    "/etc/passwd", "/static/%5c..%5cweb.py",
])
def test_nothing_a_client_sends_names_a_file_outside_the_list(client, path):
    answer = client.get(path)
    assert answer.status_code == 404
    assert "import" not in answer.text and "root:" not in answer.text


def test_every_answer_carries_the_security_headers(client):
    for path in ("/", "/static/playground.js", "/health", "/static/nothing.js"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self';" in csp
        assert "unsafe" not in csp  # no inline scripts, no eval
        assert "frame-ancestors 'none'" in csp
        assert f"connect-src 'self' ws://{HOST}" in csp


def test_health_counts_the_open_sessions(client):
    assert client.get("/health").json() == {"ok": True, "sessions": 0}
    with connect(client) as a, connect(client) as b:
        a.receive_json(), b.receive_json()  # hello: the session exists
        assert client.get("/health").json()["sessions"] == 2
    assert client.get("/health").json()["sessions"] == 0


def test_only_get_is_answered(client):
    assert client.post("/", content=b"x").status_code == 405
    assert client.put("/static/index.html", content=b"x").status_code == 405


# -- DNS rebinding: the Host header ---------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.com", "evil.com:8765", "127.0.0.1:9999", "127.0.0.1",
                                  "localhost.evil.com:8765", "127.0.0.1:8765.evil.com",
                                  "127.0.0.2:8765", "0.0.0.0:8765", ""])
def test_a_request_for_another_host_is_refused(client, host):
    for path in ("/", "/static/playground.js", "/health"):
        answer = client.get(path, headers={"host": host})
        assert answer.status_code == 400
        assert "Host" in answer.text and answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765",
                                  "LOCALHOST:8765"])
def test_this_servers_own_names_are_answered(client, host):
    assert client.get("/health", headers={"host": host}).status_code == 200


def test_the_host_given_is_allowed_and_a_wildcard_adds_this_machines_name():
    assert "192.168.1.5:9000" in allowed_hosts("192.168.1.5", 9000)
    assert "[::1]:9000" in allowed_hosts("::1", 9000)
    assert "192.168.1.5:9000" not in allowed_hosts("127.0.0.1", 9000)
    everywhere = allowed_hosts("0.0.0.0", 9000)
    assert f"{socket.gethostname().lower()}:9000" in everywhere
    assert "localhost" not in everywhere and "localhost" in allowed_hosts("localhost", 80)


# -- cross-site WebSocket hijacking: the Origin ----------------------------------------------------


@pytest.mark.parametrize("origin", [None, "http://evil.com", "http://127.0.0.1:9999", "null",
                                    "https://127.0.0.1:8765", "http://127.0.0.1:8765.evil.com",
                                    "http://127.0.0.1:8765/", "", "file://"])
def test_a_websocket_from_another_origin_is_never_accepted(client, origin):
    with pytest.raises(WebSocketDisconnect) as refused, connect(client, origin=origin) as ws:
        ws.receive_json()  # not reached: the socket is closed before it is accepted
    assert refused.value.code == 1008
    assert client.get("/health").json()["sessions"] == 0


def test_a_websocket_for_another_host_is_refused_even_from_our_origin(client):
    with pytest.raises(WebSocketDisconnect), connect(client, host="evil.com:8765") as ws:
        ws.receive_json()


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8765", "http://localhost:8765",
                                    "http://[::1]:8765"])
def test_the_pages_own_origins_open_a_session(client, origin):
    with connect(client, origin=origin) as ws:
        assert ws.receive_json()["type"] == "hello"


# -- the command ---------------------------------------------------------------------------------

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "BACKPROPLAB_DEBUG": ""}


@pytest.mark.parametrize("missing", ["starlette", "uvicorn", "websockets"])
def test_without_the_web_extra_it_says_how_to_install_it(cli, monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # import fails as if not installed
    status, out, err = cli("serve", "--port", "0")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "pip install 'backproplab[web]'" in err and missing in err


def test_a_port_in_use_is_one_line(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = cli("serve", "--port", port)
    assert status == 2
    assert err.strip() == (f"backproplab serve: error: port {port} is in use on 127.0.0.1 "
                           "(another server?): choose another with --port")


@pytest.mark.parametrize("args, says", [(["--port", "70000"], "--port must be from 0"),
                                        (["--host", "no.such.host.invalid"], "cannot listen")])
def test_a_bad_address_is_one_line(cli, args, says):
    status, _, err = cli("serve", *args)
    assert status == 2 and says in err and err.count("\n") == 1


def start_server(*args, env=ENV):
    """``backproplab serve --port 0`` in a child process; (process, its URL)."""
    proc = subprocess.Popen([sys.executable, "-m", "backproplab", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    assert line.startswith("backproplab playground: http://127.0.0.1:"), (
        line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line.split()[2]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_server_prints_its_address_and_stops_cleanly(tmp_path, sig):
    websockets = pytest.importorskip("websockets.sync.client")
    opened = tmp_path / "opened"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    proc, url = start_server("--open", env={**ENV, "BROWSER": str(browser)})
    try:
        with urllib.request.urlopen(url + "health", timeout=10) as answer:
            assert json.load(answer) == {"ok": True, "sessions": 0}
        with websockets.connect(url.replace("http", "ws") + "ws", origin=url.rstrip("/"),
                                open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            ws.send(json.dumps({"type": "settings", "settings": {"play": "1"}}))
            while json.loads(ws.recv(timeout=10))["type"] != "frame":
                pass  # a session is training
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err and err.strip() == "backproplab serve: interrupted"
    for _ in range(50):  # --open: the browser was started with the address
        if opened.exists() and opened.read_text().strip():
            break
        time.sleep(0.1)
    assert opened.read_text().strip() == url


def test_a_message_too_large_is_an_error_and_a_far_larger_one_is_cut_off_by_uvicorn():
    """The server's own check answers a message over the limit; uvicorn (ws_max_size: twice
    the limit) closes a socket whose message is larger still, before it is read whole."""
    websockets = pytest.importorskip("websockets.sync.client")
    from websockets.exceptions import ConnectionClosed

    proc, url = start_server()
    address = dict(uri=url.replace("http", "ws") + "ws", origin=url.rstrip("/"),
                   open_timeout=10, max_size=None)
    try:
        with websockets.connect(**address) as ws, websockets.connect(**address) as other:
            ws.recv(timeout=10), other.recv(timeout=10)  # hello
            ws.send("x" * (PLAYGROUND_MESSAGE_BYTES + 1))
            error = json.loads(ws.recv(timeout=30))
            assert error["type"] == "error" and error["message"] == (
                "message too large: at most 4 MiB")
            ws.send('{"type": "export-csv"}')
            while json.loads(ws.recv(timeout=10))["type"] != "csv":
                pass  # the socket is still open (a settings reply and a frame come first)
            with pytest.raises(ConnectionClosed) as closed:
                ws.send("x" * (2 * PLAYGROUND_MESSAGE_BYTES + 1))
                while True:
                    ws.recv(timeout=30)
            said = closed.value.rcvd  # 1009, message too big (or the TCP connection ended
            assert said is None or said.code == 1009  # before the client read the close frame)
            other.send('{"type": "export-csv"}')  # the other tab is served as before
            while json.loads(other.recv(timeout=10))["type"] != "csv":
                pass
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "Traceback" not in err
