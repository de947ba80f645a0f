"""`backproplab sweep --backend dask`: reaching the scheduler is bounded by --timeout, and when
what is at the address cannot train a sweep, one line says the address and what is there."""

import socket
import threading
import time

import pytest

from backproplab.app import sweep
from backproplab.errors import BackproplabError

pytest.importorskip("distributed")

ONE = 'data = "xor"\nhidden = [2]\nepochs = 5\n'


class FakeServer:
    """A TCP server on 127.0.0.1 that is not a Dask scheduler: it accepts, then sends
    ``reply`` (garbage, or nothing at all) and keeps the connection open."""

    def __init__(self, reply=b""):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.reply, self.open = reply, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(conn)
            if self.reply:
                conn.sendall(self.reply)

    def close(self):
        for conn in self.open:
            conn.close()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in the thread
        except OSError:
            pass
        self.sock.close()


def refused(cli, tmp_path, scheduler, *parts, timeout=2):
    """Run the sweep against ``scheduler``: exit 2 within about ``timeout`` seconds, one line
    naming the address and holding ``parts``, nothing written."""
    path = tmp_path / "one.toml"
    path.write_text(ONE)
    started = time.monotonic()
    status, stdout, stderr = cli("sweep", path, "--out", tmp_path / "out", "--backend", "dask",
                                 "--scheduler", scheduler, "--timeout", timeout)
    assert time.monotonic() - started < timeout + 5
    assert status == 2 and stdout == "", stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert f"cannot reach the Dask scheduler at {scheduler}: " in lines[0]
    for part in parts:
        assert part in lines[0], (part, lines[0])
    assert not (tmp_path / "out" / "results.csv").exists()
    return lines[0]


def test_an_address_that_is_not_one(cli, tmp_path):
    refused(cli, tmp_path, "garbage", "not a scheduler address", "tcp://HOST:PORT")


def test_a_web_address(cli, tmp_path):
    refused(cli, tmp_path, "http://127.0.0.1:8787/status", "web address", "tcp://HOST:PORT")


def test_nothing_listening(cli, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # a free port, bound but not listening: refused
        refused(cli, tmp_path, f"tcp://127.0.0.1:{sock.getsockname()[1]}",
                "nothing listens there")


@pytest.mark.parametrize("reply", [b"", b"HTTP/1.0 200 OK\r\n\r\nnot dask at all" * 4,
                                   b"\x00\x00\x00\x00\x00\x00\x10\x00" * 8],
                         ids=["silent", "garbage", "huge_frame_lengths"])
def test_a_server_that_is_not_a_scheduler(cli, tmp_path, reply):
    """Dask's own client would wait for ever on the silent one, and try to allocate the frame
    lengths garbage claims (a MemoryError)."""
    server = FakeServer(reply)
    try:
        refused(cli, tmp_path, server.address, "not", timeout=2)
    finally:
        server.close()


def test_a_scheduler_without_workers(cli, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, host="127.0.0.1",
                                  protocol="tcp", dashboard_address=None) as cluster:
        refused(cli, tmp_path, cluster.scheduler_address, "no workers", "dask worker",
                timeout=1)


def test_a_worker_is_not_a_scheduler(cli, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp",
                                  dashboard_address=None) as cluster:
        worker = next(iter(cluster.scheduler_info["workers"]))
        refused(cli, tmp_path, worker, "Worker", "not a scheduler")


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_the_timeout_must_be_a_positive_number(timeout):
    with pytest.raises(BackproplabError, match="--timeout must be"):
        sweep.connect("tcp://127.0.0.1:8786", timeout)


def test_timeout_applies_to_dask_only(cli, tmp_path):
    path = tmp_path / "one.toml"
    path.write_text(ONE)
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "out", "--timeout", 5)
    assert status == 2 and "--timeout applies to --backend dask" in stderr
