"""``backproplab check``: a learner's network, written plainly here, checked against
backproplab's; every mistake of the catalogue planted in it and named; the loss conventions
reported, not failed; bad protocols, a file that loops and one that raises, exit 2."""

import numpy as np
import pytest

from backproplab.app.check import mistakes
from backproplab.app.config import TrainConfig
from backproplab.app.factory import build_model, load_data
from backproplab.engine.gradients import array_columns, loss_and_backprop
from backproplab.nn.losses import get_loss

# The learner's network as the course writes it: w1, w2, w3 and biases, forward, backward.
NETWORK = '''
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


class Net:
    def __init__(self, n_in, hidden, n_out, seed):
        rng = np.random.default_rng(seed)
        h1, h2 = hidden
        self.w1 = rng.normal(size=(n_in, h1))
        self.b1 = np.zeros(h1)
        self.w2 = rng.normal(size=(h1, h2))
        self.b2 = np.zeros(h2)
        self.w3 = rng.normal(size=(h2, n_out))
        self.b3 = np.zeros(n_out)

    def forward(self, x):
        self.z1 = x @ self.w1 + self.b1
        self.a1 = sigmoid(self.z1)
        self.z2 = self.a1 @ self.w2 + self.b2
        self.a2 = sigmoid(self.z2)
        self.z3 = self.a2 @ self.w3 + self.b3
        self.a3 = sigmoid(self.z3)
        return self.a3

    def backward(self, x, y):
        n = len(x)
        y_hat = self.forward(x)
        d3 = 2 * (y_hat - y) / n * sigmoid_prime(self.z3)
        dw3 = self.a2.T @ d3
        db3 = d3.sum(axis=0)
        d2 = (d3 @ self.w3.T) * sigmoid_prime(self.z2)
        dw2 = self.a1.T @ d2
        db2 = d2.sum(axis=0)
        d1 = (d2 @ self.w2.T) * sigmoid_prime(self.z1)
        dw1 = x.T @ d1
        db1 = d1.sum(axis=0)
        return {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2, "w3": dw3, "b3": db3}


def make_network(n_in, hidden, n_out, seed):
    return Net(n_in, hidden, n_out, seed)
'''

# step(x, y, lr) instead of backward: the same lines, each layer updated as soon as its
# gradient is known (the right way: after the δ below has used the old weights)
STEP = '''
    def step(self, x, y, lr):
        n = len(x)
        y_hat = self.forward(x)
        d3 = 2 * (y_hat - y) / n * sigmoid_prime(self.z3)
        dw3 = self.a2.T @ d3
        db3 = d3.sum(axis=0)
        d2 = (d3 @ self.w3.T) * sigmoid_prime(self.z2)
        self.w3 -= lr * dw3
        self.b3 -= lr * db3
        dw2 = self.a1.T @ d2
        db2 = d2.sum(axis=0)
        d1 = (d2 @ self.w2.T) * sigmoid_prime(self.z1)
        self.w2 -= lr * dw2
        self.b2 -= lr * db2
        dw1 = x.T @ d1
        db1 = d1.sum(axis=0)
        self.w1 -= lr * dw1
        self.b1 -= lr * db1
'''
ARGS = ("--data", "xor", "--hidden", "3", "3", "--epochs", "30")


def network(step=False, bias=True, plant=()):
    """The learner's file: with step instead of backward, without biases, and with the
    (old, new) replacements of ``plant``."""
    text = NETWORK
    if step:
        head, _, tail = text.partition("    def backward")
        text = head + STEP.lstrip("\n") + "\n\ndef make_network" + tail.split(
            "def make_network", 1)[1]
    if not bias:
        for line in ("self.b1 = np.zeros(h1)", "self.b2 = np.zeros(h2)",
                     "self.b3 = np.zeros(n_out)"):
            text = text.replace(line, "pass")
        for i in (1, 2, 3):
            text = text.replace(f" + self.b{i}", "").replace(f"        self.b{i} -= lr * db{i}\n",
                                                             "")
            text = text.replace(f', "b{i}": db{i}', "")
    for old, new in plant:
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def check(cli, tmp_path):
    def run(source, *args, name="lab.py"):
        path = tmp_path / name
        path.write_text(source)
        return cli("check", f"{path}{args[0] if args and args[0].startswith(':') else ''}",
                   *[a for a in args if not a.startswith(":")], "--out", tmp_path)
    return run


@pytest.mark.parametrize("step", [False, True], ids=["backward", "step"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_a_right_network_passes(check, tmp_path, step, bias):
    status, out, err = check(network(step, bias), *ARGS)
    assert status == 0, out + err
    assert "all" in out and "arrays pass" in out and "forward pass: matches" in out
    assert "the curves agree to the end" in out
    assert (tmp_path / "check.png").stat().st_size > 1000
    assert ("b1" in out) == bias


# (mistake, plant, the words the diagnosis must hold, the arrays it names)
MISTAKES = [
    ("sigma at output", [("sigmoid_prime(self.z2)", "sigmoid_prime(self.a2)")],
     "using σ′(a2) instead", "W2"),
    ("a(1 - a) given z", [("sigmoid_prime(self.z2)", "self.z2 * (1 - self.z2)")],
     "using z2(1 − z2) instead", "W2"),
    ("derivative left out", [(") * sigmoid_prime(self.z1)", ")")],
     "with the factor σ′(z1) left out", "W1"),
    ("not divided by n", [("2 * (y_hat - y) / n *", "2 * (y_hat - y) *"),
                          ("dw3 = self.a2.T @ d3", "dw3 = self.a2.T @ d3 / n"),
                          ("db3 = d3.sum(axis=0)", "db3 = d3.sum(axis=0) / n")],
     "not divided by n", "W2"),
    ("divided twice", [("dw1 = x.T @ d1", "dw1 = x.T @ d1 / n")], "divided by n twice", "W1"),
    ("missing transpose of dW", [("dw2 = self.a1.T @ d2", "dw2 = d2.T @ self.a1")],
     "missing transpose", "W2"),
    ("missing transpose in delta", [("(d2 @ self.w2.T)", "(d2 @ self.w2)")],
     "W2 not transposed", "W1"),
    ("sign error", [("dw2 = self.a1.T @ d2", "dw2 = -(self.a1.T @ d2)")], "a sign error",
     "W2"),
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("step", [False, True], ids=["backward", "step"])
@pytest.mark.parametrize("name, plant, words, array", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_every_mistake_is_named(check, name, plant, words, array, step, bias):
    status, out, err = check(network(step, bias, plant=plant), *ARGS)
    assert status == 1, out + err
    lines = [line for line in out.splitlines() if line.startswith(f"{array}: ")]
    assert lines and words in " ".join(out.split()), out


def test_an_error_outside_the_catalogue_is_located(check):
    plant = [("dw2 = self.a1.T @ d2", "dw2 = self.a1.T @ d2\n        dw2[1] *= 3")]
    status, out, _ = check(network(plant=plant), *ARGS)
    flat = " ".join(out.split())
    assert status == 1 and "no mistake in the catalogue fits dW2" in flat
    assert "wrong in rows 1 of 3" in flat


def test_the_line_of_maths_meant_is_shown(check):
    plant = [("sigmoid_prime(self.z2)", "sigmoid_prime(self.a2)")]
    status, out, _ = check(network(bias=False, plant=plant), *ARGS)
    assert status == 1 and "using σ′(a2) instead" in out
    assert "δ2 = (δ3·W3ᵀ) ⊙ σ′(z2), with σ′(z2) = a2(1 − a2)" in out


def test_the_bias_gradient_not_summed_is_named(check):
    status, out, _ = check(network(plant=[("db2 = d2.sum(axis=0)", "db2 = d2")]), *ARGS)
    assert status == 1 and "b2: " in out and "not summed" in out


def test_a_bias_gradient_not_summed_in_a_step_is_named(check):
    # step's `self.b2 -= lr * db2` with db2 = d2, (21, 3), cannot go into b2, (3,): NumPy's
    # error, in their traceback, and what it most often means
    plant = [("        db2 = d2.sum(axis=0)\n        d1", "        db2 = d2\n        d1")]
    status, out, err = check(network(step=True, plant=plant), *ARGS)
    flat = " ".join(err.split())
    assert status == 2 and "self.b2 -= lr * db2" in err
    assert ("A parameter of shape (3,) was updated in place by an array of shape (21, 3), one "
            "row per sample: a gradient not summed over the samples?") in flat
    assert "delta.sum(axis=0)" in flat


def test_an_unrelated_error_gets_no_such_hint():
    from backproplab.app.check.learner import unsummed_hint

    assert unsummed_hint("ValueError: operands could not be broadcast together") == ""
    assert unsummed_hint("ValueError: non-broadcastable output operand with shape (4,4) doesn't"
                         " match the broadcast shape (4,5)") == ""
    assert "shape (1, 4)" in unsummed_hint("ValueError: non-broadcastable output operand with "
                                        "shape (1,4) doesn't match the broadcast shape (21,4)")


def test_weights_updated_before_use_are_named_by_step(check):
    plant = [("        d2 = (d3 @ self.w3.T) * sigmoid_prime(self.z2)\n"
              "        self.w3 -= lr * dw3\n",
              "        self.w3 -= lr * dw3\n"
              "        d2 = (d3 @ self.w3.T) * sigmoid_prime(self.z2)\n")]
    status, out, _ = check(network(step=True, plant=plant), *ARGS)
    flat = " ".join(out.split())
    assert status == 1 and "differs between lr" in flat
    assert "already updated by the step" in flat


def test_the_half_or_two_against_their_own_loss(check):
    loss = ("    def loss(self, y_hat, y):\n"
            "        return 0.5 * np.mean((y_hat - y) ** 2)\n\n")
    source = network().replace("    def backward", loss + "    def backward")
    status, out, _ = check(source, *ARGS)
    assert status == 1 and "the ½ or 2 of the squared error" in " ".join(out.split())


@pytest.mark.parametrize("plant, loss, words", [
    ([("2 * (y_hat - y) / n *", "2 * (y_hat - y) *")], None, "the sum over samples"),
    ([("2 * (y_hat - y) / n *", "(y_hat - y) / n *")], None, "½ × the mean over samples"),
    ([("2 * (y_hat - y) / n *", "(y_hat - y) *")], "0.5 * np.sum((y_hat - y) ** 2)",
     "½ × the sum over samples"),
], ids=["sum", "half mean", "half sum with loss"])
def test_the_loss_conventions_are_reported_not_failed(check, plant, loss, words):
    source = network(plant=plant)
    if loss:
        source = source.replace("    def backward", f"    def loss(self, y_hat, y):\n"
                                f"        return {loss}\n\n    def backward")
    status, out, err = check(source, *ARGS)
    assert status == 0, out + err
    flat = " ".join(out.split())
    assert words in flat and "not failed for it" in flat
    assert "the curves agree to the end" in flat


def test_transposed_weights_are_found(check):
    source = network(plant=[("size=(n_in, h1)", "size=(h1, n_in)"),
                            ("size=(h2, n_out)", "size=(n_out, h2)"),
                            ("x @ self.w1 ", "x @ self.w1.T "),
                            ("self.a1 @ self.w2 ", "self.a1 @ self.w2.T "),
                            ("self.a2 @ self.w3 ", "self.a2 @ self.w3.T "),
                            ("self.w3.T)", "self.w3)"), ("self.w2.T)", "self.w2)"),
                            ("dw3 = self.a2.T @ d3", "dw3 = d3.T @ self.a2"),
                            ("dw2 = self.a1.T @ d2", "dw2 = d2.T @ self.a1"),
                            ("dw1 = x.T @ d1", "dw1 = d1.T @ x")])
    status, out, err = check(source, *ARGS)
    assert status == 0, out + err
    assert "transposed" in out


def test_a_forward_slip_is_named(check):
    source = network(plant=[("self.a3 = sigmoid(self.z3)", "self.a3 = self.z3")])
    status, out, _ = check(source, *ARGS)
    assert status == 1 and "no output activation" in out


@pytest.mark.parametrize("source, words", [
    ("import numpy as np\n", "defines no function make_network"),
    (NETWORK.replace("def forward", "def forwards"), "no forward(x)"),
    (NETWORK.replace("def backward", "def backwards"), "backward(x, y) or step(x, y, lr)"),
    (NETWORK.replace("size=(h1, h2)", "size=(h1, 4)"), "W2 (w2) has shape (3, 4)"),
    (NETWORK.replace('"w3": dw3, ', ""), "no gradient for w3"),
    (NETWORK.replace("return self.a3", "pass"), "forward(x) returned NoneType"),
], ids=["no make_network", "no forward", "no backward or step", "wrong shape", "no gradient",
        "forward returns None"])
def test_bad_protocols_exit_2_with_one_line(check, source, words):
    status, out, err = check(source, *ARGS)
    assert status == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1, err


def test_the_shape_message_says_what_was_expected(check):
    status, _, err = check(NETWORK.replace("size=(h1, h2)", "size=(h1, 4)"), *ARGS)
    assert "the options give a 2-3-3-1 network, so (3, 3) was expected" in err


def test_a_named_function(check):
    source = NETWORK.replace("def make_network", "def build")
    status, out, err = check(source, ":build", *ARGS)
    assert status == 0, out + err


def test_a_file_that_loops_forever_is_stopped(check):
    source = NETWORK.replace("        n = len(x)\n", "        while True:\n            pass\n", 1)
    status, out, err = check(source, *ARGS, "--timeout", "2")
    assert status == 2 and "did not answer 'backward' within 2 s" in err


def test_a_file_that_raises_shows_its_traceback(check, tmp_path):
    source = NETWORK.replace("        n = len(x)\n", "        n = len(x) / 0\n", 1)
    status, out, err = check(source, *ARGS)
    assert status == 2 and "ZeroDivisionError" in err
    assert f'File "{tmp_path / "lab.py"}", line' in err and "n = len(x) / 0" in err


def test_numpy_warnings_are_summarised_in_one_line(check):
    source = network(plant=[("return 1 / (1 + np.exp(-z))",
                             "np.log(-1.0)\n    return 1 / (1 + np.exp(-z))")])
    status, out, _ = check(source, *ARGS)
    assert status == 0
    assert len([line for line in out.splitlines() if "NumPy warned" in line]) == 1
    assert "invalid value encountered in log (line" in out


def test_the_catalogue_s_right_backprop_is_backproplab_s():
    """The numpy backprop the mistakes are computed from, without a mistake, is the engine's."""
    cfg = TrainConfig.for_data(data="xor", hidden=[3, 3]).check()
    x, y, _ = load_data(cfg)
    y = y.astype(float)
    net = build_model(cfg, 2)
    arrays = dict(net.param_arrays(0))
    Ws = [arrays[f"W{i}"] for i in (1, 2, 3)]
    bs = [arrays[f"b{i}"] for i in (1, 2, 3)]
    fw = mistakes.forward(Ws, bs, x, net.activation, "sigmoid")
    np.testing.assert_allclose(fw.a[-1], net.predict_proba(x), rtol=1e-13)
    _, grads = loss_and_backprop(net.select([0]), get_loss("mse"), x, y)
    ours = mistakes.backprop(Ws, bs, fw, y, "mse")
    for (_, _, shape, cols), g in zip(array_columns(net), ours):
        np.testing.assert_allclose(g, grads[0, cols].reshape(shape), rtol=1e-12, atol=1e-16)


def test_parameters_and_a_list_of_gradients(check):
    """parameters() in the order W1, b1, …; backward's gradients as a list in that order."""
    source = NETWORK.replace(
        "    def forward", "    def parameters(self):\n"
        "        return [self.w1, self.b1, self.w2, self.b2, self.w3, self.b3]\n\n"
        "    def forward").replace(
        'return {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2, "w3": dw3, "b3": db3}',
        "return [dw1, db1, dw2, db2, dw3, db3]")
    status, out, err = check(source, *ARGS)
    assert status == 0, out + err
    assert "W1 (p0) (2, 3), b1 (p1) (3,)" in out


def test_parameters_that_return_copies_exit_2(check):
    source = NETWORK.replace(
        "    def forward", "    def parameters(self):\n"
        "        return [self.w1.copy(), self.b1, self.w2, self.b2, self.w3, self.b3]\n\n"
        "    def forward")
    status, _, err = check(source, *ARGS)
    assert status == 2 and "not copies" in err


def test_the_bce_loss(check):
    source = network(plant=[("2 * (y_hat - y) / n * sigmoid_prime(self.z3)",
                              "(y_hat - y) / n")])
    status, out, err = check(source, *ARGS, "--loss", "bce")
    assert status == 0, out + err
    status, out, _ = check(network(), *ARGS, "--loss", "bce")  # mse's δ3 under bce
    assert status == 1 and "W3: " in out
