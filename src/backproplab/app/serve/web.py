"""The playground's web app: a Starlette application behind the :mod:`.guard`.

    GET /               the page (static/index.html)
    GET /static/NAME    the page's other files: only the names listed at start-up
    GET /health         {"ok": true, "sessions": n}
    WebSocket /ws       one session per socket (:mod:`.connection`)

Starlette is imported inside :func:`create_app`: it comes with the optional [web] extra, and
the command line imports this package whether or not the extra is installed.
"""

import importlib.resources
import threading

from ... import __version__
from ..playground import Session, choices, limits
from .connection import Sessions, serve
from .guard import Guard, allowed_hosts
from .protocol import Policy

MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".js": "text/javascript; charset=utf-8", ".json": "application/json",
               ".png": "image/png", ".svg": "image/svg+xml", ".ico": "image/x-icon"}


def static_files():
    """{name: media type} of the files directly in the package's static/ folder. A request
    names one of these or gets 404: what a client sends is looked up, never joined to a path."""
    folder = importlib.resources.files(__package__) / "static"
    found = {}
    for entry in folder.iterdir() if folder.is_dir() else []:
        suffix = "." + entry.name.rpartition(".")[2]
        if entry.is_file() and suffix in MEDIA_TYPES and not entry.name.startswith("."):
            found[entry.name] = MEDIA_TYPES[suffix]
    return found


def create_app(host="127.0.0.1", port=8765, policy=None, session_class=None):
    """The ASGI app for a server at ``host``:``port`` (the Host and Origin it accepts).
    ``policy`` (:class:`.protocol.Policy`) and ``session_class`` are the tests' to change."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route, WebSocketRoute

    session_class = session_class or Session
    policy = policy or Policy()
    files = static_files()
    folder = importlib.resources.files(__package__) / "static"
    sessions = Sessions(policy.sessions)
    hello = _hello(session_class, policy)

    def file_response(name):
        if name not in files:
            return Response("404: no such file\n", 404, media_type="text/plain")
        return Response((folder / name).read_bytes(), media_type=files[name])

    async def page(request):
        return file_response("index.html")

    async def static(request):
        return file_response(request.path_params["name"])

    async def health(request):
        return JSONResponse({"ok": True, "sessions": sessions.count})

    async def socket(websocket):
        await serve(websocket, sessions, policy, session_class, hello)

    app = Starlette(routes=[Route("/", page), Route("/static/{name}", static),
                            Route("/health", health), WebSocketRoute("/ws", socket)],
                    middleware=[Middleware(Guard, hosts=allowed_hosts(host, port))])
    app.state.sessions = sessions
    return app


def _hello(session_class, policy):
    """The hello message's maker: the first call builds it (a default Session gives the
    defaults), later calls give it again."""
    made, lock = [], threading.Lock()

    def hello():
        with lock:
            if not made:
                made.append({"type": "hello", "version": __version__, "choices": choices(),
                             "limits": {**limits(), "upload_bytes": policy.upload_bytes,
                                        "message_bytes": policy.message_bytes,
                                        "messages_per_second": policy.messages_per_second,
                                        "idle_seconds": policy.idle_seconds},
                             "defaults": session_class({}).settings})
            return made[0]
    return hello
