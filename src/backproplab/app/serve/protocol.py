"""What a browser tab may say to the server, checked before anything acts on it.

Every message is one JSON object sent as WebSocket text, ``{"type": NAME, ...fields}``.
:func:`read` turns the text into a clean dict — its fields of the right types and within
bounds, nothing else kept — or raises :class:`MessageError` with the line the page shows.
Whatever a client sends (binary frames, bytes that are not UTF-8, text that is not JSON, NaN,
1e999, an integer of 4000 digits, 10,000 nested lists, an unknown type, a wrong field) ends
here as that error; nothing a client sends becomes a path on the server.
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass

from ... import limits
from ...checks import is_real, is_whole
from ...errors import BackproplabError
from ...limits import size_text

MAX_SETTINGS = 64  # keys in one settings message (the page has about 30)
MAX_KEY = 40  # characters in a settings key
MAX_VALUE = 200  # characters in a settings value
MAX_NAME = 200  # characters in an uploaded file's name
MAX_STEP = 100_000  # epochs one "step" may ask for
MAX_COORDINATE = 1e6  # |x|, |y| of a clicked point
MAX_LABEL = 99  # a clicked point's class


@dataclass(frozen=True)
class Policy:
    """What one server allows its clients: limits.py's values, smaller in the tests."""

    message_bytes: int = limits.PLAYGROUND_MESSAGE_BYTES
    json_depth: int = limits.PLAYGROUND_JSON_DEPTH
    upload_bytes: int = limits.PLAYGROUND_UPLOAD_BYTES
    sessions: int = limits.PLAYGROUND_SESSIONS
    idle_seconds: float = limits.PLAYGROUND_IDLE_SECONDS
    messages_per_second: float = limits.PLAYGROUND_MESSAGES_PER_SECOND


class MessageError(BackproplabError):
    """A message the server will not act on; ``about`` is its type, when that was readable."""

    def __init__(self, message, about=None):
        super().__init__(message)
        self.about = about


def read(raw, policy):
    """The message in ``raw`` (str, or bytes for a binary frame) as a checked dict."""
    max_bytes, max_depth = policy.message_bytes, policy.json_depth
    if not isinstance(raw, str):
        raise MessageError("binary WebSocket messages are not understood; send JSON text")
    if len(raw) > max_bytes or len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise MessageError(f"message too large: at most {size_text(max_bytes)}")
    try:
        message = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:  # json.loads recurses once per level of nesting
        raise MessageError(f"message nested more than {max_depth} levels deep") from None
    except ValueError as e:  # bad syntax, NaN/Infinity (below), an integer of > 4300 digits
        reason = e.msg if isinstance(e, json.JSONDecodeError) else str(e).split(";")[0]
        raise MessageError(f"message is not valid JSON: {reason}") from None
    if _depth(message) > max_depth:
        raise MessageError(f"message nested more than {max_depth} levels deep")
    if not isinstance(message, dict):
        raise MessageError('a message is a JSON object: {"type": ..., ...}')
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise MessageError(f"unknown message type {_shown(kind)}; known: {', '.join(FIELDS)}")
    clean = {"type": kind}
    for name, check in FIELDS[kind].items():
        try:
            clean[name] = check(message.get(name), name)
        except BackproplabError as e:
            raise MessageError(str(e), kind) from None
    return clean


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _depth(value):
    """How deeply lists and objects nest in ``value`` (a scalar: 0), without recursion."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item
        todo.extend((c, level + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def _shown(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- the fields of each message type: name -> check(value, name) -> clean value -------------------


def _whole(lo, hi, default=None):
    def check(value, name):
        if value is None and default is not None:
            return default
        if not is_whole(value) or not lo <= value <= hi:
            raise BackproplabError(f"{name} must be a whole number from {lo} to {hi}, "
                                   f"got {_shown(value)}")
        return int(value)
    return check


def _coordinate(value, name):
    if not is_real(value) or not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        raise BackproplabError(f"{name} must be a number between {-MAX_COORDINATE:g} and "
                               f"{MAX_COORDINATE:g}, got {_shown(value)}")
    return float(value)


def _choice(*choices, default=None):
    def check(value, name):
        if value is None and default is not None:
            return default
        if value not in choices:
            raise BackproplabError(f"{name} must be one of {', '.join(choices)}, "
                                   f"got {_shown(value)}")
        return value
    return check


def _text(max_chars):
    def check(value, name):
        if not isinstance(value, str):
            raise BackproplabError(f"{name} must be text, got {_shown(value)}")
        if len(value) > max_chars:
            raise BackproplabError(f"{name} is longer than {max_chars} characters")
        return value
    return check


def _base64(value, name):
    """A file sent as base64 text: its bytes."""
    if not isinstance(value, str):
        raise BackproplabError(f"{name} must be base64 text, got {_shown(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BackproplabError(f"{name} is not valid base64") from None


def _settings(value, name):
    """The URL's keys: {str: str}; a number or a boolean is taken as the text it would be in
    the URL (0.03 → "0.03", true → "1")."""
    if not isinstance(value, dict):
        raise BackproplabError(f"{name} must be an object of keys and values")
    if len(value) > MAX_SETTINGS:
        raise BackproplabError(f"{name} has more than {MAX_SETTINGS} keys")
    clean = {}
    for key, v in value.items():
        if len(key) > MAX_KEY:
            raise BackproplabError(f"setting {_shown(key)} is not a setting (too long)")
        if isinstance(v, bool):
            v = "1" if v else "0"
        elif is_real(v):
            if not math.isfinite(v) or abs(v) > 1e300:
                raise BackproplabError(f"setting {key} must be a finite number, got {v!r}")
            v = repr(v) if isinstance(v, float) else str(v)
        if not isinstance(v, str):
            raise BackproplabError(f"setting {key} must be text or a number, got {_shown(v)}")
        if len(v) > MAX_VALUE:
            raise BackproplabError(f"setting {key} is longer than {MAX_VALUE} characters")
        clean[key] = v
    return clean


FIELDS = {
    "settings": {"settings": _settings},
    "play": {},
    "pause": {},
    "step": {"epochs": _whole(1, MAX_STEP, default=1)},
    "reset": {},
    "point": {"action": _choice("add", "remove"), "x": _coordinate, "y": _coordinate,
              "label": _whole(0, MAX_LABEL, default=0)},
    "new-sample": {},
    "upload": {"name": _text(MAX_NAME), "text": _text(2**62)},  # the size: by the caller
    "explain": {"index": _whole(0, 10**9), "set": _choice("train", "test", default="train")},
    "robustness": {"action": _choice("start", "stop")},
    "export-model": {},
    "load-model": {"data": _base64},
    "export-csv": {},
}
"""Every message type a client may send, and the fields the server reads from it."""


def encode(message):
    """A message for the client as compact JSON text. A number that is not finite (a loss that
    diverged) becomes null: JSON has no NaN, and the browser's JSON.parse would refuse it."""
    try:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(message), separators=(",", ":"), allow_nan=False)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def error(message, about=None):
    """The reply to a message the server could not act on; the socket stays open."""
    return {"type": "error", "message": str(message), "about": about}
