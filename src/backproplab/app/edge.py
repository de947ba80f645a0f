"""The edge of the command line, where whatever a user can cause becomes one line.

A bad option or file (BackproplabError), too little memory, an operating-system error (a full
disk, a read-only folder, a missing file), input nested too deeply, text the terminal cannot
show: each ends the command with one line on stderr and exit status 2. Ctrl-C and SIGTERM end
it with exit status 130 — never a traceback. Tracebacks are for real bugs; ``--debug`` (or
``BACKPROPLAB_DEBUG=1``) shows them for everything.
"""

import contextlib
import os
import signal
import sys
import threading

from ..errors import BackproplabError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def debugging(args=None):
    """Whether tracebacks are asked for: --debug or BACKPROPLAB_DEBUG=1."""
    return bool(getattr(args, "debug", False)) or os.environ.get("BACKPROPLAB_DEBUG", "") not in (
        "", "0")


def run(name, command, args):
    """Run ``command(args)`` for the command called ``name``; its exit status."""
    debug = debugging(args)
    try:
        return command(args)
    except KeyboardInterrupt:
        say(f"backproplab {name}: interrupted")
        return 130
    except (BackproplabError, MemoryError, RecursionError, OSError, UnicodeError) as e:
        if debug:
            raise
        say(f"backproplab {name}: error: {describe(e)}")
        return 2
    finally:
        finish_output()


def describe(error):
    """The one line that says what went wrong."""
    if isinstance(error, MemoryError):
        return ("not enough memory for this run (the machine refused an allocation); try "
                "smaller settings, or see --max-memory")
    if isinstance(error, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(error, OSError):
        return f"{error.filename or 'a file'}: {error.strerror or error}"
    if isinstance(error, UnicodeError):
        return f"text that cannot be encoded or decoded ({error})"
    return str(error)


def say(line):
    """Write ``line`` to stderr, whatever stderr can take."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def readable_output():
    """Let stdout and stderr show any text: a character the terminal's encoding lacks (an
    ASCII-only terminal and 'σ', '×', '—') is written as '?' instead of failing the run."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="replace")


def finish_output():
    """Flush stdout; if its reader has gone (``| head``) or it cannot be written (/dev/full),
    point it at /dev/null so that Python's exit does not print a traceback about it."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        silence(sys.stdout)


def silence(stream):
    """Point a stream whose reader has gone at /dev/null, so that later writes don't fail."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def terminate_as_interrupt():
    """SIGTERM, from now on, does what Ctrl-C does: a KeyboardInterrupt (which training turns
    into a clean stop between epochs, and the edge into exit status 130)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)


@contextlib.contextmanager
def signals_deferred():
    """Run the block to its end — the files being written — before Ctrl-C or SIGTERM take
    effect: a signal that arrives meanwhile is held, and raised as KeyboardInterrupt after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = {s: signal.signal(s, lambda signum, frame: held.append(signum))
                for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if held:
        raise KeyboardInterrupt
