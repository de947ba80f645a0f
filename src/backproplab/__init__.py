"""backproplab: backpropagation from scratch in NumPy.

>>> from backproplab import MLP, datasets
>>> x, y = datasets.xor_easy()
>>> net = MLP(2, hidden=(10, 10), activation="sigmoid", seed=0)
>>> history = net.fit(x, y, loss="mse", optimizer="gd", lr=1.0, epochs=20_000)
>>> net.predict(x).ravel()  # doctest: +SKIP
"""

from .data import datasets
from .engine.history import History
from .engine.sequential import Sequential
from .engine.trainer import Trainer, train
from .errors import BackproplabError
from .models.cnn import CNN
from .models.mlp import MLP

__version__ = "0.1.0"
__all__ = ["MLP", "CNN", "Sequential", "History", "Trainer", "train", "nn", "datasets",
           "BackproplabError"]
