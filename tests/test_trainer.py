"""The resumable Trainer: runs in pieces equal one run bit for bit, state survives a checkpoint,
stop() works from another thread, and a Sequential of any layers trains."""

import threading

import numpy as np
import pytest

from backproplab import MLP, BackproplabError, Trainer, datasets, train

OPTIMIZERS = [("gd", 1.0, {}), ("momentum", 0.1, {"momentum": 0.8}),
              ("nesterov", 0.1, {"weight_decay": 1e-3}), ("adagrad", 0.05, {"l1": 1e-4}),
              ("rmsprop", 0.01, {"momentum": 0.5}), ("adam", 0.01, {"l1": 1e-4}),
              ("adamw", 0.01, {"weight_decay": 0.05})]
SCHEDULES = [None, "cosine", ("step", {"step_size": 7, "gamma": 0.5}),
             ("exponential", {"gamma": 0.99})]


def _schedule(spec):
    from backproplab.nn.schedules import get_schedule

    if spec is None or isinstance(spec, str):
        return spec
    return get_schedule(spec[0], **spec[1])


def _net(k=1, seed=0, hidden=(5, 4)):
    return MLP(2, hidden=hidden, seed=seed if k == 1 else list(range(seed, seed + k)))


def _same(a, b):
    assert a.loss.shape == b.loss.shape
    assert np.array_equal(a.loss, b.loss, equal_nan=True)
    assert np.array_equal(a.accuracy, b.accuracy, equal_nan=True)
    assert np.array_equal(a.final_loss, b.final_loss, equal_nan=True)
    assert np.array_equal(a.epochs_run, b.epochs_run)
    assert np.array_equal(a.diverged, b.diverged)


@pytest.mark.parametrize("optimizer, lr, hyper", OPTIMIZERS)
@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
@pytest.mark.parametrize("batch_size", [None, 16])
def test_three_runs_are_one_train_bit_for_bit(optimizer, lr, hyper, schedule, batch_size):
    x, y = datasets.load("circle", n=60, seed=1)
    settings = dict(optimizer=optimizer, lr=lr, batch_size=batch_size,
                    schedule=_schedule(schedule), **hyper)
    whole = _net(k=3)
    expected = train(whole, x, y, epochs=30, **settings)
    pieces = _net(k=3)
    trainer = Trainer(pieces, x, y, epochs=30, **settings)
    for n in (10, 10, 10):
        got = trainer.run(n)
    assert np.array_equal(pieces.params, whole.params)
    _same(got, expected)


def test_a_stack_with_a_diverging_network_resumes_as_one_run():
    x, y = datasets.xor_easy()
    lrs = [0.05, 1e6, 0.1]  # with a linear output, the second blows up within a few epochs

    def net():
        return MLP(2, hidden=(5, 4), activation="relu", output="none", seed=[0, 1, 2])

    whole = net()
    expected = train(whole, x, y, lr=lrs, epochs=60, stop_at_loss=0.1)
    pieces = net()
    trainer = Trainer(pieces, x, y, lr=lrs, epochs=60, stop_at_loss=0.1)
    while trainer.epoch < 60 and len(trainer.active):
        got = trainer.run(min(7, 60 - trainer.epoch))  # the 60 epochs in pieces of 7
    assert expected.diverged[1] and got.diverged[1]
    assert np.array_equal(pieces.params, whole.params, equal_nan=True)
    _same(got, expected)


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "rmsprop"])
def test_a_checkpoint_taken_midway_resumes_bit_for_bit(optimizer):
    x, y = datasets.load("moons", n=50, seed=2)
    settings = dict(optimizer=optimizer, lr=0.01, batch_size=8, schedule="cosine", epochs=40)
    whole = _net(k=2)
    expected = train(whole, x, y, **settings)

    first = _net(k=2)
    trainer = Trainer(first, x, y, **settings)
    trainer.run(17)
    arrays, meta = trainer.state()
    later = _net(k=2, seed=50)  # other weights, to be replaced by the checkpoint's
    later.params[...] = first.params
    resumed = Trainer(later, x, y, **settings)
    resumed.restore(arrays, meta)
    assert resumed.epoch == 17
    got = resumed.run()
    assert np.array_equal(later.params, whole.params)
    _same(got, expected)


def test_a_checkpoint_refuses_other_settings():
    x, y = datasets.xor_easy()
    trainer = Trainer(_net(), x, y, optimizer="adam", epochs=20)
    trainer.run(5)
    arrays, meta = trainer.state()
    other = Trainer(_net(), x, y, optimizer="momentum", epochs=20)
    with pytest.raises(BackproplabError, match="optimizer: 'adam' in the checkpoint"):
        other.restore(arrays, meta)


def test_history_grows_with_the_epochs_run_not_the_epochs_asked():
    x, y = datasets.xor_easy()
    trainer = Trainer(_net(), x, y, epochs=10**12)
    history = trainer.run(5)
    assert history.loss.shape == (5, 1)
    assert trainer.record.loss.shape[0] < 1000


def test_stop_from_another_thread_ends_between_epochs():
    x, y = datasets.xor_easy()
    net = _net()
    seen = threading.Event()

    def observe(progress):
        seen.set()

    trainer = Trainer(net, x, y, epochs=10**9, callback=observe, every=100)
    thread = threading.Thread(target=lambda: (seen.wait(30), trainer.stop()))
    thread.start()
    history = trainer.run()
    thread.join()
    assert history.interrupted
    assert 100 <= trainer.epoch < 10**9
    assert history.loss.shape == (trainer.epoch, 1)
    # and it goes on where it stopped: the next run starts at that epoch
    before = trainer.epoch
    trainer.run(3)
    assert trainer.epoch == before + 3


def test_the_observer_sees_parameters_gradients_and_history_without_copies():
    x, y = datasets.xor_easy()
    net = _net()
    seen = []

    def observe(p):
        assert p.model is net  # the working stack itself, not a copy
        assert np.shares_memory(p.model.grads, net.grads)
        seen.append((p.epochs, p.loss.shape, float(np.abs(p.model.grads).sum())))

    Trainer(net, x, y, epochs=30, callback=observe, every=10).run()
    assert [s[:2] for s in seen] == [(10, (10, 1)), (20, (20, 1)), (30, (30, 1))]
    assert all(g > 0 for *_, g in seen)


def test_between_runs_hidden_activations_and_gradients_can_be_read():
    x, y = datasets.xor_easy()
    net = _net()
    trainer = Trainer(net, x, y, epochs=100)
    trainer.run(50)
    grads = net.grads.copy()
    hidden = net.hidden_activations(x)
    assert [h.shape for h in hidden] == [(21, 5), (21, 4)]
    assert np.any(grads != 0)
    reference = _net()
    train(reference, x, y, epochs=100)
    trainer.run(50)  # reading did not disturb the run
    assert np.array_equal(net.params, reference.params)


def test_without_shuffling_the_batches_come_in_the_datas_order():
    """shuffle=False: batch after batch of the data as given, every epoch, for every network
    of a stack — the loop written out by hand gives the same numbers bit for bit."""
    from backproplab.nn.losses import get_loss
    from backproplab.nn.optimizers import get_optimizer

    x, y = datasets.linear(23, seed=4)
    net = _net(k=2)
    h = Trainer(net, x, y, optimizer="adam", lr=0.01, epochs=4, batch_size=5,
                shuffle=False).run()
    hand = _net(k=2)
    loss, opt = get_loss("mse"), get_optimizer("adam", [hand.params], [hand.grads], 0.01)
    for _ in range(4):
        for start in range(0, 23, 5):
            loss.forward(hand._forward(x[start:start + 5]), y[start:start + 5].astype(float))
            hand.zero_grad()
            hand.backward(loss.backward())
            opt.step()
    np.testing.assert_array_equal(net.params, hand.params)
    shuffled = _net(k=2)
    Trainer(shuffled, x, y, optimizer="adam", lr=0.01, epochs=4, batch_size=5).run()
    assert not np.array_equal(shuffled.params, net.params)
    assert h.loss.shape == (4, 2)


def test_a_checkpoint_remembers_that_batches_were_not_shuffled():
    x, y = datasets.linear(23, seed=4)
    first = Trainer(_net(), x, y, batch_size=5, epochs=4, shuffle=False)
    first.run(2)
    arrays, meta = first.state()
    assert meta["settings"]["shuffle"] is False
    with pytest.raises(BackproplabError, match="shuffle"):
        Trainer(_net(), x, y, batch_size=5, epochs=4).restore(arrays, meta)
    assert "shuffle" not in Trainer(_net(), x, y, batch_size=5).settings  # as before


def test_a_retired_network_keeps_its_weights_and_the_others_train_on_as_alone():
    """retire() from the callback: the network stops where it is, the rest of the stack ends
    bit for bit where each would end alone."""
    x, y = datasets.xor_easy()
    stack = _net(k=3)
    trainer = Trainer(stack, x, y, optimizer="adam", lr=0.05, epochs=30, every=1,
                      callback=lambda p: trainer.retire([1]) if p.epochs == 10 else None)
    h = trainer.run()
    assert list(h.epochs_run) == [30, 10, 30] and list(h.stopped_early) == [False, True, False]
    assert np.isnan(h.loss[10:, 1]).all() and np.isnan(h.final_loss[1])
    for m, epochs in enumerate((30, 10, 30)):
        alone = _net(seed=m)
        Trainer(alone, x, y, optimizer="adam", lr=0.05, epochs=epochs).run()
        np.testing.assert_array_equal(stack.params[m], alone.params[0])
