"""The lab's data sets, a few harder ones, CSV files, and handwritten digits.

Every two-class function returns ``x`` (n, 2) float64 and ``y`` (n, 1) int64 labels 0/1, as the
lab's ``generate_linear`` and ``generate_XOR_easy`` do; ``blobs`` the same with labels 0, 1, 2.
Random ones draw from ``numpy.random.default_rng(seed)`` and nothing else, so a seed names one
data set.
Inputs are returned exactly as generated: no scaling, no shuffling.

The digits are images, (n, 1, 8, 8) with labels (n,) 0..9, split once into a training and a
test set (:func:`digits_split`); they come with scikit-learn, an optional dependency. CSV files
are read by :mod:`.csvfile` (``load_csv`` is here too).
"""

import math

import numpy as np

from ..errors import BackproplabError, unknown_name
from .csvfile import load_csv


def linear(n=100, seed=None):
    """The lab's ``generate_linear``: n points uniform in [0, 1]², label 0 where x₁ > x₂, else 1."""
    x = np.random.default_rng(seed).uniform(0, 1, (n, 2))
    y = np.where(x[:, 0] > x[:, 1], 0, 1)
    return x, y.reshape(n, 1)


def xor_easy():
    """The lab's ``generate_XOR_easy``: 21 points on the two diagonals of the unit square.

    For i = 0..10: (0.1i, 0.1i) labelled 0, then — except at the centre, i = 5 —
    (0.1i, 1 − 0.1i) labelled 1; in that order, with the lab's float arithmetic (0.1 * i).
    """
    points, labels = [], []
    for i in range(11):
        points.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        points.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(points), np.array(labels).reshape(21, 1)


def xor_diagonals(n=100, noise=0.0, seed=None):
    """The distribution the lab's XOR points are drawn from: points at uniformly drawn places
    along the two diagonals of the unit square, (t, t) labelled 0 (the first n // 2) and
    (t, 1 − t) labelled 1 (the rest). ``xor_easy`` is its 21 evenly spaced points; this gives a
    fresh sample of it."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) >= n // 2
    t = rng.uniform(0, 1, n)
    x = np.column_stack([t, np.where(labels, 1 - t, t)])
    return _jitter(x, noise, rng), labels.astype(np.int64).reshape(n, 1)


def _jitter(x, noise, rng):
    return x + rng.normal(0.0, noise, x.shape) if noise else x


def xor_hard(n=100, noise=0.0, seed=None):
    """XOR over the four quadrants of the unit square: uniform points, label 1 where exactly
    one coordinate is above 0.5; ``noise`` is the standard deviation of Gaussian jitter added to
    the points after labelling."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 2))
    y = ((x[:, 0] > 0.5) != (x[:, 1] > 0.5)).astype(np.int64)
    return _jitter(x, noise, rng), y.reshape(n, 1)


def circle(n=100, noise=0.0, seed=None):
    """Uniform points in the unit square, label 1 inside the circle about (0.5, 0.5) that holds
    half the square's area (radius √(1/2π))."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 2))
    r2 = np.sum((x - 0.5) ** 2, axis=1)
    y = (r2 < 1 / (2 * math.pi)).astype(np.int64)
    return _jitter(x, noise, rng), y.reshape(n, 1)


def spiral(n=100, noise=0.0, seed=None):
    """Two interleaved spirals (1.5 turns each) about (0.5, 0.5); n // 2 points on the first
    (label 0), the rest on the second (label 1), at uniformly drawn positions along them."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) >= n // 2
    t = np.sqrt(rng.uniform(0, 1, n))  # √u: even spacing along the spiral's length
    angle = 3 * math.pi * t + math.pi * labels
    radius = 0.45 * t
    x = 0.5 + radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _jitter(x, noise, rng), labels.astype(np.int64).reshape(n, 1)


def moons(n=100, noise=0.0, seed=None):
    """Two interleaving half circles: the upper one (label 0) centred at (0, 0), the lower one
    (label 1) at (1, 0.5), both of radius 1; points at uniformly drawn angles."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) >= n // 2
    angle = rng.uniform(0, math.pi, n)
    x = np.column_stack([np.cos(angle), np.sin(angle)])
    x[labels] = np.column_stack([1 - np.cos(angle[labels]), 0.5 - np.sin(angle[labels])])
    return _jitter(x, noise, rng), labels.astype(np.int64).reshape(n, 1)


def gaussians(n=100, noise=0.15, seed=None):
    """Two round Gaussian clouds of standard deviation ``noise``, about (0.25, 0.25) (label 0,
    n // 2 points) and (0.75, 0.75) (label 1, the rest)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) >= n // 2
    centres = np.where(labels[:, None], 0.75, 0.25)
    x = centres + rng.normal(0.0, noise, (n, 2))
    return x, labels.astype(np.int64).reshape(n, 1)


BLOB_CENTRES = np.array([[0.2, 0.2], [0.8, 0.2], [0.5, 0.8]])


def blobs(n=100, noise=0.1, seed=None):
    """Three classes: round Gaussian clouds of standard deviation ``noise`` about the points
    (0.2, 0.2) (label 0), (0.8, 0.2) (label 1) and (0.5, 0.8) (label 2) of the unit square.
    Point i is of class i mod 3, so the classes take turns and any first three points hold
    all of them."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(BLOB_CENTRES)
    x = BLOB_CENTRES[labels] + rng.normal(0.0, noise, (n, 2))
    return x, labels.astype(np.int64).reshape(n, 1)


GENERATORS = {
    "linear": linear, "xor": xor_easy, "xor_easy": xor_easy, "xor_hard": xor_hard,
    "circle": circle, "spiral": spiral, "moons": moons, "gaussians": gaussians,
    "xor_diagonals": xor_diagonals, "blobs": blobs,
}
CLASSES = {"blobs": 3}  # generated data sets of more than two classes: how many
IMAGES = {"digits"}  # image data sets: K classes, their own train/test split
FIXED = {"xor", "xor_easy"}  # data sets with no n, noise or seed
NOISELESS = {"linear"}  # the lab's definition has no noise


def load(data, n=None, noise=None, seed=None):
    """A data set by name (see ``GENERATORS``) or from a CSV file path.

    ``n`` and ``noise`` default to each generator's own defaults; asking for them where the
    data set has no such setting is an error rather than silently ignored.
    """
    if str(data).lower().endswith(".csv"):
        if n is not None or noise is not None:
            raise BackproplabError("--n and --noise apply to generated data, not to a CSV file")
        return load_csv(data)
    try:
        make = GENERATORS[data]
    except KeyError:
        if data in IMAGES:
            raise BackproplabError(f"the {data} data set is images with their own train/test "
                                   "split: backproplab train takes it (in Python: "
                                   "datasets.digits_split), this command does not") from None
        raise unknown_name("data set", data, [*GENERATORS, *IMAGES, "FILE.csv"]) from None
    if data in FIXED and (n is not None or noise is not None):
        raise BackproplabError(f"the {data} data set is the lab's fixed 21 points: it takes no "
                               "--n or --noise")
    if data in NOISELESS and noise is not None:
        raise BackproplabError(f"the {data} data set has no noise setting")
    if n is not None and (not isinstance(n, (int, np.integer)) or n < 2):
        raise BackproplabError(f"--n must be a whole number >= 2, got {n}")
    if noise is not None and not (math.isfinite(noise) and noise >= 0):
        raise BackproplabError(f"--noise must be a finite number >= 0, got {noise}")
    if data in FIXED:
        return make()
    settings = {"seed": seed}
    if n is not None:
        settings["n"] = int(n)
    if noise is not None:
        settings["noise"] = float(noise)
    return make(**settings)


def fresh_sample(data, n, noise=None, seed=None):
    """A new sample of ``n`` points from the distribution of data set ``data`` (for measuring
    generalisation): the same generator on an independent stream, ``default_rng([seed, 1])``;
    for the lab's fixed XOR points, points drawn along the same two diagonals."""
    if str(data).lower().endswith(".csv"):
        raise BackproplabError("a CSV file has no distribution to draw a fresh sample from")
    name = "xor_diagonals" if data in FIXED else data
    return load(name, n=n, noise=noise, seed=[0 if seed is None else seed, 1])


def standardize(x):
    """x scaled to mean 0 and standard deviation 1 per column: (x_std, mean, std), with
    x_std = (x − mean) / std (a constant column is only centred).

    The plain (x − mean) / std, for columns whose largest |x| lies in [1e-100, 1e100] (or is 0);
    beyond, each column is first divided by its largest |x|, so that no sum, square or
    difference overflows (and tiny values do not vanish in their squares): mean and std are
    then that column's mean and std times the divisor.
    """
    x = np.asarray(x, dtype=np.float64)
    top = np.abs(x).max(axis=0) if len(x) else np.zeros(x.shape[1:])
    if np.all((top == 0) | ((top >= 1e-100) & (top <= 1e100))):
        mean, std = x.mean(axis=0), x.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return (x - mean) / std, mean, std
    size = np.where(top > 0, top, 1.0)
    with np.errstate(under="ignore"):
        unit = x / size  # every |value| ≤ 1
        mean, std = unit.mean(axis=0), unit.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return (unit - mean) / std, mean * size, std * size


# --- handwritten digits ----------------------------------------------------------------------

DIGITS_SHAPE = (1, 8, 8)  # one image: channels, height, width
DIGITS_INSTALL_COMMAND = 'pip install -e ".[digits]"'
DIGITS_INSTALL = f"{DIGITS_INSTALL_COMMAND} (or pip install scikit-learn)"


def have_digits():
    """Whether scikit-learn, which holds the digits, can be imported."""
    try:
        import sklearn.datasets  # noqa: F401
    except ImportError:
        return False
    return True


def digits():
    """scikit-learn's bundled 8×8 handwritten digits (read from its own files, nothing is
    downloaded): x (1797, 1, 8, 8) float64 with the pixels' 0..16 scaled to [0, 1], y (1797,)
    int64 labels 0..9, in the file's order."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise BackproplabError("the digits data set comes with scikit-learn, which is not "
                               f"installed: {DIGITS_INSTALL}") from None
    bunch = load_digits()
    x = np.asarray(bunch.images, dtype=np.float64)[:, None, :, :] / 16.0
    return x, np.asarray(bunch.target, dtype=np.int64)


def stratified_split(y, test_fraction=0.2, seed=None):
    """Indices (train, test), each sorted, that hold every class in the proportion it has in
    ``y`` (n,) as nearly as whole numbers allow.

    The test set has ⌈test_fraction · n⌉ samples. Class c gets its share of them rounded down,
    and the samples left over go to the classes with the largest remainders (the lower label
    first on a tie); which samples of a class are test samples is drawn from
    ``default_rng(seed)``.
    """
    y = np.asarray(y).ravel()
    if not 0 < test_fraction < 1:
        raise BackproplabError(f"the test fraction must be between 0 and 1, got {test_fraction}")
    classes, counts = np.unique(y, return_counts=True)
    n_test = math.ceil(test_fraction * len(y))
    share = n_test * counts / len(y)
    per_class = np.floor(share).astype(np.int64)
    by_remainder = np.argsort(-(share - per_class), kind="stable")
    per_class[by_remainder[:n_test - per_class.sum()]] += 1
    rng = np.random.default_rng(seed)
    test = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:k]
                           for c, k in zip(classes, per_class)])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def held_out(y, test_fraction, seed=None):
    """Indices (train, test) of a held-out test set for two-class (or K-class) data: the
    :func:`stratified_split` of labels ``y`` (n,) or (n, 1), drawn from
    ``default_rng([seed, 2])`` (a stream of its own: the generators draw the points from
    ``default_rng(seed)``). Every class must keep at least one sample on each side."""
    y = np.asarray(y).ravel()
    train, test = stratified_split(y, test_fraction, [0 if seed is None else seed, 2])
    for side, idx in (("training", train), ("test", test)):
        missing = sorted(set(np.unique(y).tolist()) - set(np.unique(y[idx]).tolist()))
        if missing:
            raise BackproplabError(
                f"a test fraction of {test_fraction} of these {len(y)} samples leaves no "
                f"sample of class{'es' * (len(missing) > 1)} "
                f"{' and '.join(map(str, missing))} in the {side} set: choose a "
                f"{'smaller' if side == 'training' else 'larger'} fraction or more data")
    return train, test


def digits_split(seed=None, test_fraction=0.2):
    """The digits split 80/20, stratified by label and seeded: (x_train, y_train, x_test,
    y_test), 1437 and 360 images."""
    x, y = digits()
    train, test = stratified_split(y, test_fraction, seed)
    return x[train], y[train], x[test], y[test]
