"""``check --template``'s starting file: written once, never over a learner's file; its
TODO lines, filled with the right chain-rule lines, give backproplab's gradients."""

import importlib.util

import numpy as np
import pytest

from backproplab import MLP, BackproplabError, datasets
from backproplab.app.check import template
from backproplab.engine.gradients import loss_and_backprop
from backproplab.nn import get_loss


def load(path):
    spec = importlib.util.spec_from_file_location("learner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_template_is_written_once(tmp_path):
    path = tmp_path / "my_lab.py"
    template.write_template(path)
    assert "backproplab check my_lab.py" in path.read_text()
    with pytest.raises(BackproplabError, match="exists already"):
        template.write_template(path)
    with pytest.raises(BackproplabError, match="ending in .py"):
        template.write_template(tmp_path / "my_lab.txt")
    with pytest.raises(BackproplabError, match="does not exist"):
        template.write_template(tmp_path / "missing" / "my_lab.py")


def test_the_empty_template_runs_and_leaves_every_gradient_missing(tmp_path):
    path = tmp_path / "my_lab.py"
    template.write_template(path)
    learner = load(path)
    x, y = learner.generate_xor_easy()
    net = learner.make_network(2, (4, 4), 1, seed=0)
    assert net.forward(x).shape == (21, 1)
    assert net.backward(x, y) == dict.fromkeys(["w1", "b1", "w2", "b2", "w3", "b3"])
    assert template.text(path).count(template.TODO) == len(template.ANSWERS)


def test_the_filled_template_gives_backproplabs_gradients(tmp_path):
    path = tmp_path / "my_lab.py"
    path.write_text(template.filled(template.text(path)))
    learner = load(path)
    x, y = learner.generate_xor_easy()
    mine = learner.make_network(2, (4, 4), 1, seed=3)
    net = MLP(2, hidden=(4, 4))
    for i, layer in enumerate(net.dense_layers, 1):  # the learner's weights, in ours
        layer.W[0], layer.b[0] = getattr(mine, f"w{i}"), getattr(mine, f"b{i}")
    np.testing.assert_allclose(net.predict_proba(x), mine.forward(x), rtol=1e-13)
    _, grads = loss_and_backprop(net, get_loss("mse", "sigmoid"), x, y)
    theirs = mine.backward(x, y)
    for name, ours in net.param_arrays():
        kind, i = name[0], name[1:]
        expected = grads[0][_slice(net, name)].reshape(ours[0].shape)
        np.testing.assert_allclose(theirs[f"{kind.lower()}{i}"].reshape(expected.shape),
                                   expected, rtol=1e-12, atol=1e-15, err_msg=name)


def test_the_filled_template_learns_xor(tmp_path):
    path = tmp_path / "my_lab.py"
    path.write_text(template.filled(template.text(path)))
    learner = load(path)
    x, y = datasets.xor_easy()
    net = learner.make_network(2, (4, 4), 1, seed=0)
    for _ in range(6000):
        net.update(x, y, lr=1.0)
    assert np.mean((net.forward(x) >= 0.5) == y) == 1.0


def _slice(net, name):
    start = 0
    for other, value in net.param_arrays(0):
        if other == name:
            return slice(start, start + value.size)
        start += value.size
    raise KeyError(name)


EXAMPLES = __import__("pathlib").Path(__file__).parent.parent / "examples" / "check"


def test_check_on_the_template_names_the_missing_gradients_then_passes_once_filled(cli,
                                                                                   tmp_path):
    path = tmp_path / "my_lab.py"
    status, out, _ = cli("check", "--template", path)
    assert status == 0 and "fill in backward's TODO lines" in out
    options = ["--data", "xor", "--hidden", 4, 4, "--epochs", 50, "--out", tmp_path]
    status, _, err = cli("check", path, *options)
    assert status == 2 and "no gradient yet for w1, b1, w2, b2, w3, b3" in err
    path.write_text(template.filled(path.read_text()))
    status, out, err = cli("check", path, *options)
    assert status == 0, err
    assert "all 6 arrays pass" in out


def test_the_examples_pass_and_fail_as_they_say(cli, tmp_path):
    options = ["--data", "xor", "--hidden", 4, 4, "--epochs", 50, "--out", tmp_path]
    status, out, err = cli("check", EXAMPLES / "lab_network.py", *options)
    assert status == 0, err
    status, out, err = cli("check", EXAMPLES / "lab_network_buggy.py", *options)
    assert status == 1
    assert "z2(1 − z2)" in out and "a2 = σ(z2)" in out
