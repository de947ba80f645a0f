"""The benchmark's workloads, their compute floor, and the timing loop they all share.

Every workload trains a network with two inputs, two hidden layers and one sigmoid output unit
with the mean squared error (the lab's network), in float64.
"""

import math
import time
from dataclasses import dataclass

REPEATS = 5  # timed blocks per measurement; the median is reported
BLOCK_SECONDS = 0.2  # aim of one timed block: 5 of them make a ~1 s measurement
CALIBRATE_SECONDS = 0.05  # epochs are doubled until a block takes at least this long
BUSY_LIMIT = 0.1  # a block is timed again if other processes used more of the CPU than this
ATTEMPTS = 4  # times a block may be timed before the least disturbed one is kept


@dataclass(frozen=True)
class Workload:
    name: str
    data: str  # "linear", "xor" or "circle"
    n: int  # training points
    hidden: tuple
    activation: str  # backproplab's name: sigmoid, tanh or relu
    optimizer: str  # gd or adam
    lr: float
    batch_size: int | None = None  # None: full batch
    stack: int = 1  # networks trained together (backproplab only)

    @property
    def label(self):
        data = {"linear": f"linear n={self.n}", "xor": "xor_easy (21)",
                "circle": f"circle n={self.n:,}"}[self.data]
        batch = f", batch {self.batch_size}" if self.batch_size else ""
        stack = f", {self.stack} nets" if self.stack > 1 else ""
        hidden = "-".join(map(str, self.hidden))
        return f"{data}, {hidden} {self.activation}, {self.optimizer}{batch}{stack}"

    @property
    def has_bare_epoch(self):
        """Whether frameworks.numpy_bare_block is written for it: one network, sigmoid, gd,
        full batch (W1, W2, W3: the workloads whose epoch issue 16 compares with a bare one)."""
        return (self.stack == 1 and self.activation == "sigmoid" and self.optimizer == "gd"
                and self.batch_size is None)

    @property
    def sizes(self):
        return [2, *self.hidden, 1]

    def flops_per_epoch(self):
        """Matmul FLOPs of one epoch of one network: per dense layer (n_in → n_out) over n
        samples, 2·n·n_in·n_out for the forward product, as much for dW = xᵀ·grad_out, and as
        much again for dx = grad_out·Wᵀ except in the first layer (its input is the data).
        Elementwise work (activations, loss, bias, optimizer update) is left out. Mini-batches
        add up to the same n samples per epoch."""
        total = 0
        for i, (a, b) in enumerate(zip(self.sizes, self.sizes[1:])):
            products = 2 if i == 0 else 3
            total += products * 2 * self.n * a * b
        return total

    def dataset(self):
        """(x (n, 2) float64, y (n, 1) int64), from backproplab's own generators."""
        from backproplab import datasets

        if self.data == "linear":
            return datasets.linear(self.n, seed=0)
        if self.data == "xor":
            return datasets.xor_easy()
        return datasets.circle(self.n, noise=0.1, seed=0)


WORKLOADS = [
    Workload("W1", "linear", 100, (4, 4), "sigmoid", "gd", 0.1),
    Workload("W2", "xor", 21, (4, 4), "sigmoid", "gd", 0.1),
    Workload("W3", "xor", 21, (500, 500), "sigmoid", "gd", 0.1),
    Workload("W4", "linear", 100, (10, 10), "tanh", "adam", 0.001),
    Workload("W5", "xor", 21, (4, 4), "sigmoid", "gd", 0.1, stack=256),
    Workload("W6", "circle", 10_000, (64, 64), "relu", "adam", 0.001, batch_size=256),
]
BY_NAME = {w.name: w for w in WORKLOADS}


def cpu_sample(children=False):
    """(busy CPU seconds of the whole machine, CPU seconds of this process — or of its
    finished children —, wall time): two samples tell how much CPU other processes used."""
    import os

    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
    if children:
        t = os.times()
        ours = t.children_user + t.children_system
    else:
        ours = time.process_time()  # every thread of this process
    return busy / os.sysconf("SC_CLK_TCK"), ours, time.perf_counter()


def others_share(before, after):
    """The share of the machine's CPU (all cores) that other processes used between two
    samples: busy time that was not ours. Jiffy resolution: meaningful over ~0.1 s or more."""
    import os

    busy = after[0] - before[0]
    ours = after[1] - before[1]
    wall = after[2] - before[2]
    return max(0.0, busy - ours) / (wall * (os.cpu_count() or 1))


class Timer:
    """Times blocks of epochs of ``run_block(epochs)``, which trains that many more epochs.

    The block size is chosen first: epochs are doubled from 1 until a block takes
    CALIBRATE_SECONDS (which also warms everything up), then scaled so that one block takes
    about ``block_seconds``. Each :meth:`block` is a warm-up of a tenth of a block (at least one
    epoch), then one timed block. A block during which other processes used more than
    BUSY_LIMIT of the CPU is timed again (up to ATTEMPTS times; then the least disturbed one is
    kept): with two BLAS or OpenMP threads on two cores, one busy core can double a time.
    """

    def __init__(self, run_block, block_seconds=BLOCK_SECONDS):
        self.run_block = run_block
        epochs = 1
        while True:
            start = time.perf_counter()
            run_block(epochs)
            elapsed = time.perf_counter() - start
            if elapsed >= CALIBRATE_SECONDS:
                break
            epochs *= 2
        self.epochs = max(1, round(epochs * block_seconds / elapsed))
        self.warmup = max(1, self.epochs // 10)

    def block(self):
        """{"seconds": per epoch, "others": others' CPU share, "retimed": blocks redone,
        "wall": seconds spent, warm-ups included}."""
        started = time.perf_counter()
        tries, retimed = [], 0
        for _attempt in range(ATTEMPTS):
            self.run_block(self.warmup)
            before = cpu_sample()
            start = time.perf_counter()
            self.run_block(self.epochs)
            seconds = (time.perf_counter() - start) / self.epochs
            share = others_share(before, cpu_sample())
            tries.append((share, seconds))
            if share <= BUSY_LIMIT:
                break
            retimed += 1
        share, seconds = min(tries)
        return {"seconds": seconds, "others": share, "retimed": retimed,
                "wall": time.perf_counter() - started}


def summarise(blocks, epochs, warmup):
    """The record of one measurement from its timed blocks (see Timer.block)."""
    per_epoch = [b["seconds"] for b in blocks]
    ordered = sorted(per_epoch)
    median = ordered[len(ordered) // 2]
    return {
        "median_s": median,
        "repeats_s": per_epoch,
        "spread": (ordered[-1] - ordered[0]) / median,
        "others_cpu_share": [b["others"] for b in blocks],
        "blocks_retimed": sum(b["retimed"] for b in blocks),
        "block_epochs": epochs,
        "warmup_epochs": warmup,
        "measurement_s": sum(b["wall"] for b in blocks),
    }


def fmt_seconds(s):
    """A duration in µs, ms or s, three significant figures."""
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return "—"
    for scale, unit in ((1e9, "ns"), (1e6, "µs"), (1e3, "ms"), (1.0, "s")):
        v = s * scale
        if float(f"{v:.3g}") < 1000 or unit == "s":
            return f"{sig3(v)} {unit}"


def sig3(v):
    """v with three significant figures, never in exponent notation."""
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    digits = max(0, 2 - math.floor(math.log10(abs(float(f"{v:.3g}")))))
    return f"{v:.{digits}f}"
