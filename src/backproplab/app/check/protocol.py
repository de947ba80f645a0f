"""The learner's weights as the checker sees them: which array is W1, b1, W2, …, which way round
the weight matrices are, and the conversions between their layout and backproplab's
(W as (n_in, n_out), b as (n_out,)).

A structure that does not fit the options is a :class:`~.learner.LearnerFailed` (exit 2) whose
message says what was expected: "W2 has shape (4, 3); the options give a 2-4-4-1 network, so
(4, 4) was expected".
"""

from dataclasses import dataclass

import numpy as np

from .learner import LearnerFailed


@dataclass
class Layout:
    """Where each of backproplab's arrays is among the learner's: ``slots[i]`` is the position
    in their list of W1, b1, W2, b2, … (i = 0, 1, 2, …), None for a bias they do not have."""

    names: list  # their names, in their order ("w1", "b1", … or "p0", "p1", …)
    shapes: list  # their shapes, in their order
    slots: list
    transposed: bool  # their W is (n_out, n_in)
    sizes: list  # n_in, hidden…, n_out

    @property
    def label(self):
        return "-".join(map(str, self.sizes))

    @property
    def has_bias(self):
        return any(s is not None for s in self.slots[1::2])

    def role(self, slot):
        """W1, b1, … of their array at position ``slot``."""
        i = self.slots.index(slot)
        return f"{'b' if i % 2 else 'W'}{i // 2 + 1}"

    def to_theirs(self, Ws, bs):
        """Their arrays, in their order and shapes, from backproplab's Ws and bs."""
        out = [None] * len(self.names)
        for i, slot in enumerate(self.slots):
            if slot is None:
                continue
            value = Ws[i // 2] if i % 2 == 0 else bs[i // 2]
            if i % 2 == 0 and self.transposed:
                value = value.T
            out[slot] = np.asarray(value, float).reshape(self.shapes[slot])
        return out

    def from_theirs(self, arrays, per_sample=None):
        """backproplab's layout [W1, b1, …] (a bias they lack: zeros) of their arrays.
        Arrays of an unexpected shape are left as they are (for the diagnosis), but for a
        transposed W, which is turned round."""
        out = []
        for i, slot in enumerate(self.slots):
            n_out = self.sizes[i // 2 + 1]
            if slot is None:
                out.append(np.zeros(n_out))
                continue
            value = np.asarray(arrays[slot], float)
            if i % 2 == 1:
                out.append(value.reshape(-1) if value.size == n_out else
                           (value.T if self.transposed and value.ndim == 2 else value))
            else:
                out.append(value.T if self.transposed and value.ndim == 2 else value)
        return out


def _is_bias(shape, n_out):
    return int(np.prod(shape)) == n_out and (len(shape) == 1 or 1 in shape)


def find_layout(info, sizes, file):
    """The :class:`Layout` of the learner's arrays (``info``: the child's reply to init), or the
    error saying what does not fit."""
    names, shapes = info["names"], [tuple(s) for s in info["shapes"]]
    label = "-".join(map(str, sizes))
    L = len(sizes) - 1
    if not names:
        raise LearnerFailed(
            f"{file}: found no weights: give the network parameters() returning W1, b1, W2, "
            "b2, … or attributes W1/w1/weight1 (and b1/B1/bias1, optional), …")
    slots, i = [], 0
    for layer in range(1, L + 1):
        if i >= len(names):
            raise LearnerFailed(f"{file}: found {layer - 1} weight matrices; the options give "
                                f"a {label} network, so {L} were expected")
        slots.append(i)
        i += 1
        has_b = i < len(names) and _is_bias(shapes[i], sizes[layer]) and (
            info["kind"] == "attributes" and not names[i].lower().startswith("w")
            or info["kind"] == "parameters" and len(names) - i > L - layer)
        slots.append(i if has_b else None)
        i += int(has_b)
    if i < len(names):
        raise LearnerFailed(f"{file}: found {len(names)} arrays ({', '.join(names)}) but the "
                            f"options give a {label} network, with {L} weight matrices")
    transposed = _orientation(shapes, slots, sizes, file, label, names)
    return Layout(names, shapes, slots, transposed, list(sizes))


def _orientation(shapes, slots, sizes, file, label, names):
    """Whether their W are (n_out, n_in); the same for all of them, told by the first one that
    is not square (square ones alone: as backproplab's)."""
    found = None
    for layer, slot in enumerate(slots[::2], start=1):
        want, shape = (sizes[layer - 1], sizes[layer]), shapes[slot]
        if want[0] == want[1] and shape == want:
            continue  # square: either way round
        way = False if shape == want else True if shape == want[::-1] else None
        if way is None or found is not None and way != found:
            expected = want[::-1] if found else want
            raise LearnerFailed(
                f"{file}: W{layer} ({names[slot]}) has shape {shape}; the options give a "
                f"{label} network, so {expected} was expected")
        found = way
    for layer, slot in enumerate(slots[1::2], start=1):
        if slot is not None and not _is_bias(shapes[slot], sizes[layer]):
            raise LearnerFailed(f"{file}: b{layer} ({names[slot]}) has shape {shapes[slot]}; "
                                f"the options give {sizes[layer]} units in layer {layer}, so "
                                f"({sizes[layer]},) was expected")
    return bool(found)


def describe(layout):
    """One line: the arrays found, their shapes, and which way round."""
    parts = []
    for i, slot in enumerate(layout.slots):
        if slot is not None:
            role = f"{'b' if i % 2 else 'W'}{i // 2 + 1}"
            name = layout.names[slot]
            shown = role if name == role else f"{role} ({name})"
            parts.append(f"{shown} {layout.shapes[slot]}")
    way = ("(n_out, n_in), transposed: your forward computes x·Wᵀ" if layout.transposed
           else "(n_in, n_out): z = x·W + b")
    bias = "" if layout.has_bias else "; no biases"
    return f"found {', '.join(parts)}; weights as {way}{bias}"


def match_gradients(layout, keys, grads, file):
    """Their gradients in their order (a list, or a dict's values with ``keys``)."""
    if keys is None:
        if len(grads) != len(layout.names):
            raise LearnerFailed(f"{file}: backward returned {len(grads)} gradients for "
                                f"{len(layout.names)} arrays; return one per array, in order")
        return grads
    out = []
    for slot, name in enumerate(layout.names):
        wanted = {name.lower(), "d" + name.lower(), layout.role(slot).lower(),
                  "d" + layout.role(slot).lower()}
        found = [g for k, g in zip(keys, grads) if k.lower() in wanted]
        if not found:
            raise LearnerFailed(f"{file}: backward's dict has no gradient for {name} (keys "
                                f"{', '.join(keys)}); key it '{name}' or 'd{name}'")
        out.append(found[0])
    return out
