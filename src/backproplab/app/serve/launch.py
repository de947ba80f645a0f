"""``backproplab serve``: the playground's server, on this machine, until Ctrl-C.

It binds its socket itself before uvicorn starts, so that a port in use (or an address that
cannot be had) is one line, and ``--port 0`` (any free port) prints the port it got. uvicorn
then serves the app on that socket. Ctrl-C or SIGTERM: uvicorn closes every WebSocket (each
session's worker stops and is freed) and, once it has stopped, raises the signal again, which
the command line's edge turns into "interrupted" and exit status 130, as for every command.
"""

import errno
import socket
import threading
import webbrowser

from ...errors import BackproplabError
from ...limits import PLAYGROUND_MESSAGE_BYTES
from ..train import one_blas_thread
from .guard import WILDCARDS
from .web import create_app

INSTALL = "pip install 'backproplab[web]'"


def check_extra():
    """The [web] extra (Starlette, uvicorn, websockets) is installed, or the error saying how
    to install it."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        import websockets  # noqa: F401
    except ImportError as e:
        raise BackproplabError(f"serve needs the [web] extra ({e.name} is not installed): "
                               f"{INSTALL}") from None


def listen(host, port):
    """A socket bound to ``host``:``port`` and listening; a one-line error if it cannot be."""
    if not 0 <= port <= 65535:
        raise BackproplabError(f"--port must be from 0 (any free port) to 65535, got {port}")
    sock = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # no wait after a restart
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        if sock is not None:
            sock.close()
        if e.errno == errno.EADDRINUSE:
            raise BackproplabError(f"port {port} is in use on {host} (another server?): choose "
                                   "another with --port") from None
        raise BackproplabError(f"cannot listen on {host}:{port}: "
                               f"{e.strerror or e}") from None
    return sock


def url_of(host, port):
    """The address to open: a wildcard host is reached at 127.0.0.1 from this machine."""
    shown = "127.0.0.1" if host in WILDCARDS else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(host="127.0.0.1", port=8765, open_browser=False):
    """Serve the playground until a signal stops it."""
    check_extra()
    import uvicorn

    sock = listen(host, port)
    port = sock.getsockname()[1]
    url = url_of(host, port)
    config = uvicorn.Config(
        create_app(host, port), log_level="warning", access_log=False, lifespan="off",
        ws_per_message_deflate=False,  # frames go over loopback: compressing them costs CPU
        ws_max_size=2 * PLAYGROUND_MESSAGE_BYTES,  # larger than the limit: its error is a reply
        timeout_graceful_shutdown=3)
    print(f"backproplab playground: {url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        # the playground's matrices are tiny: a second BLAS thread never helps them, and while
        # other work keeps a core busy, two wait on each other — a frame took 15–24 ms, not 1.8
        with one_blas_thread():
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
