"""backproplab: backpropagation from scratch in NumPy.

>>> from backproplab import MLP, datasets
>>> x, y = datasets.xor_easy()
>>> net = MLP(2, hidden=(10, 10), activation="sigmoid", seed=0)
>>> history = net.fit(x, y, loss="mse", optimizer="gd", lr=1.0, epochs=20_000)
>>> net.predict(x).ravel()  # doctest: +SKIP

The names below are imported when first used, so that the command line starts (and answers a
Ctrl-C) before NumPy is loaded.
"""

import importlib

__version__ = "0.1.0"

# name -> the module that defines it
_EXPORTS = {
    "MLP": "models.mlp", "CNN": "models.cnn", "Sequential": "engine.sequential",
    "History": "engine.history", "Trainer": "engine.trainer", "train": "engine.trainer",
    "BackproplabError": "errors", "datasets": "data", "nn": None,
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'backproplab' has no attribute {name!r}")
    where = _EXPORTS[name]
    if where is None:  # a subpackage
        return importlib.import_module(f".{name}", __name__)
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value  # once is enough
    return value


def __dir__():
    return sorted([*globals(), *_EXPORTS])
