"""One WebSocket from its opening to its close: a place among the sessions allowed at once,
the hello, every message read and checked (size, shape, rate, idle time) before the session's
worker acts on it, and what the worker leaves in the outbox sent.

A bad message gets an error reply and the socket stays open. Three things close it, each
after an error message that says why: more sessions than allowed (1013, try again later), no
message for the idle time (4000), and a client that floods (1008, policy violation).
"""

import asyncio
import collections
import time

from . import protocol
from .actions import ACTIONS
from .outbox import Outbox
from .runner import Runner

IN_FLIGHT = 8  # messages of one client being acted on at once; the next waits for the oldest
MAX_BACKLOG = 32  # replies waiting for a client that does not read: reading waits too

TOO_MANY_SESSIONS, IDLE, FLOODING = 1013, 4000, 1008  # WebSocket close codes


class Sessions:
    """The sessions open at once, over every client (used in the event loop only)."""

    def __init__(self, limit):
        self.limit = limit
        self.count = 0

    def open(self):
        """Take a place, if one is free."""
        if self.count >= self.limit:
            return False
        self.count += 1
        return True

    def close(self):
        self.count -= 1


class Rate:
    """A token bucket: ``per_second`` messages a second on average, bursts of twice that.
    A message beyond it is dropped; a client that goes on (``flooding``) is cut off."""

    def __init__(self, per_second, clock=time.monotonic):
        self.per_second, self.burst = per_second, 2 * per_second
        self.clock = clock
        self.tokens, self.at = self.burst, clock()
        self.dropped = 0  # messages dropped since the last one let through

    def allow(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.dropped = 0
            return True
        self.dropped += 1
        return False

    def flooding(self):
        return self.dropped > self.burst


async def serve(websocket, sessions, policy, make_session, hello):
    """Run one tab's session over ``websocket``; ``hello()`` gives the hello message."""
    await websocket.accept()
    if not sessions.open():
        await _close(websocket, f"too many sessions at once (at most {sessions.limit}): close "
                                "another playground tab, then reload this one", TOO_MANY_SESSIONS)
        return
    try:
        outbox = Outbox(asyncio.get_running_loop())
        outbox.reply(await asyncio.to_thread(hello))
        runner = Runner(make_session, outbox, policy)
        outbox.on_frame_taken = runner.wake
        sender = asyncio.create_task(_send(websocket, outbox))
        try:
            ending = await _receive(websocket, runner, outbox, policy)
        finally:
            sender.cancel()
            outbox.close()
            runner.close()  # the session is freed with the runner, once its worker has ended
            await asyncio.to_thread(runner.join)
        if ending:
            await _close(websocket, *ending)
    finally:
        sessions.close()


async def _receive(websocket, runner, outbox, policy):
    """Read and act on messages until the client goes (None) or must go: (reason, code)."""
    rate = Rate(policy.messages_per_second)
    in_flight = collections.deque()
    while True:
        try:
            event = await asyncio.wait_for(websocket.receive(), policy.idle_seconds)
        except asyncio.TimeoutError:
            return (f"closed after {_duration(policy.idle_seconds)} without a message; reload "
                    "the page for a new session", IDLE)
        if event["type"] == "websocket.disconnect":
            return None
        if not rate.allow():
            if rate.flooding():
                return "too many messages: the session is closed", FLOODING
            if rate.dropped == 1:
                outbox.reply(protocol.error(f"too many messages (at most "
                                            f"{policy.messages_per_second:g} a second): some "
                                            "were dropped"))
            continue
        raw = event.get("text") if event.get("text") is not None else event.get("bytes")
        try:
            message = protocol.read(raw, policy)
        except protocol.MessageError as e:
            outbox.reply(protocol.error(e, e.about))
            continue
        while outbox.backlog() > MAX_BACKLOG:  # the client sends but does not read
            await asyncio.sleep(0.05)
        in_flight.append(asyncio.wrap_future(runner.submit(ACTIONS[message["type"]], message)))
        if len(in_flight) >= IN_FLIGHT:
            await in_flight.popleft()
        while in_flight and in_flight[0].done():
            in_flight.popleft()


async def _send(websocket, outbox):
    """Send what the outbox holds, as it comes, until the socket fails."""
    try:
        while True:
            await websocket.send_text(await outbox.take())
    except asyncio.CancelledError:
        raise
    except Exception:  # the client has gone; the receiving side sees it and ends the session
        return


async def _close(websocket, reason, code):
    """Say why, then close (either may fail if the client has gone already)."""
    try:
        await websocket.send_text(protocol.encode(protocol.error(reason)))
        await websocket.close(code=code, reason=reason[:120])
    except Exception:
        pass


def _duration(seconds):
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"
