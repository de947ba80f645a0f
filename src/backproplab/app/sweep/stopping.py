"""Stopping a sweep honestly: Ctrl-C and SIGTERM become a request to stop, which the sweep
checks between stacks and the Trainer between epochs, so every network ends at a whole epoch
and is recorded as far as it got.

In the sweep's own process (and in a worker process) a signal only sets :data:`REQUEST`; a
second Ctrl-C raises KeyboardInterrupt at once. SIGTERM is read as Ctrl-C. The sweep asks its
worker processes to stop with SIGUSR1, which a worker may be sent again and again; an idle
worker ignores Ctrl-C (a terminal sends it to every process of the sweep: the sweep itself
decides what happens next). A worker is born with Ctrl-C blocked (:func:`held_back`), so that
one sent while it is still starting — importing NumPy, say — waits, and is dropped once the
worker ignores it, instead of ending it with Python's traceback.
"""

import concurrent.futures
import contextlib
import signal
import threading

ASK_WORKER = getattr(signal, "SIGUSR1", None)  # what the sweep sends a worker to stop it


class _Request:
    """Whether this process was asked to stop: a plain flag, safe to set in a signal handler."""

    asked = False


REQUEST = _Request()


def _on_interrupt(signum, frame):
    if REQUEST.asked:
        raise KeyboardInterrupt  # asked twice: stop at once
    REQUEST.asked = True


def _on_term(signum, frame):
    signal.raise_signal(signal.SIGINT)  # SIGTERM is Ctrl-C, for whoever handles Ctrl-C now


def _on_ask(signum, frame):
    REQUEST.asked = True  # the sweep may ask again: never raises


@contextlib.contextmanager
def catching():
    """Within it, Ctrl-C and SIGTERM set REQUEST (the second Ctrl-C raises KeyboardInterrupt).
    Only the main thread receives signals: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, _on_interrupt),
                signal.SIGTERM: signal.signal(signal.SIGTERM, _on_term)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:
                signal.signal(signum, handler)


@contextlib.contextmanager
def held_back():
    """Within it, Ctrl-C is blocked in this thread and in every process (or thread) started
    here: a signal mask is inherited by a child and kept across its exec. A Ctrl-C that comes
    meanwhile waits, and reaches this process as the block ends; a worker started here
    unblocks it in :func:`worker_start`, once it ignores it."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no masks, and no terminal signals
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def wait_for_any(futures, timeout):
    """``concurrent.futures.wait(futures, timeout, FIRST_COMPLETED)``, which a Ctrl-C cannot
    break in the middle: raised there, a KeyboardInterrupt can leave a future's lock taken
    (wait takes them one by one, unguarded), and loky's thread, setting that future, waits
    for it for ever. A Ctrl-C meanwhile reaches this thread's handler, whatever it is, as the
    wait ends (at most ``timeout`` seconds later)."""
    if threading.current_thread() is not threading.main_thread():  # no signal comes here
        return concurrent.futures.wait(futures, timeout, concurrent.futures.FIRST_COMPLETED)
    came = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        return concurrent.futures.wait(futures, timeout, concurrent.futures.FIRST_COMPLETED)
    finally:
        signal.signal(signal.SIGINT, previous)
        if came:
            signal.raise_signal(signal.SIGINT)


def worker_start():
    """A worker process's start (loky's initializer): not asked yet; Ctrl-C ignored while idle
    (:func:`catching` handles it while a stack trains), SIGTERM read as Ctrl-C, SIGUSR1 the
    sweep's request."""
    REQUEST.asked = False
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    if ASK_WORKER is not None:
        signal.signal(ASK_WORKER, _on_ask)
    if hasattr(signal, "pthread_sigmask"):  # born with Ctrl-C blocked: one sent meanwhile was
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # dropped by SIG_IGN


@contextlib.contextmanager
def watching(trainer, stop=None):
    """While ``trainer`` trains: a thread that stops it (at the end of its epoch) once this
    process is asked to stop, or the event ``stop`` is set — a caller in another thread, where
    no signal arrives. It asks again every 50 ms, as ``Trainer.run`` forgets an earlier ask
    when it starts."""
    done = threading.Event()

    def watch():
        while not done.wait(0.05):
            if REQUEST.asked or (stop is not None and stop.is_set()):
                trainer.stop()

    thread = threading.Thread(target=watch, name="sweep-stop-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def asked(stop=None):
    """Whether this process, or the caller through ``stop``, asked the sweep to stop."""
    return REQUEST.asked or (stop is not None and stop.is_set())
