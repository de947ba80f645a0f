"""The settings of one training run: names, defaults and checks shared by ``train``, sweep
files and the report.

The defaults are the lab's network — two hidden layers, sigmoid, mse, plain gradient descent —
with units, learning rate and epochs chosen so that ``backproplab train --data linear`` and
``--data xor`` reach 100% training accuracy for (at least) 19 of seeds 0–19; see the README.
The digits have defaults of their own (``IMAGE_DEFAULTS``), used for every setting not given:
:meth:`TrainConfig.for_data` builds a configuration that way.
"""

import os
from dataclasses import asdict, dataclass, field, fields

from ..checks import number, whole, wholes
from ..data.datasets import CLASSES, FIXED, GENERATORS, IMAGES, NOISELESS
from ..errors import BackproplabError, unknown_name
from ..nn.activations import ACTIVATIONS
from ..nn.losses import LOSSES, OUTPUTS
from ..nn.optimizers import DEFAULT_LR, OPTIMIZERS
from ..nn.schedules import SCHEDULES, get_schedule
from .defaults import IMAGE_DEFAULTS

DTYPES = ("float64", "float32")
MODELS = ("mlp", "cnn")
MOMENTUM_OPTIMIZERS = ("momentum", "nesterov", "rmsprop")  # those that take --momentum



@dataclass
class TrainConfig:
    data: str = "linear"
    n: int | None = None
    noise: float | None = None
    hidden: list = field(default_factory=lambda: [10, 10])
    activation: list = field(default_factory=lambda: ["sigmoid"])
    loss: str = "mse"
    output: str = "sigmoid"
    optimizer: str = "gd"
    lr: float | None = None  # None: the optimizer's default (see optimizers.DEFAULT_LR)
    momentum: float | None = None
    weight_decay: float | None = None
    l1: float | None = None  # L1 penalty l1 · Σ|p| over all parameters, as weight decay's
    schedule: str = "constant"  # the learning rate per epoch; see backproplab.nn.schedules
    step_size: int | None = None
    gamma: float | None = None
    t_max: int | None = None  # None: the epochs
    eta_min: float | None = None
    epochs: int = 20_000
    batch_size: int | None = None
    seed: int = 0
    data_seed: int | None = None  # None: the data set is drawn with ``seed``
    dtype: str = "float64"
    standardize: bool = False
    stop_at_loss: float | None = None
    init: str | None = None
    test_n: int | None = None  # measure accuracy on a fresh sample of this many points
    test_fraction: float | None = None  # or on this share of the data, held out (stratified)
    model: str = "mlp"  # mlp, or cnn for image data
    channels: list = field(default_factory=lambda: list(IMAGE_DEFAULTS["cnn"]["channels"]))
    kernel: int = IMAGE_DEFAULTS["cnn"]["kernel"]  # cnn: the kernels' height and width
    dropout: float = IMAGE_DEFAULTS["cnn"]["dropout"]  # cnn: dropout before each dense layer

    @classmethod
    def for_data(cls, **given):
        """A configuration from the settings ``given``, the rest from the defaults of its data
        set and model: the lab's for points, ``IMAGE_DEFAULTS`` for the digits."""
        data, model = given.get("data", cls.data), given.get("model", cls.model)
        defaults = IMAGE_DEFAULTS.get(model, {}) if data in IMAGES else {}
        return cls(**{**defaults, **given})

    @property
    def images(self):
        """Whether the data set is images (the digits) rather than points."""
        return self.data in IMAGES

    def check(self):
        """Raise BackproplabError on the first setting that is not usable; returns self."""
        if self.model not in MODELS:
            raise unknown_name("model", self.model, MODELS)
        if self.model == "cnn" and not self.images:
            raise BackproplabError(f"--model cnn takes images (--data digits); {self.data} is "
                                   "points: use --model mlp")
        wholes(self.hidden, "hidden", minimum=1)
        if not self.hidden and self.model == "mlp":
            raise BackproplabError("hidden needs at least one layer size")
        acts = [self.activation] if isinstance(self.activation, str) else list(self.activation)
        for a in acts:
            if a not in ACTIVATIONS:
                raise unknown_name("activation", a, ACTIVATIONS)
        if self.model == "cnn":
            self._check_cnn(acts)
        else:
            self._check_no_cnn_settings()
            if len(acts) not in (1, len(self.hidden)):
                raise BackproplabError(
                    f"{len(acts)} activations for {len(self.hidden)} hidden layers: give one "
                    "name for all hidden layers or one per hidden layer"
                )
            self.activation = acts * len(self.hidden) if len(acts) == 1 else acts
        for name, value, valid in (("loss", self.loss, LOSSES), ("output", self.output, OUTPUTS),
                                   ("optimizer", self.optimizer, OPTIMIZERS),
                                   ("dtype", self.dtype, DTYPES)):
            if value not in valid:
                raise unknown_name(name, value, valid)
        if self.loss == "bce" and self.output != "sigmoid":
            raise BackproplabError(f"--loss bce takes the logits of a sigmoid output: it cannot "
                                   f"be used with --output {self.output} (use --loss mse)")
        if (self.loss == "ce") != (self.output == "softmax"):
            raise BackproplabError("--loss ce (softmax cross-entropy) and --output softmax go "
                                   f"together; got --loss {self.loss} with --output {self.output}")
        number(self.lr, "the learning rate (--lr)", above=0)
        number(self.momentum, "--momentum", lo=0, hi_open=1)
        number(self.weight_decay, "--weight-decay", lo=0)
        number(self.l1, "--l1", lo=0)
        self.lr_schedule()  # an unknown schedule, or a setting it does not take, fails here
        if self.eta_min is not None and self.eta_min >= self.lr_value:
            raise BackproplabError(f"--eta-min must be below the learning rate "
                                   f"({self.lr_value:g}), got {self.eta_min!r}")
        if self.momentum is not None and self.optimizer not in MOMENTUM_OPTIMIZERS:
            raise BackproplabError("--momentum applies to the momentum, nesterov and rmsprop "
                                   f"optimizers, not {self.optimizer}")
        whole(self.epochs, "epochs", minimum=0)
        if self.batch_size is not None:
            whole(self.batch_size, "the batch size (--batch-size)", minimum=1)
        whole(self.seed, "seed", minimum=0)
        if self.data_seed is not None:
            whole(self.data_seed, "data seed", minimum=0)
        if self.n is not None:
            whole(self.n, "n", minimum=2)
        number(self.noise, "noise", lo=0)
        number(self.stop_at_loss, "--stop-at-loss", lo=0)
        if self.test_n is not None:
            whole(self.test_n, "--test-n", minimum=1)
        number(self.test_fraction, "--test-fraction", above=0)
        number(self.test_fraction, "--test-fraction", hi_open=1)
        if self.test_n is not None and self.test_fraction is not None:
            raise BackproplabError("--test-n (a fresh sample) and --test-fraction (a held-out "
                                   "share of the data) are two test sets: give one")
        if not isinstance(self.data, str) or not self.data:
            raise BackproplabError("data must be a data set name or a CSV file path")

        if self.images:
            self._check_images()
        elif not self.data.lower().endswith(".csv"):
            if self.data not in GENERATORS:
                raise unknown_name("data set", self.data, [*GENERATORS, *IMAGES, "FILE.csv"])
            if self.data in FIXED and (self.n is not None or self.noise is not None):
                raise BackproplabError(f"the {self.data} data set is the lab's fixed 21 points: "
                                       "it takes no --n or --noise")
            if self.data in NOISELESS and self.noise is not None:
                raise BackproplabError(f"the {self.data} data set has no noise setting")
            if self.data in CLASSES:
                self._check_classes(CLASSES[self.data])
        elif self.test_n is not None:
            raise BackproplabError("--test-n draws a fresh sample from a generated data set; a "
                                   "CSV file has none")
        return self

    def _check_no_cnn_settings(self):
        """The cnn's own settings, given for an mlp, would be ignored: an error names them."""
        cnn = IMAGE_DEFAULTS["cnn"]
        mine = {"channels": list(self.channels), "kernel": self.kernel, "dropout": self.dropout}
        given = [f"--{name}" for name, value in mine.items() if value != cnn[name]]
        if given:
            verb = "apply" if len(given) > 1 else "applies"
            raise BackproplabError(f"{', '.join(given)} {verb} to --model cnn, not {self.model}")

    def _check_cnn(self, acts):
        if acts != ["relu"]:
            raise BackproplabError("the cnn's layers use relu: --activation does not apply to "
                                   "--model cnn")
        self.activation = ["relu"]
        wholes(self.channels, "channels", minimum=1)
        if not self.channels:
            raise BackproplabError("channels needs at least one convolution's channel count")
        whole(self.kernel, "the kernel size (--kernel)", minimum=1)
        number(self.dropout, "--dropout", lo=0, hi_open=1)

    def _check_classes(self, k):
        """A generated data set of k > 2 classes: a softmax output, and every class drawn."""
        if self.output != "softmax":
            raise BackproplabError(f"the {self.data} data set has {k} classes: it needs --output "
                                   f"softmax and --loss ce (one output unit per class), not "
                                   f"--output {self.output} and --loss {self.loss}")
        if self.n is not None and self.n < k:
            raise BackproplabError(f"the {self.data} data set has {k} classes: --n must be at "
                                   f"least {k}, got {self.n}")

    def _check_images(self):
        for value, option in ((self.n, "--n"), (self.noise, "--noise"),
                              (self.test_n, "--test-n"), (self.test_fraction, "--test-fraction")):
            if value is not None:
                raise BackproplabError(f"the {self.data} data set is a fixed set of images with "
                                       f"its own test set: it takes no {option}")
        if self.standardize:
            raise BackproplabError(f"the {self.data} data set's pixels are already scaled to "
                                   "[0, 1]: it takes no --standardize")
        if self.loss != "ce" or self.output != "softmax":
            raise BackproplabError(f"the {self.data} data set has 10 classes: it needs --loss ce "
                                   f"and --output softmax, not --loss {self.loss} and --output "
                                   f"{self.output}")

    @property
    def lr_value(self):
        return DEFAULT_LR[self.optimizer] if self.lr is None else self.lr

    def hyper(self):
        """The optimizer settings beyond lr that were given."""
        return {k: v for k, v in (("momentum", self.momentum),
                                  ("weight_decay", self.weight_decay),
                                  ("l1", self.l1)) if v is not None}

    def lr_schedule(self):
        """The learning-rate schedule, as training takes it (see backproplab.nn.schedules)."""
        return get_schedule(self.schedule, step_size=self.step_size, gamma=self.gamma,
                            t_max=self.t_max, eta_min=self.eta_min)

    def to_dict(self):
        d = asdict(self)
        d["lr"] = self.lr_value
        if self.init is not None:
            d["init"] = os.path.abspath(self.init)
        return d

    def applicable(self):
        """:meth:`to_dict` without the settings that do not apply to this run, by the rules
        :meth:`check` enforces: the cnn's settings for an mlp, a schedule's settings it does
        not take (all of them without a schedule), momentum for an optimizer without one, and
        the generated data's settings for the digits. What config.json and a model file's
        training settings hold; read back, a missing setting takes its default."""
        return {k: v for k, v in self.to_dict().items() if k not in self.not_applicable()}

    def not_applicable(self):
        """The names of the settings that do not apply to this run (see :meth:`applicable`)."""
        skip = set()
        if self.model != "cnn":
            skip |= {"channels", "kernel", "dropout"}
        schedule = SCHEDULES.get(self.schedule)
        taken = set(schedule.defaults) if schedule is not None else set()
        skip |= {"step_size", "gamma", "t_max", "eta_min"} - taken
        if self.optimizer not in MOMENTUM_OPTIMIZERS:
            skip.add("momentum")
        if self.images:
            skip |= {"n", "noise", "standardize", "test_n", "test_fraction"}
        return skip


IMAGE_KEYS = ("model", "channels", "kernel", "dropout")  # the settings of image models
# the settings a sweep file may give: sweeps train stacks of MLPs on points (2 or K classes)
CONFIG_KEYS = [f.name for f in fields(TrainConfig) if f.name not in IMAGE_KEYS]
