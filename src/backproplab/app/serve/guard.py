"""The server's door: which requests reach the playground at all (plain ASGI middleware).

A server on localhost can be reached by every web page its user visits, and two attacks
follow from that:

- DNS rebinding: a page at evil.example makes its own name resolve to 127.0.0.1, and then reads
  the playground as if it were its own site. The browser still sends ``Host: evil.example``:
  every HTTP request and WebSocket whose Host is not this server's name and port is refused.
- Cross-site WebSocket hijacking: a page on another site opens ws://127.0.0.1:8765/ws (the
  same-origin rule does not cover WebSockets). The browser sends that page's ``Origin``: a
  WebSocket whose Origin is not exactly http://HOST:PORT of this server is refused — as is one
  with no Origin — and is never accepted.

Every HTTP answer also carries headers that keep the page to its own files: a Content Security
Policy allowing scripts, styles and connections from the server alone, and no framing.
"""

import socket

LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARDS = ("0.0.0.0", "::", "")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self' ws://{host}; font-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
           "referrer-policy": "no-referrer", "cache-control": "no-store",
           "cross-origin-opener-policy": "same-origin",
           "cross-origin-resource-policy": "same-origin"}


def allowed_hosts(host, port):
    """The Host header values that name this server: localhost, 127.0.0.1 and [::1], and the
    --host given (bound to every interface: also this machine's name and addresses), each with
    the port (and without it, for port 80)."""
    names = {*LOCAL_NAMES, _bracketed(host)}
    if host in WILDCARDS:
        names |= _this_machine()
    names.discard("")
    with_port = {f"{name}:{port}" for name in names}
    return frozenset(with_port | names) if port == 80 else frozenset(with_port)


def _bracketed(host):
    """An IPv6 address as a URL writes it: [::1]."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host.lower()


def _this_machine():
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        infos = []
    return names | {_bracketed(info[4][0]) for info in infos}


class Guard:
    """ASGI middleware: refuse a request whose Host (or a WebSocket's Origin) is not this
    server's; add the security headers to every HTTP answer."""

    def __init__(self, app, hosts):
        self.app = app
        self.hosts = frozenset(hosts)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        headers = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1").lower(), []).append(
                value.decode("latin-1"))
        host = _one(headers, "host")
        if host is None or host.lower() not in self.hosts:
            await _refuse(scope, receive, send, 400, "this server answers only to its own "
                                                     "address (the Host header was not it)")
            return
        if scope["type"] == "websocket":
            origin = _one(headers, "origin")
            if origin is None or origin.lower() not in self.origins:
                await _refuse(scope, receive, send, 403, "only the playground's own page may "
                                                         "open its WebSocket")
                return
            await self.app(scope, receive, send)
            return
        extra = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
        extra.append((b"content-security-policy", CSP.format(host=host.lower()).encode()))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _one(headers, name):
    """The header's value if it came exactly once (two Host headers are refused too)."""
    values = headers.get(name, [])
    return values[0] if len(values) == 1 else None


async def _refuse(scope, receive, send, status, reason):
    """Refuse the request: an HTTP status, or a WebSocket closed before it is accepted (which
    the server answers with 403)."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
        return
    body = f"{status}: {reason}\n".encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            *((k.encode(), v.encode()) for k, v in HEADERS.items())]})
    await send({"type": "http.response.body", "body": body})
