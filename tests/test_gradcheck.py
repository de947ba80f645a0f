"""`backproplab gradcheck`: every combination passes, every planted bug is caught in its layer,
kinks are set aside honestly, and bad options exit 2."""

import pytest

from backproplab.app import gradcheck
from backproplab.app.config import TrainConfig
from backproplab.app.factory import build_model, load_data
from backproplab.nn.activations import ACTIVATIONS
from backproplab.nn.layers import Dense

LOSSES = [("mse", "sigmoid"), ("mse", "none"), ("bce", "sigmoid")]
DEPTHS = [[3], [4, 3], [3, 4, 3]]


def config(**settings):
    return TrainConfig(**{"data": "xor", "hidden": [4, 3], **settings}).check()


@pytest.mark.parametrize("data, samples", [("xor", None), ("linear", 12)])
@pytest.mark.parametrize("loss, output", LOSSES)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_combination_passes(activation, loss, output, data, samples):
    for hidden in DEPTHS:
        cfg = config(data=data, hidden=hidden, activation=[activation], loss=loss,
                     output=output)
        result = gradcheck.check(cfg, samples=samples)
        assert result.passed, gradcheck.format_result(cfg, result)
        # every parameter was compared, and the match is close in absolute terms too (elu's
        # second derivative jumps at 0, where the lab's point (0, 0) puts z: an O(h) error)
        net = build_model(cfg, 2)
        assert sum(r.checked for r in result.rows) == net.n_params
        assert [r.name for r in result.rows] == [name for name, _ in net.param_arrays(0)]
        assert max(r.max_abs for r in result.rows) < 1e-7
        assert all(r.max_rel <= gradcheck.TOL for r in result.rows)


@pytest.mark.parametrize("hidden", DEPTHS + [[10, 10]])
def test_every_planted_bug_fails_its_layer_only(hidden):
    cfg = config(hidden=hidden)
    n = 21
    for layer in range(1, len(hidden) + 2):
        result = gradcheck.check(cfg, break_layer=layer)
        assert not result.passed
        for row in result.rows:
            assert row.passed == (row.layer != layer), (layer, row)
            if row.layer == layer:
                # the bug makes each gradient n times too small: rel = 1 − 1/n, less where a
                # gradient is below the floor (deep sigmoid layers' are, at the start)
                assert 0.5 < row.max_rel < 1 - 1 / n + 1e-6
                if hidden == [10, 10]:  # the lab's network: all above it
                    assert row.max_rel == pytest.approx(1 - 1 / n, rel=1e-6)
    # the layer class itself was left alone: a fresh check passes
    assert Dense.backward.__qualname__ == "Dense.backward"
    assert gradcheck.check(cfg).passed


def test_the_kink_at_the_origin_is_set_aside_and_would_fail(monkeypatch):
    """At the lab's point (0, 0) with the initial biases of 0, every first-layer relu sees
    z = 0 exactly, and so does the second layer: backprop takes relu′(0) = 0 there, a
    central difference (h − 0)/2h = ½."""
    cfg = config(activation=["relu"], hidden=[5, 5])
    result = gradcheck.check(cfg)
    assert result.passed and result.set_aside == [0] and result.samples == 20
    monkeypatch.setattr(gradcheck, "KINK_MARGIN", -1)  # keep every sample
    kept = gradcheck.check(cfg)
    assert kept.set_aside == [] and kept.samples == 21
    assert {r.name for r in kept.rows if not r.passed} == {"b1", "b2"}


def test_after_training_the_check_runs_at_the_trained_weights():
    cfg = config()
    x, y, _ = load_data(cfg)
    net = build_model(cfg, 2)
    history = net.fit(x, y, lr=cfg.lr_value, epochs=300)
    result = gradcheck.check(cfg, epochs=300)
    assert result.passed
    assert result.loss == history.final_loss  # the same weights, the same loss
    assert result.loss < gradcheck.check(cfg).loss


def test_max_params_checks_evenly_spaced_entries():
    cfg = config(data="linear", hidden=[20, 20])
    result = gradcheck.check(cfg, samples=10, max_params=7)
    assert result.passed
    assert [r.checked for r in result.rows] == [7, 7, 7, 7, 7, 1]


def test_cli_passes_and_fails(cli, tmp_path):
    status, out, _ = cli("gradcheck", "--data", "xor")
    assert status == 0
    assert "all 6 parameter arrays pass" in out and "2-10-10-1" in out
    assert out.count(" pass\n") == 6
    status, out, _ = cli("gradcheck", "--data", "xor", "--break", "2", "--format", "markdown",
                         "--out", tmp_path / "check.md")
    assert status == 1
    assert "| 2 | W2 | 10×10 | 100 |" in out and out.count("| FAIL |") == 2
    assert "2 of 6 parameter arrays FAIL (W2, b2)" in out
    assert (tmp_path / "check.md").read_text() == out


@pytest.mark.parametrize("args, message", [
    (["--break", "4"], "--break 4: the network's layers with parameters are 1 to 3"),
    (["--break", "0"], "--break 0"),
    (["--dtype", "float32"], "float64 only"),
    (["--format", "html"], "unknown format 'html'; choose from: text, markdown"),
    (["--tol", "0"], "--tol"),
    (["--step=-1e-5"], "--step"),
    (["--samples", "0"], "--samples must be a whole number >= 1"),
    (["--samples", "22"], "only 21 samples"),
    (["--max-params", "0"], "--max-params"),
    (["--test-n", "5"], "--test-n does not apply"),
    (["--activation", "swish"], "unknown activation 'swish'"),
    (["--break", "1", "--samples", "1"], "at least 2 samples"),
    (["--out", "/nonexistent/folder/x.txt"], "cannot write"),
])
def test_cli_bad_options_exit_2(cli, args, message):
    status, out, err = cli("gradcheck", "--data", "xor", *args)
    assert status == 2 and message in err, err


# --- the image networks: convolutions, pooling, softmax cross-entropy ------------------------


def digits_config(**settings):
    pytest.importorskip("sklearn")
    return TrainConfig.for_data(data="digits", **settings).check()


@pytest.mark.parametrize("model", ["cnn", "mlp"])
def test_image_networks_pass_with_the_softmax_cross_entropy(model):
    cfg = digits_config(model=model)
    result = gradcheck.check(cfg, samples=4)
    assert result.passed, gradcheck.format_result(cfg, result)
    names = {"cnn": ["W1", "b1", "W2", "b2", "W3", "b3"], "mlp": ["W1", "b1", "W2", "b2"]}
    assert [r.name for r in result.rows] == names[model]
    if model == "cnn":  # the convolutions' kernels, (C_out, C_in, kh, kw), every entry
        assert result.rows[0].shape == (8, 1, 5, 5) and result.rows[2].shape == (16, 8, 5, 5)
        assert result.rows[2].checked == 16 * 8 * 5 * 5
        assert result.network.startswith("conv 8@5×5 → relu → maxpool 2 → conv 16@5×5")
    assert max(r.max_abs for r in result.rows) < 1e-8


def test_a_planted_bug_in_a_convolution_fails_that_layer_only():
    cfg = digits_config(model="cnn")
    for layer in (1, 2, 3):
        result = gradcheck.check(cfg, samples=4, break_layer=layer, max_params=60)
        assert [r.layer for r in result.rows if not r.passed] == [layer, layer]
        assert all(r.max_rel == pytest.approx(1 - 1 / 4, rel=1e-4)
                   for r in result.rows if r.layer == layer)


def test_dropout_is_refused_with_a_reason(cli):
    pytest.importorskip("sklearn")
    status, _, err = cli("gradcheck", "--data", "digits", "--model", "cnn", "--dropout", "0.3")
    assert status == 2 and "--dropout 0" in err
