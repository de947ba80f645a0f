"""The digits data set, its stratified split, and the figures of a K-class image classifier."""

import importlib.util
import sys

import numpy as np
import pytest

from backproplab.data import datasets
from backproplab.errors import BackproplabError
from backproplab.figures import images as image_figures

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="scikit-learn is not installed")


@pytest.fixture
def no_sklearn(monkeypatch):
    """Make ``import sklearn.datasets`` fail, as it does where scikit-learn is not installed."""
    for name in ("sklearn", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, name, None)


@needs_sklearn
def test_digits_are_images_with_pixels_in_0_1():
    from sklearn.datasets import load_digits

    x, y = datasets.digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    raw = load_digits()
    np.testing.assert_array_equal(x[:, 0] * 16, raw.images)  # 0..16 divided by 16, exactly
    np.testing.assert_array_equal(y, raw.target)


@needs_sklearn
def test_split_is_80_20_disjoint_and_stratified():
    _, y = datasets.digits()
    train, test = datasets.stratified_split(y, 0.2, seed=0)
    assert (len(train), len(test)) == (1437, 360)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(1797))
    counts = np.bincount(y, minlength=10)
    # every class holds its share of the test set, rounded one way or the other
    share = 360 * counts / 1797
    test_counts = np.bincount(y[test], minlength=10)
    assert np.all((test_counts == np.floor(share)) | (test_counts == np.ceil(share)))
    assert np.abs(test_counts / 360 - counts / 1797).max() < 1 / 360


def test_split_largest_remainders_get_the_leftover_samples():
    # 3 classes of 5, 3 and 2 samples, test 50%: shares 2.5, 1.5, 1 → floors 2, 1, 1 and the
    # one left over goes to the lower label among the equal remainders (class 0)
    y = np.array([0] * 5 + [1] * 3 + [2] * 2)
    train, test = datasets.stratified_split(y, 0.5, seed=3)
    assert np.bincount(y[test]).tolist() == [3, 1, 1]
    assert len(train) == 5


@needs_sklearn
def test_a_seed_names_one_split():
    a = datasets.digits_split(seed=4)
    b = datasets.digits_split(seed=4)
    c = datasets.digits_split(seed=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3])
    assert [len(v) for v in a] == [1437, 1437, 360, 360]


@pytest.mark.parametrize("fraction", [0, 1, -0.5])
def test_split_fraction_must_be_between_0_and_1(fraction):
    with pytest.raises(BackproplabError, match="between 0 and 1"):
        datasets.stratified_split(np.arange(10) % 2, fraction)


def test_without_sklearn_the_error_says_how_to_install_it(no_sklearn):
    with pytest.raises(BackproplabError, match=r'pip install -e "\.\[digits\]"'):
        datasets.digits()


def test_digits_is_not_a_two_class_generator():
    with pytest.raises(BackproplabError, match="digits_split"):
        datasets.load("digits")
    with pytest.raises(BackproplabError, match="digits"):  # listed among the valid names
        datasets.load("mnist")


# -- figures ----------------------------------------------------------------------------------


def png_size(path):
    """(width, height) from a PNG's header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def some_images(n):
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (n, 1, 8, 8)), rng.integers(0, 10, n)


def test_confusion_matrix_figure(tmp_path, monkeypatch):
    texts = []
    import matplotlib.axes

    original = matplotlib.axes.Axes.text
    monkeypatch.setattr(matplotlib.axes.Axes, "text",
                        lambda self, x, y, s, **kw: texts.append(s) or original(self, x, y, s,
                                                                                **kw))
    m = np.array([[5, 1, 0], [0, 7, 0], [2, 0, 9]])
    image_figures.confusion_matrix(m, tmp_path / "cm.png")
    w, h = png_size(tmp_path / "cm.png")
    assert w > 200 and h > 200
    # every nonzero count is written in its cell (and the zero diagonal would be too)
    assert sorted(texts) == sorted(["5", "1", "7", "2", "9"])
    with pytest.raises(ValueError, match="square"):
        image_figures.confusion_matrix(np.zeros((2, 3)), tmp_path / "bad.png")


def test_misclassified_figure_shows_the_wrong_ones(tmp_path, monkeypatch):
    x, y = some_images(50)
    pred = y.copy()
    pred[[3, 10, 41]] = (pred[[3, 10, 41]] + 1) % 10
    titles = []
    import matplotlib.axes

    original = matplotlib.axes.Axes.set_title
    monkeypatch.setattr(matplotlib.axes.Axes, "set_title",
                        lambda self, s, *a, **kw: titles.append(s) or original(self, s, *a, **kw))
    image_figures.misclassified(x, y, pred, tmp_path / "wrong.png")
    assert titles == [f"true {y[i]}\npredicted {pred[i]}" for i in (3, 10, 41)]
    assert png_size(tmp_path / "wrong.png")[0] > 100
    titles.clear()
    image_figures.misclassified(x, y, y, tmp_path / "none.png")
    assert titles == [] and png_size(tmp_path / "none.png")[0] > 100


def test_misclassified_figure_limits_the_grid(tmp_path):
    x, y = some_images(100)
    image_figures.misclassified(x, y, (y + 1) % 10, tmp_path / "w.png",
                                limit=16, columns=8)
    w, h = png_size(tmp_path / "w.png")
    assert w > h  # two rows of eight


@pytest.mark.parametrize("shape", [(1, 8, 1, 3, 3), (4, 2, 3, 3)])
def test_filters_figure(tmp_path, shape):
    W = np.random.default_rng(0).normal(size=shape)
    image_figures.filters(W, tmp_path / "f.png")
    assert png_size(tmp_path / "f.png")[0] > 200
    with pytest.raises(ValueError, match="C_out, C_in"):
        image_figures.filters(np.zeros((3, 3)), tmp_path / "bad.png")
