"""Convolutional layers and K-class outputs: finite-difference gradient checks in float64, the
convolution against a plain loop, stacks against networks alone, the softmax cross-entropy by
hand, the confusion matrix, errors for bad shapes and labels, a small CNN that learns, and
saving and loading.
"""

import numpy as np
import pytest

from backproplab import CNN, MLP, BackproplabError, Sequential
from backproplab import models as model
from backproplab.engine import seeds
from backproplab.engine.gradients import assert_gradients_match, gradient_errors
from backproplab.engine.metrics import confusion_matrix, multiclass_accuracy
from backproplab.nn.activations import Softmax, Tanh
from backproplab.nn.conv import Conv2D, Flatten, MaxPool2D
from backproplab.nn.dropout import Dropout
from backproplab.nn.layers import Dense
from backproplab.nn.losses import CrossEntropy, class_labels, get_loss
from conftest import TORCH_MISSING

TOL = 1e-6


def random_net(layers, k=2, seed=0):
    """A stack of k networks with random parameters (biases too, so no gradient is special)."""
    net = Sequential(layers, n_models=k)
    net.params[...] = np.random.default_rng(seed).normal(0.0, 0.5, net.params.shape)
    return net


def images(n, c, h, w, seed=1):
    return np.random.default_rng(seed).normal(0.0, 1.0, (n, c, h, w))


def labels(n, K, seed=2):
    return np.random.default_rng(seed).integers(0, K, n)


# --- gradient checks --------------------------------------------------------------------------


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", [0, 1])
def test_conv2d_gradients(stride, padding):
    # two convolutions, so the first one's gradient passes through the second's dx (col2im);
    # 7×6 images and a 3×2 kernel, so no height is mistaken for a width
    conv1 = Conv2D(2, 3, 3, stride=stride, padding=padding)
    conv2 = Conv2D(3, 2, (3, 2), stride=stride, padding=padding)
    c, h, w = conv2.output_shape(conv1.output_shape((2, 7, 6)))
    net = random_net([conv1, Tanh(), conv2, Flatten(), Dense(c * h * w, 3)])
    errors = assert_gradients_match(net, CrossEntropy(), images(4, 2, 7, 6), labels(4, 3), TOL)
    assert set(errors) == {"W1", "b1", "W2", "b2", "W3", "b3"}


def test_conv2d_gradients_with_one_data_set_per_network():
    net = random_net([Conv2D(1, 2, 3, padding=1), Tanh(), Conv2D(2, 2, 3), Flatten(),
                      Dense(2 * 3 * 3, 3)], k=2)
    x = np.stack([images(3, 1, 5, 5, seed=1), images(3, 1, 5, 5, seed=7)])  # (k, n, C, H, W)
    y = np.stack([labels(3, 3, seed=2), labels(3, 3, seed=8)])
    assert_gradients_match(net, CrossEntropy(), x, y, TOL, per_network=True)


@pytest.mark.parametrize("size, stride, shape", [(2, None, (6, 6)), (2, None, (7, 5)),
                                                 (3, 1, (6, 5)), (3, 2, (7, 7))],
                         ids=["2x2 tiles", "odd sizes dropped", "overlapping", "stride 2 of 3"])
def test_maxpool_gradients(size, stride, shape):
    # the convolution below the pooling gets its gradient only through MaxPool2D.backward
    pool = MaxPool2D(size, stride)
    conv = Conv2D(2, 3, 3, padding=1)
    x = images(3, 2, *shape)
    c, h, w = 3, *pool.forward(np.zeros((1, 3, *shape))).shape[-2:]
    net = random_net([conv, pool, Tanh(), Flatten(), Dense(c * h * w, 4)])
    assert_gradients_match(net, CrossEntropy(), x, labels(3, 4), TOL)


def test_dropout_gradients_with_a_fixed_mask():
    p = 0.4
    drop = Dropout(p)
    net = random_net([Conv2D(1, 2, 3), Tanh(), Flatten(), drop, Dense(2 * 3 * 3, 3)])
    # one mask for both networks: the checker evaluates copies of them (Sequential.select),
    # and a copy keeps Dropout's fixed mask as it is, so it must fit any number of networks
    keep = np.random.default_rng(5).random((4, 18)) >= p
    drop.set_mask(keep)
    net.train_mode(True)
    x = images(4, 1, 5, 5)
    assert_gradients_match(net, CrossEntropy(), x, labels(4, 3), TOL)
    # and the mask is the one set: dropped units 0, kept ones scaled by 1 / (1 − p)
    a = np.arange(2 * 4 * 18, dtype=np.float64).reshape(2, 4, 18)
    np.testing.assert_allclose(drop.forward(a), np.where(keep, a / (1 - p), 0.0), rtol=1e-15)


def test_softmax_cross_entropy_gradients_in_an_mlp():
    rng = np.random.default_rng(3)
    net = MLP(3, hidden=(5,), activation="tanh", output="softmax", n_out=4, seed=[1, 2])
    net.params[...] = rng.normal(0.0, 0.8, net.params.shape)
    x = rng.normal(size=(6, 3))
    assert_gradients_match(net, get_loss("ce", "softmax"), x, labels(6, 4), TOL)


def test_softmax_output_backward_is_its_jacobian():
    rng = np.random.default_rng(4)
    z, g = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    act = Softmax()
    a = act.forward(z)
    analytic = act.backward(g)
    h, numeric = 1e-6, np.empty_like(z)
    for i in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = np.sum(g * (Softmax().forward(up) - Softmax().forward(down))) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-15)


def test_the_checker_catches_a_wrong_col2im(monkeypatch):
    conv2 = Conv2D(2, 2, 3, stride=2, padding=1)
    net = random_net([Conv2D(1, 2, 3), Tanh(), conv2, Flatten(), Dense(2 * 2 * 2, 3)])
    x, y = images(3, 1, 6, 6), labels(3, 3)
    original = Conv2D.backward

    def wrong_backward(self, grad_out):  # dx shifted by one pixel: the offsets mixed up
        dx = original(self, grad_out)
        return dx if dx is None else np.roll(dx, 1, axis=-1)

    monkeypatch.setattr(Conv2D, "backward", wrong_backward)
    errors = gradient_errors(net, CrossEntropy(), x, y)
    assert errors["W1"] > 1e-2 and errors["W2"] < TOL


# --- forward against plain loops ----------------------------------------------------------------


def loop_conv(x, W, b, stride, padding):
    """The convolution written out: one output number at a time."""
    n, c, h, w = x.shape
    c_out, _, kh, kw = W.shape
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    xp[:, :, padding:padding + h, padding:padding + w] = x
    ho, wo = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    z = np.zeros((n, c_out, ho, wo))
    for s in range(n):
        for o in range(c_out):
            for i in range(ho):
                for j in range(wo):
                    total = b[o]
                    for ch in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                total += W[o, ch, u, v] * xp[s, ch, stride * i + u, stride * j + v]
                    z[s, o, i, j] = total
    return z


@pytest.mark.parametrize("stride, padding, kernel", [(1, 0, 3), (1, 1, 3), (2, 0, (2, 3)),
                                                     (2, 1, 3), (3, 2, (1, 2))])
def test_conv2d_forward_equals_a_loop(stride, padding, kernel):
    conv = Conv2D(3, 4, kernel, stride=stride, padding=padding)
    net = random_net([conv], k=2)
    x = images(2, 3, 7, 8)
    z = net.forward(x)
    for m in range(2):
        np.testing.assert_allclose(z[m], loop_conv(x, conv.W[m], conv.b[m], stride, padding),
                                   rtol=1e-12, atol=1e-12)


def test_maxpool_forward_equals_a_loop_and_ties_have_one_winner():
    x = images(2, 3, 7, 6)
    pool = MaxPool2D(3, stride=2)
    a = pool.forward(x)
    assert a.shape == (2, 3, 3, 2)
    for i in range(3):
        for j in range(2):
            window = x[..., 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            np.testing.assert_array_equal(a[..., i, j], window.max(axis=(-2, -1)))
    # a window of equal numbers sends its gradient to one of them, the first
    pool = MaxPool2D(2)
    pool.forward(np.ones((1, 1, 2, 2)))
    dx = pool.backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(dx, [[[[5.0, 0.0], [0.0, 0.0]]]])


def test_flatten_keeps_channel_height_width_order():
    x = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    flat = Flatten()
    np.testing.assert_array_equal(flat.forward(x), x.reshape(2, 12))
    np.testing.assert_array_equal(flat.backward(flat.forward(x)), x)


# --- PyTorch, if installed ----------------------------------------------------------------------


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv_and_maxpool_equal_torch(stride, padding):
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    conv = Conv2D(2, 3, 3, stride=stride, padding=padding)
    pool = MaxPool2D(2)
    net = random_net([conv, Tanh(), Conv2D(3, 2, 2), pool], k=1)
    conv.input_grad = True  # the data's gradient, to compare with torch's
    x = images(3, 2, 9, 8)
    out = net.forward(x)
    g = np.random.default_rng(9).normal(size=out.shape)
    net.zero_grad()
    dx = net.layers[0].backward(net.layers[1].backward(net.layers[2].backward(pool.backward(g))))

    xt = torch.tensor(x, requires_grad=True)
    W1 = torch.tensor(conv.W[0], requires_grad=True)
    b1 = torch.tensor(conv.b[0], requires_grad=True)
    W2 = torch.tensor(net.layers[2].W[0], requires_grad=True)
    b2 = torch.tensor(net.layers[2].b[0], requires_grad=True)
    F = torch.nn.functional
    zt = F.conv2d(torch.tanh(F.conv2d(xt, W1, b1, stride=stride, padding=padding)), W2, b2)
    outt = F.max_pool2d(zt, 2)
    outt.backward(torch.tensor(g[0]))
    np.testing.assert_allclose(out[0], outt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in ((dx[0], xt), (conv.dW[0], W1), (conv.db[0], b1),
                         (net.layers[2].dW[0], W2), (net.layers[2].db[0], b2)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- softmax cross-entropy, accuracy, confusion matrix ------------------------------------------


def test_cross_entropy_by_hand():
    # sample 1: z = (1, 2, 3), label 2:  L₁ = log(e¹ + e² + e³) − 3 = log(e⁻² + e⁻¹ + 1)
    #           = log(0.1353352832 + 0.3678794412 + 1) = log(1.5032147244) = 0.4076059644
    # sample 2: z = (0, 0, 0), label 0:  L₂ = log 3 = 1.0986122887
    # L = (L₁ + L₂) / 2 = 0.7531091265
    ce = CrossEntropy()
    z = np.array([[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]])
    L = ce.forward(z, np.array([2, 0]))
    np.testing.assert_allclose(L, [0.7531091265], rtol=1e-10)
    # dL/dz = (softmax(z) − onehot(y)) / n; softmax(1, 2, 3) = (0.0900306, 0.2447285, 0.6652410)
    np.testing.assert_allclose(
        ce.backward(),
        [[[0.0900305732 / 2, 0.2447284711 / 2, (0.6652409558 - 1) / 2],
          [(1 / 3 - 1) / 2, 1 / 6, 1 / 6]]], rtol=1e-9)


def test_cross_entropy_is_stable_for_huge_logits():
    ce = CrossEntropy()
    L = ce.forward(np.array([[[1000.0, 0.0], [-1000.0, 1000.0]]]), np.array([1, 1]))
    assert L.tolist() == [500.0]  # sample 1: log(e^1000 + 1) − 0 = 1000; sample 2: 0
    assert np.all(np.isfinite(ce.backward()))


def test_accuracy_and_confusion_matrix_for_k_classes():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    y = np.array([0, 1, 1, 2])
    assert multiclass_accuracy(proba, y) == 0.5
    pred = proba.argmax(axis=1)  # 0, 1, 2, 0
    cm = confusion_matrix(y, pred, 3)
    np.testing.assert_array_equal(cm, [[1, 0, 0],   # true 0: predicted 0
                                       [0, 1, 1],   # true 1: once 1, once 2
                                       [1, 0, 0]])  # true 2: predicted 0
    assert cm.dtype.kind == "i" and cm.sum() == 4 and np.trace(cm) == 2


def test_mlp_with_a_softmax_output_predicts_class_labels():
    net = MLP(4, hidden=(6,), activation="relu", output="softmax", n_out=3, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    y = np.argmax(x[:, :3], axis=1)  # the class is which of the first three features is largest
    history = net.fit(x, y, optimizer="adam", lr=0.05, epochs=300)
    proba = net.predict_proba(x)
    assert proba.shape == (30, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    pred = net.predict(x)
    assert pred.shape == (30,) and pred.dtype.kind == "i"
    assert history.final_accuracy == np.mean(pred == y) >= 0.95


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: Conv2D(3, 2, 3).forward(np.zeros((2, 3, 5))), "takes images"),
    (lambda: random_net([Conv2D(3, 2, 3)]).forward(np.zeros((2, 1, 5, 5))),
     "expects 3 input channels, but the images have 1"),
    (lambda: random_net([Conv2D(1, 2, 5)]).forward(np.zeros((2, 1, 3, 3))), "does not fit"),
    (lambda: random_net([Conv2D(1, 2, 3)], k=2).forward(np.zeros((3, 2, 1, 5, 5))),
     "leading axis"),
    (lambda: Conv2D(1, 2, 0), "kernel size must be a whole number >= 1"),
    (lambda: Conv2D(1, 2, 3, padding=-1), "padding"),
    (lambda: MaxPool2D(3).forward(np.zeros((1, 1, 2, 2))), "at least that large"),
    (lambda: Flatten().forward(np.zeros((2, 3))), "Flatten takes images"),
    (lambda: Dropout(1.0), "dropout probability"),
    (lambda: CNN().predict(np.zeros((2, 8, 8))), r"images of shape \(1, 8, 8\)"),
    (lambda: CNN().predict(np.zeros((2, 1, 8, 7))), r"got shape \(2, 1, 8, 7\)"),
    (lambda: CNN(in_shape=(1, 2, 2), channels=(2, 2, 2)), "too small"),
    (lambda: CNN(n_classes=1), "at least 2"),
    (lambda: MLP(2, output="softmax", n_out=1), "one unit per class"),
    (lambda: get_loss("ce", "sigmoid"), "softmax output"),
    (lambda: get_loss("mse", "softmax"), "ce loss"),
    (lambda: confusion_matrix([0, 1], [0, 3], 3), "0…2"),
])
def test_bad_shapes_and_settings_give_clear_errors(call, message):
    with pytest.raises(BackproplabError, match=message):
        call()


@pytest.mark.parametrize("y, message", [
    ([0, 1, 3], "labels must be 0…2; found labels from 0 to 3"),
    ([0, -1, 2], "labels must be 0…2"),
    ([0, 1.5, 2], "whole class numbers"),
    ([0, 1], "do not fit 3 samples"),
    (["a", "b", "c"], "class numbers"),
])
def test_bad_class_labels_give_clear_errors(y, message):
    net = MLP(2, hidden=(3,), output="softmax", n_out=3, seed=0)
    with pytest.raises(BackproplabError, match=message):
        net.fit(np.zeros((3, 2)), y, epochs=1)


def test_class_labels_accept_whole_floats_and_a_column():
    np.testing.assert_array_equal(class_labels(np.array([[0.0], [2.0]]), 3, n=2), [0, 2])
    assert class_labels([1, 0], 2).dtype == np.int64


# --- training: a small CNN learns; stacks equal networks alone; dropout ------------------------


def bars(n, seed):
    """8×8 images of one of four bars (horizontal, vertical, diagonal, anti-diagonal) at a random
    place, in noise; the label is the bar's direction."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(0.0, 0.3, (n, 1, 8, 8))
    at = rng.integers(1, 7, n)
    r = np.arange(8)
    for i in range(n):
        if y[i] == 0:
            x[i, 0, at[i], :] += 1.0
        elif y[i] == 1:
            x[i, 0, :, at[i]] += 1.0
        elif y[i] == 2:
            x[i, 0, r, r] += 1.0
        else:
            x[i, 0, r, 7 - r] += 1.0
    return x, y


def test_a_small_cnn_learns_to_tell_bars_apart():
    x, y = bars(240, seed=0)
    x_test, y_test = bars(200, seed=1)
    net = CNN(in_shape=(1, 8, 8), n_classes=4, channels=(4, 8), dropout=0.2, seed=0)
    history = net.fit(x, y, optimizer="adam", lr=0.01, epochs=15, batch_size=32)
    assert not history.diverged and history.final_accuracy >= 0.97
    assert history.loss[-1] < history.loss[0] / 4
    assert np.mean(net.predict(x_test) == y_test) >= 0.95
    assert not net.training  # training leaves the model evaluating


def test_a_stack_of_cnns_trains_as_each_network_alone():
    x, y = bars(40, seed=2)
    settings = dict(optimizer="adam", lr=0.01, epochs=3, batch_size=16)
    stack = CNN(n_classes=4, channels=(3, 4), hidden=(5,), dropout=0.3, seed=[3, 4, 5])
    history = stack.fit(x, y, **settings)
    for m, seed in enumerate([3, 4, 5]):
        alone = CNN(n_classes=4, channels=(3, 4), hidden=(5,), dropout=0.3, seed=seed)
        single = alone.fit(x, y, **settings)
        np.testing.assert_array_equal(stack.params[m], alone.params[0])
        np.testing.assert_array_equal(history.loss[:, m], single.loss)


def test_dropout_is_off_when_evaluating():
    x, _ = bars(20, seed=3)
    net = CNN(n_classes=4, channels=(3,), dropout=0.5, seed=0)
    before = net.predict_proba(x)
    net.train_mode(True)
    assert net.training and net.layers[-2].training
    noisy = net.forward(x).copy()
    assert not np.allclose(noisy, net.forward(x))  # a fresh mask each forward
    np.testing.assert_array_equal(net.predict_proba(x), before)  # predict evaluates…
    assert net.training  # …and gives back the mode it found
    with net.evaluating():
        np.testing.assert_array_equal(net.decision_function(x), net.forward(x)[0])
    net.train_mode(False)
    np.testing.assert_array_equal(net.predict_proba(x), before)


def test_dropout_keeps_about_one_minus_p_and_scales_by_its_inverse():
    drop = Dropout(0.25)
    drop.rngs = [np.random.default_rng(0)]
    drop.training = True
    a = drop.forward(np.ones((1, 200, 100)))
    assert set(np.unique(a)) == {0.0, 1 / 0.75}
    assert abs(np.mean(a > 0) - 0.75) < 0.01  # 20 000 draws: the standard error is 0.003
    assert drop.backward(np.ones_like(a)).tolist() == a.tolist()


def test_dropout_stream_leaves_the_other_streams_unchanged():
    # the masks' stream is the seed's third child; init and order are its first two, as before
    init, order = seeds.model_rngs(7)
    seq = np.random.SeedSequence(7).spawn(3)
    assert init.random() == np.random.default_rng(seq[0]).random()
    assert order.random() == np.random.default_rng(seq[1]).random()
    assert seeds.dropout_rng(7).random() == np.random.default_rng(seq[2]).random()


# --- saving and loading ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, [1, 2]], ids=["one", "stack"])
def test_cnn_save_load_round_trip(tmp_path, seed):
    x, y = bars(30, seed=4)
    net = CNN(n_classes=4, channels=(3, 5), hidden=(6,), dropout=0.1, seed=seed,
              dtype="float32")
    net.fit(x, y, optimizer="adam", lr=0.01, epochs=2, batch_size=10)
    path = tmp_path / "cnn.npz"
    net.save(path, extra={"note": "test"})
    for loaded in (CNN.load(path), model.load(path)):
        assert isinstance(loaded, CNN) and loaded.config() == net.config()
        assert loaded.dtype == np.float32 and loaded.training_config == {"note": "test"}
        np.testing.assert_array_equal(loaded.params, net.params)
        np.testing.assert_array_equal(loaded.predict_proba(x), net.predict_proba(x))
    with np.load(path) as data:  # conv weights as (C_out, C_in, kh, kw), biases (C_out,)
        shapes = {name: data[name].shape for name in data.files if name != "config"}
    lead = () if np.isscalar(seed) else (2,)
    assert shapes == {"W1": (*lead, 3, 1, 3, 3), "b1": (*lead, 3), "W2": (*lead, 5, 3, 3, 3),
                      "b2": (*lead, 5), "W3": (*lead, 5 * 4 * 4, 6), "b3": (*lead, 6),
                      "W4": (*lead, 6, 4), "b4": (*lead, 4)}


def test_an_mlp_file_is_not_a_cnn(tmp_path):
    MLP(2, seed=0).save(tmp_path / "mlp.npz")
    with pytest.raises(BackproplabError, match="holds an MLP, not a CNN"):
        CNN.load(tmp_path / "mlp.npz")
    assert isinstance(model.load(tmp_path / "mlp.npz"), MLP)
