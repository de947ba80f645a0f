"""Learning-rate schedules and the L1 penalty: their definitions, against PyTorch, in stacks, in
sweeps, and their bad settings.

The schedules are PyTorch's closed forms (see backproplab/schedules.py); torch's schedulers
compute the same numbers recursively, so the two agree to rounding, here to 1e-12.
"""

import json
import math
from collections import Counter

import numpy as np
import pytest

from backproplab import MLP
from backproplab.app import sweep
from backproplab.app.config import TrainConfig
from backproplab.data import datasets
from backproplab.engine.gradients import check_arrays, loss_and_backprop
from backproplab.engine.seeds import model_rngs
from backproplab.engine.trainer import Trainer
from backproplab.errors import BackproplabError
from backproplab.nn.losses import get_loss
from backproplab.nn.optimizers import OPTIMIZERS, get_optimizer
from backproplab.nn.schedules import SCHEDULES, get_schedule
from conftest import TORCH_MISSING

X, Y = datasets.xor_easy()


# --- each schedule is its definition ----------------------------------------------------------


def test_step_multiplies_by_gamma_every_step_size_epochs():
    s = get_schedule("step", step_size=3, gamma=0.5)
    # ⌊e / 3⌋ = 0, 0, 0, 1, 1, 1, 2, …: lr₀, lr₀, lr₀, lr₀/2, …
    expected = {0: 0.8, 2: 0.8, 3: 0.4, 5: 0.4, 6: 0.2, 8: 0.2, 9: 0.1, 30: 0.8 * 0.5**10}
    for e, lr in expected.items():
        assert s.lr(0.8, e, 100) == lr
    assert get_schedule("step", step_size=2).gamma == 0.1  # torch's default γ


def test_exponential_multiplies_by_gamma_every_epoch():
    s = get_schedule("exponential", gamma=0.9)
    for e in (0, 1, 2, 7, 50):
        assert s.lr(0.3, e, 100) == 0.3 * 0.9**e
    assert s.lr(0.3, 0, 100) == 0.3 and s.lr(0.3, 2, 100) == 0.3 * 0.81


def test_cosine_anneals_to_eta_min_at_t_max_and_climbs_back_after():
    lr0, eta = 0.5, 0.1
    s = get_schedule("cosine", t_max=10, eta_min=eta)
    for e in (0, 1, 3, 5, 9, 10, 12, 15, 20, 25):
        assert s.lr(lr0, e, 100) == eta + (lr0 - eta) * (1 + math.cos(math.pi * e / 10)) / 2
    np.testing.assert_allclose([s.lr(lr0, e, 100) for e in (0, 5, 10, 15, 20)],
                               [0.5, 0.3, 0.1, 0.3, 0.5], rtol=1e-15)
    # T_max defaults to the run's epochs and η_min to 0: one anneal from lr₀ to 0 at the end
    whole_run = get_schedule("cosine")
    assert whole_run.lr(lr0, 0, 40) == lr0
    assert whole_run.lr(lr0, 20, 40) == pytest.approx(lr0 / 2, rel=1e-15)
    assert whole_run.lr(lr0, 40, 40) == 0.0


def test_constant_keeps_lr():
    s = get_schedule("constant")
    assert [s.lr(0.7, e, 10) for e in (0, 5, 9)] == [0.7, 0.7, 0.7]
    assert type(get_schedule(None)) is type(s)


def test_one_lr_per_network_is_scaled_as_each_alone():
    lr0 = np.array([[0.1], [1.0], [3.0]])
    for s in (get_schedule("step", step_size=2, gamma=0.3),
              get_schedule("exponential", gamma=0.95), get_schedule("cosine", eta_min=0.05)):
        for e in (0, 3, 11):
            column = s.lr(lr0, e, 20)
            assert column.shape == (3, 1)
            assert column[:, 0].tolist() == [s.lr(float(v), e, 20) for v in lr0[:, 0]]


TORCH_SCHEDULES = [
    ("step", {"step_size": 4, "gamma": 0.5}, "StepLR", {"step_size": 4, "gamma": 0.5}),
    ("step", {"step_size": 3}, "StepLR", {"step_size": 3}),
    ("exponential", {"gamma": 0.9}, "ExponentialLR", {"gamma": 0.9}),
    ("cosine", {"t_max": 10, "eta_min": 0.01}, "CosineAnnealingLR",
     {"T_max": 10, "eta_min": 0.01}),
    ("cosine", {"t_max": 7}, "CosineAnnealingLR", {"T_max": 7}),
]


@pytest.mark.parametrize("name, settings, torch_name, torch_settings", TORCH_SCHEDULES,
                         ids=lambda v: str(v))
def test_lr_sequence_equals_pytorch_scheduler(name, settings, torch_name, torch_settings):
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    lr0, epochs = 0.3, 25  # past T_max, where the cosine goes on
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    scheduler = getattr(torch.optim.lr_scheduler, torch_name)(opt, **torch_settings)
    theirs, closed = [], []
    for _ in range(epochs):
        theirs.append(opt.param_groups[0]["lr"])  # the lr this epoch trains with
        if hasattr(scheduler, "_get_closed_form_lr"):  # torch's own closed form, if it has one
            closed.append(scheduler._get_closed_form_lr()[0])
        opt.step()
        scheduler.step()
    s = get_schedule(name, **settings)
    ours = [s.lr(lr0, e, epochs) for e in range(epochs)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12 * lr0)
    assert closed == [] or ours == closed  # bit for bit
    assert len(set(ours)) > 2  # it did change


def torch_twin(torch, net):
    """The same network as ``net`` (sigmoid hidden layers) in torch, with the same weights."""
    layers = []
    dense = net.dense_layers
    for i, d in enumerate(dense):
        linear = torch.nn.Linear(d.n_in, d.n_out, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(d.W[0].T.copy()))  # torch's is (out, in)
            linear.bias.copy_(torch.from_numpy(d.b[0, 0].copy()))
        layers += [linear, torch.nn.Sigmoid()] if i < len(dense) - 1 else [linear]
    return torch.nn.Sequential(*layers)


TORCH_RUNS = [
    # optimizer, lr, our schedule, torch's scheduler, l1, batch size
    ("gd", 2.0, ("step", {"step_size": 10, "gamma": 0.5}),
     ("StepLR", {"step_size": 10, "gamma": 0.5}), None, None),
    ("adam", 0.05, ("cosine", {"t_max": 15, "eta_min": 0.001}),
     ("CosineAnnealingLR", {"T_max": 15, "eta_min": 0.001}), None, None),
    ("adam", 0.05, ("exponential", {"gamma": 0.95}), ("ExponentialLR", {"gamma": 0.95}),
     None, 8),
    ("gd", 1.0, ("constant", {}), None, 0.01, None),
    ("adamw", 0.05, ("step", {"step_size": 7}), ("StepLR", {"step_size": 7}), 0.003, None),
    ("rmsprop", 0.01, ("cosine", {}), ("CosineAnnealingLR", {"T_max": 40}), 0.003, 8),
]


@pytest.mark.parametrize("optimizer, lr, ours, theirs, l1, batch", TORCH_RUNS,
                         ids=lambda v: str(v))
def test_training_with_a_schedule_and_l1_equals_pytorch(optimizer, lr, ours, theirs, l1, batch):
    """40 epochs of the lab's network on XOR: torch's scheduler.step() after each epoch, and
    L1 as λ·sign(p) added to p.grad after backward(); with mini-batches in our batch order."""
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    epochs = 40
    net = MLP(2, hidden=(4, 4), activation="sigmoid", seed=0)
    model = torch_twin(torch, net)
    params = list(model.parameters())
    cls = {"gd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "rmsprop": torch.optim.RMSprop}[optimizer]
    opt = cls(params, lr=lr)
    scheduler = getattr(torch.optim.lr_scheduler, theirs[0])(opt, **theirs[1]) if theirs else None
    tx, ty = torch.from_numpy(X), torch.from_numpy(Y.astype(np.float64))
    order = model_rngs(0)[1]  # the network's batch-order stream, as training draws it
    n = len(X)
    for _ in range(epochs):
        perm = order.permutation(n) if batch else np.arange(n)
        for start in range(0, n, batch or n):
            idx = torch.from_numpy(perm[start:start + (batch or n)])
            opt.zero_grad()
            loss = torch.mean((torch.sigmoid(model(tx[idx])) - ty[idx]) ** 2)
            loss.backward()
            if l1:
                with torch.no_grad():
                    for p in params:
                        p.grad += l1 * torch.sign(p)
            opt.step()
        if scheduler:
            scheduler.step()

    history = net.fit(X, Y, loss="mse", optimizer=optimizer, lr=lr, epochs=epochs,
                      batch_size=batch, schedule=get_schedule(ours[0], **ours[1]), l1=l1)
    # atol: L1 drives some weights to ~1e-7, where rounding (~1e-17) is a large relative error
    for d, linear in zip(net.dense_layers, model[::2]):
        np.testing.assert_allclose(d.W[0], linear.weight.detach().numpy().T, rtol=1e-10,
                                   atol=1e-14)
        np.testing.assert_allclose(d.b[0, 0], linear.bias.detach().numpy(), rtol=1e-10,
                                   atol=1e-14)
    assert history.final_loss < history.loss[0]


def test_a_schedule_changes_training_and_constant_changes_nothing():
    def trained(**settings):
        net = MLP(2, hidden=(4, 4), seed=1)
        history = net.fit(X, Y, optimizer="adam", lr=0.05, epochs=60, batch_size=7, **settings)
        return net.params, history.loss

    plain = trained()
    for same in (trained(schedule="constant"), trained(schedule=get_schedule("constant")),
                 trained(schedule=get_schedule("step", step_size=60, gamma=0.5))):
        assert np.array_equal(same[0], plain[0]) and np.array_equal(same[1], plain[1])
    stepped = trained(schedule=get_schedule("step", step_size=30, gamma=0.5))
    assert np.array_equal(stepped[1][:30], plain[1][:30])  # epochs 0–29 at lr₀
    assert not np.array_equal(stepped[0], plain[0])


def test_each_epoch_trains_with_its_lr_even_with_mini_batches():
    """Epoch e's every update uses lr(e): the scheduled run equals a run that sets the lr
    by hand at the start of each epoch."""
    s = get_schedule("exponential", gamma=0.8)
    net = MLP(2, hidden=(3, 3), seed=2)
    net.fit(X, Y, optimizer="momentum", lr=0.5, epochs=6, batch_size=5, schedule=s)

    twin = MLP(2, hidden=(3, 3), seed=2)
    loss_fn = get_loss("mse", "sigmoid")
    opt = get_optimizer("momentum", [twin.params], [twin.grads], 0.5)
    order = model_rngs(2)[1]
    for e in range(6):
        opt.set_lr(0.5 * 0.8**e)
        perm = order.permutation(len(X))
        for start in range(0, len(X), 5):
            idx = perm[start:start + 5]
            loss_fn.forward(twin.forward(X[idx]), Y[idx].astype(float))
            twin.zero_grad()
            twin.backward(loss_fn.backward())
            opt.step()
    assert np.array_equal(net.params, twin.params)


def test_a_stack_with_a_schedule_equals_each_network_alone_even_after_one_diverges():
    x, y = datasets.linear(40, seed=3)
    lrs, seeds = [0.05, 0.2, 50.0, 0.1], [0, 1, 2, 3]  # lr 50 diverges on a linear output
    settings = dict(loss="mse", optimizer="gd", epochs=80,
                    schedule=get_schedule("cosine", eta_min=0.01))
    stack = MLP(2, hidden=(5,), activation="none", output="none", seed=seeds)
    h = stack.fit(x, y, lr=lrs, **settings)
    assert h.diverged.tolist() == [False, False, True, False]
    for m, (lr, seed) in enumerate(zip(lrs, seeds)):
        alone = MLP(2, hidden=(5,), activation="none", output="none", seed=seed)
        h1 = alone.fit(x, y, lr=lr, **settings)
        assert h1.diverged == h.diverged[m]
        if not h1.diverged:
            assert np.array_equal(alone.params[0], stack.params[m])
            assert np.array_equal(h1.loss, h.loss[:, m])


# --- bad settings -------------------------------------------------------------------------------

FAST = ["--data", "xor", "--epochs", "5", "--no-plots", "--quiet"]

BAD_OPTIONS = [
    (["--schedule", "linear"], "unknown schedule 'linear'", "constant, step, exponential, cosine"),
    (["--schedule", "step"], "the step schedule needs --step-size", ""),
    (["--schedule", "exponential"], "the exponential schedule needs --gamma", ""),
    (["--schedule", "step", "--step-size", "0"], "--step-size", "whole number >= 1, got 0"),
    (["--schedule", "step", "--step-size", "5", "--gamma", "0"], "--gamma", "in (0, 1], got 0"),
    (["--schedule", "exponential", "--gamma", "1.5"], "--gamma", "in (0, 1], got 1.5"),
    (["--schedule", "exponential", "--gamma", "nan"], "--gamma", "finite number"),
    (["--schedule", "cosine", "--t-max", "0"], "--t-max", "whole number >= 1, got 0"),
    (["--schedule", "cosine", "--eta-min", "-0.1"], "--eta-min", ">= 0, got -0.1"),
    (["--schedule", "cosine", "--eta-min", "1.0"], "--eta-min must be below the learning "
                                                    "rate (1)", "got 1.0"),
    (["--schedule", "cosine", "--gamma", "0.5"], "--gamma applies to the step and exponential "
                                                 "schedules, not cosine", ""),
    (["--step-size", "10"], "--step-size applies to the step schedule, not constant", ""),
    (["--schedule", "exponential", "--gamma", "0.9", "--t-max", "3"],
     "--t-max applies to the cosine schedule, not exponential", ""),
    (["--eta-min", "0.1"], "--eta-min applies to the cosine schedule", ""),
    (["--l1", "-0.01"], "--l1", ">= 0"),
    (["--l1", "inf"], "--l1", "finite number"),
]


@pytest.mark.parametrize("args, message, also", BAD_OPTIONS, ids=lambda v: str(v)[:50])
def test_bad_options_exit_2_with_a_message(cli, tmp_path, args, message, also):
    status, stdout, stderr = cli("train", "--out", tmp_path / "o", *FAST, *args)
    assert status == 2
    assert message in stderr and also in stderr, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_the_python_api_refuses_bad_schedules():
    with pytest.raises(BackproplabError, match="unknown schedule 'warmup'"):
        MLP(2, seed=0).fit(X, Y, epochs=2, schedule="warmup")
    with pytest.raises(BackproplabError, match="no schedule has a setting 'milestones'"):
        get_schedule("step", step_size=2, milestones=[3])
    with pytest.raises(BackproplabError, match="--step-size .* whole number >= 1, got 2.5"):
        get_schedule("step", step_size=2.5)
    with pytest.raises(BackproplabError, match="--t-max .* whole number >= 1, got 0"):
        SCHEDULES["cosine"](t_max=0)  # a schedule made directly checks its settings too
    with pytest.raises(BackproplabError, match="a schedule object or a name with settings"):
        get_schedule(SCHEDULES["exponential"](0.5), gamma=0.9)
    assert sorted(SCHEDULES) == ["constant", "cosine", "exponential", "step"]


def test_options_are_in_help_and_recorded_in_config_json(cli, tmp_path, capsys):
    from backproplab.app.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--schedule NAME", "--step-size N", "--gamma G", "--t-max N", "--eta-min LR",
                   "--l1 LAMBDA", "(default: constant)"):
        assert option in text
    status, _, stderr = cli("train", "--out", tmp_path / "o", *FAST, "--schedule", "step",
                            "--step-size", 2, "--gamma", 0.5, "--l1", 0.001)
    assert status == 0, stderr
    config = json.loads((tmp_path / "o" / "config.json").read_text())
    # config.json lists only the settings that apply: step takes no t_max or eta_min
    assert {k: config[k] for k in ("schedule", "step_size", "gamma", "l1")} \
        == {"schedule": "step", "step_size": 2, "gamma": 0.5, "l1": 0.001}
    assert "t_max" not in config and "eta_min" not in config


def test_a_configuration_trains_as_the_python_api():
    cfg = TrainConfig(data="xor", hidden=[4, 4], epochs=30, schedule="cosine", t_max=20,
                      eta_min=0.1, l1=0.002).check()
    net = MLP(2, hidden=(4, 4), seed=0)
    h = net.fit(X, Y, epochs=30, schedule=cfg.lr_schedule(), **cfg.hyper())
    twin = MLP(2, hidden=(4, 4), seed=0)
    h2 = twin.fit(X, Y, epochs=30, schedule=get_schedule("cosine", t_max=20, eta_min=0.1),
                  l1=0.002)
    assert np.array_equal(h.loss, h2.loss) and np.array_equal(net.params, twin.params)


# --- sweeps -------------------------------------------------------------------------------------

SWEEP = """\
data = "xor"
hidden = [4, 4]
lr = [0.5, 2.0]
l1 = [0.0, 0.001]
seeds = 2
epochs = 30

[[grid]]
schedule = "constant"

[[grid]]
schedule = "step"
step_size = [10, 20]
gamma = 0.5

[[grid]]
schedule = "cosine"
"""


def test_sweep_with_a_schedule_axis(cli, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SWEEP)
    configs = sweep.parse(path)
    assert len(configs) == 2 * 2 * 2 * (1 + 2 + 1)
    groups = sweep.plan(configs)
    # one stack per schedule setting; lr, l1 and seed differ inside a stack
    assert len(groups) == 4
    for g in groups:
        assert len({(c.schedule, c.step_size) for c in g.configs}) == 1
        assert len({(c.lr, c.l1, c.seed) for c in g.configs}) == 8
    status, stdout, stderr = cli("sweep", path, "--out", tmp_path / "out", "--jobs", 1)
    assert status == 0, stderr
    assert "schedule" in stdout and "step_size" in stdout  # the varying settings are shown
    lines = (tmp_path / "out" / "results.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    assert Counter((r["schedule"], r["step_size"], r["gamma"]) for r in rows) == {
        ("constant", "", ""): 8, ("step", "10", "0.5"): 8, ("step", "20", "0.5"): 8,
        ("cosine", "", ""): 8}
    # every network as trained alone
    result = sweep.run(configs[8:16], jobs=1, progress=False)
    for cfg, metrics in zip(configs[8:16], result.metrics):
        net = MLP(2, hidden=cfg.hidden, seed=cfg.seed)
        h = net.fit(X, Y, lr=cfg.lr, epochs=cfg.epochs, schedule=cfg.lr_schedule(), l1=cfg.l1)
        assert metrics["final_loss"] == h.final_loss


def test_a_bad_schedule_in_a_sweep_file_is_named(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('data = "xor"\nschedule = "cosine"\ngamma = 0.5\n')
    status, _, stderr = cli("sweep", path, "--out", tmp_path / "o")
    assert status == 2
    assert "bad.toml" in stderr and "--gamma applies to the step and exponential" in stderr


# --- the L1 penalty -----------------------------------------------------------------------------


def penalised(loss_fn, x, y, l1, weight_decay=0.0):
    """``losses(stack, index)`` for the checker: the loss plus l1 · Σ|p| + weight_decay/2 · Σp²
    over every parameter, the loss whose gradient the optimizer follows (torch's weight_decay
    is this L2's gradient). ``l1`` has one value per network; the stack's network i is a copy
    of network index[i]."""
    l1 = np.asarray(l1, dtype=np.float64)

    def losses(stack, index):
        p = stack.params
        return (loss_fn.forward(stack.forward(x), y) + l1[index] * np.abs(p).sum(axis=1)
                + weight_decay / 2 * (p * p).sum(axis=1))

    return losses


def penalised_problem(k=1, seed=0):
    rng = np.random.default_rng(seed)
    net = MLP(3, hidden=(4, 3), activation="tanh", seed=list(range(k)))
    p = rng.normal(0.0, 0.8, net.params.shape)
    p[np.abs(p) < 0.01] = 0.05  # away from 0, where |p| has its kink
    net.params[...] = p
    x = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, (6, 1)).astype(np.float64)
    return net, x, y


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_l1_gradient_matches_finite_differences(optimizer):
    net, x, y = penalised_problem(k=3, seed=1)
    l1 = [0.0, 0.01, 0.3]
    wd = 0.0 if optimizer == "adamw" else 0.02  # adamw's decay is not a gradient
    losses = penalised(get_loss("bce"), x, y, l1, wd)
    L = losses(net, np.arange(3))  # the penalised loss, which the error's floor scales with
    _, backprop = loss_and_backprop(net, get_loss("bce"), x, y)  # the data loss's gradient

    def followed(l1):  # the gradient the optimizer's update uses
        opt = get_optimizer(optimizer, [net.params], [net.grads], l1=l1, weight_decay=wd)
        return opt.penalised(net.params, backprop) if optimizer == "adamw" \
            else opt.decayed(net.params, backprop)

    def errors(net, analytic, losses, L):  # {array: largest relative error}
        return {a.name: a.max_rel for a in check_arrays(net, losses, L, analytic)}

    right = errors(net, followed(l1), losses, L)
    assert max(right.values()) <= 1e-6, right
    # negative control: without the L1 term, networks 1 and 2 are caught, network 0 not
    wrong = errors(net, followed(0.0), losses, L)
    assert min(wrong.values()) > 1e-3, wrong
    losses0 = penalised(get_loss("bce"), x, y, l1[:1], wd)
    alone = errors(net.select([0]), followed(0.0)[:1], losses0, L[:1])
    assert max(alone.values()) <= 1e-6, alone


def test_l1_subgradient_is_zero_at_zero_and_sign_elsewhere():
    params = [np.array([[-2.0, -1e-300, 0.0, -0.0, 1e-300, 3.0]])]
    grads = [np.zeros_like(params[0])]
    opt = get_optimizer("gd", params, grads, l1=0.5)
    assert opt.penalised(params[0], grads[0]).tolist() == [[-0.5, -0.5, 0.0, 0.0, 0.5, 0.5]]


def test_history_loss_is_the_data_loss_without_the_penalty():
    net = MLP(2, hidden=(4, 4), seed=4)
    start = get_loss("mse").forward(net.forward(X), Y.astype(float))[0]
    h = net.fit(X, Y, lr=1.0, epochs=20, l1=0.05)
    assert h.loss[0] == start  # the initial weights' mse, no 0.05 · Σ|p| in it
    assert h.final_loss == get_loss("mse").forward(net.forward(X), Y.astype(float))[0]
    unpenalised = MLP(2, hidden=(4, 4), seed=4).fit(X, Y, lr=1.0, epochs=20)
    assert h.loss[0] == unpenalised.loss[0] and h.loss[1] != unpenalised.loss[1]


def test_l1_drives_most_weights_to_zero():
    """On the linear data (100 points, 10-10 sigmoid, gd lr 1, 2000 epochs), λ = 0.001 takes
    Σ|p| from 132 to 51 and leaves 119 of the 151 parameters within lr·λ = 0.001 of 0 (they
    hop across it, a subgradient step of ±lr·λ at a time), against 1 without it, while the
    network still classifies 99% of the points."""
    x, y = datasets.linear(100, seed=0)
    norms, small, acc = [], [], []
    for l1 in (0.0, 0.001):
        net = MLP(2, hidden=(10, 10), seed=0)
        h = net.fit(x, y, lr=1.0, epochs=2000, l1=l1)
        norms.append(np.abs(net.params).sum())
        small.append(int(np.sum(np.abs(net.params) < 0.001)))
        acc.append(h.final_accuracy)
    assert norms[1] < 0.5 * norms[0]
    assert small[0] <= 5 and small[1] >= 100
    assert acc[0] == 1.0 and acc[1] >= 0.95


def test_l1_per_network_in_a_stack_equals_each_alone():
    l1s = [0.0, 0.001, 0.01]
    stack = MLP(2, hidden=(4, 4), seed=[5, 5, 5])
    stack.fit(X, Y, optimizer="adam", lr=0.05, epochs=40, l1=l1s)
    for m, l1 in enumerate(l1s):
        alone = MLP(2, hidden=(4, 4), seed=5)
        alone.fit(X, Y, optimizer="adam", lr=0.05, epochs=40, l1=l1)
        assert np.array_equal(alone.params[0], stack.params[m])
    assert not np.array_equal(stack.params[0], stack.params[1])


def test_l1_keeps_float32():
    net = MLP(2, hidden=(4, 4), seed=0, dtype="float32")
    h = net.fit(X, Y, epochs=20, l1=0.01, schedule=get_schedule("exponential", gamma=0.9))
    assert net.params.dtype == np.float32 and np.isfinite(h.final_loss)


@pytest.mark.parametrize("schedule", [("step", "--step-size", "4", "--gamma", "0.5"),
                                      ("cosine",), ("exponential", "--gamma", "0.9")])
def test_history_csv_gives_each_epoch_the_rate_its_update_took(cli, tmp_path, schedule):
    # the rates the Trainer sets, read off its optimizer at each epoch's callback
    seen = []
    model = MLP(2, hidden=(3,), seed=0)
    x, y = datasets.xor_easy()
    settings = dict(zip((k[2:].replace("-", "_") for k in schedule[1::2]),
                        (json.loads(v) for v in schedule[2::2])))
    trainer = Trainer(model, x, y, lr=0.5, epochs=10,
                      schedule=get_schedule(schedule[0], **settings),
                      callback=lambda p: seen.append(float(trainer.opt.hyper["lr"].ravel()[0])),
                      every=1)
    trainer.run()
    status, _, err = cli("train", "--data", "xor", "--hidden", "3", "--lr", "0.5", "--epochs",
                         "10", "--no-plots", "--out", tmp_path, "--schedule", *schedule)
    assert status == 0, err
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[0].split(",")[-1] == "lr"
    rates = [float(line.split(",")[-1]) for line in lines[1:-1]]
    assert rates == seen  # epoch e's row: the rate of the update that followed its loss
    assert lines[-1].split(",")[0] == "10" and lines[-1].endswith(",")  # no update after it
    if schedule[0] == "step":
        assert rates == [0.5] * 4 + [0.25] * 4 + [0.125] * 2


def test_history_csv_has_no_lr_column_without_a_schedule(cli, tmp_path):
    status, _, _ = cli("train", "--data", "xor", "--epochs", "5", "--no-plots", "--out", tmp_path)
    assert status == 0
    assert (tmp_path / "history.csv").read_text().splitlines()[0] == "epoch,loss,accuracy"
