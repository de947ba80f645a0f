"""Small pieces of English for sentences written from numbers: lists, counts, whole epochs and
settings grouped by what they share. The report's paragraphs and ``backproplab plot`` use
them, so that no sentence says "none solved none", "1 seeds" or "a median of 857.5 epochs"."""

import math

_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve"]

# how a setting's last part joins the names before it when settings are grouped by it
_JOINS = {"lr": "at", "hidden": "in", "output": "with", "loss": "with", "optimizer": "with"}


def number(n):
    """n in words up to twelve, else in digits: 'ten', '20'."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def plural(n, noun):
    """'1 seed', '2 seeds' (digits)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def listing(items, last="and"):
    """'a', 'a and b', 'a, b and c' (or 'or'); an empty list is the caller's mistake."""
    items = list(items)
    if not items:
        raise ValueError("listing() of nothing")
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def epochs(median):
    """A median of epochs as a whole number of epochs, halves rounded up: 857.5 → 858."""
    return int(math.floor(median + 0.5))


def whole(n, noun="seed"):
    """All of n, in words where they read better: 'all ten seeds', 'both seeds', 'the one
    seed'."""
    if n == 1:
        return f"the one {noun}"
    if n == 2:
        return f"both {noun}s"
    return f"all {number(n)} {noun}s"


def none_of(n, noun="seed"):
    """None of n: 'none of the ten seeds', 'neither seed', 'not the one seed'."""
    if n == 1:
        return f"not the one {noun}"
    if n == 2:
        return f"neither {noun}"
    return f"none of the {number(n)} {noun}s"


def some_of(k, n, noun="seed"):
    """k of n: '3 of the 10 seeds', 'one of the 10 seeds', and the whole or none of them."""
    if k == n:
        return whole(n, noun)
    if k == 0:
        return none_of(n, noun)
    return f"{'one' if k == 1 else k} of the {n} {noun}s"


def grouped(parts, last="and"):
    """Settings named by their parts [(key, text), ...], grouped by their last part so that
    each shared value is named once: [(gd, lr 1), (momentum, lr 0.1), (nesterov, lr 0.1)] →
    'gd at lr 1, and momentum and nesterov at lr 0.1'. Settings of one part, or of parts
    that differ in kind, are simply listed."""
    if not parts:
        raise ValueError("grouped() of nothing")
    shapes = {tuple(k for k, _ in p) for p in parts}
    key = parts[0][-1][0]
    if len(shapes) != 1 or len(parts[0]) < 2 or key not in _JOINS:
        return listing([label(p) for p in parts], last)
    groups = {}
    for p in parts:
        groups.setdefault(p[-1][1], []).append(label(p[:-1]))
    phrases = [f"{listing(names, last)} {_JOINS[key]} {shared}"
               for shared, names in groups.items()]
    if len(phrases) == 1:
        return phrases[0]
    if all(len(names) == 1 for names in groups.values()):
        return listing(phrases, last)
    return ", ".join(phrases[:-1]) + f", {last} " + phrases[-1]  # groups set apart by commas


def label(parts):
    """A setting's name from its parts: 'sigmoid, 10×10', '500×500 (50 epochs)'."""
    return ", ".join(t for _, t in parts).replace(", (", " (")
