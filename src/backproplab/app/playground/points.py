"""The points a playground session trains on: a built-in set, drawn as ``train`` draws it, or
the page's own points (clicked, removed or uploaded), held out into training and test sets the
way ``train`` holds out a CSV file's — so that ``train --data points.csv`` with the page's
points makes the same run.

Points are (n, 2) float64 and labels (n, 1) int64 classes 0…K−1, as the CSV reader gives them.
"""

import math
import re
from dataclasses import dataclass

import numpy as np

from ...checks import is_real, is_whole
from ...data import datasets
from ...data.csvfile import parse_csv
from ...errors import BackproplabError
from ...files import fmt
from ...limits import (
    PLAYGROUND_MAX_CLASSES,
    PLAYGROUND_MAX_POINTS,
    PLAYGROUND_UPLOAD_BYTES,
    size_text,
)
from ..factory import has_test_data, load_data, load_test_data

PAD = 0.1  # the view is the points' bounding box and this share of it on every side
REACH = 0.03  # a click removes the nearest point within this share of the view's width
FAR = 1e6  # a clicked point's coordinates are at most this large


@dataclass
class Data:
    """A session's data: the training set, the test set (or None), every point (for edits and
    the CSV file, in the file's order), the view's extent (x0, x1, y0, y1) and the classes."""

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    x_all: np.ndarray
    y_all: np.ndarray
    extent: tuple
    classes: int


def load(cfg, points=None):
    """The data of configuration ``cfg``: its built-in set (``points`` None), or ``points``
    (x, y) held out by ``cfg.test_fraction`` as :func:`~backproplab.app.factory.load_data`
    holds out a CSV file (the stratified split drawn from the data seed)."""
    if points is None:
        x, y, _ = load_data(cfg)
        x_test, y_test = load_test_data(cfg) if has_test_data(cfg) else (None, None)
        x_all = x if x_test is None else np.concatenate([x, x_test])
        y_all = y if y_test is None else np.concatenate([y, y_test])
    else:
        x_all, y_all = points
        x, y, x_test, y_test = x_all, y_all, None, None
        if cfg.test_fraction is not None:
            seed = cfg.seed if cfg.data_seed is None else cfg.data_seed
            train, test = datasets.held_out(y_all, cfg.test_fraction, seed)
            x, y, x_test, y_test = x_all[train], y_all[train], x_all[test], y_all[test]
    classes = int(y_all.max()) + 1
    if classes > 2 and cfg.output != "softmax":
        raise BackproplabError(f"these points have {classes} classes (labels 0…{classes - 1}): "
                               "more than 2 need output softmax with loss ce")
    return Data(x, y, x_test, y_test, x_all, y_all, extent(x_all), max(classes, 2))


def extent(x):
    """(x0, x1, y0, y1): the bounding box of points x (n, 2), padded by PAD on every side (a
    set on a line or at one point gets a width of 1 there)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi - lo > 1e-9 * np.maximum(1.0, np.abs(hi)), hi - lo, 1.0)
    lo, hi = lo - PAD * span, hi + PAD * span
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def add(points, x1, x2, label):
    """``points`` (x, y) with one more point, labelled ``label``."""
    x, y = points
    for v, what in ((x1, "x"), (x2, "y")):
        if not is_real(v) or not math.isfinite(v) or abs(v) > FAR:
            raise BackproplabError(f"a point's {what} must be a number of size at most {FAR:g}, "
                                   f"got {str(v)[:40]}")
    if not is_whole(label) or not 0 <= label < PLAYGROUND_MAX_CLASSES:
        raise BackproplabError(f"a point's label must be a class 0…{PLAYGROUND_MAX_CLASSES - 1}"
                               f", got {str(label)[:40]}")
    if len(x) >= PLAYGROUND_MAX_POINTS:
        raise BackproplabError(f"the playground holds at most {PLAYGROUND_MAX_POINTS} points")
    return (np.concatenate([x, [[float(x1), float(x2)]]]),
            np.concatenate([y, np.array([[label]], dtype=np.int64)]))


def remove(points, x1, x2, view):
    """``points`` (x, y) without the point nearest (x1, x2), which must lie within REACH of the
    width of the ``view`` (x0, x1, y0, y1)."""
    x, y = points
    if not all(is_real(v) and math.isfinite(v) for v in (x1, x2)):
        raise BackproplabError("a point to remove needs numbers x and y")
    distance = np.hypot(x[:, 0] - x1, x[:, 1] - x2)
    nearest = int(np.argmin(distance))
    if distance[nearest] > REACH * max(view[1] - view[0], view[3] - view[2]):
        raise BackproplabError(f"no point near ({x1:.3g}, {x2:.3g}) to remove")
    if len(x) <= 2:
        raise BackproplabError("the data needs at least 2 points: add one before removing "
                               "another")
    keep = np.arange(len(x)) != nearest
    return x[keep], y[keep]


def to_csv(points):
    """The points as a CSV file that ``train --data`` reads back to the same numbers (floats
    written by repr, which reads back exactly)."""
    x, y = points
    rows = (f"{fmt(float(a))},{fmt(float(b))},{int(c)}" for (a, b), c in zip(x, y[:, 0]))
    return "x1,x2,label\n" + "\n".join(rows) + "\n"


def from_csv(name, text):
    """The points of an uploaded CSV file's ``text``, checked by the command line's own reader
    (its messages name the file and line), then against the playground's limits: two feature
    columns, at most PLAYGROUND_MAX_POINTS points and PLAYGROUND_MAX_CLASSES classes."""
    name = shown_name(name)
    if not isinstance(text, str):
        raise BackproplabError(f"{name}: the upload holds no text")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > PLAYGROUND_UPLOAD_BYTES:
        raise BackproplabError(f"{name}: is {size_text(size)}, more than the "
                               f"{size_text(PLAYGROUND_UPLOAD_BYTES)} an upload may have")
    x, y = parse_csv(text, name)
    if x.shape[1] != 2:
        raise BackproplabError(f"{name}: has {x.shape[1]} feature column"
                               f"{'s' * (x.shape[1] != 1)}; the playground's points have 2 "
                               "(x1, x2, then the label)")
    if len(x) > PLAYGROUND_MAX_POINTS:
        raise BackproplabError(f"{name}: has {len(x)} points; the playground holds at most "
                               f"{PLAYGROUND_MAX_POINTS}")
    if len(x) < 2:
        raise BackproplabError(f"{name}: has 1 point; training needs at least 2")
    if y.max() >= PLAYGROUND_MAX_CLASSES:
        raise BackproplabError(f"{name}: has labels up to {int(y.max())}; the playground takes "
                               f"classes 0…{PLAYGROUND_MAX_CLASSES - 1}")
    return np.ascontiguousarray(x), y


def shown_name(name):
    """An uploaded file's name as messages show it: its last part, printable, at most 60
    characters (it names nothing on the server: the text comes with it)."""
    name = re.sub(r"[^\w .,()+-]", "_", str(name).replace("\\", "/").rsplit("/", 1)[-1])
    return name.strip()[:60] or "upload.csv"
