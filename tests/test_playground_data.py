"""The page's own data: points clicked in or removed, CSV files uploaded (read by the command
line's reader, its messages naming the line), and the CSV file the page exports — with which
``train --data points.csv`` makes the page's run, bit for bit."""

import numpy as np
import pytest

from backproplab.app.playground import Session
from backproplab.data.csvfile import load_csv, parse_csv
from backproplab.errors import BackproplabError
from backproplab.limits import PLAYGROUND_MAX_POINTS, PLAYGROUND_UPLOAD_BYTES


def _train_weights(cli, tmp_path, s, epochs):
    (tmp_path / "points.csv").write_text(s.points_csv())
    args = s.command_args()
    args[args.index("points.csv")] = str(tmp_path / "points.csv")
    status, _, err = cli("train", *args, "--epochs", epochs, "--out", tmp_path / "run",
                         "--no-plots", "--quiet")
    assert status == 0, err
    with np.load(tmp_path / "run" / "model.npz") as f:
        return {k: f[k] for k in f.files if k[0] in "Wb"}


@pytest.mark.parametrize("split", ["0", "0.25"])
def test_clicked_points_train_as_train_does_on_the_exported_csv(cli, tmp_path, split):
    s = Session({"data": "circle", "n": "40", "test-fraction": split, "hidden": "5,5",
                 "optimizer": "adam", "lr": "0.02", "data-seed": "3"})
    view = s.run.data.extent
    s.add_point(0.123456789012345, 0.5, 1)
    s.add_point(0.9, 0.1, 0)
    s.remove_point(*s.run.data.x_all[0] + 0.001)
    assert s.settings["data"] == "points" and s.settings["n"] == "41"
    assert s.run.data.extent == view  # the plot does not move under the mouse
    assert s.epochs_done == 0 and "points.csv" in s.command()
    s.train(70)
    theirs = _train_weights(cli, tmp_path, s, 70)
    for name, ours in s.run.net.param_arrays(0):
        assert np.array_equal(ours, theirs[name]), name


def test_the_exported_csv_reads_back_to_the_same_numbers(tmp_path):
    s = Session({"data": "spiral", "n": "50", "noise": "0.13"})
    s.add_point(1 / 3, 2 / 7, 0)
    path = tmp_path / "points.csv"
    path.write_text(s.points_csv())
    x, y = load_csv(path)
    assert np.array_equal(x, s.run.data.x_all) and np.array_equal(y, s.run.data.y_all)


def test_an_upload_is_checked_by_the_cli_s_reader():
    s = Session({})
    s.upload_csv("../../etc/mine.csv", "a,b,label\n0,0,0\n1,1,0\n0,1,1\n1,0,1\n")
    assert s.settings["data"] == "points" and s.settings["n"] == "4"
    assert s.source == "uploaded mine.csv"
    bad = "a,b,label\n0,0,0\n1,x,1\n"
    with pytest.raises(BackproplabError) as e:
        s.upload_csv("mine.csv", bad)
    assert str(e.value) == "mine.csv:3: column 'b' is not a number: 'x'"
    with pytest.raises(BackproplabError) as cli_e:
        parse_csv(bad, "mine.csv")
    assert str(cli_e.value) == str(e.value)  # the CLI's own words
    assert s.settings["n"] == "4"  # the page kept its points


@pytest.mark.parametrize("text, says", [
    ("a,label\n0,1\n1,0\n", "has 1 feature column; the playground's points have 2"),
    ("a,b,c,label\n0,1,2,1\n1,0,2,0\n", "has 3 feature columns"),
    ("a,b,label\n0,1,1\n", "has 1 point; training needs at least 2"),
    ("a,b,label\n" + "0,1,1\n" * (PLAYGROUND_MAX_POINTS + 1), "the playground holds at most"),
    ("a,b,label\n" + "0" * PLAYGROUND_UPLOAD_BYTES, "more than the 1 MiB an upload may have"),
    ("", "the file is empty"),
    ("a,b,label\n0,1,0.5\n", "up.csv:2: the label"),
])
def test_uploads_beyond_the_page_s_limits_are_refused(text, says):
    s = Session({})
    with pytest.raises(BackproplabError) as e:
        s.upload_csv("up.csv", text)
    assert says in str(e.value) and str(e.value).startswith("up.csv")


def test_clicks_are_checked():
    s = Session({})
    with pytest.raises(BackproplabError, match="label must be a class 0…7"):
        s.add_point(0.5, 0.5, 9)
    with pytest.raises(BackproplabError, match="x must be a number"):
        s.add_point(float("nan"), 0.5, 1)
    with pytest.raises(BackproplabError, match="no point near"):
        s.remove_point(0.5, 0.2)
    with pytest.raises(BackproplabError, match="3 classes .* need output softmax with loss ce"):
        s.add_point(0.5, 0.2, 2)
    assert s.settings["data"] == "xor"  # every refused edit left the data as it was
    few = Session({"data": "linear", "n": "2", "test-fraction": "0"})
    with pytest.raises(BackproplabError, match="at least 2 points"):
        few.remove_point(*few.run.data.x_all[0])


def test_a_new_class_needs_softmax_and_no_split_for_its_first_point():
    s = Session({"data": "circle", "output": "softmax", "loss": "ce"})
    with pytest.raises(BackproplabError, match="set test-fraction to 0"):
        s.add_point(0.5, 0.5, 2)
    s.apply({"test-fraction": "0"})
    s.add_point(0.5, 0.5, 2)
    s.add_point(0.52, 0.5, 2)
    assert s.run.data.classes == 3 and s.run.net.n_out == 3
    s.train(50)
    frame = s.frame()
    assert frame["boundary"]["classes"] == 3 and "label" in frame["boundary"]
    assert "p" not in frame["boundary"]


def test_new_sample_draws_the_data_anew():
    s = Session({"data": "moons"})
    before = s.run.data.x_all.copy()
    assert s.new_sample() == "reset"
    assert s.settings["data-seed"] == "1" and not np.array_equal(before, s.run.data.x_all)
    with pytest.raises(BackproplabError, match="no other sample"):
        Session({}).new_sample()
    assert Session({"test-fraction": "0.5"}).new_sample() == "reset"  # a new split of xor
