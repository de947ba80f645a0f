"""Files a user hands over that are not what they claim to be — /dev/zero behind a CSV's name, a
FIFO, a folder, a huge or non-UTF-8 file, cells of 1e308 — and a network too wide for its
figures: each ends in one line naming the problem (exit status 2), or in a finished run, never
in a traceback or in all of the machine's memory."""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import backproplab
from backproplab.app import report
from backproplab.data import datasets
from backproplab.errors import BackproplabError
from backproplab.limits import MAX_TEXT_FILE

FIGURES = ["comparison.png", "decision_boundary.png", "learning_curve.png", "neurons.png"]


@pytest.fixture
def strict():
    """Any warning at all (matplotlib's too) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def run_capped(*args, limit=2**30, timeout=120):
    """``backproplab ARGS…`` in a child process with ``limit`` bytes of address space: what
    would take all of the machine's memory (or wait for ever) fails there, not here."""
    resource = pytest.importorskip("resource")

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    src = os.path.dirname(os.path.dirname(backproplab.__file__))
    env = {**os.environ, "PYTHONPATH": src, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "2",
           "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}  # thread buffers count too
    return subprocess.run([sys.executable, "-m", "backproplab", *map(str, args)],
                          preexec_fn=cap, env=env, capture_output=True, text=True,
                          timeout=timeout)


# --- a network too wide for whole figures ------------------------------------------------------


def test_figures_of_a_3000_3000_network_are_drawn_within_1_5_gib(tmp_path):
    """The grid of the decision boundary alone was 40,000 × 3000 activations (916 MiB) a layer;
    now every figure evaluates the network a chunk at a time over a grid fit to its size."""
    out = tmp_path / "run"
    proc = run_capped("train", "--data", "xor", "--hidden", 3000, 3000, "--epochs", 2,
                      "--out", out, limit=3 * 2**29)  # 1.5 GiB: the run needs about 0.8
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    for name in FIGURES:
        assert (out / name).stat().st_size > 1000, name


# --- CSV files -------------------------------------------------------------------------------


def test_a_csv_that_is_dev_zero_is_refused_at_once(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    link = tmp_path / "data.csv"
    link.symlink_to("/dev/zero")
    proc = run_capped("train", "--data", link, "--out", tmp_path / "run", timeout=60)
    assert proc.returncode == 2
    assert one_line(proc.stderr).endswith(f"CSV file {link}: is not a regular file")
    with pytest.raises(BackproplabError, match="is not a regular file"):  # safe here now
        datasets.load_csv(str(link))


def test_a_csv_that_is_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)  # opening it would wait for a writer for ever
    proc = run_capped("train", "--data", fifo, "--out", tmp_path / "run", timeout=60)
    assert proc.returncode == 2
    assert one_line(proc.stderr).endswith(f"CSV file {fifo}: is not a regular file")


def test_a_csv_that_is_a_folder(tmp_path):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(BackproplabError, match=r"data\.csv: is a folder"):
        datasets.load_csv(str(folder))


def test_a_csv_larger_than_the_limit_is_not_read(tmp_path):
    path = tmp_path / "data.csv"
    with open(path, "wb") as f:
        f.write(b"x1,x2,label\n")
        f.truncate(MAX_TEXT_FILE + 1)  # sparse: costs no disk
    with pytest.raises(BackproplabError, match="more than the 64 MiB a CSV file may have"):
        datasets.load_csv(str(path))


def test_a_csv_that_is_not_utf8(tmp_path, cli):
    path = tmp_path / "data.csv"
    path.write_bytes(b"x1,x2,label\n0,0,0\n1,\xe9,1\n")
    status, _, err = cli("train", "--data", path, "--out", tmp_path / "run")
    assert status == 2
    assert one_line(err).endswith(f"CSV file {path}: not UTF-8 text (byte 20)")


@pytest.mark.parametrize("text, where", [
    ("x1,x2,label\n0,0,0\n1,1\x000,1\n", r":3: column 'x2' is not a number: '1\\x000'"),
    ("x1,x2,label\r\n0,0,0\r\n1,one,1\r\n", r":3: column 'x2' is not a number: 'one'"),
    ("x1,x2,label\r0,0,0\r1,one,1\r", r":3: column 'x2' is not a number: 'one'"),
    ('"x\n1",x2,label\n0,0,0\n1,one,1\n', r":4: column 'x2' is not a number: 'one'"),
    ('x1,x2,label\n0,"0\n",0\n1,one,1\n', r":4: column 'x2' is not a number: 'one'"),
    ('x1,x2,label\n0,"0\n1",0\n1,one,1\n', r":2: column 'x2' is not a number: '0\\n1'"),
    ("x1,x2,label\n0," + "9" * 500 + "x,1\n", r":2: column 'x2' is not a number: '9{39}…'"),
], ids=["NUL", "CRLF", "CR", "quoted header", "a cell spans lines", "a bad cell spans lines",
     "long cell"])
def test_a_cell_that_is_not_a_number_names_the_line_and_the_column(tmp_path, text, where):
    path = tmp_path / "data.csv"
    path.write_bytes(text.encode())
    with pytest.raises(BackproplabError, match=where) as info:
        datasets.load_csv(str(path))
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_a_csv_with_cr_line_endings_reads_like_any_other(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"x1,x2,label\r0.5,1,0\r2,3,1")  # and no line end at the end
    x, y = datasets.load_csv(str(path))
    np.testing.assert_array_equal(x, [[0.5, 1], [2, 3]])
    np.testing.assert_array_equal(y, [[0], [1]])
    assert x.dtype == np.float64 and y.dtype == np.int64


def big_csv(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("x1,x2,label\n1e308,1e308,0\n-1e308,-1e308,0\n"
                    "1e308,-1e308,1\n-1.7e308,1.7e308,1\n")
    return path


@pytest.mark.parametrize("options", [[], ["--standardize"], ["--activation", "relu",
                                                              "--output", "none"]],
                         ids=["raw", "standardized", "diverges"])
def test_cells_of_1e308_train_and_draw_without_a_warning(tmp_path, cli, strict, options):
    out = tmp_path / "run"
    status, _, err = cli("train", "--data", big_csv(tmp_path), "--out", out, "--epochs", 20,
                         *options)
    assert status == 0, err
    assert "Traceback" not in err
    diverged = "relu" in options  # a diverged network has no boundary or maps to draw
    drawn = [name for name in FIGURES if (out / name).exists()]
    assert drawn == (["comparison.png", "learning_curve.png"] if diverged else FIGURES)
    settings = json.loads((out / "config.json").read_text())
    if "--standardize" in options:
        scaling = settings["standardization"]
        assert all(np.isfinite(scaling["mean"])) and all(np.isfinite(scaling["std"]))


def test_standardize_never_overflows_and_keeps_ordinary_data_bit_for_bit(strict):
    rng = np.random.default_rng(0)
    x = np.column_stack([
        [1e308, -1e308, 1.7e308, 0.0],        # its mean's sum and its squares overflow
        [1e300, 1e300, 1e300, 1e300],          # constant: only centred
        [1e-320, 3e-320, 0.0, 2e-320],         # subnormal: its squares vanish
        [1.0, 2.0, 3.0, 4.0],
    ])
    z, mean, std = datasets.standardize(x)
    assert np.isfinite(z).all() and np.isfinite(mean).all() and np.isfinite(std).all()
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), [1, 0, 1, 1], atol=1e-12)
    np.testing.assert_allclose(z[:, 3], (x[:, 3] - 2.5) / np.sqrt(1.25), rtol=1e-12)
    np.testing.assert_allclose(z[:, 0], (x[:, 0] / 1e300 - mean[0] / 1e300)
                               / (std[0] / 1e300), rtol=1e-12)  # mean, std in x's own units
    # ordinary data: exactly the plain formula, as every run before this one computed it
    x = rng.normal(3.0, 2.0, (50, 3))
    z, mean, std = datasets.standardize(x)
    assert np.array_equal(mean, x.mean(axis=0)) and np.array_equal(std, x.std(axis=0))
    assert np.array_equal(z, (x - x.mean(axis=0)) / x.std(axis=0))


# --- experiment files ----------------------------------------------------------------------


def test_experiment_files_that_are_not_files(tmp_path, cli):
    folder = tmp_path / "experiments"
    folder.mkdir()
    (folder / "optimizers.toml").mkdir()
    with pytest.raises(BackproplabError, match=r"experiment file .*optimizers\.toml: is a folder"):
        report.load_experiments(str(folder))
    os.rmdir(folder / "optimizers.toml")
    if os.path.exists("/dev/zero"):  # read to the end, it would take all the memory there is
        (folder / "losses.toml").symlink_to("/dev/zero")
        proc = run_capped("report", "--out", tmp_path / "report", "--experiments", folder,
                          timeout=60)
        assert proc.returncode == 2
        assert one_line(proc.stderr).endswith("losses.toml: is not a regular file")
        os.unlink(folder / "losses.toml")
    (folder / "activations.toml").symlink_to(folder / "nowhere.toml")  # not the package's
    with pytest.raises(BackproplabError, match=r"activations\.toml: no such file"):
        report.load_experiments(str(folder))
    os.unlink(folder / "activations.toml")
    (folder / "learning_rates.toml").write_bytes(b'data = "xor"\n# caf\xe9\nlr = [0.5]\n')
    status, _, err = cli("report", "--out", tmp_path / "report", "--experiments", folder)
    assert status == 2
    assert one_line(err).endswith("learning_rates.toml: not UTF-8 text (byte 18)")
