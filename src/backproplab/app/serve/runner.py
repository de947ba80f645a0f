"""One browser tab's session: a playground Session trained in a worker thread of its own, with
frames sent about 25 times a second while it plays.

The worker is the one thread that calls the Session (robustness aside, which runs beside it):
a message from the browser becomes a command, and the worker runs commands between two chunks
of training, so the Session needs no locks and a frame never shows weights half updated.

While it plays, the worker trains until the next frame is due (Session.train with a
``time.perf_counter`` deadline), then builds the frame if the last one has been taken, and
goes on. Speed "max" trains flat out between frames; a number of epochs per second trains that
many, spread over the frames. A frame the client is too slow for is skipped, never queued
(see :mod:`.outbox`).
"""

import concurrent.futures
import logging
import queue
import threading
import time
import traceback

from ...errors import BackproplabError
from . import protocol

FRAMES_PER_SECOND = 25
FRAME_INTERVAL = 1 / FRAMES_PER_SECOND
FOREVER = 10**9  # "train until the deadline or the run's end"

log = logging.getLogger("backproplab.serve")


class Runner:
    """The worker thread of one socket and the state of play around its Session.

    ``make_session(settings)`` builds a Session (the playground's, or a test's stand-in);
    ``outbox`` takes the replies and frames (:class:`.outbox.Outbox`); ``policy`` is the
    server's :class:`.protocol.Policy`.
    """

    def __init__(self, make_session, outbox, policy):
        self.make_session = make_session
        self.outbox = outbox
        self.policy = policy
        self.session = None  # made by the first settings message, or by defaults when needed
        self.playing = False
        self.step_left = 0  # epochs a "step" still has to train
        self.frame_wanted = False  # the state changed: send a frame even when not playing
        self.robustness = None  # the thread of a robustness run, while one runs
        self._closing = False
        self._speed = None  # epochs per second while playing; None: as fast as it goes
        self._credit = 0.0  # epochs the speed allows and that are not trained yet
        self._credit_at = 0.0
        self._commands = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="playground-session",
                                        daemon=True)
        self._thread.start()

    # -- called from the event loop -----------------------------------------------------------

    def submit(self, action, message):
        """Run ``action(runner, message)`` in the worker; a future done when it has run."""
        done = concurrent.futures.Future()
        self._commands.put((action, message, done))
        return done

    def wake(self):
        """Let a waiting worker look again (the frame slot has emptied)."""
        self._commands.put(None)

    def close(self):
        """Stop training and any robustness run: the worker ends by itself, soon (it does not
        wait to be joined, so that a close that is itself cancelled still ends it)."""
        self._closing = True
        session = self.session
        if session is not None:
            session.pause()  # ends a long train() at its next epoch
            if self.robustness is not None:
                session.pause_robustness()
        self._commands.put(None)

    def join(self, timeout=5.0):
        """Wait (a while) for the worker to have ended."""
        self._thread.join(timeout)

    # -- used by the actions, in the worker -----------------------------------------------------

    def need_session(self):
        """The Session, made with the default settings if no settings have come yet."""
        if self.session is None:
            self.session = self.make_session({})
            self.announce(reset=True)
        return self.session

    def announce(self, reset):
        """Tell the client the settings as they are now, and the equivalent command."""
        s = self.session
        settings = s.settings
        self.outbox.reply({"type": "settings", "settings": settings, "command": s.command(),
                           "reset": reset})
        self._speed = _speed(settings.get("speed"))  # a new speed counts at once
        self.frame_wanted = True

    def play(self):
        self.need_session()
        self.playing, self.step_left = True, 0
        self._speed = _speed(self.session.settings.get("speed"))
        self._credit, self._credit_at = 0.0, time.perf_counter()
        self.frame_wanted = True

    def stop(self):
        """Pause (and end a step); the next frame says so."""
        self.playing, self.step_left = False, 0
        self.frame_wanted = True

    def step(self, epochs):
        self.need_session()
        self.playing, self.step_left = False, epochs

    def reply(self, message):
        self.outbox.reply(message)

    # -- the worker -----------------------------------------------------------------------------

    def _running(self):
        return self.playing or self.step_left > 0

    def _work(self):
        next_frame, framed = time.perf_counter(), None  # framed: the last frame's epoch
        while not self._closing:
            self._run_commands(self._wait(next_frame))
            if self._closing:
                return
            if self._running():
                self._train(next_frame)
            now = time.perf_counter()
            due = self._running() and now >= next_frame
            if self.session is not None and self.outbox.frame_free() and (
                    self.frame_wanted or due and self.session.epochs_done != framed):
                framed = self._send_frame()
            if due:  # sent, skipped (a slow client) or nothing new (a slow speed)
                next_frame = max(next_frame + FRAME_INTERVAL, now)

    def _wait(self, next_frame):
        """How long to wait for a command before going on: None for as long as it takes."""
        if not self._running():
            ready = self.frame_wanted and self.session is not None and self.outbox.frame_free()
            return 0 if ready else None
        if self.step_left or self._speed is None or self._credit >= 1:
            return 0
        until_epoch = (1 - self._credit) / self._speed
        return max(0.0, min(next_frame - time.perf_counter(), until_epoch))

    def _run_commands(self, timeout):
        try:
            item = self._commands.get(timeout=timeout) if timeout != 0 else (
                self._commands.get_nowait())
        except queue.Empty:
            return
        while True:
            if item is not None:
                self._run(*item)
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                return

    def _run(self, action, message, done):
        try:
            action(self, message)
        except Exception as e:
            self.report_error(e, message["type"])
        finally:
            done.set_result(None)

    def report_error(self, error, about):
        """An error as the client's reply: the user's own mistakes in their words; a bug is
        logged with its traceback, said in one line, and the session goes on."""
        if isinstance(error, BackproplabError):
            text = str(error)
        elif isinstance(error, MemoryError):
            text = "not enough memory for that; try smaller settings"
        else:
            log.error("playground: %s failed:\n%s", about,
                      "".join(traceback.format_exception(error)))
            text = f"internal error: {type(error).__name__}: {error}"
        self.reply(protocol.error(text, about))

    def _train(self, deadline):
        """Train until the deadline, the step's end, or the speed's share of epochs."""
        now = time.perf_counter()
        budget = self.step_left or FOREVER
        if not self.step_left and self._speed is not None:
            most = max(1.0, 2 * self._speed * FRAME_INTERVAL)  # no burst after a slow spell
            self._credit = min(self._credit + self._speed * (now - self._credit_at), most)
            self._credit_at = now
            budget = int(self._credit)
        if budget == 0 or now >= deadline:  # a frame is due first
            return
        try:
            ran = self.session.train(budget, deadline=deadline)
        except Exception as e:
            self.stop()
            self.report_error(e, "play")
            return
        if self.step_left:
            self.step_left -= ran
            self.frame_wanted |= self.step_left == 0
        elif self._speed is not None:
            self._credit -= ran
        if ran < budget and time.perf_counter() < deadline:
            self.stop()  # it stopped by itself: the run's end or its stopping rule

    def _send_frame(self):
        """Build the frame and leave it in the outbox; its epoch."""
        self.frame_wanted = False
        try:
            frame = self.session.frame()
        except Exception as e:
            self.playing, self.step_left = False, 0
            self.report_error(e, "frame")
            return None
        frame["playing"] = self._running()
        self.outbox.put_frame(protocol.encode(frame))
        return frame["epoch"]


def _speed(text):
    """Epochs per second from the ``speed`` setting: None for "max" (or anything unreadable,
    which the Session has refused already)."""
    try:
        speed = float(text)
    except (TypeError, ValueError):
        return None
    return speed if 0 < speed < float("inf") else None
