"""Files: atomic writes, CSV at full precision, and reading what a user hands over safely.

Every file is written to a temporary name in its own folder and renamed into place
(``os.replace`` is atomic), so an interrupted run never leaves a half-written file. A file a
user names is read only if it is a regular file no larger than a limit (a FIFO, /dev/zero or a
folder is refused at once, not read until memory runs out).
"""

import contextlib
import json
import os
import stat
import tempfile

import numpy as np

from .errors import BackproplabError
from .limits import size_text


@contextlib.contextmanager
def atomic_path(path, suffix=".tmp"):
    """A temporary file name beside ``path``, for writers that open a file by its name; on
    success the file gets the usual permissions and is renamed to ``path``, on failure it is
    removed. ``suffix`` ends the temporary name, for writers that pick the format from it (PIL
    writes a GIF only to a name ending in ``.gif``)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path, mode="w"):
    """Open a temporary file beside ``path``; on success rename it to ``path``."""
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    with atomic_path(path) as tmp, open(tmp, mode, **text) as f:
        yield f


def umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text):
    with atomic_open(path) as f:
        f.write(text)


def write_json(path, data):
    write_text(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot write {type(o).__name__} as JSON")


def fmt(v):
    """A number as text that reads back to the same float (repr is the shortest such text)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def write_csv(path, header, rows):
    """Rows of values under a header; floats at full precision (``repr``)."""
    with atomic_open(path) as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(fmt(v) for v in row) + "\n")


def read_capped(path, limit, what="file"):
    """The bytes of ``path`` if it is a regular file (a link to one is fine) of at most
    ``limit`` bytes; else a BackproplabError naming ``what`` and the problem."""
    path = os.fspath(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise BackproplabError(f"{what} {path}: is {kind}")
        if info.st_size > limit:
            raise BackproplabError(f"{what} {path}: is {size_text(info.st_size)}, more than "
                                   f"the {size_text(limit)} a {what} may have")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise BackproplabError(f"{what} {path}: no such file") from None
    except OSError as e:
        raise BackproplabError(f"{what} {path}: cannot read it ({e.strerror})") from None
    if len(data) > limit:  # it grew while being read
        raise BackproplabError(f"{what} {path}: more than the {size_text(limit)} a {what} may "
                               "have")
    return data


def read_text_capped(path, limit, what="file"):
    """:func:`read_capped`, decoded as UTF-8 text."""
    try:
        return read_capped(path, limit, what).decode("utf-8")
    except UnicodeDecodeError as e:
        raise BackproplabError(f"{what} {os.fspath(path)}: not UTF-8 text (byte {e.start})") \
            from None
