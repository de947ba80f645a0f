"""The engine: the Sequential container that holds a stack of networks, the training loop that
drives it, what training records, and the metrics it reports."""

from .history import History, Progress
from .sequential import Sequential
from .trainer import train

__all__ = ["Sequential", "train", "History", "Progress"]
