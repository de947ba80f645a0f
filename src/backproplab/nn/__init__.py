"""The maths: layers, activations, losses, optimizers and schedules, each a forward and a
backward written with NumPy. Nothing here knows about training loops, files or figures.

``reference`` holds the plain textbook versions a student reads first; the layers exported
here compute the same numbers, faster (the tests pin them to each other).
"""

from . import reference
from .activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
    get_activation,
    sigmoid,
)
from .conv import Conv2D, Flatten, MaxPool2D
from .dropout import Dropout
from .layer import Layer, LayerContractError
from .layers import Dense
from .losses import BCE, LOSSES, MSE, OUTPUTS, CrossEntropy, get_loss, get_output
from .optimizers import (
    GD,
    OPTIMIZERS,
    Adagrad,
    Adam,
    AdamW,
    Momentum,
    Nesterov,
    Optimizer,
    RMSprop,
    get_optimizer,
)
from .schedules import SCHEDULES, Constant, Cosine, Exponential, Schedule, Step, get_schedule

__all__ = [
    "Layer", "LayerContractError", "reference",
    "Dense", "Conv2D", "MaxPool2D", "Flatten", "Dropout",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Identity", "Softmax",
    "sigmoid", "ACTIVATIONS", "get_activation",
    "MSE", "BCE", "CrossEntropy", "LOSSES", "OUTPUTS", "get_loss", "get_output",
    "Optimizer", "GD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW",
    "OPTIMIZERS", "get_optimizer",
    "Schedule", "Constant", "Step", "Exponential", "Cosine", "SCHEDULES", "get_schedule",
]
