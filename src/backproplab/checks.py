"""The checks of numbers a user gives — sizes, counts, rates — in one place, so that every
option and every argument says the same thing in the same words when it is wrong."""

import math
import numbers

from .errors import BackproplabError


def is_whole(value):
    """Whether ``value`` is an integer (Python's or NumPy's; a bool is not one)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value):
    """Whether ``value`` is a real number (an integer or a float; a bool is not one)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def whole(value, what, minimum=1):
    """``value`` as an int if it is a whole number >= ``minimum``; else the error."""
    if not is_whole(value) or value < minimum:
        raise BackproplabError(f"{what} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def wholes(values, what, minimum=1):
    """Every one of ``values`` checked by :func:`whole`; a list of ints."""
    return [whole(v, what, minimum) for v in values]


def number(value, what, lo=None, hi_open=None, above=None):
    """``value`` if it is a finite real number, >= ``lo``, < ``hi_open`` and > ``above`` (each
    bound checked when given); else the error. None passes as it is: the setting's default."""
    if value is None:
        return None
    finite = is_real(value) and math.isfinite(value)
    if above is not None and not (finite and value > above):
        raise BackproplabError(f"{what} must be a number > {above}, got {value!r}")
    if not finite:
        raise BackproplabError(f"{what} must be a finite number, got {value!r}")
    if lo is not None and value < lo:
        raise BackproplabError(f"{what} must be >= {lo}, got {value!r}")
    if hi_open is not None and value >= hi_open:
        raise BackproplabError(f"{what} must be < {hi_open}, got {value!r}")
    return value
