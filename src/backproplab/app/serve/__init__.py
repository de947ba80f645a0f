"""``backproplab serve``: the playground in the browser — a network trained live on the server,
its frames streamed to the page over a WebSocket.

The modules, from the outside in:

- launch.py: the command — the [web] extra checked, the socket bound, uvicorn run;
- web.py: the Starlette app — the page, its files, /health, the WebSocket route;
- guard.py: the Host and Origin checks and the security headers, for every request;
- connection.py: one WebSocket — sessions at once, idle time, message rate, sending;
- protocol.py: every message a client may send, checked; the server's limits (Policy);
- actions.py: what each message does to the session;
- runner.py: the session's worker thread — training in chunks, frames at ~25 a second;
- outbox.py: replies in order and the latest frame, from the worker to the event loop.

Starlette and uvicorn are imported inside functions (the extra is optional): importing this
package needs neither.
"""
