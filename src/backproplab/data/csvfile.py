"""CSV files of points: a header row, numeric feature columns, the class label last — 0 or 1
for two classes, or 0 to K − 1 for K classes (K at most limits.MAX_CLASSES), each class with at
least one point.

A CSV file is something a user hands over, so it is read only if it is a regular UTF-8 file of
at most limits.MAX_TEXT_FILE (a folder, a FIFO or /dev/zero is refused at once), a line at a
time into one array of numbers, and every problem names the file and its line.
"""

import csv
import math
import re
from array import array

import numpy as np

from ..errors import BackproplabError
from ..files import read_text_capped
from ..limits import MAX_CLASSES, MAX_TEXT_FILE


def load_csv(path):
    """Read a CSV file: a header row, numeric feature columns, the class label in the last
    column (a whole number 0 … limits.MAX_CLASSES − 1). Returns x (n, features) float64 and
    y (n, 1) int64.

    Only a regular UTF-8 file of at most limits.MAX_TEXT_FILE is read (a folder, a FIFO or
    /dev/zero is refused at once). Every problem names the file and the line: a non-numeric,
    empty or infinite cell (with its column), a row with the wrong number of cells, a label
    that is not a class number, a class with no point below the largest (labels numbered from
    1, say), fewer than two columns, no data rows.
    """
    return parse_csv(read_text_capped(path, MAX_TEXT_FILE, "CSV file"), path)


def parse_csv(text, path):
    """:func:`load_csv` for CSV text already in hand (an upload to the playground): the same
    checks and messages, the text named ``path`` in them. (features (n, d), labels (n, 1))."""
    reader = csv.reader(_lines(text))
    header, values, end = None, array("d"), 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num  # a quoted cell may span lines: the first
            if not any(c.strip() for c in row):
                continue
            if header is None:
                header = row
                if len(header) < 2:
                    raise BackproplabError(
                        f"{path}:{start}: need at least two columns (features, then the label); "
                        f"the header has {len(header)}")
                continue
            _read_row(path, start, header, row, values)
    except csv.Error as e:
        raise BackproplabError(f"{path}:{reader.line_num}: cannot read it as a CSV file ({e})") \
            from None
    if header is None:
        raise BackproplabError(f"{path}: the file is empty (expected a header row and data)")
    if not values:
        raise BackproplabError(f"{path}: no data rows after the header")
    table = np.frombuffer(values, dtype=np.float64).reshape(-1, len(header))
    labels = table[:, -1:].astype(np.int64)
    _check_classes(path, labels)
    return table[:, :-1], labels


def _check_classes(path, labels):
    """Labels are class numbers, 0 … K − 1: beyond two classes (or 1 and 2 for two) every one
    up to the largest needs a point, or its output unit would be trained on nothing, silently.
    Two classes may have points of one alone (a small file, a test set)."""
    present = np.unique(labels)
    top = int(present[-1])
    if top < 2 or len(present) == top + 1:
        return
    if present[0] == 1 and len(present) == top:
        raise BackproplabError(
            f"{path}: the labels run from 1 to {top}, but classes are numbered from 0: subtract "
            f"1 from every label ({top} classes: 0 … {top - 1})")
    missing = sorted(set(range(top + 1)) - set(present.tolist()))
    shown = ", ".join(map(str, missing[:10])) + (", …" if len(missing) > 10 else "")
    raise BackproplabError(
        f"{path}: no point has label {shown}: the labels are class numbers, 0 … {top} here, and "
        "every class needs at least one point")


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # a line with its ending, as open() splits


def _lines(text):
    """The lines of ``text`` one at a time (a list of them, or a StringIO, would cost several
    times the file's size)."""
    for match in _LINE.finditer(text):
        yield match.group()


def _read_row(path, line, header, row, values):
    """Append a data row's numbers to ``values``; a clear error for a bad cell or label."""
    if len(row) != len(header):
        raise BackproplabError(f"{path}:{line}: {len(row)} cells, but the header has "
                               f"{len(header)} columns")
    for c, cell in enumerate(row):
        try:
            if "_" in cell:  # Python reads 1_000 as a number; a CSV file does not
                raise ValueError(cell)
            v = float(cell)
        except ValueError:
            what = "empty" if not cell.strip() else f"not a number: {_shown(cell)}"
            raise BackproplabError(
                f"{path}:{line}: column {_shown(header[c])} is {what}") from None
        if not math.isfinite(v):
            raise BackproplabError(f"{path}:{line}: column {_shown(header[c])} is not finite: "
                                   f"{_shown(cell)}")
        values.append(v)
    label = values[-1]
    if label != math.floor(label) or not 0 <= label < MAX_CLASSES:
        raise BackproplabError(f"{path}:{line}: the label (last column, {_shown(header[-1])}) "
                               f"must be a class, a whole number from 0 to {MAX_CLASSES - 1}, "
                               f"got {_shown(row[-1])}")


def _shown(cell, width=40):
    """A cell as an error message quotes it: stripped, cut to ``width`` characters, repr'd."""
    cell = cell.strip()
    return repr(cell if len(cell) <= width else cell[:width - 1] + "…")
