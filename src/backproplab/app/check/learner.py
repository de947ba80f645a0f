"""The checker's end of the pipe to the learner's code: one child process (spawned, so nothing of
the checker's state leaks into it) for the whole check, every request with a time limit.

An endless loop in their code is a request that does not answer within ``timeout`` seconds: the
child is killed and the check stops with one line. An exception in their code stops it with
their traceback. Both are :class:`LearnerFailed`, a user error (exit status 2).
"""

import multiprocessing
import os
import re

from ...errors import BackproplabError
from . import child
from .child import decode, encode

# NumPy's words when ``p -= lr * g`` meets a g of another shape than p's
_IN_PLACE = re.compile(r"non-broadcastable output operand with shape \(([\d, ]*)\) doesn't "
                       r"match the broadcast shape \(([\d, ]*)\)")


def unsummed_hint(traceback):
    """What a failed in-place update most often means: a parameter (often a bias) moved by a
    gradient with one row per sample — the gradient not summed over the samples. "" when the
    traceback says nothing of the kind."""
    found = _IN_PLACE.search(traceback)
    if not found:
        return ""
    param, wide = ([int(d) for d in part.replace(" ", "").split(",") if d] for part in
                   found.groups())
    if len(wide) < 2 or wide[0] < 2 or param not in (wide[1:], [1, *wide[1:]]):
        return ""
    return (f"\nA parameter of shape {tuple(param)} was updated in place by an array of shape "
            f"{tuple(wide)}, one row per sample: a gradient not summed over the samples? For a "
            "bias, db = Σₙ δ: delta.sum(axis=0), with keepdims=True for a (1, units) bias.")


class LearnerFailed(BackproplabError):
    """The learner's code raised, hung, or broke the protocol."""


class Learner:
    """The learner's network, behind a pipe. Use as a context manager: the child always ends."""

    def __init__(self, path, function="make_network", timeout=60.0):
        if not os.path.isfile(path):
            raise BackproplabError(f"{path}: no such file")
        self.path, self.function, self.timeout = path, function, timeout
        self.name = os.path.basename(path)
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(target=child.serve, args=(theirs, path, function),
                                        daemon=True)
        self._process.start()
        theirs.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._process.is_alive():
            self._conn.close()
            self._process.join(1.0)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()

    def request(self, op, arrays=(), **header):
        """Send one request; (reply header, reply arrays)."""
        self._conn.send_bytes(encode({"op": op, **header}, arrays))
        if not self._conn.poll(self.timeout):
            self._process.kill()
            self._process.join()
            raise LearnerFailed(
                f"{self.name}: your code did not answer '{op}' within {self.timeout:g} s (an "
                "endless loop?); it was stopped (give more time with --timeout)")
        try:
            reply, out = decode(self._conn.recv_bytes())
        except EOFError:
            self._process.join()
            raise LearnerFailed(f"{self.name}: the process running your code ended during "
                                f"'{op}' (exit code {self._process.exitcode})") from None
        if "traceback" in reply:
            raise LearnerFailed(f"{self.name}: your code raised an exception during '{op}':\n"
                                + reply["traceback"] + unsummed_hint(reply["traceback"]))
        if "error" in reply:
            raise LearnerFailed(reply["error"])
        return reply, out

    # -- the protocol's requests -------------------------------------------------------------

    def start(self, n_in, hidden, n_out, seed):
        """Build their network; {kind, names, methods, shapes}."""
        reply, _ = self.request("init", n_in=n_in, hidden=list(hidden), n_out=n_out, seed=seed)
        return reply

    def get(self):
        return self.request("get")[1]

    def set(self, arrays):
        self.request("set", arrays)

    def forward(self, x):
        return self.request("forward", [x])[1][0]

    def backward(self, x, y):
        reply, grads = self.request("backward", [x, y])
        return reply["keys"], grads

    def step(self, x, y, lr):
        self.request("step", [x, y], lr=lr)

    def loss(self, y_hat, y):
        return self.request("loss", [y_hat, y])[0]["loss"]

    def numgrad(self, x, y, h):
        return self.request("numgrad", [x, y], h=h)[1]

    def train(self, x, y, lr, epochs, order=None, scale=1.0):
        return self.request("train", [x, y], lr=lr, epochs=epochs, order=order,
                            scale=scale)[1][0]

    def warnings(self):
        return self.request("warnings")[0]["warnings"]
