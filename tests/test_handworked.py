"""The lab's network in miniature, worked out by hand: 2 inputs, 2 sigmoid units, 1 output.

    x = (1, 2),  y = 1

    W1 = | 0.1  -0.2 |   (row i: weights out of input i)    b1 = (0, -0.2)
         | 0.3   0.4 |
    W2 = (0.5, -0.6)ᵀ                                        b2 = 0.2

Every number below is computed in the test with plain Python floats, one line per step, and
the package must agree to 1e-12. The comments give the values to 12 digits.
"""

from math import exp, log1p

import numpy as np

from backproplab import MLP
from backproplab.nn.losses import get_loss
from backproplab.nn.optimizers import get_optimizer

RTOL = 1e-12


def sigma(z):
    return 1.0 / (1.0 + exp(-z))


def lab_network(output="sigmoid"):
    net = MLP(2, hidden=(2,), activation="sigmoid", output=output, seed=0)
    first, second = net.dense_layers
    first.W[0] = [[0.1, -0.2], [0.3, 0.4]]
    first.b[0] = [[0.0, -0.2]]
    second.W[0] = [[0.5], [-0.6]]
    second.b[0] = [[0.2]]
    return net


X = np.array([[1.0, 2.0]])
Y = np.array([[1.0]])

# ---- forward ---------------------------------------------------------------------------
# hidden pre-activations z1 = x W1 + b1
z1_1 = 1.0 * 0.1 + 2.0 * 0.3 + 0.0  # 0.1 + 0.6 = 0.7
z1_2 = 1.0 * -0.2 + 2.0 * 0.4 - 0.2  # -0.2 + 0.8 - 0.2 = 0.4
# hidden activations a1 = σ(z1)
a1_1 = sigma(z1_1)  # σ(0.7) = 1 / (1 + e^-0.7) = 1 / 1.496585303791 = 0.668187772168
a1_2 = sigma(z1_2)  # σ(0.4) = 1 / (1 + e^-0.4) = 1 / 1.670320046036 = 0.598687660112
# output pre-activation z2 = a1 W2 + b2
z2 = 0.5 * a1_1 - 0.6 * a1_2 + 0.2  # 0.334093886084 - 0.359212596067 + 0.2 = 0.174881290017
y_hat = sigma(z2)  # σ(0.174881290017) = 0.543609235652
# mse with one sample and one output: (ŷ - y)²
loss = (y_hat - 1.0) ** 2  # (-0.456390764348)² = 0.208292529782

# ---- backward --------------------------------------------------------------------------
dy_hat = 2.0 * (y_hat - 1.0)  # dL/dŷ = 2(ŷ - y) / n = -0.912781528695
dz2 = dy_hat * y_hat * (1.0 - y_hat)  # · σ′ = ŷ(1 - ŷ) = 0.248098234566 → -0.226459485814
dW2 = [a1_1 * dz2, a1_2 * dz2]  # a1ᵀ dz2 = (-0.151317459312, -0.135578499672)
db2 = dz2  # -0.226459485814
da1_1, da1_2 = dz2 * 0.5, dz2 * -0.6  # dz2 W2ᵀ = (-0.113229742907, 0.135875691488)
dz1_1 = da1_1 * a1_1 * (1.0 - a1_1)  # · σ′(0.7) = 0.221712873293 → -0.025104491642
dz1_2 = da1_2 * a1_2 * (1.0 - a1_2)  # · σ′(0.4) = 0.240260745742 → 0.032645594965
dW1 = [[1.0 * dz1_1, 1.0 * dz1_2],  # xᵀ dz1: row 1 is x1 = 1 times dz1
       [2.0 * dz1_1, 2.0 * dz1_2]]  # row 2 is x2 = 2 times dz1: (-0.050208983284, 0.065291189930)
db1 = [dz1_1, dz1_2]

# ---- one gradient-descent step, lr = 0.5: p ← p - 0.5 dp ----------------------------------
LR = 0.5
W1_new = [[0.1 - LR * dW1[0][0], -0.2 - LR * dW1[0][1]],  # 0.112552245821, -0.216322797482
          [0.3 - LR * dW1[1][0], 0.4 - LR * dW1[1][1]]]  # 0.325104491642, 0.367354405035
b1_new = [0.0 - LR * db1[0], -0.2 - LR * db1[1]]  # 0.012552245821, -0.216322797482
W2_new = [0.5 - LR * dW2[0], -0.6 - LR * dW2[1]]  # 0.575658729656, -0.532210750164
b2_new = 0.2 - LR * db2  # 0.313229742907


def test_forward_values():
    net = lab_network()
    first, act, second = net.layers
    z1 = first.forward(X)
    np.testing.assert_allclose(z1, [[[z1_1, z1_2]]], rtol=RTOL)
    np.testing.assert_allclose(act.forward(z1), [[[a1_1, a1_2]]], rtol=RTOL)
    np.testing.assert_allclose(net.decision_function(X), [[z2]], rtol=RTOL)
    np.testing.assert_allclose(net.predict_proba(X), [[y_hat]], rtol=RTOL)
    np.testing.assert_allclose(y_hat, 0.543609235652, rtol=1e-11)  # the comments are right


def test_loss_and_gradients():
    net = lab_network()
    mse = get_loss("mse", "sigmoid")
    L = mse.forward(net.forward(X), Y)
    np.testing.assert_allclose(L, [loss], rtol=RTOL)
    np.testing.assert_allclose(loss, 0.208292529782, rtol=1e-11)

    net.zero_grad()
    dz = mse.backward()
    np.testing.assert_allclose(dz, [[[dz2]]], rtol=RTOL)
    net.backward(dz)
    first, second = net.dense_layers
    np.testing.assert_allclose(second.dW[0], [[dW2[0]], [dW2[1]]], rtol=RTOL)
    np.testing.assert_allclose(second.db[0], [[db2]], rtol=RTOL)
    np.testing.assert_allclose(first.dW[0], dW1, rtol=RTOL)
    np.testing.assert_allclose(first.db[0], [db1], rtol=RTOL)
    # the flat gradient buffer holds the same numbers, in the order W1, b1, W2, b2
    flat = [*dW1[0], *dW1[1], *db1, *dW2, db2]
    np.testing.assert_allclose(net.grads[0], flat, rtol=RTOL)


def test_one_gradient_descent_step():
    net = lab_network()
    mse = get_loss("mse", "sigmoid")
    opt = get_optimizer("gd", [net.params], [net.grads], lr=LR)
    mse.forward(net.forward(X), Y)
    net.zero_grad()
    net.backward(mse.backward())
    opt.step()
    first, second = net.dense_layers
    np.testing.assert_allclose(first.W[0], W1_new, rtol=RTOL)
    np.testing.assert_allclose(first.b[0], [b1_new], rtol=RTOL)
    np.testing.assert_allclose(second.W[0], [[W2_new[0]], [W2_new[1]]], rtol=RTOL)
    np.testing.assert_allclose(second.b[0], [[b2_new]], rtol=RTOL)


def test_fit_for_one_epoch_is_the_same_step():
    net = lab_network()
    history = net.fit(X, Y, loss="mse", optimizer="gd", lr=LR, epochs=1)
    np.testing.assert_allclose(history.loss, [loss], rtol=RTOL)  # the loss before the step
    flat = [*W1_new[0], *W1_new[1], *b1_new, *W2_new, b2_new]
    np.testing.assert_allclose(net.params[0], flat, rtol=RTOL)
    # final_loss is that of the updated weights: one step downhill
    assert history.final_loss < loss


def test_bce_on_the_same_network():
    # bce from the logit: L = softplus(z2) - y z2 = log(1 + e^-z2) for y = 1
    bce_loss = log1p(exp(-z2))  # log(1 + e^-0.174881290017) = 0.609524607055
    dz2_bce = y_hat - 1.0  # σ(z2) - y: σ′ cancels against the log's derivative = -0.456390764348
    net = lab_network()
    bce = get_loss("bce")
    np.testing.assert_allclose(bce.forward(net.forward(X), Y), [bce_loss], rtol=RTOL)
    np.testing.assert_allclose(bce.backward(), [[[dz2_bce]]], rtol=RTOL)
    net.zero_grad()
    net.backward(bce.backward())
    np.testing.assert_allclose(net.dense_layers[1].db[0], [[dz2_bce]], rtol=RTOL)
    # the hidden layer's gradient is the mse one scaled by dz2_bce / dz2 (only dz2 changed)
    np.testing.assert_allclose(net.dense_layers[0].dW[0], np.multiply(dW1, dz2_bce / dz2),
                               rtol=RTOL)


def test_two_samples_the_loss_is_a_mean():
    # add x = (0, 0) with y = 0: its hidden pre-activations are the biases b1 = (0, -0.2)
    s_1, s_2 = sigma(0.0), sigma(-0.2)  # 0.5, 0.450166002688
    z2_b = 0.5 * s_1 - 0.6 * s_2 + 0.2  # 0.25 - 0.270099601613 + 0.2 = 0.179900398387
    y_hat_b = sigma(z2_b)  # σ(0.179900398387) = 0.544854192469
    loss_b = (y_hat_b - 0.0) ** 2
    mean_loss = (loss + loss_b) / 2  # a mean over samples, not a sum
    # dL/dz2 per sample is 2(ŷ - y)/n · ŷ(1 - ŷ), with n = 2 now
    dz2_b = 2.0 * (y_hat_b - 0.0) / 2 * y_hat_b * (1.0 - y_hat_b)
    db2_mean = dz2 / 2 + dz2_b  # the first sample's dz2 was for n = 1: halve it
    dW2_mean = [a1_1 * dz2 / 2 + s_1 * dz2_b, a1_2 * dz2 / 2 + s_2 * dz2_b]

    net = lab_network()
    mse = get_loss("mse", "sigmoid")
    x = np.array([[1.0, 2.0], [0.0, 0.0]])
    y = np.array([[1.0], [0.0]])
    np.testing.assert_allclose(mse.forward(net.forward(x), y), [mean_loss], rtol=RTOL)
    net.zero_grad()
    net.backward(mse.backward())
    second = net.dense_layers[1]
    np.testing.assert_allclose(second.db[0], [[db2_mean]], rtol=RTOL)
    np.testing.assert_allclose(second.dW[0].ravel(), dW2_mean, rtol=RTOL)
