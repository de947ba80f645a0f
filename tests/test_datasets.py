"""The lab's data sets exactly as the lab defines them, the other generators, and CSV files."""

import math

import numpy as np
import pytest

from backproplab.data import datasets
from backproplab.errors import BackproplabError

# --- the lab's two data sets, to the bit ------------------------------------------------------


@pytest.mark.parametrize("n, seed", [(1, 0), (100, 0), (100, 1), (37, 12345)])
def test_linear_is_the_labs_generate_linear(n, seed):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1, (n, 2))
    labels = [[0] if x1 > x2 else [1] for x1, x2 in pts]
    x, y = datasets.linear(n, seed)
    assert x.dtype == np.float64 and x.shape == (n, 2)
    assert np.issubdtype(y.dtype, np.integer) and y.shape == (n, 1)
    assert np.array_equal(x, pts)
    assert y.tolist() == labels


def test_xor_easy_is_the_labs_generate_xor_easy():
    inputs, labels = [], []
    for i in range(11):
        inputs.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        inputs.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    x, y = datasets.xor_easy()
    assert x.shape == (21, 2) and y.shape == (21, 1)
    assert x.tolist() == inputs  # exact floats, in that order (0.1 * 3 is 0.30000000000000004)
    assert y.ravel().tolist() == labels
    assert x[6, 0] == 0.1 * 3 != 0.3


def test_xor_easy_has_no_centre_duplicate():
    x, _ = datasets.xor_easy()
    assert sum(row == [0.5, 0.5] for row in x.tolist()) == 1


# --- the other generators ---------------------------------------------------------------------

RANDOM = ["linear", "xor_hard", "circle", "spiral", "moons", "gaussians"]
NOISY = ["xor_hard", "circle", "spiral", "moons", "gaussians"]


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("n", [2, 7, 100])
def test_shapes_and_labels(name, n):
    x, y = datasets.GENERATORS[name](n=n, seed=3)
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert y.shape == (n, 1) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) <= {0, 1}
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("name", RANDOM)
def test_both_classes_are_present(name):
    _, y = datasets.GENERATORS[name](n=200, seed=0)
    assert 0 < y.sum() < 200


@pytest.mark.parametrize("name", RANDOM)
def test_a_seed_names_one_data_set(name):
    make = datasets.GENERATORS[name]
    x1, y1 = make(n=50, seed=7)
    x2, y2 = make(n=50, seed=7)
    x3, _ = make(n=50, seed=8)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("name", NOISY)
def test_noise_moves_the_points(name):
    make = datasets.GENERATORS[name]
    quiet, y_quiet = make(n=50, noise=0.0, seed=1)
    noisy, y_noisy = make(n=50, noise=0.1, seed=1)
    assert not np.array_equal(quiet, noisy)
    if name != "gaussians":  # for the others, noise jitters labelled points
        assert np.array_equal(y_quiet, y_noisy)
        assert 0.01 < np.std(noisy - quiet) < 0.2


def test_xor_hard_labels_the_quadrants():
    x, y = datasets.xor_hard(n=200, seed=2)
    assert np.array_equal(y.ravel(), (x[:, 0] > 0.5) != (x[:, 1] > 0.5))
    assert x.min() >= 0 and x.max() <= 1


def test_circle_labels_the_inside_of_half_the_square():
    x, y = datasets.circle(n=2000, seed=2)
    inside = np.sum((x - 0.5) ** 2, axis=1) < 1 / (2 * math.pi)
    assert np.array_equal(y.ravel(), inside)
    assert abs(y.mean() - 0.5) < 0.05  # the circle holds half the square's area


def test_spiral_and_moons_put_the_first_half_in_class_0():
    for make in (datasets.spiral, datasets.moons, datasets.gaussians):
        _, y = make(n=11, seed=0)
        assert y.ravel().tolist() == [0] * 5 + [1] * 6


def test_spiral_stays_within_its_radius():
    x, _ = datasets.spiral(n=300, seed=4)
    assert np.all(np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5) <= 0.45 + 1e-12)


def test_moons_lie_on_their_unit_circles():
    x, y = datasets.moons(n=100, seed=5)
    upper, lower = x[y.ravel() == 0], x[y.ravel() == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert np.all(upper[:, 1] >= 0) and np.all(lower[:, 1] <= 0.5)


def test_gaussians_are_centred_with_the_given_spread():
    x, y = datasets.gaussians(n=4000, noise=0.1, seed=6)
    for label, centre in ((0, 0.25), (1, 0.75)):
        cloud = x[y.ravel() == label]
        np.testing.assert_allclose(cloud.mean(axis=0), centre, atol=0.01)
        np.testing.assert_allclose(cloud.std(axis=0), 0.1, rtol=0.05)
    x0, _ = datasets.gaussians(n=10, noise=0.0, seed=6)
    assert x0.tolist() == [[0.25, 0.25]] * 5 + [[0.75, 0.75]] * 5


# --- load(): by name, with checked settings -------------------------------------------------


def test_load_by_name_is_the_generator():
    x, y = datasets.load("linear", n=40, seed=9)
    x2, y2 = datasets.linear(40, 9)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x, y = datasets.load("moons", n=30, noise=0.2, seed=9)
    x2, y2 = datasets.moons(30, 0.2, 9)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    for name in ("xor", "xor_easy"):
        x, y = datasets.load(name)
        assert np.array_equal(x, datasets.xor_easy()[0])


def test_load_defaults_are_the_generators():
    x, _ = datasets.load("gaussians", seed=1)
    assert np.array_equal(x, datasets.gaussians(seed=1)[0])  # n = 100, noise = 0.15
    assert x.shape == (100, 2)


def test_unknown_data_set_lists_the_valid_ones():
    with pytest.raises(BackproplabError, match="unknown data set 'xnor'") as info:
        datasets.load("xnor")
    for name in [*datasets.GENERATORS, "FILE.csv"]:
        assert name in str(info.value)


@pytest.mark.parametrize("name", ["xor", "xor_easy"])
@pytest.mark.parametrize("setting", [{"n": 50}, {"noise": 0.1}, {"noise": 0.0}])
def test_xor_takes_no_n_or_noise(name, setting):
    with pytest.raises(BackproplabError, match="fixed 21 points"):
        datasets.load(name, **setting)


def test_linear_has_no_noise():
    with pytest.raises(BackproplabError, match="linear data set has no noise"):
        datasets.load("linear", noise=0.1)


@pytest.mark.parametrize("n", [1, 0, -5, 2.5])
def test_n_must_be_a_whole_number_of_at_least_two(n):
    with pytest.raises(BackproplabError, match="--n must be a whole number >= 2"):
        datasets.load("circle", n=n)


@pytest.mark.parametrize("noise", [-0.1, math.inf, math.nan])
def test_noise_must_be_finite_and_not_negative(noise):
    with pytest.raises(BackproplabError, match="--noise must be a finite number >= 0"):
        datasets.load("circle", noise=noise)


def test_a_csv_file_takes_no_n_or_noise(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("a,b,label\n0,1,1\n")
    with pytest.raises(BackproplabError, match="not to a CSV file"):
        datasets.load(str(path), n=10)


# --- CSV files --------------------------------------------------------------------------------


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_good_csv_file(tmp_path):
    path = write(tmp_path, "x1,x2,label\n0.5,-1e-3,0\n\n2, 3 ,1\n1.25,0.1,1.0\n")
    x, y = datasets.load_csv(path)
    assert x.dtype == np.float64 and x.tolist() == [[0.5, -0.001], [2.0, 3.0], [1.25, 0.1]]
    assert np.issubdtype(y.dtype, np.integer) and y.tolist() == [[0], [1], [1]]
    x2, y2 = datasets.load(path)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


def test_a_csv_file_round_trips_every_float(tmp_path):
    x, y = datasets.linear(20, seed=0)
    rows = "".join(f"{float(a)!r},{float(b)!r},{c}\n" for (a, b), (c,) in zip(x, y))
    x2, y2 = datasets.load_csv(write(tmp_path, "x1,x2,label\n" + rows))
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


def test_more_than_two_features(tmp_path):
    x, y = datasets.load_csv(write(tmp_path, "a,b,c,label\n1,2,3,0\n4,5,6,1\n"))
    assert x.shape == (2, 3) and y.shape == (2, 1)


BAD_ROWS = [
    ("not a number", "x1,x2,label\n0,0,0\n1,abc,1\n", 3, r"column 'x2' is not a number: 'abc'"),
    ("empty cell", "x1,x2,label\n0,0,0\n1,,1\n", 3, r"column 'x2' is empty"),
    ("blank cell", "x1,x2,label\n0,  ,0\n", 2, r"column 'x2' is empty"),
    ("inf", "x1,x2,label\ninf,0,0\n", 2, r"column 'x1' is not finite: 'inf'"),
    ("-inf", "x1,x2,label\n0,0,0\n0,-Infinity,1\n", 3, r"column 'x2' is not finite"),
    ("nan", "x1,x2,label\n0,0,0\n0,0,1\nnan,0,1\n", 4, r"column 'x1' is not finite: 'nan'"),
    ("nan label", "x1,x2,label\n0,0,nan\n", 2, r"column 'label' is not finite"),
    ("too few cells", "x1,x2,label\n0,0,0\n1,1\n", 3, r"2 cells, but the header has 3 columns"),
    ("too many cells", "x1,x2,label\n0,0,0,0\n", 2, r"4 cells, but the header has 3 columns"),
    ("label 10", "x1,x2,label\n0,0,0\n1,1,10\n", 3,
     r"label .* must be a class, a whole number from 0 to 9, got '10'"),
    ("label 0.5", "x1,x2,label\n1,1,0.5\n", 2, r"whole number from 0 to 9, got '0.5'"),
    ("label -1", "x1,x2,label\n1,1,-1\n", 2, r"whole number from 0 to 9, got '-1'"),
    ("single column", "label\n0\n1\n", 1, r"need at least two columns"),
    ("blank line then one column", "\nlabel\n0\n", 2, r"need at least two columns"),
    ("line after blank lines", "x1,x2,label\n\n\n0,zero,1\n", 4, r"not a number: 'zero'"),
]


@pytest.mark.parametrize("text, line, message", [c[1:] for c in BAD_ROWS],
                         ids=[c[0] for c in BAD_ROWS])
def test_a_bad_csv_file_names_the_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(BackproplabError, match=message) as info:
        datasets.load_csv(path)
    assert str(info.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(
    "text, message",
    [
        ("x1,x2,label\n", "no data rows after the header"),
        ("x1,x2,label\n\n\n", "no data rows after the header"),
        ("", "the file is empty"),
        ("\n \n", "the file is empty"),
    ],
    ids=["header only", "header and blank lines", "empty", "blank lines only"],
)
def test_a_csv_file_without_data_names_the_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(BackproplabError, match=message) as info:
        datasets.load_csv(path)
    assert str(info.value).startswith(f"{path}: ")


def test_a_missing_csv_file(tmp_path):
    path = str(tmp_path / "nowhere.csv")
    with pytest.raises(BackproplabError, match="no such file") as info:
        datasets.load(path)
    assert str(info.value) == f"CSV file {path}: no such file"


def test_a_folder_is_not_a_csv_file(tmp_path):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(BackproplabError, match="is a folder"):
        datasets.load_csv(str(folder))


def test_a_csv_file_that_is_not_text(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"x1,x2,label\n\xff\xfe\x00\x01,0,1\n")
    with pytest.raises(BackproplabError, match=r"not UTF-8 text \(byte 12\)") as info:
        datasets.load_csv(str(path))
    assert str(info.value).startswith(f"CSV file {path}: ")
