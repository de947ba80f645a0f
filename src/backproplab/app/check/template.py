"""``backproplab check --template FILE``: a starting file for a learner's own network.

The data and ``make_network`` are done and ``forward`` is written out; ``backward`` is left as
TODO lines, each with its array's shape and the line of the chain rule it needs. Run as it is,
``backproplab check FILE`` says which gradients are still missing; filled in, it passes.
"""

import os

from ...errors import BackproplabError
from ...files import write_text

TODO = "None  # TODO"  # what every gradient line of the template starts as

TEMPLATE = '''"""My network for the Back Propagation lab: two hidden layers, sigmoid, mean
squared error, gradient descent — written by me in NumPy.

Check it:   backproplab check {name} --data xor
"""

import numpy as np


def generate_linear(n=100):
    """n random points in the unit square, labelled 1 above the line x1 = x2."""
    pts = np.random.uniform(0, 1, (n, 2))
    labels = (pts[:, 0] < pts[:, 1]).astype(float)
    return pts, labels.reshape(n, 1)


def generate_xor_easy():
    """The lab's 21 points on the two diagonals."""
    inputs, labels = [], []
    for i in range(11):
        inputs.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        inputs.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(inputs), np.array(labels, dtype=float).reshape(21, 1)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def derivative_sigmoid(a):
    """σ′(z) written with the sigmoid's OUTPUT a = σ(z): σ′(z) = a (1 − a)."""
    return a * (1.0 - a)


class Network:
    """x (n, n_in) → a1 (n, h1) → a2 (n, h2) → ŷ (n, n_out), every layer z = a·W + b."""

    def __init__(self, n_in, hidden, n_out, seed=0):
        rng = np.random.default_rng(seed)
        h1, h2 = hidden
        self.w1, self.b1 = rng.normal(0.0, 1.0, (n_in, h1)), np.zeros((1, h1))
        self.w2, self.b2 = rng.normal(0.0, 1.0, (h1, h2)), np.zeros((1, h2))
        self.w3, self.b3 = rng.normal(0.0, 1.0, (h2, n_out)), np.zeros((1, n_out))

    def forward(self, x):
        self.z1 = x @ self.w1 + self.b1
        self.a1 = sigmoid(self.z1)
        self.z2 = self.a1 @ self.w2 + self.b2
        self.a2 = sigmoid(self.z2)
        self.z3 = self.a2 @ self.w3 + self.b3
        self.y_hat = sigmoid(self.z3)
        return self.y_hat

    def loss(self, y_hat, y):
        """The mean squared error over the n samples: L = (1/n) Σ (ŷ − y)²."""
        return np.mean((y_hat - y) ** 2)

    def backward(self, x, y):
        """The gradient of the loss for every array, by the chain rule from the top."""
        n = len(x)
        y_hat = self.forward(x)
        # δ3 = dL/dz3 = (2/n)(ŷ − y) ⊙ σ′(z3)                              shape (n, n_out)
        delta3 = {todo}
        # dW3 = a2ᵀ·δ3                                                      shape (h2, n_out)
        dw3 = {todo}
        # db3 = Σₙ δ3 (the sum over the samples, one row)                   shape (1, n_out)
        db3 = {todo}
        # δ2 = (δ3·W3ᵀ) ⊙ σ′(z2)                                            shape (n, h2)
        delta2 = {todo}
        # dW2 = a1ᵀ·δ2                                                      shape (h1, h2)
        dw2 = {todo}
        # db2 = Σₙ δ2                                                       shape (1, h2)
        db2 = {todo}
        # δ1 = (δ2·W2ᵀ) ⊙ σ′(z1)                                            shape (n, h1)
        delta1 = {todo}
        # dW1 = xᵀ·δ1                                                       shape (n_in, h1)
        dw1 = {todo}
        # db1 = Σₙ δ1                                                       shape (1, h1)
        db1 = {todo}
        return {{"w1": dw1, "b1": db1, "w2": dw2, "b2": db2, "w3": dw3, "b3": db3}}

    def update(self, x, y, lr):
        """One step of gradient descent: every gradient first, then every weight moves."""
        grads = self.backward(x, y)
        for name, grad in grads.items():
            setattr(self, name, getattr(self, name) - lr * grad)


def make_network(n_in, hidden, n_out, seed):
    """What backproplab check calls to build the network it checks."""
    return Network(n_in, hidden, n_out, seed)


if __name__ == "__main__":
    x, y = generate_xor_easy()
    net = make_network(2, (4, 4), 1, seed=0)
    for epoch in range(10001):
        if epoch % 1000 == 0:
            print(f"epoch {{epoch:5d}}  loss {{net.loss(net.forward(x), y):.6f}}")
        net.update(x, y, lr=1.0)
'''

# the lines a learner writes in place of the TODOs, in the template's order (the tests fill
# the template with them and expect a passing check)
ANSWERS = {
    "delta3": "2.0 * (y_hat - y) / n * derivative_sigmoid(y_hat)",
    "dw3": "self.a2.T @ delta3",
    "db3": "delta3.sum(axis=0, keepdims=True)",
    "delta2": "(delta3 @ self.w3.T) * derivative_sigmoid(self.a2)",
    "dw2": "self.a1.T @ delta2",
    "db2": "delta2.sum(axis=0, keepdims=True)",
    "delta1": "(delta2 @ self.w2.T) * derivative_sigmoid(self.a1)",
    "dw1": "x.T @ delta1",
    "db1": "delta1.sum(axis=0, keepdims=True)",
}


def text(path):
    """The template for a file called ``path``."""
    return TEMPLATE.format(name=os.path.basename(os.fspath(path)), todo=TODO)


def write_template(path):
    """Write the template to ``path``, which must not exist yet (a learner's work is never
    overwritten)."""
    path = os.fspath(path)
    if os.path.lexists(path):
        raise BackproplabError(f"--template {path}: exists already; give a new file name (the "
                               "template never overwrites a file)")
    if not path.endswith(".py"):
        raise BackproplabError(f"--template {path}: give a file name ending in .py")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BackproplabError(f"--template {path}: the folder {folder} does not exist")
    write_text(path, text(path))
    return path


def filled(source):
    """``source`` (a template) with every TODO replaced by its answer: what a learner who got
    every line right would have written."""
    for name, answer in ANSWERS.items():
        source = source.replace(f"{name} = {TODO}", f"{name} = {answer}", 1)
    return source
