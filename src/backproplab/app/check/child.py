"""The learner's side of ``backproplab check``: a child process that imports the learner's file,
builds their network with ``make_network(n_in, hidden, n_out, seed)`` and answers the parent's
requests (get and set the weights, forward, backward, step, loss, finite differences, training).

Every message, both ways, is one ``.npz`` of plain arrays (np.savez, read back with
``allow_pickle=False``): a JSON header under ``_json`` and arrays ``a0, a1, …``. Nothing the
learner's code returns is ever unpickled by the checker. An exception in their code goes back as
its traceback, cut to the lines in their file; NumPy's warnings are counted, not printed.
"""

import importlib.util
import io
import json
import os
import sys
import traceback
import warnings
from collections import Counter

import numpy as np

W_NAMES = ("W{}", "w{}", "weight{}", "weights{}")
B_NAMES = ("b{}", "B{}", "bias{}", "biases{}")


def encode(header, arrays=()):
    """One message: a JSON header and a list of plain arrays, as bytes."""
    buffer = io.BytesIO()
    named = {f"a{i}": np.asarray(a) for i, a in enumerate(arrays)}
    np.savez(buffer, _json=np.array(json.dumps(header)), **named)
    return buffer.getvalue()


def decode(data):
    """(header, list of arrays) of a message; object arrays are refused, never unpickled."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        header = json.loads(str(npz["_json"]))
        arrays = [npz[f"a{i}"] for i in range(len(npz.files) - 1)]
    return header, arrays


class LearnerError(Exception):
    """An exception raised by the learner's code, carrying its traceback as text."""


def _their_traceback(error, path):
    """The traceback of ``error`` with only the frames in the learner's file."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if os.path.realpath(f.filename) == path]
    lines = ["Traceback (lines in your file):"] if frames else []
    lines += [line.rstrip("\n") for line in traceback.format_list(frames)]
    lines += [line.rstrip("\n") for line in traceback.format_exception_only(type(error), error)]
    return "\n".join(lines)


class ProtocolError(Exception):
    """The learner's network answered, but not as the protocol asks."""


def _floats(value, what):
    """value as a float array, or the error that says what it was."""
    try:
        if value is None:
            raise TypeError
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ProtocolError(f"{what} returned {type(value).__name__}, not an array of "
                           "numbers") from None


class Server:
    """The learner's network and the requests on it."""

    def __init__(self, path, function):
        self.path, self.function = os.path.realpath(path), function
        self.net, self.kind, self.names = None, None, []
        self.warned = Counter()

    def call(self, f, *args):
        """f(*args), with NumPy's warnings counted by message and line of their file."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = f(*args)
            except (Exception, SystemExit) as e:  # their code: any exception is theirs to see
                raise LearnerError(_their_traceback(e, self.path)) from None
        for w in caught:
            where = f" (line {w.lineno})" if os.path.realpath(w.filename) == self.path else ""
            self.warned[f"{w.message}{where}"] += 1
        return result

    # -- requests --------------------------------------------------------------------------

    def init(self, n_in, hidden, n_out, seed):
        spec = importlib.util.spec_from_file_location("learner_network", self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["learner_network"] = module
        self.call(spec.loader.exec_module, module)
        make = getattr(module, self.function, None)
        if not callable(make):
            return {"error": f"{os.path.basename(self.path)} defines no function "
                             f"{self.function}(n_in, hidden, n_out, seed)"}
        self.net = self.call(make, n_in, list(hidden), n_out, seed)
        if callable(getattr(self.net, "parameters", None)):
            self.kind = "parameters"
            self.names = [f"p{i}" for i in range(len(self.call(self.net.parameters)))]
        else:
            self.kind = "attributes"
            self.names = self._attribute_names()
        methods = [m for m in ("forward", "backward", "step", "loss")
                   if callable(getattr(self.net, m, None))]
        return {"kind": self.kind, "names": self.names, "methods": methods,
                "shapes": [list(np.shape(a)) for a in self.get()]}

    def _attribute_names(self):
        names, layer = [], 1
        while True:
            w = [n.format(layer) for n in W_NAMES if hasattr(self.net, n.format(layer))]
            if not w:
                return names
            b = [n.format(layer) for n in B_NAMES if hasattr(self.net, n.format(layer))]
            names += w[:1] + b[:1]
            layer += 1

    def get(self):
        if self.kind == "parameters":
            return [np.array(p, dtype=float) for p in self.call(self.net.parameters)]
        return [np.array(getattr(self.net, n), dtype=float) for n in self.names]

    def set(self, arrays):
        """Write the checker's weights into the learner's arrays, in place where it can (their
        code may hold other references to them), else as new attributes."""
        current = self.call(self.net.parameters) if self.kind == "parameters" else [
            getattr(self.net, n) for n in self.names]
        for i, (old, new) in enumerate(zip(current, arrays)):
            if isinstance(old, np.ndarray) and old.shape == new.shape and old.dtype.kind == "f":
                old[...] = new
            elif self.kind == "attributes":
                setattr(self.net, self.names[i], new.copy())
            else:
                raise ProtocolError(f"parameters() gave item {i} as {type(old).__name__} of "
                                   f"shape {np.shape(old)}: the checker needs float NumPy "
                                   "arrays it can write into")

    def forward(self, x):
        return _floats(self.call(self.net.forward, x.copy()), "forward(x)")

    def backward(self, x, y):
        grads = self.call(self.net.backward, x.copy(), y.copy())
        named = grads.items() if isinstance(grads, dict) else (
            enumerate(grads) if isinstance(grads, (list, tuple)) else ())
        missing = [str(k) for k, g in named if g is None]
        if missing:  # a template's TODO lines, or gradients not written yet
            raise ProtocolError(f"backward gives no gradient yet for {', '.join(missing)} "
                                "(None): those are still to write")
        if isinstance(grads, dict):
            return list(map(str, grads)), [_floats(g, f"backward's {k}") for k, g in
                                           grads.items()]
        if isinstance(grads, (list, tuple)):
            return None, [_floats(g, f"backward's gradient {i}") for i, g in enumerate(grads)]
        raise ProtocolError(f"backward(x, y) returned {type(grads).__name__}: it must return "
                           "the gradients, a dict keyed by the weights' names or a list in "
                           "their order")

    def loss(self, y_hat, y):
        return float(self.call(self.net.loss, y_hat.copy(), y.copy()))

    def numgrad(self, x, y, h):
        """Central differences of their loss(forward(x), y) for every entry of every array."""
        weights = self.get()
        out = []
        for i, w in enumerate(weights):
            g = np.zeros(w.shape)
            for j in np.ndindex(w.shape):
                losses = []
                for sign in (1, -1):
                    nudged = [a.copy() for a in weights]
                    nudged[i][j] += sign * h
                    self.set(nudged)
                    losses.append(self.loss(self.forward(x), y))
                g[j] = (losses[0] - losses[1]) / (2 * h)
            out.append(g)
        self.set(weights)
        return out

    def train(self, x, y, lr, epochs, order, scale):
        """``epochs`` updates, by their step or by their backward and plain gradient descent
        (w ← w − lr/scale · g; ``order``: which of their gradients is each weight's); the
        outputs before every update and after the last, (epochs + 1, n)."""
        outputs = []
        for _ in range(epochs):
            outputs.append(self.forward(x).reshape(-1))
            if order is None:
                self.call(self.net.step, x.copy(), y.copy(), lr)
                continue
            keys, grads = self.backward(x, y)
            weights = self.get()
            if any(grads[k].size != w.size for w, k in zip(weights, order)):
                raise ProtocolError("a gradient from backward has another size than its "
                                   "weights, so plain gradient descent cannot apply it")
            self.set([w - lr / scale * grads[k].reshape(w.shape)
                      for w, k in zip(weights, order)])
        outputs.append(self.forward(x).reshape(-1))
        return np.array(outputs)


def serve(conn, path, function):
    """The child's loop: answer each request until the parent closes the pipe."""
    server = Server(path, function)
    while True:
        try:
            header, arrays = decode(conn.recv_bytes())
        except EOFError:
            return
        op = header.pop("op")
        try:
            reply, out = answer(server, op, header, arrays)
        except LearnerError as e:
            reply, out = {"traceback": str(e)}, []
        except ProtocolError as e:
            reply, out = {"error": f"{os.path.basename(path)}: {e}"}, []
        except Exception as e:  # what their objects did to the protocol: said, not a crash
            reply, out = {"traceback": f"{type(e).__name__}: {e}"}, []
        conn.send_bytes(encode(reply, out))


def answer(server, op, header, arrays):
    """(reply header, reply arrays) of one request."""
    if op == "init":
        return server.init(**header), []
    if op == "get":
        return {}, server.get()
    if op == "set":
        server.set(arrays)
        return {}, []
    if op == "forward":
        return {}, [server.forward(arrays[0])]
    if op == "backward":
        keys, grads = server.backward(*arrays)
        return {"keys": keys}, grads
    if op == "step":
        server.call(server.net.step, arrays[0].copy(), arrays[1].copy(), header["lr"])
        return {}, []
    if op == "loss":
        return {"loss": server.loss(*arrays)}, []
    if op == "numgrad":
        return {}, server.numgrad(*arrays, header["h"])
    if op == "train":
        return {}, [server.train(*arrays, **header)]
    if op == "warnings":
        return {"warnings": sorted(server.warned.items(), key=lambda kv: -kv[1])}, []
    raise ValueError(f"unknown request {op}")
