"""Data: the lab's data sets and their relatives, CSV files, and the digits."""

from . import datasets

__all__ = ["datasets"]
