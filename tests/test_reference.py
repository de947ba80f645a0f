"""The fast layers are pinned to the plain ones in backproplab.nn.reference.

Each fast layer (buffers, a bias folded into the weights, a one-exponential sigmoid, …; see
docs/performance.md) must compute what its textbook version computes: forward values, dx, dW
and db, on random stacks of networks of random sizes. Both are float64 and may round
differently (x·W + b against [x 1]·[W; b]), so they must agree to 1e-12 relative to the
largest entry of each array, not bit for bit. A whole training run must end in the same place,
and a reference broken on purpose must be caught by the same comparison.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backproplab import MLP, Sequential, train
from backproplab.data import datasets
from backproplab.engine.seeds import model_rngs
from backproplab.nn import activations, layers, losses, optimizers
from backproplab.nn import reference as ref

RTOL = 1e-12
PAIRS = [  # (fast, reference) activation
    (activations.Sigmoid, ref.Sigmoid),
    (activations.Tanh, ref.Tanh),
    (activations.ReLU, ref.ReLU),
]


def assert_close(fast, plain, what="values"):
    """|fast − plain| ≤ 1e-12 · max |plain|, entry by entry (exact where plain is all 0)."""
    fast, plain = np.asarray(fast), np.asarray(plain)
    assert fast.shape == plain.shape, f"{what}: shapes {fast.shape} and {plain.shape}"
    error, scale = np.max(np.abs(fast - plain)), np.max(np.abs(plain))
    assert error <= RTOL * scale, f"{what}: off by {error:.3g} on a scale of {scale:.3g}"


def stack(rng, *shape, scale=1.0):
    return rng.normal(0.0, scale, shape)


shapes = st.fixed_dictionaries({
    "k": st.integers(1, 4), "n": st.integers(1, 7),
    "n_in": st.integers(1, 6), "n_out": st.integers(1, 6),
    "seed": st.integers(0, 2**16), "shared_x": st.booleans(),
})
examples = settings(max_examples=40, deadline=None, derandomize=True)


# --- Dense ----------------------------------------------------------------------------------


def dense_pair(k, n_in, n_out, seed, init="glorot"):
    """The fast Dense bound to an engine Sequential's buffers, and a reference Dense bound to
    arrays of its own that hold the same numbers (random biases too, so none is special)."""
    net = Sequential([layers.Dense(n_in, n_out, init=init)], n_models=k)
    net.initialize(range(seed, seed + k))
    net.params[...] = np.random.default_rng(seed).normal(0.0, 1.0, net.params.shape)
    fast = net.layers[0]
    fast.input_grad = True  # the container skips dx for a first layer; here we want it
    plain = ref.Dense(n_in, n_out, init=init)
    plain.bind({"W": fast.W.copy(), "b": fast.b.copy()},
               {"W": np.zeros_like(fast.dW), "b": np.zeros_like(fast.db)})
    return net, fast, plain


@examples
@given(shapes)
def test_dense_matches_the_reference(s):
    k, n, n_in, n_out, rng = s["k"], s["n"], s["n_in"], s["n_out"], np.random.default_rng(s["seed"])
    net, fast, plain = dense_pair(k, n_in, n_out, s["seed"])
    x = stack(rng, n, n_in) if s["shared_x"] else stack(rng, k, n, n_in)
    assert_close(fast.forward(x), plain.forward(x), "z")
    for step in range(3):  # the second backward adds to the first; zero_grad starts afresh
        if step == 2:
            net.zero_grad()
            plain.dW[...], plain.db[...] = 0.0, 0.0  # what the container's zero_grad does
        grad_out = stack(rng, k, n, n_out)
        assert_close(fast.backward(grad_out), plain.backward(grad_out), "dx")
        assert_close(fast.dW, plain.dW, "dW")
        assert_close(fast.db, plain.db, "db")


@pytest.mark.parametrize("init", ["glorot", "he"])
def test_dense_initializes_as_the_fast_one_draws(init):
    fast, plain = layers.Dense(5, 3, init=init), ref.Dense(5, 3, init=init)
    arrays = [(np.empty((5, 3)), np.ones((1, 3))) for _ in range(2)]
    for layer, (W, b) in zip((fast, plain), arrays):
        layer.initialize(model_rngs(7)[0], W, b)
    np.testing.assert_array_equal(arrays[0][0], arrays[1][0])
    np.testing.assert_array_equal(arrays[1][1], 0.0)


# --- activations, loss, optimizer -----------------------------------------------------------


@pytest.mark.parametrize("fast_cls, plain_cls", PAIRS, ids=lambda c: c.__name__)
@examples
@given(s=shapes, scale=st.sampled_from([0.1, 3.0, 50.0]))
def test_activation_matches_the_reference(fast_cls, plain_cls, s, scale):
    rng = np.random.default_rng(s["seed"])
    z = stack(rng, s["k"], s["n"], s["n_out"], scale=scale)
    grad_out = stack(rng, *z.shape)
    fast, plain = fast_cls(), plain_cls()
    assert_close(fast.forward(z), plain.forward(z), "a")
    assert_close(fast.backward(grad_out), plain.backward(grad_out), "dz")


def test_reference_sigmoid_never_overflows():
    z = np.array([-1e308, -1e4, -745.0, -30.0, 0.0, 30.0, 745.0, 1e4, 1e308])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = ref.Sigmoid().forward(z)
    np.testing.assert_array_equal(a[[0, 1, -2, -1]], [0.0, 0.0, 1.0, 1.0])
    assert a[4] == 0.5
    assert_close(activations.Sigmoid().forward(z), a)


@pytest.mark.parametrize("size", [1000, 5000])  # the small arrays' path and the large ones'
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_sigmoid_forward_is_the_reference_bit_for_bit(size, dtype):
    """Its one exponential is a rewriting, not an approximation: the same numbers exactly."""
    z = np.concatenate([np.random.default_rng(1).normal(0.0, 20.0, size),
                        [-0.0, 0.0, 1e-300, -1e-300, -745.2, 709.8, np.inf, -np.inf, np.nan,
                         -103.9, 88.7]]).astype(dtype)
    with np.errstate(all="ignore"):
        plain = ref.Sigmoid().forward(z)
        function = activations.sigmoid(z)  # the two-exponential form Softplus's slope was
    np.testing.assert_array_equal(activations.Sigmoid().forward(z), plain)
    np.testing.assert_array_equal(function, plain)


def test_a_layer_whose_input_changes_shape_stays_pinned():
    """The fast layers keep buffers and remake them when the shapes change (a smaller last
    mini-batch, a stack that lost a network): one layer object fed shape after shape."""
    rng = np.random.default_rng(2)
    net, fast, plain = dense_pair(3, 4, 2, seed=3)
    fast_act, plain_act = activations.Sigmoid(), ref.Sigmoid()
    for x in (stack(rng, 5, 4), stack(rng, 3, 5, 4), stack(rng, 2, 4), stack(rng, 5, 4)):
        z = fast.forward(x)
        assert_close(z, plain.forward(x), "z")
        assert_close(fast_act.forward(z), plain_act.forward(z), "a")
        grad_out = stack(rng, *z.shape)
        net.zero_grad()
        plain.dW[...], plain.db[...] = 0.0, 0.0
        dz = plain_act.backward(grad_out)
        assert_close(fast_act.backward(grad_out), dz, "dz")
        assert_close(fast.backward(dz), plain.backward(dz), "dx")
        assert_close(fast.dW, plain.dW, "dW")


@examples
@given(shapes)
def test_mse_with_a_linear_output_matches_the_reference(s):
    rng = np.random.default_rng(s["seed"])
    z = stack(rng, s["k"], s["n"], s["n_out"])
    y = rng.integers(0, 2, z.shape[-2:] if s["shared_x"] else z.shape).astype(float)
    fast, plain = losses.MSE("none"), ref.MSE()
    assert_close(fast.forward(z, y), plain.forward(z, y), "L")
    assert_close(fast.backward(), plain.backward(), "dL/dz")


@examples
@given(shapes)
def test_mse_with_a_sigmoid_output_matches_a_reference_sigmoid_then_mse(s):
    rng = np.random.default_rng(s["seed"])
    z = stack(rng, s["k"], s["n"], s["n_out"], scale=3.0)
    y = rng.integers(0, 2, z.shape).astype(float)
    fast, sigmoid, mse = losses.MSE("sigmoid"), ref.Sigmoid(), ref.MSE()
    assert_close(fast.forward(z, y), mse.forward(sigmoid.forward(z), y), "L")
    assert_close(fast.proba, sigmoid._a, "ŷ")
    assert_close(fast.backward(), sigmoid.backward(mse.backward()), "dL/dz")


@examples
@given(s=shapes, lr=st.sampled_from([1.0, 0.1, 0.037]))
def test_gd_matches_the_reference(s, lr):
    rng = np.random.default_rng(s["seed"])
    shapes_ = [(s["k"], s["n_in"], s["n_out"]), (s["k"], 1, s["n_out"])]
    params = [stack(rng, *shape) for shape in shapes_]
    copies = [p.copy() for p in params]
    fast = optimizers.GD(params, [np.empty_like(p) for p in params], lr)
    plain = ref.GD(copies, [np.empty_like(p) for p in params], lr)
    for _ in range(3):
        for g, h in zip(fast.grads, plain.grads):
            g[...] = h[...] = stack(rng, *g.shape)
        fast.step()
        plain.step()
        for p, q in zip(params, copies):
            assert_close(p, q, "p")


# --- the same training run, both ways -------------------------------------------------------

XOR_X, XOR_Y = datasets.xor_easy()
SEEDS, HIDDEN, EPOCHS = [0, 1, 2], (10, 10), 5000  # long enough to leave the 0.25 plateau


def train_reference(seeds, hidden, epochs, sigmoid=ref.Sigmoid):
    """The lab's network written with the reference layers and trained by a plain loop: full
    batch, mse on a sigmoid output, gradient descent with lr 1.0. Each network of the stack
    starts from the numbers its seed gives the fast MLP. Returns the losses and the layers."""
    sizes, k = [2, *hidden, 1], len(seeds)
    net, params, grads = [], [], []
    for n_in, n_out in zip(sizes, sizes[1:]):
        dense = ref.Dense(n_in, n_out)
        W, b = np.zeros((k, n_in, n_out)), np.zeros((k, 1, n_out))
        dW, db = np.zeros_like(W), np.zeros_like(b)
        dense.bind({"W": W, "b": b}, {"W": dW, "b": db})
        net += [dense, sigmoid()]
        params += [W, b]
        grads += [dW, db]
    for m, seed in enumerate(seeds):
        rng = model_rngs(seed)[0]  # the stream the fast MLP initialises from
        for dense in net[::2]:
            dense.initialize(rng, dense.W[m], dense.b[m])

    mse, gd, y = ref.MSE(), ref.GD(params, grads, lr=1.0), XOR_Y.astype(float)
    history = []
    for _ in range(epochs):
        out = XOR_X
        for layer in net:
            out = layer.forward(out)
        history.append(mse.forward(out, y))
        for g in grads:
            g[...] = 0.0
        grad = mse.backward()
        for layer in reversed(net):
            grad = layer.backward(grad)
        gd.step()
    return np.array(history), net


def train_fast(seeds, hidden, epochs):
    mlp = MLP(2, hidden=hidden, activation="sigmoid", output="sigmoid", seed=seeds)
    history = train(mlp, XOR_X, XOR_Y, loss="mse", optimizer="gd", lr=1.0, epochs=epochs)
    return history.loss, mlp


def assert_same_run(fast_history, mlp, plain_history, plain_net):
    assert_close(fast_history, plain_history, "loss of every epoch")
    for fast, plain in zip(mlp.dense_layers, plain_net[::2]):
        assert_close(fast.W, plain.W, "W")
        assert_close(fast.b, plain.b, "b")


def test_a_plain_training_loop_ends_where_the_fast_path_does():
    plain_history, plain_net = train_reference(SEEDS, HIDDEN, EPOCHS)
    fast_history, mlp = train_fast(SEEDS, HIDDEN, EPOCHS)
    assert np.all(plain_history[-1] < 0.05)  # every network learnt XOR: not just the plateau
    assert_same_run(fast_history, mlp, plain_history, plain_net)


def test_reference_layers_train_inside_the_model_container():
    """The reference layers follow the container's contract: in an engine Sequential they
    start from the MLP's numbers and backpropagate its gradients."""
    sizes = [2, 4, 3, 1]
    plain = Sequential([layer for n_in, n_out in zip(sizes, sizes[1:])
                        for layer in (ref.Dense(n_in, n_out), ref.Sigmoid())], n_models=2)
    plain.initialize([5, 6])
    mlp = MLP(2, hidden=sizes[1:-1], seed=[5, 6])
    np.testing.assert_array_equal(plain.params, mlp.params)
    y = XOR_Y.astype(float)
    fast_loss, plain_loss = losses.MSE("sigmoid"), ref.MSE()
    L_fast = fast_loss.forward(mlp.forward(XOR_X), y)  # the MLP's output sigmoid is its loss's
    L_plain = plain_loss.forward(plain.forward(XOR_X), y)  # here, a layer of the network
    for _ in range(2):  # zero_grad must reset the sums, not let them double
        mlp.zero_grad()
        mlp.backward(fast_loss.backward())
        plain.zero_grad()
        plain.backward(plain_loss.backward())
    assert_close(L_fast, L_plain, "L")
    assert_close(mlp.grads, plain.grads, "gradients")


# --- negative controls: the same comparisons catch a broken reference -----------------------


class SigmoidWithoutSlope(ref.Sigmoid):
    def backward(self, grad_out):  # σ′ = a(1 − a) forgotten: the chain rule broken
        return grad_out


def test_comparison_catches_an_activation_backward_without_its_slope():
    rng = np.random.default_rng(0)
    z, grad_out = stack(rng, 2, 5, 3), stack(rng, 2, 5, 3)
    fast, broken = activations.Sigmoid(), SigmoidWithoutSlope()
    assert_close(fast.forward(z), broken.forward(z))  # forward is still right
    with pytest.raises(AssertionError, match="dz"):
        assert_close(fast.backward(grad_out), broken.backward(grad_out), "dz")


def test_comparison_catches_a_training_run_without_the_slope():
    plain_history, plain_net = train_reference(SEEDS, HIDDEN, 20, sigmoid=SigmoidWithoutSlope)
    fast_history, mlp = train_fast(SEEDS, HIDDEN, 20)
    with pytest.raises(AssertionError):
        assert_same_run(fast_history, mlp, plain_history, plain_net)
