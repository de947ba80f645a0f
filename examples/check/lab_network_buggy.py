"""The lab network with one planted slip, the commonest in the course: σ′ taken at the
layer's input z2 although derivative_sigmoid expects its output a2. On XOR it blows up (nan).
The rest, as in lab_network.py: two hidden layers,
sigmoid everywhere, mean squared error, plain gradient descent — in NumPy alone.

Check it with:   backproplab check examples/check/lab_network_buggy.py --data xor
"""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def derivative_sigmoid(a):
    """σ′ written in terms of σ's own output a = σ(z): σ′(z) = a (1 − a)."""
    return np.multiply(a, 1.0 - a)


class LabNetwork:
    def __init__(self, n_in, hidden, n_out, seed=0):
        rng = np.random.default_rng(seed)
        h1, h2 = hidden
        self.w1 = rng.normal(0.0, 1.0, (n_in, h1))
        self.w2 = rng.normal(0.0, 1.0, (h1, h2))
        self.w3 = rng.normal(0.0, 1.0, (h2, n_out))
        self.b1 = np.zeros((1, h1))
        self.b2 = np.zeros((1, h2))
        self.b3 = np.zeros((1, n_out))

    def forward(self, x):
        self.x = x
        self.a1 = sigmoid(x @ self.w1 + self.b1)
        self.a2 = sigmoid(self.a1 @ self.w2 + self.b2)
        self.y_hat = sigmoid(self.a2 @ self.w3 + self.b3)
        return self.y_hat

    def loss(self, y_hat, y):
        return np.mean((y_hat - y) ** 2)

    def backward(self, x, y):
        n = len(x)
        y_hat = self.forward(x)
        delta3 = 2.0 * (y_hat - y) / n * derivative_sigmoid(y_hat)      # dL/dz3
        z2 = self.a1 @ self.w2 + self.b2
        delta2 = (delta3 @ self.w3.T) * derivative_sigmoid(z2)  # the slip: σ′ of z2, not a2
        delta1 = (delta2 @ self.w2.T) * derivative_sigmoid(self.a1)      # dL/dz1
        return {
            "w3": self.a2.T @ delta3, "b3": delta3.sum(axis=0, keepdims=True),
            "w2": self.a1.T @ delta2, "b2": delta2.sum(axis=0, keepdims=True),
            "w1": x.T @ delta1, "b1": delta1.sum(axis=0, keepdims=True),
        }

    def update(self, x, y, lr):
        grads = self.backward(x, y)  # every gradient first, then every weight moves
        for name, grad in grads.items():
            setattr(self, name, getattr(self, name) - lr * grad)

    step = update


def make_network(n_in, hidden, n_out, seed):
    return LabNetwork(n_in, hidden, n_out, seed)


if __name__ == "__main__":
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    net = make_network(2, (4, 4), 1, seed=0)
    for epoch in range(5001):
        if epoch % 1000 == 0:
            print(f"epoch {epoch}  loss {net.loss(net.forward(x), y):.6f}")
        net.update(x, y, lr=1.0)
