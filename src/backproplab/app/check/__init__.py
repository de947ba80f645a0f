"""``backproplab check FILE.py[:function]``: a learner's own NumPy network checked against
backproplab's MLP at the same weights — structure, forward pass, gradients array by array, and
training side by side — with the usual backprop mistakes named when one fits.

- :mod:`.child`: the learner's side, in a child process (their file imported there).
- :mod:`.learner`: the checker's end of the pipe, with the time limit.
- :mod:`.protocol`: which array is W1, b1, …, and which way round.
- :mod:`.mistakes`: the catalogue of mistakes, each computed as the gradient it gives.
- :mod:`.run`: the check, step by step; :mod:`.training`: both networks trained.
- :mod:`.table`: the printout.
"""

from .run import Result, check
from .table import format_result

__all__ = ["Result", "check", "format_result"]
