"""Each optimizer's update re-derived here, in plain NumPy, from PyTorch's documented algorithms.

The references below are written the way torch.optim's documentation boxes write them (m̂ and v̂
as separate bias-corrected quantities, for instance), not the way backproplab orders its
operations, so they agree to rounding (rtol 1e-13 over several steps), not bit for bit.
"""

import numpy as np
import pytest

from backproplab import MLP
from backproplab.data import datasets
from backproplab.errors import BackproplabError
from backproplab.nn.optimizers import DEFAULT_LR, OPTIMIZERS, get_optimizer
from conftest import TORCH_MISSING

RTOL = 1e-13
STEPS = 8

# torch.optim's defaults (SGD's lr is 1e-3 since torch 2.2); gd's lr is backproplab's own
# (1.0, the lab network's), since the lab's defaults must train in seconds
TORCH_DEFAULTS = {
    "gd": {"lr": 1.0, "weight_decay": 0.0},
    "momentum": {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0},
    "nesterov": {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0},
    "adagrad": {"lr": 0.01, "eps": 1e-10, "weight_decay": 0.0},
    "rmsprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0},
    "adam": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
}


class Reference:
    """One parameter array's optimizer, straight from the torch.optim documentation."""

    def __init__(self, name, **settings):
        self.name = name
        self.s = {**TORCH_DEFAULTS[name], **settings}
        self.t = 0
        self.buf = self.sum = self.v = self.m = None

    def step(self, p, g):
        """Return the updated parameter p (a new array) after gradient g."""
        s, name = self.s, self.name
        self.t += 1
        lr, wd = s["lr"], s["weight_decay"]
        if name == "adamw":
            p = p - lr * wd * p  # decoupled weight decay, before anything else
        elif wd:
            g = g + wd * p  # L2: the decay joins the gradient
        if name in ("gd", "momentum", "nesterov"):
            mu = s.get("momentum", 0.0)
            if mu:
                # dampening 0: b_t = μ b_{t-1} + g_t, with b_1 = g_1
                self.buf = g.copy() if self.t == 1 else mu * self.buf + g
                g = g + mu * self.buf if name == "nesterov" else self.buf
            return p - lr * g
        if name == "adagrad":
            self.sum = g * g if self.t == 1 else self.sum + g * g  # state_sum starts at 0
            return p - lr * g / (np.sqrt(self.sum) + s["eps"])
        if name == "rmsprop":
            a = s["alpha"]
            self.v = (1 - a) * g * g if self.t == 1 else a * self.v + (1 - a) * g * g
            if s["momentum"]:
                step = g / (np.sqrt(self.v) + s["eps"])
                self.buf = step if self.t == 1 else s["momentum"] * self.buf + step
                return p - lr * self.buf
            return p - lr * g / (np.sqrt(self.v) + s["eps"])
        # adam, adamw
        b1, b2 = s["beta1"], s["beta2"]
        self.m = (1 - b1) * g if self.t == 1 else b1 * self.m + (1 - b1) * g
        self.v = (1 - b2) * g * g if self.t == 1 else b2 * self.v + (1 - b2) * g * g
        m_hat = self.m / (1 - b1**self.t)
        v_hat = self.v / (1 - b2**self.t)
        return p - lr * m_hat / (np.sqrt(v_hat) + s["eps"])


def arrays(k, seed):
    """Two parameter arrays of different shapes (each with the model axis k) and their grads."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(k, 6)), rng.normal(size=(k, 2, 3))]
    grads = [np.zeros_like(p) for p in params]
    return params, grads


def gradient_sequence(params, seed, steps=STEPS):
    """steps lists of random gradients shaped like ``params``, some of them large, one zero."""
    rng = np.random.default_rng(seed)
    seq = [[rng.normal(0.0, 10.0 ** rng.integers(-3, 2), p.shape) for p in params]
           for _ in range(steps)]
    seq[2][0][..., 0] = 0.0  # a zero gradient entry mid-run
    return seq


CASES = [
    ("gd", {}),
    ("gd", {"lr": 0.3, "weight_decay": 0.1}),
    ("momentum", {}),
    ("momentum", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("nesterov", {}),
    ("nesterov", {"lr": 0.05, "weight_decay": 0.1}),
    ("adagrad", {}),
    ("adagrad", {"lr": 0.1, "eps": 1e-6, "weight_decay": 0.1}),
    ("rmsprop", {}),
    ("rmsprop", {"momentum": 0.9}),
    ("rmsprop", {"lr": 0.001, "alpha": 0.9, "weight_decay": 0.1}),
    ("adam", {}),
    ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1}),
    ("adamw", {}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name, settings", CASES, ids=lambda v: str(v) if v else "defaults")
def test_update_matches_the_documented_algorithm(name, settings):
    params, grads = arrays(1, seed=0)
    expected = [p.copy() for p in params]
    opt = get_optimizer(name, params, grads, **settings)  # no lr given: torch's default
    refs = [Reference(name, **settings) for _ in params]
    for step_grads in gradient_sequence(params, seed=1):
        for g, new in zip(grads, step_grads):
            g[...] = new  # the optimizer reads the gradient buffers it was given
        opt.step()
        expected = [ref.step(p, g) for ref, p, g in zip(refs, expected, step_grads)]
        for p, e in zip(params, expected):
            np.testing.assert_allclose(p, e, rtol=RTOL, atol=0)
    assert not np.array_equal(params[0], arrays(1, seed=0)[0][0])  # it did move


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_defaults(name):
    assert DEFAULT_LR[name] == TORCH_DEFAULTS[name]["lr"]
    params, grads = arrays(1, seed=2)
    opt = get_optimizer(name, params, grads)
    # l1 is backproplab's own (torch has no L1 setting), 0 for every optimizer
    assert {n: float(v[0, 0]) for n, v in opt.hyper.items()} == {**TORCH_DEFAULTS[name], "l1": 0}


def test_documented_lr_defaults():
    assert DEFAULT_LR["gd"] == 1.0  # the lab network's learning rate
    assert DEFAULT_LR["adagrad"] == DEFAULT_LR["rmsprop"] == 0.01
    assert DEFAULT_LR["adam"] == DEFAULT_LR["adamw"] == 0.001


def test_updates_are_in_place():
    params, grads = arrays(1, seed=3)
    views = [p for p in params]
    opt = get_optimizer("adam", params, grads)
    grads[0][...] = 1.0
    opt.step()
    assert all(a is b for a, b in zip(opt.params, views))
    assert np.all(params[0] != arrays(1, seed=3)[0][0])


# --- per-network hyper-parameters: a stack of 3 is three separate runs -----------------------

PER_NETWORK = [
    ("gd", {"lr": [0.5, 0.05, 0.005], "weight_decay": [0.0, 0.1, 0.01]}),
    ("momentum", {"lr": [0.1, 0.01, 0.001], "momentum": [0.9, 0.5, 0.0]}),
    ("nesterov", {"lr": [0.1, 0.01, 0.001], "momentum": [0.9, 0.5, 0.99]}),
    ("adagrad", {"lr": [0.1, 0.01, 0.001], "eps": [1e-10, 1e-3, 1e-6]}),
    ("rmsprop", {"lr": [0.1, 0.01, 0.001], "alpha": [0.99, 0.9, 0.5]}),
    ("rmsprop", {"lr": [0.1, 0.01, 0.001], "momentum": [0.0, 0.9, 0.5]}),
    ("adam", {"lr": [0.1, 0.01, 0.001], "beta1": [0.9, 0.8, 0.0], "weight_decay": [0, 0.1, 0]}),
    ("adamw", {"lr": [0.1, 0.01, 0.001], "beta2": [0.999, 0.9, 0.99],
               "weight_decay": [0.01, 0.0, 0.5]}),
]


@pytest.mark.parametrize("name, settings", PER_NETWORK, ids=lambda v: str(v))
def test_stack_with_per_network_settings_equals_separate_runs(name, settings):
    stack, stack_grads = arrays(3, seed=4)
    start = [p.copy() for p in stack]
    sequence = gradient_sequence(stack, seed=5)
    opt = get_optimizer(name, stack, stack_grads, **settings)
    for step_grads in sequence:
        for g, new in zip(stack_grads, step_grads):
            g[...] = new
        opt.step()
    for m in range(3):
        alone = [p[m : m + 1].copy() for p in start]
        alone_grads = [np.zeros_like(p) for p in alone]
        own = {n: v[m] for n, v in settings.items()}
        opt = get_optimizer(name, alone, alone_grads, **own)
        for step_grads in sequence:
            for g, new in zip(alone_grads, step_grads):
                g[...] = new[m : m + 1]
            opt.step()
        for p, q in zip(alone, stack):
            assert np.array_equal(p[0], q[m]), f"network {m} differs in the stack"


def test_a_scalar_setting_is_shared_by_every_network():
    stack, grads = arrays(3, seed=6)
    opt = get_optimizer("rmsprop", stack, grads, lr=0.02, momentum=0.5)
    assert opt.hyper["lr"].ravel().tolist() == [0.02] * 3
    assert opt.hyper["momentum"].ravel().tolist() == [0.5] * 3


def test_float32_parameters_stay_float32():
    params = [np.ones((2, 5), np.float32)]
    grads = [np.full((2, 5), 0.5, np.float32)]
    for name in OPTIMIZERS:
        get_optimizer(name, params, grads).step()
        assert params[0].dtype == np.float32


# --- bad settings ---------------------------------------------------------------------------


def make(name="gd", k=1, **settings):
    params, grads = arrays(k, seed=7)
    return get_optimizer(name, params, grads, **settings)


@pytest.mark.parametrize("lr", [0.0, -0.1, [0.1, 0.0, 0.1], [0.1, -1.0, 0.1]])
def test_learning_rate_must_be_positive(lr):
    with pytest.raises(BackproplabError, match=r"learning rate must be > 0"):
        make(k=3, lr=lr)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_settings_must_be_finite(value):
    with pytest.raises(BackproplabError, match="lr must be a finite number"):
        make(lr=value)
    with pytest.raises(BackproplabError, match="momentum must be a finite number"):
        make("momentum", momentum=value)


def test_unknown_optimizer_lists_the_valid_ones():
    with pytest.raises(BackproplabError, match="unknown optimizer 'sgd'") as info:
        make("sgd")
    for name in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"):
        assert name in str(info.value)


@pytest.mark.parametrize(
    "name, setting, valid",
    [
        ("gd", {"momentum": 0.9}, "lr, weight_decay, l1"),
        ("momentum", {"beta1": 0.9}, "lr, momentum, weight_decay, l1"),
        ("adagrad", {"alpha": 0.9}, "lr, weight_decay, eps, l1"),
        ("rmsprop", {"beta2": 0.9}, "lr, alpha, eps, momentum, weight_decay, l1"),
        ("adam", {"momentum": 0.9, "alpha": 0.5}, "lr, beta1, beta2, eps, weight_decay, l1"),
        ("adamw", {"nesterov": True}, "lr, beta1, beta2, eps, weight_decay, l1"),
    ],
)
def test_a_setting_the_optimizer_does_not_have_lists_its_settings(name, setting, valid):
    with pytest.raises(BackproplabError) as info:
        make(name, **setting)
    message = str(info.value)
    assert f"the {name} optimizer has no setting {', '.join(sorted(setting))}" in message
    assert message.endswith(f"its settings are: {valid}")


def test_a_setting_of_none_keeps_the_default():
    opt = make("adam", momentum=None, beta1=None)
    assert float(opt.hyper["beta1"][0, 0]) == 0.9


def test_per_network_setting_of_the_wrong_length():
    with pytest.raises(BackproplabError, match="lr needs one value, or one per network"):
        make(k=3, lr=[0.1, 0.2])


# --- against PyTorch itself (skipped where torch is not installed) ---------------------------

TORCH_CASES = [
    ("gd", {"lr": 0.5}),
    ("gd", {"lr": 0.5, "weight_decay": 0.01}),
    ("momentum", {"lr": 0.1}),
    ("nesterov", {"lr": 0.1, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.05}),
    ("rmsprop", {"lr": 0.005}),
    ("rmsprop", {"lr": 0.005, "momentum": 0.5, "weight_decay": 0.01}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("adamw", {"lr": 0.01}),
]


def torch_optimizer(torch, name, params, settings):
    s = {**TORCH_DEFAULTS[name], **settings}
    wd = s["weight_decay"]
    if name in ("gd", "momentum", "nesterov"):
        return torch.optim.SGD(params, lr=s["lr"], momentum=s.get("momentum", 0.0),
                               nesterov=name == "nesterov", weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=s["lr"], eps=s["eps"], weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=s["lr"], alpha=s["alpha"], eps=s["eps"],
                                   momentum=s["momentum"], weight_decay=wd)
    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(params, lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"],
               weight_decay=wd)


@pytest.mark.parametrize("name, settings", TORCH_CASES, ids=lambda v: str(v))
def test_fifty_steps_agree_with_pytorch(name, settings):
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    x, y = datasets.xor_easy()
    net = MLP(2, hidden=(4, 4), activation="sigmoid", seed=0)

    layers = []
    for i, dense in enumerate(net.dense_layers):
        linear = torch.nn.Linear(dense.n_in, dense.n_out, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(dense.W[0].T.copy()))  # torch's is (out, in)
            linear.bias.copy_(torch.from_numpy(dense.b[0, 0].copy()))
        layers += [linear, torch.nn.Sigmoid()] if i < len(net.dense_layers) - 1 else [linear]
    model = torch.nn.Sequential(*layers)
    opt = torch_optimizer(torch, name, model.parameters(), settings)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.float64))
    torch_losses = []
    for _ in range(50):
        opt.zero_grad()
        loss = torch.mean((torch.sigmoid(model(tx)) - ty) ** 2)
        torch_losses.append(loss.item())
        loss.backward()
        opt.step()

    history = net.fit(x, y, loss="mse", optimizer=name, epochs=50, **settings)
    np.testing.assert_allclose(history.loss, torch_losses, rtol=1e-10)
    for dense, linear in zip(net.dense_layers, model[::2]):
        np.testing.assert_allclose(dense.W[0], linear.weight.detach().numpy().T, rtol=1e-10)
        np.testing.assert_allclose(dense.b[0, 0], linear.bias.detach().numpy(), rtol=1e-10)
    assert history.loss[-1] < history.loss[0]  # they went somewhere, together
