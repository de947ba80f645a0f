"""Hostile model files, built here byte by byte: each is refused with one line naming the
problem (a BackproplabError from Python, exit status 2 from ``train --init``) before anything
big is read, inflated or built. The cases that would take gigabytes if a check were missing run
in a child process whose address space is capped at 1 GiB. And the files backproplab writes
still load bit for bit."""

import io
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from numpy.lib import format as npy_format

from backproplab.engine.checkpoint import trainer_state
from backproplab.engine.trainer import Trainer
from backproplab.errors import BackproplabError
from backproplab.models import CNN, MLP, load
from backproplab.models.modelconfig import implied_arrays
from backproplab.models.modelfile import read_checkpoint, read_model_file, save_model

GiB = 2**30

# --- building files by hand -----------------------------------------------------------------


def npy(array):
    """The bytes of ``array`` as an .npy file (numpy's own writer)."""
    f = io.BytesIO()
    np.save(f, array, allow_pickle=True)
    return f.getvalue()


def npy_header(descr, shape):
    """An .npy header alone, declaring ``shape`` values of dtype ``descr``."""
    f = io.BytesIO()
    npy_format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False,
                                          "shape": shape})
    return f.getvalue()


def write_zip(path, members):
    """A zip archive written field by field, so that an entry may lie: ``members`` maps a
    name to its bytes (stored), or to (raw data, method, declared size, declared CRC)."""
    out, directory = bytearray(), bytearray()
    for name, member in members.items():
        data, method, size, crc = (member if isinstance(member, tuple)
                                   else (member, 0, len(member), zlib.crc32(member)))
        name = name.encode()
        fields = struct.pack("<HHHHHIIIH", 20, 0, method, 0, 0x21, crc, len(data), size,
                             len(name))
        directory += (b"PK\x01\x02" + struct.pack("<H", 20) + fields
                      + struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(out)) + name)
        out += b"PK\x03\x04" + fields + b"\0\0" + name + data
    n = len(members)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, n, n, len(directory), len(out), 0)
    path.write_bytes(bytes(out + directory + end))
    return path


def good_members(tmp_path):
    """The members of a real model file: MLP(2, hidden=(4, 4)), as {"W1.npy": bytes, …}."""
    MLP(2, hidden=(4, 4), seed=0).save(tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as data:
        return {f"{name}.npy": npy(data[name]) for name in data.files}


def config_of(tmp_path, **changes):
    members = good_members(tmp_path)
    config = json.loads(str(np.load(io.BytesIO(members["config.npy"]))))
    return members, {**config, **changes}


def with_config(tmp_path, name, **changes):
    members, config = config_of(tmp_path, **changes)
    members["config.npy"] = npy(np.array(json.dumps(config)))
    return write_zip(tmp_path / name, members)


def deflated_zeros(header, n_bytes):
    """A raw deflate stream of ``header`` and then ``n_bytes`` zeros, made without compressing
    them all: after a full flush the compressor starts afresh, so every MiB of zeros comes out
    as the same bytes, and 3 GiB of zeros are 3072 copies of one piece (some 3 MB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    piece = c.compress(bytes(2**20)) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(bytes(2**20)) + c.flush(zlib.Z_FULL_FLUSH) == piece
    return start + piece * (n_bytes // 2**20) + c.flush()


# --- the hostile files: name → (build(tmp_path) → path, what the message says) -----------------


def lying_header(tmp_path):
    members = good_members(tmp_path)
    members["W1.npy"] = npy_header("<f8", (10**12,)) + bytes(64)  # 10¹² values claimed
    return write_zip(tmp_path / "lying.npz", members)


def zip_bomb(tmp_path):
    """3 MB on disk; W1 inflates to 3 GiB of zeros, as its header and zip entry say."""
    members = good_members(tmp_path)
    header = npy_header("<f8", (3 * GiB // 8,))
    members["W1.npy"] = (deflated_zeros(header, 3 * GiB), 8, len(header) + 3 * GiB, 0)
    return write_zip(tmp_path / "bomb.npz", members)


def pickled(tmp_path):
    members = good_members(tmp_path)
    members["W1.npy"] = npy(np.array([os.getcwd], dtype=object))
    return write_zip(tmp_path / "pickled.npz", members)


def raw_member(tmp_path):
    members = good_members(tmp_path)
    members["W1.npy"] = b"W1 as text, not an array\n"
    return write_zip(tmp_path / "raw.npz", members)


def unexpected_member(tmp_path):
    members = good_members(tmp_path)
    members["../../evil.sh"] = b"rm -rf ~\n"
    return write_zip(tmp_path / "extra.npz", members)


def nested_json(tmp_path):
    members, config = config_of(tmp_path)
    text = json.dumps(config)[:-1] + ', "training": ' + "[" * 10**5 + "]" * 10**5 + "}"
    members["config.npy"] = npy(np.array(text))
    return write_zip(tmp_path / "nested.npz", members)


def truncated(tmp_path):
    write_zip(tmp_path / "whole.npz", good_members(tmp_path))
    data = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    return tmp_path / "truncated.npz"


def dev_zero(tmp_path):
    os.symlink("/dev/zero", tmp_path / "zero.npz")
    return tmp_path / "zero.npz"


def fifo(tmp_path):
    os.mkfifo(tmp_path / "fifo.npz")  # opening it would wait for a writer forever
    return tmp_path / "fifo.npz"


HOSTILE = {
    "lying header": (lying_header, "W1.npy declares <f8 values of shape (1000000000000,)"),
    "zip bomb": (zip_bomb, "its arrays declare 3 GiB, more than the 2 GiB"),
    "huge hidden sizes": (lambda p: with_config(p, "huge.npz", hidden=[100000, 100000]),
                          "asks for 10,000,500,001 parameters (74.5 GiB) but its arrays hold 37"),
    "nested JSON": (nested_json, "nests arrays and objects more than 20 levels deep"),
    "raw member": (raw_member, "W1.npy is not a .npy array"),
    "unexpected member": (unexpected_member, "unexpected member '../../evil.sh'"),
    "pickled member": (pickled, "W1.npy holds pickled Python objects, which are never loaded"),
    "negative seed": (lambda p: with_config(p, "seed.npz", seed=-1),
                      "seed must be a whole number >= 0 or a list of them, got -1"),
    "NaN size": (lambda p: with_config(p, "nan.npz", n_in=float("nan")),
                 "n_in must be a whole number from 1 to 2147483647, got nan"),
    "float size": (lambda p: with_config(p, "float.npz", hidden=[4.5, 4]),
                   "hidden must be a list of whole numbers"),
    "unknown activation": (lambda p: with_config(p, "act.npz", activation=["sigmoid", "os"]),
                           "unknown activation 'os'; choose from: sigmoid"),
    "truncated": (truncated, "not a backproplab model file (.npz)"),
    "folder": (lambda p: p, "is a directory, not a model file"),
    "/dev/zero": (dev_zero, "is not a regular file, so not a model file"),
    "FIFO": (fifo, "is not a regular file, so not a model file"),
}

CHILD = """
import contextlib, io, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
from backproplab.app.cli import main
from backproplab.errors import BackproplabError
from backproplab.models import load
out = {}
for i, path in enumerate(sys.argv[2:]):
    try:
        load(path)
        api = "loaded"
    except BackproplabError as e:
        api = str(e)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(["train", "--init", path, "--hidden", "4", "4", "--epochs", "2",
                       "--out", f"{sys.argv[1]}/{i}", "--no-plots", "--quiet"])
    out[path] = [api, status, err.getvalue()]
print(json.dumps(out))
"""


def run_capped(tmp_path, paths):
    """{path: [message or "loaded", exit status of train --init, its stderr]}, from a child
    process that may use at most 1 GiB of address space."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "out"), *map(str, paths)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_hostile_file_is_one_line_within_1_GiB(tmp_path):
    cases = {}
    for name, (build, expected) in HOSTILE.items():
        folder = tmp_path / name.replace("/", "").replace(" ", "-")
        folder.mkdir()
        cases[name] = (str(build(folder)), expected)
    results = run_capped(tmp_path, [path for path, _ in cases.values()])
    for name, (path, expected) in cases.items():
        api, status, stderr = results[path]
        assert api.startswith(f"{path}: ") and expected in api, (name, api)
        assert status == 2 and stderr.count("\n") == 1, (name, status, stderr)
        assert expected in stderr and stderr.startswith("backproplab train: error:"), stderr


@pytest.mark.parametrize("name", [n for n in HOSTILE if n not in ("zip bomb", "huge hidden sizes")])
def test_a_hostile_file_is_refused_in_process(tmp_path, name):
    build, expected = HOSTILE[name]
    path = build(tmp_path)
    for read in (load, MLP.load, read_model_file, read_checkpoint):
        with pytest.raises(BackproplabError, match="^" + str(path)) as info:
            read(path)
        assert expected in str(info.value)


def test_a_bomb_under_a_small_declared_size_inflates_no_further(tmp_path):
    """W1's zip entry declares its 64 bytes, but its deflate stream goes on to 3 GiB of zeros:
    only the declared bytes are inflated (the 1 GiB cap would stop anything more)."""
    members = good_members(tmp_path)
    header = npy_header("<f8", (2, 4))
    declared = header + bytes(64)
    members["W1.npy"] = (deflated_zeros(header, 3 * GiB), 8, len(declared),
                         zlib.crc32(declared))
    path = write_zip(tmp_path / "tail.npz", members)
    api, status, stderr = run_capped(tmp_path, [path])[str(path)]
    assert api == "loaded" and status == 0, (api, stderr)
    assert np.array_equal(MLP.load(path).dense_layers[0].W[0], np.zeros((2, 4)))


def test_a_damaged_member_is_named(tmp_path):
    members = good_members(tmp_path)
    data = bytearray(members["W2.npy"])
    data[-3] ^= 0xFF  # one weight's bits flipped: the CRC no longer fits
    members["W2.npy"] = (bytes(data), 0, len(data), zlib.crc32(members["W2.npy"]))
    path = write_zip(tmp_path / "damaged.npz", members)
    with pytest.raises(BackproplabError, match="W2.npy is damaged"):
        MLP.load(path)


@pytest.mark.parametrize("change, expected", [
    ({"kind": "rnn"}, "unknown kind of model 'rnn'; choose from: mlp, cnn"),
    ({"dtype": "float16"}, "unknown dtype 'float16'"),
    ({"seed": [1, 2]}, "n_models is 1 but there are 2 seeds"),
    ({"seed": True}, "seed must be a whole number >= 0"),
    ({"n_out": 10**30}, "n_out must be a whole number from 1 to 2147483647"),
    ({"output": "softmax"}, "a softmax output needs n_out >= 2, got 1"),
    ({"activation": ["relu"]}, "activation must be one name or one per hidden layer (2)"),
    ({"hidden": "4"}, "hidden must be a list of whole numbers"),
])
def test_each_field_of_the_configuration_is_checked(tmp_path, change, expected):
    path = with_config(tmp_path, "bad.npz", **change)
    with pytest.raises(BackproplabError, match="the model's configuration is invalid") as info:
        load(path)
    assert expected in str(info.value)


def test_a_configuration_missing_a_field_names_it(tmp_path):
    members, config = config_of(tmp_path)
    del config["n_out"]
    members["config.npy"] = npy(np.array(json.dumps(config)))
    with pytest.raises(BackproplabError, match="it has no 'n_out'"):
        load(write_zip(tmp_path / "bad.npz", members))


def test_a_configuration_that_is_not_text_or_too_long(tmp_path):
    members = good_members(tmp_path)
    members["config.npy"] = npy(np.zeros(3))
    with pytest.raises(BackproplabError, match="configuration is not JSON text"):
        load(write_zip(tmp_path / "numbers.npz", members))
    header = npy_header(f"<U{100 * 2**20}", ())  # 100 Mi characters, 400 MiB: honestly zipped
    members["config.npy"] = (deflated_zeros(header, 400 * 2**20), 8, len(header) + 400 * 2**20,
                             0)
    with pytest.raises(BackproplabError, match="configuration is 400 MiB, more than the 16 MiB"):
        load(write_zip(tmp_path / "long.npz", members))


def test_a_checkpoint_whose_state_is_hostile(tmp_path):
    members = good_members(tmp_path)
    members["trainer.npy"] = npy(np.array("[" * 10**5 + "]" * 10**5))
    path = write_zip(tmp_path / "deep.npz", members)
    load(path)  # the weights alone are fine
    with pytest.raises(BackproplabError, match="trainer's state nests"):
        read_checkpoint(path)
    members["trainer.history.loss.npy"] = npy(np.array([os.getcwd], dtype=object))
    with pytest.raises(BackproplabError, match="pickled"):
        read_checkpoint(write_zip(tmp_path / "evil.npz", members))


def checkpoint_members(tmp_path):
    """The members of a real checkpoint: an MLP trained 3 epochs with Adam on mini-batches."""
    net = MLP(2, hidden=(4, 4), seed=0)
    x = np.random.default_rng(0).normal(size=(8, 2))
    trainer = Trainer(net, x, (x[:, :1] > 0).astype(float), loss="bce", optimizer="adam",
                      lr=0.01, epochs=3, batch_size=4)
    trainer.run()
    save_model(net, tmp_path / "run.npz", checkpoint=trainer_state(trainer))
    with np.load(tmp_path / "run.npz") as data:
        return {f"{name}.npy": npy(data[name]) for name in data.files}


@pytest.mark.parametrize("key, value, expected", [
    ("settings", [], "its settings are not a JSON object"),
    ("t", -1, "t must be a whole number from 0"),
    ("k", None, "k must be a whole number from 1"),
    ("active", [0, 7], "active must list networks 0 to 0"),
    ("reason", [], "reason must hold one entry per network (1)"),
    ("orders", [None], "orders must hold one entry per network (1)"),
    ("seconds", float("inf"), "seconds must be a number >= 0"),
    ("epoch", None, "epoch must be a whole number from 0"),
])
def test_each_field_of_the_trainer_state_is_checked(tmp_path, key, value, expected):
    members = checkpoint_members(tmp_path)
    meta = json.loads(str(np.load(io.BytesIO(members["trainer.npy"]))))
    members["trainer.npy"] = npy(np.array(json.dumps({**meta, key: value})))
    path = write_zip(tmp_path / "bad.npz", members)
    with pytest.raises(BackproplabError, match="the trainer's state is damaged") as info:
        read_checkpoint(path)
    assert expected in str(info.value)


def test_a_zip_directory_too_large_is_not_parsed(tmp_path):
    """zipfile holds the whole directory in memory: one that claims more than 1 MiB (some
    15,000 members) is refused from the end record, before zipfile reads it."""
    members = good_members(tmp_path)
    members.update({f"trainer.x{i}.npy": npy(np.zeros(0)) for i in range(20_000)})
    with pytest.raises(BackproplabError, match=r"its zip directory claims 1.\d+ MiB, more "
                                               r"than the 1 MiB of a model file"):
        load(write_zip(tmp_path / "many.npz", members))
    data = bytearray(write_zip(tmp_path / "lying.npz", good_members(tmp_path)).read_bytes())
    data[-10:-6] = struct.pack("<I", 2**31)  # the end record's directory size
    (tmp_path / "lying.npz").write_bytes(bytes(data))
    with pytest.raises(BackproplabError, match="its zip directory claims 2 GiB"):
        load(tmp_path / "lying.npz")


def test_a_member_compressed_otherwise_than_numpy_does(tmp_path):
    """bzip2 and lzma inflate a whole read at once, unbounded: only stored and deflated."""
    members = good_members(tmp_path)
    members["W1.npy"] = (zlib.compress(members["W1.npy"]), 12, len(members["W1.npy"]), 0)
    with pytest.raises(BackproplabError, match="W1.npy is compressed with method 12"):
        load(write_zip(tmp_path / "bzip2.npz", members))


def test_a_member_twice_or_a_path_with_a_nul(tmp_path):
    path = write_zip(tmp_path / "twice.npz", good_members(tmp_path))
    data = path.read_bytes().replace(b"b3.npy", b"b2.npy")  # two members named b2.npy
    path.write_bytes(data)
    with pytest.raises(BackproplabError, match="holds the same member twice"):
        load(path)
    with pytest.raises(BackproplabError, match="cannot read it"):
        load(str(tmp_path / "a\0b.npz"))


# --- what backproplab writes still loads, bit for bit ---------------------------------------


def same_members(path, arrays, prefix=""):
    """``arrays`` are exactly the file's arrays named ``prefix + name`` (as np.load reads them)."""
    with np.load(path, allow_pickle=False) as data:
        names = {n[len(prefix):] for n in data.files if n.startswith(prefix) and n != "config"}
        if not prefix:
            names = {n for n in names if not n.startswith("trainer")}
        assert set(arrays) == names
        for name, value in arrays.items():
            want = data[prefix + name]
            assert value.dtype == want.dtype and value.shape == want.shape
            assert value.tobytes() == want.tobytes() and value.flags.writeable


NETWORKS = {
    "mlp": lambda: MLP(3, hidden=(5, 4), activation=["relu", "tanh"], seed=1),
    "mlp stack": lambda: MLP(2, hidden=(3,), output="softmax", n_out=3, seed=[1, 2, 3],
                             dtype="float32"),
    "cnn": lambda: CNN(in_shape=(1, 8, 8), channels=(4, 6), kernel=3, hidden=(7,),
                       dropout=0.25, seed=2),
    "cnn stack, even kernel": lambda: CNN(in_shape=(2, 7, 9), n_classes=3, channels=(2, 3, 2),
                                          kernel=2, seed=[4, 5]),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_a_saved_network_with_its_checkpoint_loads_bit_for_bit(tmp_path, name):
    net = NETWORKS[name]()
    x = np.random.default_rng(0).normal(size=(12, *net.in_shape)).astype(net.dtype)
    y = np.arange(12) % net.n_classes
    y = y if net.output == "softmax" else y[:, None].astype(float)
    loss = "ce" if net.output == "softmax" else "bce"
    trainer = Trainer(net, x, y, loss=loss, optimizer="adam", lr=0.01, epochs=3, batch_size=4)
    trainer.run()
    path = tmp_path / "model.npz"
    save_model(net, path, extra={"epochs": 3}, checkpoint=trainer_state(trainer))

    arrays, config = read_model_file(path)
    same_members(path, arrays)
    assert config == {"format": "backproplab-model", "version": 1, "n_models": net.k,
                      **net.config(), "training": {"epochs": 3}}
    state, meta = read_checkpoint(path)
    same_members(path, state, prefix="trainer.")
    with np.load(path) as data:
        assert meta == json.loads(str(data["trainer"]))
    loaded = load(path)
    assert type(loaded) is type(net) and loaded.config() == net.config()
    assert loaded.params.tobytes() == net.params.tobytes()
    # the shapes the configuration implies are the network's own, laid out as it lays them out
    assert [(n, s) for n, s in implied_arrays(config)] == [
        (n, a.shape) for n, a in net.param_arrays(0 if net.k == 1 else None)]


def test_compressed_and_fortran_order_files_load(tmp_path):
    net = MLP(2, hidden=(4, 3), seed=0)
    net.save(tmp_path / "plain.npz")
    with np.load(tmp_path / "plain.npz") as data:
        arrays = {name: data[name] for name in data.files}
    arrays["W1"] = np.asfortranarray(arrays["W1"])
    np.savez_compressed(tmp_path / "packed.npz", **arrays)
    assert load(tmp_path / "packed.npz").params.tobytes() == net.params.tobytes()
