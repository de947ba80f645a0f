"""`backproplab explain`: its numbers are one step of `train`, to the last bit; each factor of
the chain rule it names is the number it says; the loss goes down; bad options exit 2."""

import numpy as np
import pytest

from backproplab import train
from backproplab.app import explain
from backproplab.app.config import TrainConfig
from backproplab.app.factory import build_model, load_data

CASES = {
    "lab default": ({}, 2, 0),
    "relu, bce, 3 hidden, linear": (
        {"data": "linear", "hidden": [3, 4, 2], "activation": ["relu"], "loss": "bce"}, 5, 0),
    "tanh, linear output": ({"activation": ["tanh"], "output": "none", "lr": 0.3}, 4, 0),
    "mixed, after 7 epochs": ({"activation": ["elu", "sigmoid"], "lr": 0.5}, 3, 7),
    "no activations, all samples": ({"activation": ["none"], "lr": 0.1}, None, 0),
}


def config(**settings):
    return TrainConfig(**{"data": "xor", "hidden": [2, 2], **settings}).check()


def train_one_step(cfg, samples, epochs):
    """``epochs`` + 1 epochs of ``train`` from the same seed; the last update's gradients."""
    x, y, _ = load_data(cfg)
    x, y = x[:samples], y[:samples]
    net = build_model(cfg, x.shape[1])
    seen = {}

    def keep(progress):
        seen["grads"] = progress.model.grads[0].copy()

    history = train(net, x, y, loss=cfg.loss, optimizer="gd", lr=cfg.lr, epochs=epochs + 1,
                    callback=keep, callback_every=1)
    return net, history, seen["grads"]


def flat(step, *names):
    return np.concatenate([getattr(layer, name).ravel() for layer in step.layers
                           for name in names])


@pytest.mark.parametrize("settings, samples, epochs", CASES.values(), ids=list(CASES))
def test_the_step_is_train_s_to_the_last_bit(settings, samples, epochs):
    cfg = config(**settings)
    step = explain.one_step(cfg, samples=samples, epochs=epochs)
    net, history, grads = train_one_step(cfg, samples, epochs)
    # the buffer holds W1, b1, W2, b2, … in that order: the same order as flat()'s
    dW_db = np.concatenate([np.concatenate([layer.dW.ravel(), layer.db.ravel()])
                            for layer in step.layers])
    after = np.concatenate([np.concatenate([layer.W_new.ravel(), layer.b_new.ravel()])
                            for layer in step.layers])
    assert np.array_equal(dW_db, grads)
    assert np.array_equal(after, net.params[0])
    assert step.loss_before == history.loss[-1, 0]
    assert step.loss_after == history.final_loss[0]
    assert step.loss_after < step.loss_before


@pytest.mark.parametrize("settings, samples, epochs", CASES.values(), ids=list(CASES))
def test_every_named_factor_is_the_number_it_says(settings, samples, epochs):
    """Re-derive the step from its own printed pieces, by the formulas it prints."""
    cfg = config(**settings)
    step = explain.one_step(cfg, samples=samples, epochs=epochs)
    close = dict(rtol=1e-12, atol=1e-15)
    a_prev = step.x
    for s in step.layers:
        np.testing.assert_allclose(s.z, a_prev @ s.W + s.b, **close)  # z = a·W + b
        a_prev = s.a
    top = step.layers[-1]
    n = len(step.y)
    if cfg.loss == "mse":
        np.testing.assert_allclose(top.grad_a, 2 * (top.a - step.y) / n, **close)
        np.testing.assert_allclose(step.loss_before, np.mean((top.a - step.y) ** 2), **close)
        np.testing.assert_allclose(top.delta, top.grad_a * top.slope, **close)
    else:  # bce from logits: δ = (ŷ − y)/n
        np.testing.assert_allclose(top.delta, (top.a - step.y) / n, **close)
    for below, above in zip(step.layers[:-1], step.layers[1:]):
        np.testing.assert_allclose(below.grad_a, above.delta @ above.W.T, **close)
        if below.activation == "sigmoid":
            np.testing.assert_allclose(below.slope, below.a * (1 - below.a), **close)
        np.testing.assert_allclose(below.delta, below.grad_a * below.slope, **close)
    inputs = [step.x] + [s.a for s in step.layers[:-1]]
    for s, a in zip(step.layers, inputs):
        np.testing.assert_allclose(s.dW, a.T @ s.delta, **close)  # dW = aᵀ·δ
        np.testing.assert_allclose(s.db, s.delta.sum(axis=0, keepdims=True), **close)
        np.testing.assert_allclose(s.W_new, s.W - step.lr * s.dW, **close)  # W ← W − η·dW
        np.testing.assert_allclose(s.b_new, s.b - step.lr * s.db, **close)


def test_text_and_markdown(cli, tmp_path):
    step = explain.one_step(config(), samples=2)
    status, out, _ = cli("explain")
    assert status == 0
    for heading in ("1. The weights before the step", "2. Forward pass", "3. Loss",
                    "4. Backward pass", "5. Update", "6. The loss after the step"):
        assert f"\n{heading}" in out
    for line in ("z1 = a0·W1 + b1   (2×2)", "a1 = σ(z1)   (2×2)", "ŷ = a3 = σ(z3)   (2×1)",
                 "dL/dŷ = 2(ŷ − y)/n   (2×1)", "σ′(z3) = ŷ ⊙ (1 − ŷ)   (2×1)",
                 "δ3 = dL/dz3 = dL/dŷ ⊙ σ′(z3)   (2×1)", "dW3 = dL/dW3 = a2ᵀ·δ3   (2×1)",
                 "δ2 = dL/dz2 = dL/da2 ⊙ σ′(z2) = (δ3·W3ᵀ) ⊙ σ′(z2)   (2×2)",
                 "db1 = dL/db1 = Σₙ δ1   (1×2)", "W1 ← W1 − η·dW1   (2×2)"):
        assert line in out, line
    w = step.layers[0].W
    assert f"  [ {w[0, 0]: .6f}  {w[0, 1]: .6f} ]" in out  # the real numbers, printed
    assert f"L: {step.loss_before:.6f} → {step.loss_after:.6f}   (down by" in out
    status, out, _ = cli("explain", "--format", "markdown", "--out", tmp_path / "step.md")
    assert status == 0 and "written to" in out
    md = (tmp_path / "step.md").read_text()
    assert md.startswith("# One training step, written out\n")
    assert md.count("\n## ") == 6 and md.count("```") == 12
    assert "## 4. Backward pass: the chain rule, from the top" in md


@pytest.mark.parametrize("args, message", [
    (["--optimizer", "adam"], "plain gradient descent"),
    (["--weight-decay", "0.1"], "plain gradient descent"),
    (["--l1", "0.01"], "without --weight-decay or --l1"),
    (["--schedule", "cosine"], "--schedule does not apply"),
    (["--batch-size", "1"], "--batch-size does not apply"),
    (["--samples", "0"], "--samples must be a whole number >= 1"),
    (["--samples", "30"], "only 21 samples"),
    (["--format", "html"], "unknown format 'html'; choose from: text, markdown"),
    (["--test-n", "3"], "--test-n does not apply"),
    (["--epochs", "-1"], "epochs must be a whole number >= 0"),
    (["--loss", "bce", "--output", "none"], "--loss bce"),
    (["--out", "/nonexistent/folder/step.md"], "cannot write"),
    (["--data", "digits"], "use backproplab gradcheck --data digits"),
])
def test_bad_options_exit_2(cli, args, message):
    status, out, err = cli("explain", *args)
    assert status == 2 and message in err, err
