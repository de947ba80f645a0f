"""What a sweep trains once: networks that differ only in the size of a fresh test sample share
their training (and a stack), each network still measured on its own test set; and the test
loss recorded along a run for the networks asked for."""

import numpy as np

from backproplab.app import sweep
from backproplab.app.sweep.running import trained_once

BASE = 'data = ["linear", "xor"]\nhidden = [3, 3]\nepochs = 120\nseeds = [0, 1]\n'


def parse(text):
    return sweep.parse("sweep.toml", text)


def by_setting(configs, result):
    return {(c.data, c.seed, c.test_n): (m, result.loss[i])
            for i, (c, m) in enumerate(zip(configs, result.metrics))}


def test_a_network_asked_for_with_and_without_a_test_sample_trains_once():
    configs = parse(BASE + "test_n = [50, 80]\n") + parse(BASE)
    # 8 networks with a test sample (two sizes), then the same 4 without one
    once = trained_once(configs)
    assert len(set(once.values())) == 8  # the two sizes train apart; the plain ones join
    for i, cfg in enumerate(configs):
        j = once[i]
        assert configs[j].seed == cfg.seed and configs[j].data == cfg.data
        assert configs[j].test_n == (cfg.test_n or 50)  # the first size asked for

    mixed = sweep.run(configs, jobs=1, progress=False)
    alone = {n: by_setting(c, sweep.run(c, jobs=1, progress=False))
             for n, c in ((None, parse(BASE)), (50, parse(BASE + "test_n = 50\n")),
                          (80, parse(BASE + "test_n = 80\n")))}
    for key, (metrics, loss) in by_setting(configs, mixed).items():
        expected, expected_loss = alone[key[2]][key]
        assert metrics == expected, key  # test_accuracy None for the ones without a sample
        np.testing.assert_array_equal(loss, expected_loss)
    assert sum(m["test_accuracy"] is not None for m in mixed.metrics) == 8


def test_a_stack_may_mix_test_samples_and_each_network_is_measured_on_its_own():
    configs = parse(BASE + "[[grid]]\ntest_n = 40\n[[grid]]\nlr = 0.5\n[[grid]]\nlr = 0.2\n"
                           "test_n = 70\n")
    groups = sweep.plan(configs)
    assert sorted(len(g.index) for g in groups) == [6, 6]  # one stack per data set
    result = sweep.run(configs, jobs=1, progress=False)
    for i, cfg in enumerate(configs):
        alone = sweep.run([cfg], jobs=1, progress=False)
        assert result.metrics[i] == alone.metrics[0], cfg
        assert (result.metrics[i]["test_accuracy"] is None) == (cfg.test_n is None)


def test_test_curves_are_recorded_only_for_the_networks_asked_for():
    configs = parse(BASE + "test_n = 30\n")
    result = sweep.run(configs, jobs=1, progress=False, test_curves={1: 40, 2: 7})
    assert set(result.test_curves) == {1, 2}
    epochs, losses = result.test_curves[1]
    assert epochs.tolist() == [0, 40, 80, 120] and np.all(np.isfinite(losses))
    assert result.test_curves[2][0].tolist() == list(range(0, 120, 7))
    # the record does not change what is trained
    plain = sweep.run(configs, jobs=1, progress=False)
    assert plain.test_curves is None
    np.testing.assert_array_equal(plain.loss, result.loss)
    assert plain.metrics == result.metrics
