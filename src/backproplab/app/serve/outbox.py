"""What goes to one browser, handed from the session's threads to the event loop that sends it.

Two kinds of message leave the server. Replies (settings, explain, a model file, an error, …)
are few, and each must arrive, in order: they wait in a short queue. Frames are many, and only
the newest matters: there is one slot for a frame, and the worker builds the next frame only
once the slot is empty again. A client that reads slowly therefore gets fewer frames — never a
queue of stale ones growing in the server's memory — and no frame's new curve points are lost.
"""

import asyncio
import collections
import threading

from . import protocol


class Outbox:
    """Replies in order and the latest frame, for one socket; ``reply`` and ``put_frame`` may
    be called from any thread, ``take`` only in the event loop."""

    def __init__(self, loop):
        self._loop = loop
        self._lock = threading.Lock()
        self._replies = collections.deque()
        self._frame = None
        self._ready = asyncio.Event()  # belongs to the loop: set only through call_soon_threadsafe
        self._closed = False
        self.on_frame_taken = None  # called (in the loop) when the slot empties: wakes the worker

    def reply(self, message):
        """Queue a reply (a dict; encoded here, in the caller's thread)."""
        text = protocol.encode(message)
        with self._lock:
            self._replies.append(text)
        self._wake()

    def frame_free(self):
        """Whether the last frame has been taken, so that a new one will not replace it."""
        return self._frame is None

    def put_frame(self, text):
        """Leave an encoded frame in the slot (replacing one not yet taken, if any)."""
        with self._lock:
            self._frame = text
        self._wake()

    def backlog(self):
        """Replies waiting to be sent."""
        return len(self._replies)

    async def take(self):
        """The next text to send: a waiting reply first, else the frame; waits for one."""
        while True:
            self._ready.clear()
            with self._lock:
                if self._replies:
                    return self._replies.popleft()
                text, self._frame = self._frame, None
            if text is not None:
                if self.on_frame_taken:
                    self.on_frame_taken()
                return text
            await self._ready.wait()

    def close(self):
        """No more wake-ups: the loop that would receive them may be gone."""
        self._closed = True

    def _wake(self):
        if self._closed:
            return
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:  # the event loop has closed: nobody is waiting any more
            self._closed = True
