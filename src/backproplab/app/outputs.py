"""Where a command writes, checked before any work starts, and a run's folder of its own.

A run writes into a new folder beside ``--out`` and renames it to ``--out`` once every file is
written: ``--out`` never holds half a run, nor one run's data beside another's figures. A
folder that already holds files is refused unless ``--overwrite`` says to replace it (then it
is replaced whole, when the new run is complete). If the run fails, its new folder goes and
``--out`` is as it was.
"""

import contextlib
import os
import shutil
import tempfile

from ..errors import BackproplabError
from ..files import umask


def check_writable_file(path, option):
    """Refuse now, before training, a file name that could not be written at the end: a
    folder, a folder that does not exist, one that cannot be written to."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise BackproplabError(f"{option} {path}: is a folder; give a file name")
    if os.path.lexists(path) and not os.path.isfile(path):  # a device, a FIFO, a dead link
        raise BackproplabError(f"{option} {path}: exists and is not a regular file; give a "
                               "file name")
    if not os.path.isdir(folder):
        raise BackproplabError(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackproplabError(f"{option} {path}: cannot write in {folder} (no permission, or "
                               "a read-only disk)")
    return path


def check_out(out, overwrite=False, option="--out", replaceable=None):
    """Refuse now an output folder the run could not have: a file, a folder of someone else's
    files (unless ``overwrite``, or ``replaceable(out)`` says it holds what this command
    writes), a place that cannot be written to. Returns the absolute path."""
    out = os.path.abspath(os.fspath(out))
    if os.path.exists(out) and not os.path.isdir(out):
        raise BackproplabError(f"{option} {out}: exists and is a file, not a folder")
    if os.path.isdir(out) and os.listdir(out) and not overwrite and not (
            replaceable and replaceable(out)):
        raise BackproplabError(f"{option} {out}: holds files already; give a new folder, or "
                               "--overwrite to replace it with this run's")
    parent = os.path.dirname(out)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise BackproplabError(f"{option} {out}: cannot create {parent} ({e.strerror})") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BackproplabError(f"{option} {out}: cannot write in {parent} (no permission, or "
                               "a read-only disk)")
    return out


@contextlib.contextmanager
def run_folder(out):
    """A new, empty folder beside ``out`` (checked with :func:`check_out`) for the block to
    write into; renamed to ``out`` when the block ends, replacing what was there."""
    parent, name = os.path.split(out)
    try:
        work = tempfile.mkdtemp(dir=parent, prefix=f".{name}.", suffix=".partial")
    except OSError as e:
        raise BackproplabError(f"--out {out}: cannot create a folder in {parent} "
                               f"({e.strerror})") from None
    try:
        yield work
        os.chmod(work, 0o777 & ~umask())  # mkdtemp makes 0700; give the usual permissions
        if os.path.isdir(out):
            old = work + ".old"
            os.rename(out, old)
            os.rename(work, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
