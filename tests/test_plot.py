"""`backproplab plot SWEEP_DIR` and `sweep --plot`: a sweep's files read back exactly, drawn as
figures per data set, and tabled per setting with the numbers the sweep printed; a folder that
is not a sweep's is one line and exit status 2."""

import os
import zipfile

import numpy as np
import pytest
from matplotlib import image

from backproplab.app import sweep
from backproplab.app.sweep import results

# 2 settings × 2 seeds × 30 epochs; one data set, then two
ONE = 'data = "linear"\noptimizer = "adam"\nlr = [0.01, 0.1]\nseeds = 2\nepochs = 30\n'
TWO = ('data = ["xor", "linear"]\nhidden = [8, 8]\noptimizer = "adam"\nlr = [0.02, 0.2]\n'
       "seeds = 2\nepochs = 30\n")


def run_sweep(cli, tmp_path, text, *options):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    out = tmp_path / "runs"
    status, stdout, stderr = cli("sweep", path, "--out", out, "--jobs", 1, *options)
    assert status == 0 and stderr == "", stderr
    return out, printed_summary(stdout)


def printed_summary(stdout):
    """{(key values…): [networks, accuracy, solved, median, diverged]} from the sweep's table."""
    lines = stdout.splitlines()
    head = lines[0].split("networks")[0].split()  # the key columns
    rows = {}
    for line in lines[2:]:
        if " networks in " in line:  # the last line: how long it took
            break
        cells = [c.strip() for c in line.split("  ") if c.strip()]
        rows[tuple(cells[:len(head)])] = cells[len(head):]
    return rows


def markdown_tables(text):
    """Every table in summary.md: its heading (the section's) and rows of cells."""
    tables, heading = [], None
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:]
        elif line.startswith("| setting |"):
            tables.append((heading, []))
        elif line.startswith("| ") and not line.startswith("| ---"):
            tables[-1][1].append([c.strip() for c in line.strip("| ").split(" | ")])
    return tables


def looks_drawn(path):
    """A PNG of a sensible size with something on it (not one flat colour)."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    pixels = image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert pixels[..., :3].std() > 0.05


def check_against_printed(table, printed, key):
    """Each row of a summary.md table agrees with the sweep's printed line of its setting."""
    for setting, seeds, accuracy, solved, median, diverged in table:
        networks, acc, won, med, div = printed[key(setting)]
        assert seeds == networks
        assert accuracy == acc  # mean ± std, in percent, to one decimal
        assert solved.split()[0] == won  # 1/2 (50%)
        assert float("nan" if median == "—" else median) == pytest.approx(
            float("nan" if med == "—" else med), abs=0.5, nan_ok=True)
        assert diverged == div


def test_plot_of_one_data_set_has_a_row_per_setting_with_the_sweeps_numbers(cli, tmp_path):
    out, printed = run_sweep(cli, tmp_path, ONE)
    status, stdout, stderr = cli("plot", out)
    assert status == 0 and stderr == ""
    assert stdout.strip() == f"2 figures and summary.md written to {out / 'plots'}"
    plots = out / "plots"
    assert sorted(os.listdir(plots)) == ["accuracy_linear.png", "loss_linear.png", "summary.md"]
    for png in ("accuracy_linear.png", "loss_linear.png"):
        looks_drawn(plots / png)
    text = (plots / "summary.md").read_text()
    assert "![" in text and "(loss_linear.png)" in text and "(accuracy_linear.png)" in text
    assert "Varied: lr." in text and "optimizer adam" in text and "epochs 30" in text
    [(heading, table)] = markdown_tables(text)
    assert heading == "Linear data (100 points)"
    assert [row[0] for row in table] == ["lr 0.01", "lr 0.1"]
    check_against_printed(table, printed, key=lambda s: (s.split()[1],))
    # and against sweep.summary of what was read back, to the last printed digit
    _, stats = results.summary(results.read(out))
    for row, s in zip(table, stats):
        assert row[2] == f"{100 * s['accuracy_mean']:.1f}% ± {100 * s['accuracy_std']:.1f}"
        assert row[3].startswith(f"{s['solved']}/{s['networks']} ")
    assert len({row[2] for row in table}) == 2  # the settings differ: a real comparison


def test_plot_of_two_data_sets_draws_and_tables_each(cli, tmp_path):
    out, printed = run_sweep(cli, tmp_path, TWO)
    status, _, stderr = cli("plot", out, "--out", tmp_path / "figures", "--quiet")
    assert status == 0 and stderr == ""
    figures = tmp_path / "figures"
    assert sorted(os.listdir(figures)) == ["accuracy_linear.png", "accuracy_xor.png",
                                           "loss_linear.png", "loss_xor.png", "summary.md"]
    for png in figures.glob("*.png"):
        looks_drawn(png)
    tables = markdown_tables((figures / "summary.md").read_text())
    assert [h for h, _ in tables] == ["XOR data (the lab's 21 points)", "Linear data (100 points)"]
    for (_, table), data in zip(tables, ("xor", "linear")):
        assert [row[0] for row in table] == ["lr 0.02", "lr 0.2"]
        check_against_printed(table, printed, key=lambda s, d=data: (d, s.split()[1]))
    assert not (out / "plots").exists()  # --out: nothing written into the sweep's folder


def test_sweep_plot_draws_what_plot_draws(cli, tmp_path):
    out, _ = run_sweep(cli, tmp_path, TWO, "--plot")
    drawn = (out / "plots" / "summary.md").read_text()
    assert sorted(os.listdir(out / "plots")) == ["accuracy_linear.png", "accuracy_xor.png",
                                                 "loss_linear.png", "loss_xor.png", "summary.md"]
    status, _, _ = cli("plot", out)  # the plot of a sweep's folder is replaced by a new one
    assert status == 0
    assert (out / "plots" / "summary.md").read_text() == drawn


def test_results_read_back_exactly_as_the_sweep_made_them(tmp_path):
    path = tmp_path / "two.toml"  # lists of settings, a test sample, unset ones, a stopped one
    path.write_text('hidden = [8, 8]\nactivation = ["relu", "tanh"]\nlr = [0.02, 0.2]\n'
                    'optimizer = "adam"\nseeds = 2\nepochs = 30\n[[grid]]\ndata = "xor"\n'
                    '[[grid]]\ndata = "linear"\ntest_n = 40\nbatch_size = 16\nn = 60\n')
    configs = sweep.parse(path)
    made = sweep.run(configs, jobs=1, progress=False)
    made.metrics[-1] = results.unfinished(None)  # a network a stopped sweep lost
    made.loss[-1, 5:] = made.accuracy[-1, 5:] = np.nan
    results.write(made, tmp_path)
    back = results.read(tmp_path)
    assert [c.to_dict() for c in back.configs] == [c.to_dict() for c in made.configs]
    assert back.metrics == made.metrics
    assert back.metrics[-1]["status"] == "interrupted" and back.metrics[-1]["epochs_run"] is None
    np.testing.assert_array_equal(back.loss, made.loss)
    np.testing.assert_array_equal(back.accuracy, made.accuracy)


def test_plot_marks_diverged_runs_and_says_a_sweep_was_interrupted(cli, tmp_path):
    out, printed = run_sweep(cli, tmp_path, 'data = "linear"\nactivation = "none"\n'
                             'output = "none"\nlr = [0.1, 30.0]\nseeds = 2\nepochs = 30\n')
    assert printed[("30.0",)][-1] == "2"  # lr 30 without activations: every seed diverges
    status, _, _ = cli("plot", out)
    text = (out / "plots" / "summary.md").read_text()
    [(_, table)] = markdown_tables(text)
    assert [(row[0], row[-1]) for row in table] == [("lr 0.1", "0"), ("lr 30", "2")]
    assert "× marks a run that diverged" in text and "interrupted" not in text
    # the same folder, as a sweep stopped after its first network would have left it
    lines = (out / "results.csv").read_text().splitlines()
    cells = lines[-1].split(",")
    cells[-8:] = ["", "", "0", "", "", "", "", "interrupted"]
    (out / "results.csv").write_text("\n".join([*lines[:-1], ",".join(cells)]) + "\n")
    status, _, stderr = cli("plot", out)
    assert status == 0, stderr
    text = (out / "plots" / "summary.md").read_text()
    assert "The sweep was interrupted: 1 of the networks did not finish" in text
    [(_, table)] = markdown_tables(text)
    assert table[1][1:4:2] == ["2", "0/2 (0%)"] and table[1][-1] == "1"


# --- what is not a sweep's folder: one line, exit 2, nothing written ------------------------


def damage(out, kind):
    csv, npz = out / "results.csv", out / "curves.npz"
    lines = csv.read_text().splitlines()
    if kind == "no results.csv":
        csv.unlink()
    elif kind == "no curves.npz":
        npz.unlink()
    elif kind == "a row too few":
        csv.write_text("\n".join(lines[:-1]) + "\n")
    elif kind == "a row too many":
        csv.write_text("\n".join([*lines, lines[-1]]) + "\n")
    elif kind == "curves of another sweep":
        with np.load(npz) as f:
            np.savez_compressed(npz, loss=f["loss"][:, :10], accuracy=f["accuracy"][:, :10])
    elif kind == "a cell too few":
        csv.write_text("\n".join([*lines[:-1], lines[-1].rsplit(",", 1)[0]]) + "\n")
    elif kind == "a bad hidden":
        csv.write_text("\n".join([*lines[:-1], lines[-1].replace(",8-8,", ",8-x,")]) + "\n")
    elif kind == "a bad setting":
        csv.write_text("\n".join([*lines[:-1], lines[-1].replace(",adam,", ",adamw2,")]) + "\n")
    elif kind == "a bad status":
        csv.write_text("\n".join([*lines[:-1], lines[-1].rsplit(",", 1)[0] + ",done"]) + "\n")
    elif kind == "not a results file":
        csv.write_text("name,value\nx,1\n")
    elif kind == "a cut npz":
        npz.write_bytes(npz.read_bytes()[:200])
    elif kind == "not an npz":
        npz.write_text("loss,accuracy\n")
    elif kind == "an npz with a stranger":
        with zipfile.ZipFile(npz, "a") as z:
            z.writestr("other.npy", b"")
    elif kind == "binary results.csv":
        csv.write_bytes(b"\xff\xfe\x00" * 20)


@pytest.mark.parametrize("kind, says", [
    ("no results.csv", "holds no results.csv"),
    ("no curves.npz", "no such curves file"),
    ("a row too few", "8 networks' curves over 30 epochs, but results.csv has 7 networks"),
    ("a row too many", "results.csv has 9 networks, the longest of 30 epochs: the two files"),
    ("curves of another sweep", "holds 8 networks' curves over 10 epochs, but results.csv"),
    ("a cell too few", "line 9 has 34 cells, the header 35"),  # 35: with test_fraction
    ("a bad hidden", "line 9: hidden '8-x' is not a list of layer sizes such as 4-4"),
    ("a bad setting", "line 9: unknown optimizer 'adamw2'"),
    ("a bad status", "line 9: status 'done' is not one of"),
    ("not a results file", "not a sweep's results.csv"),
    ("a cut npz", "curves.npz: not a backproplab curves file (.npz)"),
    ("not an npz", "not a backproplab curves file"),
    ("an npz with a stranger", "unexpected member 'other.npy'"),
    ("binary results.csv", "not UTF-8 text"),
])
def test_a_damaged_sweep_folder_is_one_line_and_exit_2(cli, tmp_path, kind, says):
    out, _ = run_sweep(cli, tmp_path, TWO)
    damage(out, kind)
    status, stdout, stderr = cli("plot", out)
    lines = stderr.strip().splitlines()
    assert status == 2 and stdout == "" and len(lines) == 1, stderr
    assert lines[0].startswith("backproplab plot: error: ") and says in lines[0], lines[0]
    assert not (out / "plots").exists()


@pytest.mark.parametrize("where", ["missing", "a file"])
def test_a_sweep_folder_that_is_not_a_folder_is_one_line(cli, tmp_path, where):
    path = tmp_path / "runs"
    if where == "a file":
        path.write_text("x")
    status, _, stderr = cli("plot", path)
    assert status == 2 and "no such folder; give the --out of a sweep" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_plot_replaces_an_earlier_plot_but_not_another_folder(cli, tmp_path):
    out, _ = run_sweep(cli, tmp_path, ONE)
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    status, _, stderr = cli("plot", out, "--out", other)
    assert status == 2 and "holds files already" in stderr
    assert os.listdir(other) == ["notes.txt"]
    assert cli("plot", out, "--out", other, "--overwrite")[0] == 0
    assert "notes.txt" not in os.listdir(other) and (other / "summary.md").exists()
