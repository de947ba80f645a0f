"""The digits' own defaults, per model, for every setting the user does not give.

Adam on mini-batches and the softmax cross-entropy, with learning rate and epochs chosen so that
the CNN reaches the README's target: at least 97% test accuracy in at most 60 s of training on
a 2-core machine (``benchmarks/digits.py`` measures it). A module of plain values, so the
command line's help can show them without importing NumPy.

The CNN's 5×5 kernels (padded, so an 8×8 image stays 8×8) see a whole stroke at once: 98.1% on
the default split, where 3×3 kernels end between 95.8% and 96.9% at every learning rate,
dropout and width tried (see the README).
"""

IMAGE_DEFAULTS = {
    "mlp": {"hidden": [64], "activation": ["relu"], "loss": "ce", "output": "softmax",
            "optimizer": "adam", "lr": 0.003, "epochs": 30, "batch_size": 32},
    "cnn": {"channels": [8, 16], "kernel": 5, "dropout": 0.0, "hidden": [],
            "activation": ["relu"], "loss": "ce", "output": "softmax",
            "optimizer": "adam", "lr": 0.003, "epochs": 20, "batch_size": 32},
}
