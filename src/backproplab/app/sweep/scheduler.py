"""Connecting to a Dask scheduler, within a time limit, and saying what is at the address when
it is not a scheduler that can train a sweep.

dask.distributed's own Client waits for ever on a server that accepts the connection and never
answers, and reads garbage as frame lengths (a MemoryError), so the address is looked at first:
is it an address, does anything listen there, does it answer Dask's ``identity`` call as a
scheduler, within the time left; and then, does the scheduler have a worker.
"""

import asyncio
import math
import socket
import threading
import time

from ...errors import BackproplabError

DEFAULT_TIMEOUT = 30.0  # seconds to reach the scheduler (and to wait for a worker)


def connect(address, timeout=DEFAULT_TIMEOUT):
    """A dask.distributed Client of the scheduler at ``address``, which has at least one worker,
    within about ``timeout`` seconds; else a BackproplabError naming the address and what was
    found there."""
    if not address:
        raise BackproplabError("--backend dask needs --scheduler ADDRESS (e.g. "
                               "tcp://127.0.0.1:8786)")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not math.isfinite(timeout) or timeout <= 0:
        raise BackproplabError(f"--timeout must be a number of seconds > 0, got {timeout!r}")
    try:
        from dask.distributed import Client
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        raise BackproplabError("--backend dask needs dask.distributed: "
                               "pip install 'backproplab[dask]'") from None
    deadline = time.monotonic() + timeout

    def fail(what):
        return BackproplabError(f"cannot reach the Dask scheduler at {address}: {what}")

    try:
        scheme, location = parse_address(address)
        if scheme in ("http", "https"):
            raise fail("that is a web address (a dashboard's?); a scheduler's address is "
                       "tcp://HOST:PORT (port 8786 by default)")
        if scheme in ("tcp", "tls"):
            host, port = parse_host_port(location)
            _listening(host, port, deadline, fail)
    except (ValueError, TypeError) as e:
        raise fail(f"not a scheduler address ({e}); give tcp://HOST:PORT") from None
    info = _identity(address, deadline, fail)
    if info.get("type") != "Scheduler":
        raise fail(f"a Dask {info.get('type', 'server')} answers there, not a scheduler")
    try:
        client = Client(address, timeout=max(_left(deadline), 1.0))
    except (OSError, TimeoutError, ValueError) as e:
        raise fail(str(e)) from None
    try:
        if not info.get("workers"):
            client.wait_for_workers(1, timeout=max(_left(deadline), 0.1))
    except (OSError, TimeoutError):
        client.close()
        raise fail(f"the scheduler has no workers (none joined within {timeout:g} s); start "
                   f"one with: dask worker {address}") from None
    except BaseException:
        client.close()
        raise
    return client


def _left(deadline):
    return deadline - time.monotonic()


def _listening(host, port, deadline, fail):
    """Check that something accepts a TCP connection at host:port."""
    try:
        with socket.create_connection((host, port), timeout=max(_left(deadline), 0.1)):
            pass
    except socket.gaierror:
        raise fail(f"no such host {host!r}") from None
    except ConnectionRefusedError:
        raise fail("nothing listens there (connection refused)") from None
    except TimeoutError:
        raise fail("no answer (the connection timed out)") from None
    except OSError as e:
        raise fail(e.strerror or str(e)) from None


def _identity(address, deadline, fail):
    """The server's answer to Dask's ``identity`` call (a dict), asked in a thread of its own
    (so that an event loop already running in this one is no obstacle) and given up at the
    deadline."""
    from distributed.core import rpc

    async def ask():
        async with rpc(address, timeout=max(_left(deadline), 0.1)) as server:
            return await server.identity()

    answer = {}

    def run():
        try:
            answer["info"] = asyncio.run(asyncio.wait_for(ask(), max(_left(deadline), 0.1)))
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            answer["error"] = e

    thread = threading.Thread(target=run, name="dask-identity", daemon=True)
    thread.start()
    thread.join(max(_left(deadline), 0) + 5)  # wait_for ends it at the deadline
    error = answer.get("error")
    if "info" in answer and isinstance(answer["info"], dict):
        return answer["info"]
    if error is None or isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        raise fail("something listens there but does not answer as a Dask scheduler (no "
                   "answer within the time limit)")
    if isinstance(error, (ValueError, TypeError)) and "address" in str(error):
        raise fail(f"not a scheduler address ({error}); give tcp://HOST:PORT")
    raise fail(f"something listens there but it is not a Dask scheduler "
               f"({type(error).__name__} reading its answer)")
