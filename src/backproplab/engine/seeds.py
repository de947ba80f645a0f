"""The random streams of a network with a given seed: one for its initial weights, one for its
mini-batch order, one for its dropout masks — independent of each other and of the data."""


import numpy as np


def model_rngs(seed):
    """The two random streams of a network with this seed: initialisation and mini-batch order.

    Both are children of ``SeedSequence(seed)``, so they are independent of each other and of
    the data set, which draws from ``default_rng(seed)`` itself.
    """
    init, order = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init), np.random.default_rng(order)


def dropout_rng(seed):
    """The third random stream of a network with this seed: its dropout masks. The third child
    of ``SeedSequence(seed)`` (the first two are :func:`model_rngs`' and do not change)."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
