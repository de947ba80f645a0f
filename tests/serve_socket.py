"""What the playground's socket tests share: the server's address, a tab's socket through
Starlette's test client, a read that cannot hang, and a wait for the server's own clean-up."""

import threading
import time

import pytest

HOST = "127.0.0.1:8765"


def connect(client):
    """A page's WebSocket, with the Origin a page served by this server sends."""
    return client.websocket_connect(f"ws://{HOST}/ws", headers={"origin": f"http://{HOST}"})


def receive(ws, timeout=30.0):
    """The next text from the test client's socket; a wait longer than ``timeout`` fails the
    test instead of hanging it (the test client's own receive waits forever)."""
    got = []

    def read():
        try:
            got.append((True, ws.receive_text()))
        except BaseException as e:  # WebSocketDisconnect, for the tests that expect one
            got.append((False, e))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not got:
        pytest.fail(f"no message from the server in {timeout:g} s")
    ok, value = got[0]
    if not ok:
        raise value
    return value


def eventually(condition, timeout=5.0):
    """Whether ``condition()`` comes true within ``timeout`` seconds: for what the server does
    after a socket has closed on the client's side (its handler ends in its own time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
