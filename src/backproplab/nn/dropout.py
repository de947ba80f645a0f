"""Dropout: in training each input is dropped at random, and the rest scaled up."""

import numpy as np

from ..errors import BackproplabError


class Dropout:
    """Inverted dropout: in training each input is kept with probability 1 − p and scaled by
    1 / (1 − p), else set to 0, so that its expected value is unchanged and evaluation (when
    the layer is the identity) needs no rescaling.

    a = x ⊙ m,  m = keep / (1 − p),  keep ~ Bernoulli(1 − p) drawn afresh each forward.
    Backward: dx = grad_out ⊙ m (the same mask). Shapes: x (k, …) → a (k, …): the input carries
    the model axis (the layer follows one with parameters), and network i draws its mask from
    its own generator ``rngs[i]``, so a network drops the same units alone or in a stack.

    ``training`` is set by the container's ``train_mode``; ``rngs`` by its ``initialize`` (one
    stream per network's seed); ``set_mask(keep)`` fixes the mask, for tests.
    """

    training = False

    def __init__(self, p=0.5):
        if not (np.isscalar(p) and 0.0 <= p < 1.0):
            raise BackproplabError(f"the dropout probability must be a number in [0, 1), "
                                   f"got {p!r}")
        self.p = float(p)
        self.rngs = []
        self._fixed = None

    def set_mask(self, keep):
        """Use this 0/1 (or boolean) ``keep`` mask, shaped like the input, in every training
        forward from now on; ``None`` goes back to random masks."""
        self._fixed = None if keep is None else np.asarray(keep, dtype=bool)

    def select_networks(self, index):
        """Keep the random streams of networks ``index`` (the container's ``select``)."""
        if self.rngs:
            self.rngs = [self.rngs[i] for i in index]

    def forward(self, x):
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        if self._fixed is not None:
            keep = np.broadcast_to(self._fixed, x.shape)
        else:
            if x.shape[0] != len(self.rngs):
                raise BackproplabError(
                    f"Dropout needs one random stream per network ({len(self.rngs)} given) and "
                    f"an input with the model axis first; got shape {x.shape}"
                )
            keep = np.empty(x.shape, bool)
            for m, rng in enumerate(self.rngs):
                keep[m] = rng.random(x.shape[1:]) >= self.p
        self._mask = keep * np.asarray(1.0 / (1.0 - self.p), x.dtype)
        return x * self._mask

    def backward(self, grad_out):
        return grad_out if self._mask is None else grad_out * self._mask

    def __repr__(self):
        return f"Dropout({self.p})"
