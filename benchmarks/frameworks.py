"""One workload trained by each framework, as its users would write it.

Each ``*_block(workload, threads)`` returns ``run_block(epochs)``, which trains that many more
epochs of the same network (so warm-up and timed blocks continue one training run).
"""

import time

import numpy as np

SKLEARN_NOTE = ("scikit-learn's MLPClassifier has no MSE loss for classification: it trains "
                "with log-loss (a logistic output and binary cross-entropy), so its backward "
                "pass differs slightly from the others'")
TORCH_BATCHES = "a torch.randperm index permutation per epoch, sliced into batches (no DataLoader)"


# -- backproplab ------------------------------------------------------------------------------


def backproplab_block(w, threads=None):
    """backproplab.train on an MLP (a stack of ``w.stack`` networks for W5)."""
    from backproplab import MLP, train

    x, y = w.dataset()
    seed = 0 if w.stack == 1 else list(range(w.stack))
    model = MLP(2, hidden=w.hidden, activation=w.activation, seed=seed)

    def run_block(epochs):
        history = train(model, x, y, loss="mse", optimizer=w.optimizer, lr=w.lr, epochs=epochs,
                        batch_size=w.batch_size)
        # every network of the stack must have trained every epoch, or the timing is off
        assert np.all(history.epochs_run == epochs) and not np.any(history.diverged), history

    return run_block


def numpy_bare_block(w, threads=None):
    """backproplab's own NumPy calls for one epoch — forward, backward and the gd update,
    into the same kept arrays — written out with nothing around them: no engine (Trainer,
    layers, containers), no loss value, no accuracy, no divergence check. What backproplab's
    epoch costs beyond this is the engine and the per-epoch bookkeeping (issue 16's aim: at
    most 30% more). The same arithmetic as backproplab's, so its weights follow the same
    numbers; the sigmoid takes backproplab's small-array calls up to 1024 numbers."""
    if not w.has_bare_epoch:
        raise ValueError(f"the bare NumPy epoch is written for sigmoid, gd, full batch, one "
                         f"network; not for {w.name}")
    from backproplab import MLP

    x, y = w.dataset()
    model = MLP(2, hidden=w.hidden, activation=w.activation, seed=0)  # its initial weights
    n = len(x)
    y = y.reshape(n, 1).astype(np.float64)
    sizes = w.sizes
    Wb = [np.vstack([W[0], b[0]]) for (_, W), (_, b) in
          zip(model.param_arrays()[0::2], model.param_arrays()[1::2])]  # [W; b] per layer
    x1 = [np.ones((n, a + 1)) for a in sizes[:-1]]  # [x 1] per layer
    x1[0][:, :-1] = x
    z = [np.empty((n, b)) for b in sizes[1:]]
    e, a, dz = ([np.empty_like(v) for v in z] for _ in range(3))
    dW = [np.empty_like(v) for v in Wb]
    dx = [None] + [np.empty((n, b)) for b in sizes[1:-1]]
    scratch = [np.empty_like(v) for v in Wb]
    WT = [v[:-1].T for v in Wb]
    zero, one, minus1, lr = (np.array(v) for v in (0.0, 1.0, -1.0, w.lr))
    slope, diff, grad = np.array(2.0 / n), np.empty((n, 1)), np.empty((n, 1))
    layers = range(len(Wb))

    def sigmoid(i):  # backproplab's Sigmoid.forward, both paths
        if z[i].size <= 1024:
            np.exp(np.copysign(z[i], minus1, e[i]), e[i])
            np.maximum(e[i], np.sign(z[i], a[i]), out=a[i])
        else:
            np.exp(np.negative(np.abs(z[i], e[i]), e[i]), e[i])
            np.maximum(e[i], np.greater_equal(z[i], zero, out=a[i]), out=a[i])
        np.add(e[i], one, e[i])
        np.divide(a[i], e[i], a[i])

    def run_block(epochs):
        for _ in range(epochs):
            for i in layers:
                if i:
                    x1[i][:, :-1] = a[i - 1]
                x1[i].dot(Wb[i], z[i])
                sigmoid(i)
            np.subtract(a[-1], y, diff)
            g = np.multiply(slope, diff, grad)  # dL/dŷ of the mean squared error
            for i in reversed(layers):
                d = np.subtract(one, a[i], dz[i])
                d *= a[i]
                d *= g
                x1[i].T.dot(d, dW[i])
                if i:
                    g = d.dot(WT[i], dx[i])
            for i in layers:
                Wb[i] -= np.multiply(lr, dW[i], scratch[i])

    return run_block


def matmul_flops(size=500):
    """float64 matmul throughput of NumPy's BLAS, (size × size) @ (size × size): FLOP/s of
    the median of REPEATS timed blocks of about 0.2 s (timed as the workloads are, see
    workloads.Timer)."""
    import workloads as wl

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    out = np.empty((size, size))

    def run_block(calls):
        for _ in range(calls):
            np.matmul(a, b, out=out)

    timer = wl.Timer(run_block)
    result = wl.summarise([timer.block() for _ in range(wl.REPEATS)], timer.epochs,
                          timer.warmup)
    flops = 2 * size**3
    return {"size": size, "flops_per_s": flops / result["median_s"],
            "repeats": [flops / s for s in result["repeats_s"]],
            "calls_per_block": timer.epochs, "others_cpu_share": result["others_cpu_share"],
            "blocks_retimed": result["blocks_retimed"]}


def profile_w2(w, epochs=3000, top=15):
    """cProfile of backproplab training W2 for ``epochs`` epochs: the top lines by own time."""
    import cProfile
    import io
    import pstats

    run_block = backproplab_block(w)
    run_block(100)
    profiler = cProfile.Profile()
    profiler.enable()
    run_block(epochs)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines = out.getvalue().strip().splitlines()
    # drop pstats' preamble up to the totals line; keep the totals, header and rows
    start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
    return f"cProfile, {epochs} epochs of W2:\n" + "\n".join(
        line.rstrip() for line in lines[start:] if line.strip() and "Ordered by" not in line)


# -- PyTorch ----------------------------------------------------------------------------------


def torch_setup(w, threads):
    """The model, data, loss and optimizer, as a PyTorch user writes them."""
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}[w.activation]
    layers = []
    for a, b in zip(w.sizes[:-2], w.sizes[1:-1]):
        layers += [nn.Linear(a, b), act()]
    layers += [nn.Linear(w.sizes[-2], w.sizes[-1]), nn.Sigmoid()]
    model = nn.Sequential(*layers).double()
    x, y = w.dataset()
    x = torch.tensor(x, dtype=torch.float64)
    y = torch.tensor(y, dtype=torch.float64)
    loss_fn = nn.MSELoss()
    if w.optimizer == "gd":
        opt = torch.optim.SGD(model.parameters(), lr=w.lr)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=w.lr)
    return model, x, y, loss_fn, opt


def _epochs(w, x, y, step):
    """run_block for a step(xb, yb) function: full batch, or shuffled mini-batches."""
    import torch

    n = x.shape[0]
    if w.batch_size is None:
        def run_block(epochs):
            for _ in range(epochs):
                step(x, y)
    else:
        def run_block(epochs):
            for _ in range(epochs):
                perm = torch.randperm(n)
                for start in range(0, n, w.batch_size):
                    idx = perm[start:start + w.batch_size]
                    step(x[idx], y[idx])
    return run_block


def torch_eager_block(w, threads):
    model, x, y, loss_fn, opt = torch_setup(w, threads)

    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()

    return _epochs(w, x, y, step)


TORCH_COMPILE_HOW = ("torch.compile (default mode) of the model and the loss together (forward "
                     "graph plus AOTAutograd's backward graph) and of optimizer.step(); "
                     "zero_grad and backward() called as usual")


def torch_compile_block(w, threads):
    """The same step with the model+loss and the optimizer step compiled; returns (run_block,
    compile seconds: the wall time of the first epoch, which compiles everything)."""
    import torch

    model, x, y, loss_fn, opt = torch_setup(w, threads)

    @torch.compile
    def forward_loss(xb, yb):
        return loss_fn(model(xb), yb)

    @torch.compile
    def opt_step():
        opt.step()

    def step(xb, yb):
        opt.zero_grad()
        loss = forward_loss(xb, yb)
        loss.backward()
        opt_step()

    run_block = _epochs(w, x, y, step)
    start = time.perf_counter()
    run_block(1)
    compile_s = time.perf_counter() - start
    return run_block, compile_s


# -- scikit-learn ------------------------------------------------------------------------------


def sklearn_block(w, threads=None):
    """MLPClassifier.partial_fit once per epoch: full batch (batch_size = n) or mini-batches,
    plain SGD (no momentum, no L2) or Adam with torch's settings."""
    import warnings

    from sklearn.neural_network import MLPClassifier

    x, y = w.dataset()
    y = y.ravel()
    activation = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu"}[w.activation]
    settings = {"solver": "sgd", "momentum": 0.0, "nesterovs_momentum": False,
                "learning_rate": "constant"} if w.optimizer == "gd" else {
                "solver": "adam", "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
    clf = MLPClassifier(hidden_layer_sizes=w.hidden, activation=activation, alpha=0.0,
                        learning_rate_init=w.lr, batch_size=w.batch_size or len(x),
                        shuffle=True, random_state=0, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(x, y, classes=np.array([0, 1]))

    def run_block(epochs):
        for _ in range(epochs):
            clf.partial_fit(x, y)

    return run_block
