"""Ready-made networks built on the engine's Sequential: the MLP and the CNN."""

from .cnn import CNN
from .mlp import MLP
from .modelfile import load_model
from .network import Network

MODELS = {cls.kind: cls for cls in (MLP, CNN)}


def load(path):
    """Read any model file written by ``save`` — an MLP or a CNN, as its configuration says."""
    return load_model(None, path, MODELS)

__all__ = ["MLP", "CNN", "Network", "MODELS", "load"]
