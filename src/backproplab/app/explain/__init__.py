"""``backproplab explain``: one training step of a small network, written out with its numbers.

:mod:`.step` takes the step (the numbers, exactly train's); :mod:`.writing` writes it out."""

from .step import DIGITS, LayerStep, Step, one_step, step_of
from .writing import SLOPE, SYMBOL, TITLE, document, matrix, network_name, render, shape

__all__ = ["one_step", "step_of", "Step", "LayerStep", "document", "render", "matrix", "shape",
           "network_name", "TITLE", "SYMBOL", "SLOPE", "DIGITS"]
