"""Hostile sweep files: special files, huge or deeply nested ones, grids too big to build, and
the line every key-level error names (tomllib gives no positions: the sweep finds them)."""

import os
import subprocess
import sys
import time

import pytest

from backproplab import limits
from backproplab.app import sweep
from backproplab.app.sweep.tomltext import key_line, too_deep
from backproplab.errors import BackproplabError


def one_line_error(cli, tmp_path, path, *parts):
    """Run the sweep on ``path``: exit 2, one line holding every one of ``parts``, no files."""
    status, stdout, stderr = cli("sweep", path, "--out", tmp_path / "out", "--jobs", 1)
    lines = stderr.strip().splitlines()
    assert status == 2 and stdout == "", stderr
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])
    assert not (tmp_path / "out").exists()
    return lines[0]


# --- where a key is: tomltext.key_line -----------------------------------------------------

TRICKY = '''\
# lr = "in a comment"
data = "xor"   # [[grid]] in a comment
notes = """
lr = 1.0 inside a string
[[grid]]
"""
hidden = [
  [4, 4],      # lr = 2
  [8, 8],
]
"weight-decay" = 0.1
lr = 0.5
[seeds]
x = 1

[[grid]]
lr = 1.0
'optimizer' = "adam"

[[grid]]
epochs = 10
[grid.extra]
lr = 3.0
'''


@pytest.mark.parametrize("key, grid, line", [
    ("data", None, 2), ("notes", None, 3), ("hidden", None, 7), ("weight_decay", None, 11),
    ("weight-decay", None, 11), ("lr", None, 12), ("seeds", None, 13), ("lr", 0, 17),
    ("optimizer", 0, 18), ("epochs", 1, 21), ("extra", 1, 22), ("lr", 1, None),
    ("epochs", None, None), ("x", None, None), ("momentum", 0, None), ("lr", 2, None),
])
def test_key_line_skips_comments_strings_and_arrays(key, grid, line):
    assert key_line(TRICKY, key, grid) == line


def test_too_deep_counts_brackets_outside_strings_and_comments():
    assert too_deep('a = "' + "[" * 50 + '"\n# ' + "{" * 50 + "\nb = [[1]]\n", 3) is None
    assert too_deep("a = 1\n\nb = " + "[" * 5 + "]" * 5 + "\n", 4) == 3
    assert too_deep("a = {b = {c = {d = 1}}}\n", 3) is None
    assert too_deep("a = {b = {c = {d = {e = 1}}}}\n", 3) == 1


# --- reading the file: only a regular file, of a sane size, in UTF-8 -----------------------


@pytest.mark.parametrize("kind", ["dev_zero", "link_to_dev_zero", "fifo", "folder", "huge",
                                  "not_utf8", "missing"])
def test_only_a_regular_text_file_of_a_sane_size_is_read(cli, tmp_path, kind):
    path = tmp_path / "sweep.toml"
    expected = {"dev_zero": "not a regular file", "link_to_dev_zero": "not a regular file",
                "fifo": "not a regular file", "folder": "a folder", "huge": "more than",
                "not_utf8": "not UTF-8", "missing": "no such file"}[kind]
    if kind == "dev_zero":
        path = "/dev/zero"
    elif kind == "link_to_dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)  # nobody writes: reading it would wait for ever
    elif kind == "folder":
        path.mkdir()
    elif kind == "huge":
        with open(path, "wb") as f:  # sparse: costs no disk
            f.truncate(limits.MAX_TEXT_FILE + 1)
    elif kind == "not_utf8":
        path.write_bytes(b'data = "caf\xe9"\n')
    one_line_error(cli, tmp_path, path, "sweep file", str(path), expected)


# --- nesting, and sizes counted before anything is built ----------------------------------


@pytest.mark.parametrize("value", ["[" * 3000 + "]" * 3000, "{a = " * 3000 + "1" + "}" * 3000,
                                   "[" * 3000])
def test_deep_nesting_is_one_line_not_a_recursion_error(cli, tmp_path, value):
    path = tmp_path / "deep.toml"
    path.write_text(f'data = "xor"\nlr = {value}\n')
    one_line_error(cli, tmp_path, path, f"{path}, line 2", f"deeper than {limits.MAX_TOML_DEPTH}")


def test_deep_dotted_keys_give_a_short_message(cli, tmp_path):
    path = tmp_path / "dotted.toml"
    path.write_text("epochs = 5\nlr." + ".".join(["a"] * 3000) + " = 1\n")
    line = one_line_error(cli, tmp_path, path, f"{path}, line 2", "'lr'")
    assert len(line) < 400


@pytest.mark.parametrize("text, count, axes", [
    ("data = 'xor'\nseeds = 1000000000\n", "1,000,000,000", "1,000,000,000 seeds"),
    ("lr = [" + ", ".join(str(i + 1) for i in range(100)) + "]\n"
     "l1 = [" + ", ".join(str(i / 10) for i in range(100)) + "]\nseeds = 1000\n",
     "10,000,000", "100 lr × 100 l1 × 1,000 seeds"),
])
def test_too_many_networks_are_refused_before_any_is_built(text, count, axes):
    """Counted as the product of the axes (seeds = N is a range, not a list): well under a
    second, in a child process whose address space could not hold the configurations."""
    code = ("import resource, sys, time\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from backproplab.app import sweep\n"
            "from backproplab.errors import BackproplabError\n"
            "started = time.perf_counter()\n"
            "try:\n"
            "    sweep.parse('big.toml', sys.stdin.read())\n"
            "except BackproplabError as e:\n"
            "    print(time.perf_counter() - started)\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              p for p in sys.path if p)})
    assert done.returncode == 0, done.stderr
    seconds, message = done.stdout.strip().splitlines()
    assert float(seconds) < 1.0
    assert message.startswith("big.toml, line ")
    assert f"asks for {count} networks" in message and axes in message
    assert f"{limits.MAX_SWEEP_NETWORKS:,}" in message


def test_many_grids_count_together():
    text = "seeds = 60000\n[[grid]]\nlr = 0.1\n[[grid]]\nlr = 0.2\n"
    with pytest.raises(BackproplabError, match="asks for 120,000 networks.*largest grid"):
        sweep.parse("two.toml", text)
    started = time.perf_counter()
    with pytest.raises(BackproplabError, match="more than the 100,000"):
        sweep.parse("grids.toml", "lr = 0.1\n" + "[[grid]]\n" * (limits.MAX_SWEEP_NETWORKS + 1))
    assert time.perf_counter() - started < 5


def test_a_sweep_at_the_limit_is_accepted():
    configs = sweep.parse("max.toml", f"data = 'xor'\nseeds = {limits.MAX_SWEEP_NETWORKS}\n")
    assert len(configs) == limits.MAX_SWEEP_NETWORKS and configs[-1].seed == 99_999


@pytest.mark.parametrize("text, expected", [
    ('data = "xor"\nhidden = [100000, 100000]\n',
     ["this run would need about", "parameters 447 GiB", "more than the limit of 4 GiB"]),
    ('data = "xor"\nhidden = [2]\nepochs = 1000000000\n',
     ["the curves of 1 network over 1,000,000,000 epochs need 14.9 GiB", "more than the 4"]),
    ('data = "circle"\nhidden = [2]\ntest_n = 1000000000\n',
     ["this run would need about", "data 22.4 GiB"]),
])
def test_a_sweep_too_big_for_memory_is_refused_before_it_starts(cli, tmp_path, text, expected):
    path = tmp_path / "big.toml"
    path.write_text(text)
    one_line_error(cli, tmp_path, path, *expected)
    with pytest.raises(BackproplabError, match="more than"):
        sweep.run(sweep.parse(path), jobs=1, progress=False)
