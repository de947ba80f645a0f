"""Optimizers with PyTorch's update rules and defaults, in order of increasing complexity.

One optimizer object sees every (param, grad) pair; its state lives in lists aligned with the
parameters, and updates happen in place. Every array has a leading model axis k, and every
hyper-parameter (lr, momentum, weight decay, …) may be a scalar or one value per network: it is
stored as a (k, 1, …) column that broadcasts over that network's parameters, so networks in a
stack never see each other's numbers.

Every optimizer also takes ``l1``: the gradient of an L1 penalty l1 · Σ|p| over every parameter
(weights and biases, the same set as weight decay), l1 · sign(p), joins the gradient before the
update — before weight decay's term, as if added to ``p.grad`` after ``backward()`` in torch.

The rules follow the algorithm boxes of ``torch.optim`` (SGD, Adagrad, RMSprop, Adam, AdamW),
written in the same order of operations. PyTorch fuses some multiply-adds on the CPU, so the
two agree to the last bit or two, not bit for bit.
"""

import numpy as np

from ..errors import BackproplabError, lookup
from .optimizer import Optimizer

CHUNK = 32768  # gd updates an array of more numbers than this in slices of about this many


class GD(Optimizer):
    """Plain gradient descent (torch.optim.SGD, momentum 0):  p ← p − lr · g, computed as
    :class:`backproplab.nn.reference.GD` computes it."""

    name = "gd"
    defaults = {"weight_decay": 0.0, "l1": 0.0}

    def step(self):
        """Without penalties (l1 and weight decay 0 for every network) each pair's update is
        its two NumPy calls, with lr's column and the scratch array gathered once."""
        plain = self.prepared(("gd",), self._plain)
        if plain is False:
            return super().step()
        self.t += 1
        for param, grad, lr, scratch in plain:
            param -= np.multiply(lr, grad, scratch)

    def _plain(self):
        if not (self.zero("l1") and self.zero("weight_decay")):
            return False
        steps = []
        for i, (p, g) in enumerate(zip(self.params, self.grads)):
            lr, width = self.h("lr", p), p.shape[-1]
            if p.ndim != 2 or p.size <= CHUNK:
                steps.append((p, g, lr, self.scratch(i, p)))
                continue
            # a large parameter array a slice of columns at a time, through one scratch array
            # that stays in the cache: lr · g is written and read back there, not in memory
            cols = max(1, CHUNK // len(p))
            scratch = np.empty((len(p), cols), p.dtype)
            steps += [(p[:, a:a + cols], g[:, a:a + cols], lr, scratch[:, :min(cols, width - a)])
                      for a in range(0, width, cols)]
        return steps

    def update(self, i, param, grad):
        grad = self.decayed(param, grad)
        step = np.multiply(self.h("lr", param), grad, self.scratch(i, param))
        param -= step


class Momentum(Optimizer):
    """SGD with momentum (torch.optim.SGD, dampening 0):
    b ← μ b + g  (b = g on the first step),  p ← p − lr · b.
    With ``nesterov``: p ← p − lr · (g + μ b).
    """

    name = "momentum"
    nesterov = False
    defaults = {"momentum": 0.9, "weight_decay": 0.0, "l1": 0.0}
    state_names = ("buf",)

    def update(self, i, param, grad):
        grad = self.decayed(param, grad)
        buf = self.state["buf"][i]
        mu = self.h("momentum", param)
        if buf is None:
            buf = self.state["buf"][i] = grad.copy()
        else:
            buf *= mu
            buf += grad
        step = grad + mu * buf if self.nesterov else buf
        param -= self.h("lr", param) * step


class Nesterov(Momentum):
    __doc__ = Momentum.__doc__
    name = "nesterov"
    nesterov = True


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad, lr 0.01, eps 1e-10, no lr decay):
    s ← s + g²,  p ← p − lr · g / (√s + eps).
    """

    name = "adagrad"
    defaults = {"weight_decay": 0.0, "eps": 1e-10, "l1": 0.0}
    state_names = ("sum",)

    def update(self, i, param, grad):
        grad = self.decayed(param, grad)
        if self.state["sum"][i] is None:
            self.state["sum"][i] = np.zeros_like(param)
        s = self.state["sum"][i]
        s += grad * grad
        std = np.sqrt(s) + self.h("eps", param)
        param += (-self.h("lr", param) * grad) / std


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop, lr 0.01, alpha 0.99, eps 1e-8):
    v ← α v + (1 − α) g²,  p ← p − lr · g / (√v + eps).
    With momentum μ > 0: b ← μ b + g / (√v + eps),  p ← p − lr · b.
    """

    name = "rmsprop"
    defaults = {"alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0, "l1": 0.0}
    state_names = ("square_avg", "buf")
    complements = ("alpha",)

    def update(self, i, param, grad):
        grad = self.decayed(param, grad)
        if self.state["square_avg"][i] is None:
            self.state["square_avg"][i] = np.zeros_like(param)
        v = self.state["square_avg"][i]
        v *= self.h("alpha", param)
        v += self.h("1-alpha", param) * grad * grad
        avg = np.sqrt(v) + self.h("eps", param)
        if self.zero("momentum"):
            param += (-self.h("lr", param) * grad) / avg
            return
        if self.state["buf"][i] is None:
            self.state["buf"][i] = np.zeros_like(param)
        buf = self.state["buf"][i]
        buf *= self.h("momentum", param)
        buf += grad / avg
        step = self.h("lr", param) * buf
        if not np.all(self.hyper["momentum"]):
            # a network without momentum in a stack with some steps as it would alone: torch's
            # rule for momentum 0, (lr · g) / avg, rounds differently from lr · (g / avg)
            plain = self.h("momentum", param) == 0
            step = np.where(plain, self.h("lr", param) * grad / avg, step)
        param -= step


class Adam(Optimizer):
    """Adam (torch.optim.Adam, lr 0.001, betas (0.9, 0.999), eps 1e-8):
    m ← m + (1 − β₁)(g − m),  v ← β₂ v + (1 − β₂) g²,
    p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps).
    AdamW first decays the weights: p ← p (1 − lr · weight_decay), and adds nothing to g
    (but the L1 penalty's gradient, which is the loss's).
    """

    name = "adam"
    decoupled = False
    defaults = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "l1": 0.0}
    state_names = ("exp_avg", "exp_avg_sq")
    complements = ("beta1", "beta2")

    def step(self):
        self.t += 1
        beta1, beta2 = self.hyper["beta1"], self.hyper["beta2"]
        # per-network step sizes, computed in float64 as torch computes them in Python floats
        # (1 as an array, and √ for ** 0.5, which NumPy computes so: the same numbers, cheaper)
        step_size = self.hyper["lr"] / np.subtract(_ONE, beta1**self.t)
        self._step_size = np.negative(step_size).astype(self.dtype, copy=False)
        self._bc2_sqrt = np.sqrt(np.subtract(_ONE, beta2**self.t)).astype(self.dtype, copy=False)
        if self.decoupled:
            self._shrink = (1.0 - self.hyper["lr"] * self.hyper["weight_decay"]).astype(self.dtype)
        for i, (param, grad) in enumerate(zip(self.params, self.grads)):
            self.update(i, param, grad)

    def update(self, i, param, grad):
        if self.decoupled:
            grad = self.penalised(param, grad)  # sign(p) of p before the decay, as torch's p.grad
            if not self.zero("weight_decay"):
                param *= self._shrink.reshape(self._shape(param))
        else:
            grad = self.decayed(param, grad)
        m, v = self.state["exp_avg"][i], self.state["exp_avg_sq"][i]
        if m is None:
            m = self.state["exp_avg"][i] = np.zeros_like(param)
            v = self.state["exp_avg_sq"][i] = np.zeros_like(param)
        # the columns and scratch arrays of this parameter, gathered once
        c1, b2, c2, eps, t, denom = self.prepared(("adam", i), lambda: (
            self.h("1-beta1", param), self.h("beta2", param), self.h("1-beta2", param),
            self.h("eps", param), self.scratch(i, param, 0), self.scratch(i, param, 1)))
        bc2_sqrt, step_size = self._bc2_sqrt, self._step_size  # (k, 1)
        if c1.shape != bc2_sqrt.shape:  # as the columns are: (k, 1, …), or 0-d for one network
            bc2_sqrt, step_size = bc2_sqrt.reshape(c1.shape), step_size.reshape(c1.shape)
        np.subtract(grad, m, t)  # m ← m + (1 − β₁)(g − m)
        t *= c1
        m += t
        v *= b2  # v ← β₂ v + ((1 − β₂) g) g
        np.multiply(c2, grad, t)
        t *= grad
        v += t
        np.sqrt(v, denom)  # denom = √v / √(1 − β₂ᵗ) + eps
        denom /= bc2_sqrt
        denom += eps
        np.multiply(step_size, m, t)
        t /= denom  # p ← p + (−lr / (1 − β₁ᵗ)) m / denom
        param += t

    def _shape(self, like):
        return (self.k,) + (1,) * (like.ndim - 1)


_ONE = np.array(1.0)


class AdamW(Adam):
    __doc__ = Adam.__doc__
    name = "adamw"
    decoupled = True
    defaults = {**Adam.defaults, "weight_decay": 0.01}


OPTIMIZERS = {cls.name: cls for cls in (GD, Momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW)}

# torch's defaults; SGD has none in torch, and 1.0 is the lab network's (see backproplab.app.config)
DEFAULT_LR = {"gd": 1.0, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.01,
              "rmsprop": 0.01, "adam": 0.001, "adamw": 0.001}


def get_optimizer(name, params, grads, lr=None, **hyper):
    """A new optimizer by name; ``lr=None`` takes torch's default for it (1.0 for gd, the lab
    network's, since torch's SGD has none). Settings of None are left at their defaults."""
    cls = lookup("optimizer", name, OPTIMIZERS)
    hyper = {n: v for n, v in hyper.items() if v is not None}
    unknown = set(hyper) - set(cls.defaults)
    if unknown:
        raise BackproplabError(
            f"the {name} optimizer has no setting {', '.join(sorted(unknown))}; "
            f"its settings are: {', '.join(['lr', *cls.defaults])}"
        )
    return cls(params, grads, DEFAULT_LR[name] if lr is None else lr, **hyper)
