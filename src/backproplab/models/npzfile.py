"""Reading an .npz file that a user hands over, without trusting it.

An .npz file is a zip archive of .npy arrays, and ``np.load`` believes what it says: a 1 KB
file whose header claims 10¹² values is allocated before anything is checked, and a small
member that inflates to gigabytes is inflated. Here nothing is read before it is checked:

1. the path must be a regular file (a folder, a FIFO or /dev/zero is refused), and the zip's
   directory — which zipfile holds in memory whole — is refused if it claims more than a limit;
2. only the members a caller accepts, stored or deflated as numpy writes them;
3. each member's .npy header first — its dtype and shape, parsed by numpy without ever
   unpickling (object dtypes are refused) — and the bytes they declare must be the zip
   entry's size, all of them together within a limit;
4. then a member's data, exactly the bytes its header declares, in bounded chunks: a zip bomb
   cannot inflate past that.
"""

import math
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.lib import format as npy

from ..errors import BackproplabError
from ..limits import MAX_ZIP_DIRECTORY, size_text

_CHUNK = 2**20  # data is read (and inflated) this much at a time
_MAX_HEADER = 10_000  # bytes of an .npy header: numpy's own default cap
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what np.savez(_compressed) writes
# What zipfile and zlib raise for a damaged archive (a bad CRC, a broken deflate stream, an
# encrypted member, a short read); numpy raises ValueError for a bad .npy header
_DAMAGED = (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error,
            NotImplementedError, RuntimeError)
_NOT_NPY = (ValueError, SyntaxError, RecursionError, TypeError)


@dataclass(frozen=True)
class Member:
    """One .npy member as its header declares it (nothing of its data read yet)."""

    name: str  # without ".npy"
    dtype: np.dtype
    shape: tuple
    fortran: bool  # the data is in column-major order
    offset: int  # where the data starts, after the header
    info: zipfile.ZipInfo

    @property
    def nbytes(self):
        return math.prod(self.shape) * self.dtype.itemsize  # Python ints: no overflow


class Npz:
    """An .npz file opened for checked reading: ``members`` {name: Member} as the headers
    declare them; :meth:`read` reads one member's array. A context manager.

    ``accept(name)`` says which member names (without ".npy") may be there; ``what`` names the
    kind of file in messages; ``max_bytes`` caps the data of all members together.
    """

    def __init__(self, path, accept, what, max_bytes):
        self.path, self.what = os.fspath(path), what
        self._file = _open_regular(self.path, what)
        try:
            self._zip = _open_zip(self._file, self.path, what)
            self.members = self._headers(accept)
            total = sum(m.nbytes for m in self.members.values())
            if total > max_bytes:
                self.fail(f"its arrays declare {size_text(total)}, more than the "
                          f"{size_text(max_bytes)} a {what} may hold")
        except BaseException:
            self.close()
            raise

    def fail(self, message):
        raise BackproplabError(f"{self.path}: {message}")

    def read(self, name):
        """The array of member ``name``: exactly the bytes its header declares, read a chunk
        at a time (a writable array of the declared dtype and shape)."""
        m = self.members[name]
        data = bytearray(m.nbytes)
        try:
            with self._zip.open(m.info) as f:
                f.read(m.offset)  # the header, read and checked already
                done = 0
                while done < m.nbytes:
                    chunk = f.read(min(_CHUNK, m.nbytes - done))
                    if not chunk:
                        self.fail(f"{m.info.filename} is cut short (truncated file)")
                    data[done:done + len(chunk)] = chunk
                    done += len(chunk)
        except _DAMAGED as e:
            self.fail(f"{m.info.filename} is damaged ({_reason(e)})")
        array = np.frombuffer(data, dtype=m.dtype, count=math.prod(m.shape))
        return array.reshape(m.shape, order="F" if m.fortran else "C")

    def _headers(self, accept):
        infos = self._zip.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            self.fail(f"holds the same member twice, so not a {self.what}")
        members = {}
        for info in infos:
            name = info.filename[:-4] if info.filename.endswith(".npy") else None
            if name is None or not accept(name):
                self.fail(f"unexpected member {info.filename!r}: not part of a {self.what}")
            if info.compress_type not in _METHODS:
                self.fail(f"{info.filename} is compressed with method {info.compress_type}; "
                          f"a {self.what}'s members are stored or deflated (as numpy writes "
                          "them)")
            members[name] = self._header(name, info)
        return members

    def _header(self, name, info):
        """The member's .npy header, checked against its zip entry before any data is read."""
        try:
            with self._zip.open(info) as f:
                version = npy.read_magic(f)
                if version not in ((1, 0), (2, 0)):
                    raise ValueError(f".npy version {version[0]}.{version[1]} is not read here")
                read_header = (npy.read_array_header_1_0 if version == (1, 0)
                               else npy.read_array_header_2_0)
                shape, fortran, dtype = read_header(f, max_header_size=_MAX_HEADER)
                offset = f.tell()
        except _DAMAGED as e:  # the header is read with the first block, CRC-checked if small
            self.fail(f"{info.filename} is damaged ({_reason(e)})")
        except _NOT_NPY as e:
            self.fail(f"{info.filename} is not a .npy array ({_reason(e)})")
        if dtype.hasobject:
            self.fail(f"{info.filename} holds pickled Python objects, which are never loaded; "
                      f"a {self.what} holds only numeric arrays")
        if dtype.itemsize == 0 or any(d < 0 for d in shape):
            self.fail(f"{info.filename} declares the impossible array {dtype.str} {shape}")
        member = Member(name, dtype, tuple(shape), fortran, offset, info)
        if info.file_size != offset + member.nbytes:
            self.fail(f"{info.filename} declares {_declared(member)} but its zip entry holds "
                      f"{size_text(info.file_size - offset)} of data")
        return member

    def close(self):
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _declared(m):
    return f"{m.dtype.str} values of shape {m.shape} ({size_text(m.nbytes)})"


def _reason(e):
    return str(e) or type(e).__name__


def _open_regular(path, what):
    """The file at ``path``, opened for reading if it is a regular file (a link to one is
    fine); a FIFO, a device or a folder is refused before it is opened."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise BackproplabError(f"{path}: is a directory, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise BackproplabError(f"{path}: is not a regular file, so not a {what}")
        f = open(path, "rb")
    except FileNotFoundError:
        raise BackproplabError(f"{path}: no such {what}") from None
    except OSError as e:
        raise BackproplabError(f"{path}: cannot read it ({e.strerror})") from None
    except ValueError as e:  # a NUL byte in the path
        raise BackproplabError(f"{path!r}: cannot read it ({e})") from None
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped since the stat
        f.close()
        raise BackproplabError(f"{path}: is not a regular file, so not a {what}")
    return f


def _open_zip(f, path, what):
    not_ours = f"{path}: not a backproplab {what} (.npz)"
    try:
        if f.read(4) != b"PK\x03\x04":  # every .npz is a zip archive
            raise BackproplabError(not_ours)
        directory = _directory_size(f)
        if directory > MAX_ZIP_DIRECTORY:
            raise BackproplabError(f"{path}: its zip directory claims {size_text(directory)}, "
                                   f"more than the {size_text(MAX_ZIP_DIRECTORY)} of a {what}")
        f.seek(0)
        return zipfile.ZipFile(f)
    except (*_DAMAGED, ValueError) as e:
        raise BackproplabError(f"{not_ours}: {_reason(e)}") from None


def _directory_size(f):
    """The size of the zip directory that zipfile would read into memory, as the end records
    declare it (the larger if a Zip64 record declares another); 0 if there is none."""
    end = f.seek(0, os.SEEK_END)
    start = max(end - 22 - 2**16, 0)  # the end record, after which a comment of < 64 KiB
    f.seek(start)
    tail = f.read()
    at = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" else tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return 0  # zipfile will say what is wrong
    size = struct.unpack_from("<I", tail, at + 12)[0]
    # Zip64: a 20-byte locator just before the end record, a 56-byte record before that
    f.seek(max(start + at - 76, 0))
    record = f.read(56)
    if f.read(4) == b"PK\x06\x07" and record[:4] == b"PK\x06\x06":
        size = max(size, struct.unpack_from("<Q", record, 40)[0])
    return size
