"""The multilayer perceptron: the lab's network and its relatives."""


import numpy as np

from ..errors import BackproplabError
from ..nn.activations import get_activation
from ..nn.layers import Dense
from .network import Network, _check_dtype, _check_output, _whole_sizes


class MLP(Network):
    """A multilayer perceptron: Dense → activation for each hidden layer, then a Dense output.

    ``MLP(2, hidden=(4, 4), activation="sigmoid", seed=0)`` is the lab's network. ``activation``
    is one name for every hidden layer or one per hidden layer; ``output`` is the output unit's
    nonlinearity (``"sigmoid"``, ``"none"`` for a linear output, or ``"softmax"`` over
    ``n_out`` = K ≥ 2 classes). ``seed`` may be a list: the MLP is then a stack of
    ``len(seed)`` networks, one per seed, trained together.
    """

    kind = "mlp"

    def __init__(self, n_in, hidden=(4, 4), activation="sigmoid", output="sigmoid", n_out=1,
                 seed=0, dtype="float64"):
        hidden = [hidden] if np.isscalar(hidden) else list(hidden)
        if isinstance(activation, str):
            activation = [activation] * len(hidden)
        activation = list(activation)
        if len(activation) != len(hidden):
            raise BackproplabError(
                f"{len(activation)} activations given for {len(hidden)} hidden layers; give one "
                "name for all of them or one per hidden layer"
            )
        _whole_sizes((n_in, *hidden, n_out))
        _check_output(output, n_out)
        dtype = _check_dtype(dtype)
        seeds = [seed] if np.isscalar(seed) else list(seed)

        sizes = [int(n_in), *map(int, hidden), int(n_out)]
        acts = [get_activation(name) for name in activation]
        layers = []
        for i, act in enumerate(acts):
            layers += [Dense(sizes[i], sizes[i + 1], init=act.init), act]
        layers.append(Dense(sizes[-2], sizes[-1], init="glorot"))

        self.n_in, self.hidden, self.n_out = sizes[0], sizes[1:-1], sizes[-1]
        self.in_shape = (self.n_in,)
        self.activation, self.output, self.seeds = [a.name for a in acts], output, seeds
        super().__init__(layers, n_models=len(seeds), dtype=dtype)
        self.initialize(seeds)

    def config(self):
        """The settings that rebuild this network (without its weights), as plain JSON data."""
        return {
            "n_in": self.n_in, "hidden": self.hidden, "activation": self.activation,
            "output": self.output, "n_out": self.n_out, "dtype": self.dtype.name,
            "seed": self.seeds[0] if self.k == 1 else self.seeds,
        }

    @classmethod
    def from_config(cls, config):
        return cls(config["n_in"], hidden=config["hidden"], activation=config["activation"],
                   output=config["output"], n_out=config["n_out"], seed=config["seed"],
                   dtype=config["dtype"])

    @property
    def dense_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Dense)]
