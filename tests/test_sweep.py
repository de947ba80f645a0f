"""`backproplab sweep`: sweep files, their errors, results.csv and curves.npz, stacks that give
bit for bit what `backproplab train` gives network by network, and the same sweep on Dask."""

import csv
import json
import math

import numpy as np
import pytest

from backproplab.app import sweep
from backproplab.errors import BackproplabError

# The columns results.csv promises, in order: a network's settings, then what it reached.
SETTINGS = ["data", "n", "noise", "hidden", "activation", "loss", "output", "optimizer", "lr",
            "momentum", "weight_decay", "l1", "schedule", "step_size", "gamma", "t_max",
            "eta_min", "epochs", "batch_size", "seed", "data_seed", "dtype",
            "standardize", "stop_at_loss", "init", "test_n", "test_fraction"]
OUTCOMES = ["final_loss", "final_accuracy", "epochs_run", "epoch_100", "diverged",
            "diverged_epoch", "test_accuracy", "status"]


def write(path, text):
    path.write_text(text)
    return path


def parse(text):
    return sweep.parse("sweep.toml", text)


def read_results(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


def read_history(path):
    """history.csv of a `train` run: columns epoch, loss, accuracy (not the test columns)."""
    with open(path) as f:
        header = f.readline().strip()
        assert header in ("epoch,loss,accuracy", "epoch,loss,accuracy,test_loss,test_accuracy")
        rows = [[float(v) for v in line.split(",")[:3]] for line in f if line.strip()]
    return np.array(rows, dtype=float).reshape(-1, 3)


def same(a, b):
    """Equal as floats, NaN equal to NaN (a diverged network's loss may be NaN)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def optional(text, kind=int):
    return None if text == "" else kind(text)


# --- parsing: what a sweep file asks for ----------------------------------------------------


def test_grid_is_the_product_of_its_axes_times_the_seeds():
    configs = parse('data = "xor"\n'
                    "lr = [0.1, 0.5, 1.0]\n"
                    "hidden = [[2, 2], [4, 4, 4]]\n"
                    'activation = ["relu", "tanh"]\n'
                    "seeds = 3\n"
                    "epochs = 200\n")
    assert len(configs) == 3 * 2 * 2 * 3
    settings = {(c.lr, tuple(c.hidden), tuple(c.activation), c.seed) for c in configs}
    assert len(settings) == 36  # every combination once
    assert {c.lr for c in configs} == {0.1, 0.5, 1.0}
    assert {tuple(c.hidden) for c in configs} == {(2, 2), (4, 4, 4)}
    # one activation name stands for every hidden layer
    assert {tuple(c.activation) for c in configs} == {
        ("relu", "relu"), ("tanh", "tanh"), ("relu", "relu", "relu"), ("tanh", "tanh", "tanh")}
    assert all(c.data == "xor" and c.epochs == 200 for c in configs)


def test_seeds_as_a_count_or_a_list():
    assert [c.seed for c in parse("seeds = 3\n")] == [0, 1, 2]
    assert [c.seed for c in parse("seeds = [0, 5]\n")] == [0, 5]
    assert [c.seed for c in parse("seed = 7\n")] == [7]
    assert [c.seed for c in parse("lr = 0.5\n")] == [0]  # train's default seed


def test_hidden_is_one_value_but_a_list_of_lists_is_an_axis():
    one = parse("hidden = [4, 4]\n")
    assert [c.hidden for c in one] == [[4, 4]]
    axis = parse("hidden = [[2, 2], [4, 4, 4]]\n")
    assert [c.hidden for c in axis] == [[2, 2], [4, 4, 4]]


def test_activation_list_is_an_axis_and_a_list_of_lists_is_per_layer():
    axis = parse('hidden = [4, 4]\nactivation = ["relu", "tanh"]\n')
    assert [c.activation for c in axis] == [["relu", "relu"], ["tanh", "tanh"]]
    per_layer = parse('hidden = [4, 4]\nactivation = [["relu", "tanh"]]\n')
    assert [c.activation for c in per_layer] == [["relu", "tanh"]]


def test_a_table_gives_one_value_per_data_set():
    configs = parse('data = ["linear", "xor"]\n'
                    "epochs = {linear = 3000, xor = 6000}\n"
                    "lr = {linear = 0.5, xor = 2.0}\n")
    assert [(c.data, c.epochs, c.lr) for c in configs] == [("linear", 3000, 0.5),
                                                            ("xor", 6000, 2.0)]
    # without a data key, the table is read for train's default data set, linear
    assert [c.epochs for c in parse("epochs = {linear = 300, xor = 600}\n")] == [300]


def test_grid_tables_are_a_union_inheriting_and_overriding_the_top_level():
    configs = parse('data = "xor"\n'
                    "hidden = [4, 4]\n"
                    "epochs = 500\n"
                    "seeds = 2\n"
                    "[[grid]]\n"
                    'optimizer = "gd"\n'
                    "lr = [0.5, 1.0]\n"
                    "[[grid]]\n"
                    'optimizer = "adam"\n'
                    "lr = 0.01\n"
                    "hidden = [8]\n"
                    "seeds = [9]\n")
    got = [(c.optimizer, c.lr, c.hidden, c.seed) for c in configs]
    assert got == [("gd", 0.5, [4, 4], 0), ("gd", 0.5, [4, 4], 1),
                   ("gd", 1.0, [4, 4], 0), ("gd", 1.0, [4, 4], 1),
                   ("adam", 0.01, [8], 9)]
    assert all(c.data == "xor" and c.epochs == 500 for c in configs)


def test_keys_may_be_spelt_with_dashes_as_on_the_command_line():
    configs = parse('optimizer = "adamw"\n'
                    "weight-decay = [0.0, 0.01]\n"
                    "batch-size = 8\n"
                    "data-seed = 4\n"
                    "stop-at-loss = 0.001\n"
                    "test-n = 30\n")
    assert [c.weight_decay for c in configs] == [0.0, 0.01]
    assert all((c.batch_size, c.data_seed, c.stop_at_loss, c.test_n) == (8, 4, 0.001, 30)
               for c in configs)


# --- bad sweep files: exit 2, one line naming the key, no traceback --------------------------

HEAD = 'data = "xor"\nepochs = 5\n'  # two good lines first, so that line numbers mean something

# name: (text, the line the message names, what the message must say)
BAD_FILES = {
    "unknown_key": (HEAD + "learning_rate = 0.1\n", 3,
                    ["unknown key 'learning_rate'", "valid keys:", "seeds", "lr", "weight_decay"]),
    "unknown_key_in_grid": ("lr = 0.1\n[[grid]]\nepochs = 10\n[[grid]]\nepoch = 10\n", 5,
                            ["unknown key 'epoch'", "[[grid]] number 2", "valid keys:"]),
    "lr_string": (HEAD + '\n# the learning rate\nlr = "fast"\n', 5,
                  ["'lr' must be a number", "got 'fast'"]),
    "hidden_floats": (HEAD + "hidden = [1.5, 2]\n", 3, ["'hidden'", "layer sizes", "[1.5, 2]"]),
    "hidden_axis_floats": (HEAD + "hidden = [\n  [2, 2],\n  [1.5],\n]\n", 3,
                           ["'hidden'", "[1.5]"]),
    "hidden_empty": (HEAD + "hidden = []\n", 3, ["'hidden'", "[]"]),
    "epochs_float": ("epochs = 2.5\n", 1, ["'epochs'", "whole number", "2.5"]),
    "epochs_bool": ('data = "xor"\nepochs = true\n', 2, ["'epochs'", "whole number"]),
    "standardize_string": (HEAD + 'standardize = "yes"\n', 3,
                           ["'standardize'", "true or false"]),
    "seeds_negative": (HEAD + "seeds = -1\n", 3, ["'seeds'", ">= 1", "-1"]),
    "seeds_zero": (HEAD + "seeds = 0\n", 3, ["'seeds'", ">= 1"]),
    "seeds_string": (HEAD + 'seeds = "3"\n', 3, ["'seeds'", "'3'"]),
    "seeds_negative_in_list": (HEAD + "seeds = [0, -1]\n", 3, ["'seeds'", "[0, -1]"]),
    "seeds_empty": (HEAD + "seeds = []\n", 3, ["'seeds'", "empty"]),
    "lr_empty": (HEAD + "lr = []\n", 3, ["'lr'", "empty list"]),
    "malformed_toml": ("lr = 0.1\nepochs = \nseeds = 2\n", 2, ["not valid TOML", "column"]),
    "unterminated_toml": ('lr = 0.1\ndata = "xor\n', 2, ["not valid TOML"]),
    "toml_ends_early": ("lr = 0.1\nhidden = [4,", 2, ["not valid TOML", "end of the file"]),
    "seed_and_seeds": ("seed = 1\nseeds = 2\n", 2, ["'seeds' or 'seed'"]),
    "lr_negative": (HEAD + "lr = [0.1, -1]\n", 3, ["--lr", "> 0", "-1"]),
    "activation_unknown": (HEAD + 'activation = "swish"\n', 3,
                           ["unknown activation 'swish'", "sigmoid", "relu"]),
    "table_without_the_data_set": ('data = ["linear", "xor"]\nepochs = {linear = 300}\n', 2,
                                   ["'epochs'", "'xor'"]),
    "table_of_the_wrong_type": ('data = "xor"\nepochs = {linear = "long"}\n', 2,
                                ["'epochs'", "'linear'"]),
    "data_as_a_table": ('epochs = 5\ndata = {linear = "xor"}\n', 2, ["'data'", "table"]),
    "grid_not_tables": (HEAD + "grid = 3\n", 3, ["'grid'", "[[grid]]"]),
    "grid_as_one_table": (HEAD + "[grid]\nlr = 1.0\n", 3, ["'grid'", "[[grid]]"]),
    "grid_in_grid": (HEAD + "[[grid]]\nlr = 1.0\n[[grid.grid]]\nlr = 2.0\n", 5,
                     ["cannot hold more [[grid]]"]),
    # the checks of the settings together: the line of the key the message is about
    "loss_and_output": (HEAD + 'output = "none"\n\nloss = "bce"\n', 5,
                        ["--loss bce", "--output none"]),
    "momentum_for_gd": (HEAD + 'optimizer = "gd"\nmomentum = 0.5\n', 4, ["--momentum"]),
    "n_on_fixed_data": (HEAD + "n = 50\n", 3, ["takes no --n"]),
    "in_grid_with_dashes": (HEAD + "[[grid]]\nlr = 1.0\n[[grid]]\nweight-decay = -1\n", 6,
                            ["--weight-decay", "-1"]),
    "digits": ('epochs = 1\ndata = "digits"\nloss = "ce"\noutput = "softmax"\n', 2,
               ["backproplab train"]),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_sweep_files(cli, tmp_path, name):
    text, line, expected = BAD_FILES[name]
    path = write(tmp_path / f"{name}.toml", text)
    status, stdout, stderr = cli("sweep", path, "--out", tmp_path / "out", "--jobs", 1)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith(f"backproplab sweep: error: {path}, line {line}"), lines[0]
    for part in expected:
        assert part in lines[0], (part, lines[0])
    assert stdout == ""
    assert not (tmp_path / "out" / "results.csv").exists()


@pytest.mark.parametrize("case", ["missing_file", "not_utf8", "jobs_0", "unknown_backend"])
def test_bad_command_lines(cli, tmp_path, case):
    path = write(tmp_path / "ok.toml", 'data = "xor"\nhidden = [2]\nepochs = 5\n')
    args = [path, "--out", tmp_path / "out", "--jobs", 1]
    if case == "missing_file":
        args[0], expected = tmp_path / "absent.toml", ["sweep file", "absent.toml", "no such"]
    elif case == "not_utf8":
        (tmp_path / "latin1.toml").write_bytes(b'data = "caf\xe9"\n')
        args[0], expected = tmp_path / "latin1.toml", ["latin1.toml", "not UTF-8"]
    elif case == "jobs_0":
        args[-1], expected = 0, ["--jobs must be >= 1, got 0"]
    else:
        args += ["--backend", "spark"]
        expected = ["unknown backend 'spark'", "loky or dask"]
    status, stdout, stderr = cli("sweep", *args)
    assert status == 2
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    for part in expected:
        assert part in stderr, (part, stderr)
    assert not (tmp_path / "out" / "results.csv").exists()


# --- end to end: results.csv, curves.npz and the summary ------------------------------------

SMALL = """\
hidden = [4, 4]
activation = ["sigmoid", "tanh"]
lr = [0.5, 2.0]
epochs = 200
seeds = 2

[[grid]]
data = "linear"
test_n = 50

[[grid]]
data = "xor"
"""


def test_sweep_writes_results_curves_and_a_summary(cli, tmp_path):
    path = write(tmp_path / "small.toml", SMALL)
    out = tmp_path / "out"
    status, stdout, stderr = cli("sweep", path, "--out", out, "--jobs", 1)
    assert status == 0, stderr
    assert stderr == ""

    configs = sweep.parse(path)
    assert len(configs) == 2 * 2 * 2 * 2
    header, rows = read_results(out / "results.csv")
    assert header == SETTINGS + OUTCOMES
    assert len(rows) == len(configs)
    with np.load(out / "curves.npz") as f:
        assert sorted(f.files) == ["accuracy", "loss"]
        loss, accuracy = f["loss"], f["accuracy"]
    assert loss.shape == accuracy.shape == (16, 200)

    # the same sweep in this process: every number in the files reads back exactly
    result = sweep.run(configs, jobs=1, progress=False)
    np.testing.assert_array_equal(loss, result.loss)
    np.testing.assert_array_equal(accuracy, result.accuracy)
    for i, (row, cfg, m) in enumerate(zip(rows, configs, result.metrics)):
        assert row["data"] == cfg.data and row["seed"] == str(cfg.seed)
        assert row["hidden"] == "4-4" and row["activation"] == "-".join(cfg.activation)
        assert float(row["lr"]) == cfg.lr and row["epochs"] == "200"
        assert float(row["final_loss"]) == m["final_loss"]
        assert float(row["final_accuracy"]) == m["final_accuracy"]
        assert int(row["epochs_run"]) == m["epochs_run"] == 200
        assert optional(row["epoch_100"]) == m["epoch_100"]
        assert row["diverged"] == "false" and row["diverged_epoch"] == ""
        assert row["status"] == m["status"] == "completed"
        # the curves' row i is this network's: its last loss comes just before the final one
        assert np.isfinite(loss[i]).all()
        assert float(row["final_loss"]) != loss[i, -1]
        hit = np.flatnonzero(accuracy[i] == 1.0)
        if hit.size:
            assert int(row["epoch_100"]) == hit[0]
        if cfg.data == "linear":
            assert float(row["test_accuracy"]) == m["test_accuracy"]
            assert row["test_n"] == "50" and 0.5 <= float(row["test_accuracy"]) <= 1.0
        else:
            assert row["test_accuracy"] == row["test_n"] == ""
    assert any(r["epoch_100"] for r in rows)  # some network got there in 200 epochs

    # the summary: one line per setting (every key that varies but the seed), seeds pooled
    lines = stdout.strip().splitlines()
    assert lines[0].split() == ["data", "activation", "lr", "test_n", "networks", "accuracy",
                                "solved", "median", "epochs", "to", "100%", "diverged"]
    assert set(lines[1]) == {"-", " "}
    body = lines[2:-1]
    assert len(body) == 8
    assert all(line.split()[4] == "2" for line in body)  # two seeds each
    assert "None" not in stdout  # a setting left unset shows as —, as in the median column
    assert sum(line.split()[3] == "—" for line in body) == 4  # xor's rows: no test_n
    assert lines[-1].startswith("16 networks in ") and str(out) in lines[-1]


def test_quiet_sweep_prints_nothing(cli, tmp_path):
    path = write(tmp_path / "one.toml", 'data = "xor"\nhidden = [2]\nepochs = 20\n')
    status, stdout, stderr = cli("sweep", path, "--out", tmp_path / "out", "--quiet")
    assert (status, stdout, stderr) == (0, "", "")
    assert len(read_results(tmp_path / "out" / "results.csv")[1]) == 1


def test_curves_are_nan_after_a_network_stops_and_a_repeated_network_trains_once(
        monkeypatch):
    configs = parse('data = "xor"\nhidden = [3]\nepochs = [0, 20, 50]\n'
                    "[[grid]]\n[[grid]]\nepochs = 20\n")  # the last asks again for the second
    trained = []

    def counting(group, *args):
        trained.extend(group.index)
        return train_group(group, *args)

    train_group = sweep.train_group
    monkeypatch.setattr(sweep.running, "train_group", counting)  # where run() finds it
    result = sweep.run(configs, jobs=1, progress=False)
    assert sorted(trained) == [0, 1, 2]
    assert result.loss.shape == result.accuracy.shape == (4, 50)
    assert [m["epochs_run"] for m in result.metrics] == [0, 20, 50, 20]
    for row, ran in zip(result.loss, [0, 20, 50, 20]):
        assert np.isfinite(row[:ran]).all() and np.isnan(row[ran:]).all()
    assert result.metrics[3] == result.metrics[1]
    np.testing.assert_array_equal(result.loss[3], result.loss[1])


# --- stacks give bit for bit what `backproplab train` gives ----------------------------------

STACKED = """\
data = ["linear", "xor"]
hidden = [4, 4]
activation = ["tanh", "none"]
output = "none"
optimizer = ["gd", "adam"]
lr = [0.05, 10.0]
epochs = 300
seeds = [0, 3]
test_n = 40
"""

# (data, activation, optimizer, lr, seed): networks to train again alone; gd at lr 10 diverges
RETRAIN = [
    ("linear", "tanh", "gd", 10.0, 3),
    ("linear", "none", "gd", 10.0, 0),
    ("linear", "tanh", "adam", 0.05, 3),
    ("linear", "none", "adam", 10.0, 0),
    ("xor", "tanh", "gd", 0.05, 0),
    ("xor", "none", "gd", 10.0, 3),
    ("xor", "tanh", "adam", 0.05, 3),
    ("xor", "none", "adam", 10.0, 3),
]


def test_a_network_in_a_stack_ends_bit_for_bit_as_train_alone(cli, tmp_path):
    path = write(tmp_path / "stacked.toml", STACKED)
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "sweep", "--jobs", 1, "--quiet")
    assert status == 0, stderr
    configs = sweep.parse(path)
    # lr and seed vary inside a stack: 8 stacks of 4 networks, each with per-seed linear data
    assert sorted(len(g.index) for g in sweep.plan(configs)) == [4] * 8
    _, rows = read_results(tmp_path / "sweep" / "results.csv")
    with np.load(tmp_path / "sweep" / "curves.npz") as f:
        loss, accuracy = f["loss"], f["accuracy"]
    where = {(c.data, c.activation[0], c.optimizer, c.lr, c.seed): i
             for i, c in enumerate(configs)}

    diverged = 0
    for n, key in enumerate(RETRAIN):
        data, activation, optimizer, lr, seed = key
        out = tmp_path / f"train{n}"
        status, _, _ = cli("train", "--data", data, "--hidden", 4, 4, "--activation", activation,
                           "--output", "none", "--optimizer", optimizer, "--lr", lr,
                           "--epochs", 300, "--seed", seed, "--test-n", 40,
                           "--out", out, "--no-plots", "--quiet")
        assert status == 0
        metrics = json.loads((out / "metrics.json").read_text())
        i = where[key]
        row = rows[i]
        assert row["diverged"] == ("true" if metrics["diverged"] else "false"), key
        assert row["status"] == ("diverged" if metrics["diverged"] else "completed"), key
        assert int(row["epochs_run"]) == metrics["epochs_run"], key
        assert optional(row["diverged_epoch"]) == metrics["diverged_epoch"], key
        assert same(float(row["final_accuracy"]), metrics["train_accuracy"]), key
        assert optional(row["test_accuracy"], float) == metrics["test_accuracy"], key
        if metrics["diverged"]:
            diverged += 1
            assert metrics["final_loss"] is None  # train writes null, the sweep inf or nan
            assert not math.isfinite(float(row["final_loss"]))
        else:
            assert float(row["final_loss"]) == metrics["final_loss"], key
        history = read_history(out / "history.csv")
        ran = metrics["epochs_run"]
        # a row per epoch run, then (unless it diverged) the log's last line, epoch epochs_run
        assert len(history) == ran + (not metrics["diverged"])
        history = history[:ran]
        np.testing.assert_array_equal(loss[i, :ran], history[:, 1])
        np.testing.assert_array_equal(accuracy[i, :ran], history[:, 2])
        assert np.isnan(loss[i, ran:]).all() and np.isnan(accuracy[i, ran:]).all()
    assert 2 <= diverged <= len(RETRAIN) - 2  # both kinds of ending were compared


def test_jobs_1_and_jobs_2_give_identical_results(tmp_path):
    configs = parse(SMALL)
    one = sweep.run(configs, jobs=1, progress=False)
    two = sweep.run(configs, jobs=2, progress=False)
    assert np.array_equal(one.loss, two.loss, equal_nan=True)
    assert np.array_equal(one.accuracy, two.accuracy, equal_nan=True)
    sweep.write(one, tmp_path)
    first = (tmp_path / "results.csv").read_text()
    sweep.write(two, tmp_path)
    assert (tmp_path / "results.csv").read_text() == first


def test_a_diverging_network_leaves_the_rest_of_its_stack_unchanged():
    base = ('data = ["linear", "xor"]\nhidden = [4, 4]\nactivation = "none"\n'
            'output = "none"\noptimizer = ["gd", "adam"]\nepochs = 300\nseeds = [0, 3]\n')
    calm = parse(base + "lr = 0.05\n")
    wild = parse(base + "lr = [0.05, 10.0, 1e200]\n")  # gd diverges at 10, adam at 1e200
    alone = sweep.run(calm, jobs=1, progress=False)
    mixed = sweep.run(wild, jobs=1, progress=False)

    # each calm network shared its stack with networks that diverged part way
    groups = sweep.plan(wild)
    assert len(groups) == 4
    for g in groups:
        ms = [mixed.metrics[i] for i in g.index]
        assert any(m["diverged"] for m in ms) and not all(m["diverged"] for m in ms)
        assert max(m["diverged_epoch"] or 0 for m in ms) < 300
    place = {repr(c): i for i, c in enumerate(wild)}
    for j, cfg in enumerate(calm):
        i = place[repr(cfg)]
        assert mixed.metrics[i] == alone.metrics[j]  # no NaN here: none of these diverged
        assert not alone.metrics[j]["diverged"]
        np.testing.assert_array_equal(mixed.loss[i], alone.loss[j])
        np.testing.assert_array_equal(mixed.accuracy[i], alone.accuracy[j])


def test_each_network_says_how_it_ended(tmp_path):
    """status: completed (ran its epochs), diverged, stopped_early (reached stop_at_loss)."""
    configs = parse('data = "xor"\nhidden = [4]\nactivation = "none"\noutput = "none"\n'
                    "epochs = 300\nlr = [0.05, 1e200]\nstop_at_loss = [0.0, 0.5]\n")
    result = sweep.run(configs, jobs=1, progress=False)
    assert not result.interrupted
    status = {(c.lr, c.stop_at_loss): m for c, m in zip(configs, result.metrics)}
    assert status[(0.05, 0.0)]["status"] == "completed"
    assert status[(0.05, 0.0)]["epochs_run"] == 300
    assert status[(1e200, 0.0)]["status"] == status[(1e200, 0.5)]["status"] == "diverged"
    assert status[(0.05, 0.5)]["status"] == "stopped_early"
    assert status[(0.05, 0.5)]["epochs_run"] < 300
    sweep.write(result, tmp_path)
    _, rows = read_results(tmp_path / "results.csv")
    assert [r["status"] for r in rows] == [m["status"] for m in result.metrics]
    assert set(sweep.STATUSES) >= {r["status"] for r in rows}


# --- the same sweep on Dask ------------------------------------------------------------------


def test_dask_backend_gives_the_loky_results(cli, tmp_path):
    distributed = pytest.importorskip("distributed")
    path = write(tmp_path / "small.toml", SMALL)
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "loky", "--jobs", 2, "--quiet")
    assert status == 0, stderr
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp",
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        status, _, stderr = cli("sweep", path, "--out", tmp_path / "dask", "--backend", "dask",
                                "--scheduler", address, "--jobs", 2, "--quiet")
    assert status == 0, stderr
    loky = (tmp_path / "loky" / "results.csv").read_text()
    assert (tmp_path / "dask" / "results.csv").read_text() == loky
    assert len(loky.splitlines()) == 1 + 16
    with np.load(tmp_path / "loky" / "curves.npz") as a, \
            np.load(tmp_path / "dask" / "curves.npz") as b:
        assert np.array_equal(a["loss"], b["loss"], equal_nan=True)
        assert np.array_equal(a["accuracy"], b["accuracy"], equal_nan=True)


def test_dask_backend_needs_a_scheduler(cli, tmp_path):
    path = write(tmp_path / "one.toml", 'data = "xor"\nhidden = [2]\nepochs = 5\n')
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "out", "--backend", "dask")
    assert status == 2
    assert "--backend dask needs --scheduler" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_unreachable_dask_scheduler(cli, tmp_path):
    """Nothing listens on port 1: the client gives up after its 10 s timeout."""
    pytest.importorskip("distributed")
    path = write(tmp_path / "one.toml", 'data = "xor"\nhidden = [2]\nepochs = 5\n')
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "out", "--backend", "dask",
                            "--scheduler", "tcp://127.0.0.1:1")
    assert status == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "results.csv").exists()


def test_a_failed_backend_leaves_no_progress_bar_behind():
    class Terminal:
        text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    term = Terminal()
    with pytest.raises(BackproplabError, match="needs --scheduler"):
        sweep.run(parse("epochs = 5\nhidden = [2]\n"), backend="dask", stream=term)
    assert term.text == ""


def test_unknown_data_set_is_caught_before_training(cli, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('data = ["xor", "mnist"]\nseeds = 2\nepochs = 5\n')
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "o")
    assert status == 2 and str(path) in stderr and "unknown data set 'mnist'" in stderr
    assert not (tmp_path / "o").exists()


def test_scheduler_without_dask_backend(cli, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('data = "xor"\nseeds = 1\nepochs = 5\n')
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "o", "--scheduler",
                            "tcp://127.0.0.1:8786")
    assert status == 2 and "--scheduler applies to --backend dask" in stderr


def test_init_gives_every_network_of_a_stack_the_saved_weights(cli, tmp_path):
    from backproplab import MLP
    from backproplab.data import datasets

    saved = MLP(2, hidden=(3, 3), seed=7)
    saved.save(tmp_path / "m.npz")
    x, y = datasets.xor_easy()
    expected = float(np.mean((saved.predict_proba(x) - y) ** 2))
    path = tmp_path / "s.toml"
    path.write_text(f'data = "xor"\nhidden = [3, 3]\ninit = "{tmp_path / "m.npz"}"\n'
                    "seeds = 3\nepochs = 0\n")
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "o", "--quiet")
    assert status == 0, stderr
    _, rows = read_results(tmp_path / "o" / "results.csv")
    assert [float(r["final_loss"]) for r in rows] == [expected] * 3
