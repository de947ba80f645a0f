"""The command line's options and examples, shared by train, gradcheck and explain. Every list
of names in the help is read from the registries the package uses (activations, losses,
optimizers, schedules, data sets), so the help cannot fall behind them."""

from ..data.datasets import GENERATORS, IMAGES
from ..nn.activations import ACTIVATIONS
from ..nn.losses import LOSSES, OUTPUTS
from ..nn.optimizers import OPTIMIZERS
from ..nn.schedules import SCHEDULES
from .config import DTYPES, MODELS
from .defaults import IMAGE_DEFAULTS

TRAIN_EXAMPLES = """\
examples:
  backproplab train --data linear                   the lab's first run
  backproplab train --data xor --seed 3             the lab's second run, another seed
  backproplab train --data xor --hidden 8 8 8 --activation relu --optimizer adam --lr 0.01
  backproplab train --data xor --activation none --output none --lr 0.01
  backproplab train --data circle --n 1000 --batch-size 32 --optimizer adam --lr 0.01 --epochs 200
  backproplab train --data points.csv --epochs 5000 --save model.npz
  backproplab train --data blobs --output softmax --loss ce --epochs 1000   three classes
  backproplab train --data xor --init model.npz --epochs 1000
  backproplab train --resume runs/xor/model.npz --epochs 40000   go on where a run stopped
  backproplab train --data digits                   an MLP on 8×8 handwritten digits
  backproplab train --data digits --model cnn       a small convolutional network on them
"""


# what the help says beside a name, where the name alone is not enough
NOTES = {
    "xor": "the lab's 21 points", "blobs": "3 classes: --output softmax --loss ce",
    "digits": "8×8 images of 0–9, split 80/20; needs scikit-learn",
    "mlp": "dense layers", "cnn": "convolutions, for images: --data digits",
    "none": "no activation", "mse": "the lab's", "bce": "cross-entropy from logits",
    "ce": "softmax cross-entropy, K classes", "step": "lr·G^(epoch//N)",
    "exponential": "lr·G^epoch", "cosine": "annealed from lr to --eta-min over --t-max epochs",
}
OUTPUT_NOTES = {"none": "a linear output", "softmax": "K classes"}


def names(registry, notes=None, last="or"):
    """The registry's names as a list for the help: 'a, b (note) or c'."""
    shown = [f"{n} ({notes[n]})" if notes and n in notes else n for n in registry]
    if not last or len(shown) < 2:
        return ", ".join(shown)
    return f"{', '.join(shown[:-1])} {last} {shown[-1]}"


def _defaults(key, lab):
    """'(default: LAB; digits: …)' for an option whose default depends on the data: the lab's
    (given as text), then the digits' (per model where they differ)."""
    def show(v):
        return " ".join(map(str, v)) or "none" if isinstance(v, list) else str(v)

    digits = {model: show(d[key]) for model, d in IMAGE_DEFAULTS.items()}
    if len(set(digits.values())) == 1:
        shown = next(iter(digits.values()))
    else:
        shown = ", ".join(f"{v} for {model}" for model, v in digits.items())
    return f"(default: {lab}; digits: {shown})"


def add_network_options(p):
    """The options that define data, network and training — shared by train and later tools."""
    from_defaults = "(default: %(default)s)"
    d = p.add_argument_group("data")
    d.add_argument("--data", default="linear", metavar="NAME|FILE.csv",
                   help=names(GENERATORS, NOTES, last="") + ", a CSV file (header row, "
                        "features, the label last: 0/1, or classes 0…K−1 with --output "
                        "softmax --loss ce), or " + names(IMAGES, NOTES) + " " + from_defaults)
    d.add_argument("--n", type=int, help="number of points of a generated data set (default 100)")
    d.add_argument("--noise", type=float, help="noise of a generated data set")
    d.add_argument("--data-seed", type=int, metavar="S",
                   help="seed of the data set alone, or of the digits' train/test split "
                        "(default: --seed)")
    d.add_argument("--standardize", action="store_true",
                   help="scale each input feature to mean 0, std 1 (off: inputs as given)")
    n = p.add_argument_group(
        "network", "Options left out take the lab's defaults, or the digits' own with --data "
                   "digits; options given always win.")
    n.add_argument("--model", default="mlp", metavar="NAME",
                   help=names(MODELS, NOTES) + " " + from_defaults)
    n.add_argument("--hidden", type=int, nargs="+", metavar="UNITS",
                   help="units per hidden layer, any number of layers; with cnn, dense layers "
                        "after the convolutions " + _defaults("hidden", "10 10"))
    n.add_argument("--activation", nargs="+", metavar="NAME",
                   help=names(ACTIVATIONS, NOTES) + "; one for all hidden layers or one per "
                        "layer " + _defaults("activation", "sigmoid"))
    n.add_argument("--output", metavar="NAME",
                   help="output unit: " + names(OUTPUTS, OUTPUT_NOTES) + " "
                        + _defaults("output", "sigmoid"))
    n.add_argument("--loss", metavar="NAME",
                   help=names(LOSSES, NOTES) + " " + _defaults("loss", "mse"))
    cnn = IMAGE_DEFAULTS["cnn"]
    n.add_argument("--channels", type=int, nargs="+", metavar="C",
                   help="cnn: output channels of each convolution (K×K, padded so the image "
                        "keeps its size, then relu; a 2×2 max-pool after each but the last) "
                        f"(default: {' '.join(map(str, cnn['channels']))})")
    n.add_argument("--kernel", type=int, metavar="K",
                   help=f"cnn: the convolutions' kernel size K×K (default: {cnn['kernel']})")
    n.add_argument("--dropout", type=float, metavar="P",
                   help="cnn: dropout rate before each dense layer (default: "
                        f"{cnn['dropout']:g})")
    n.add_argument("--dtype", default="float64", metavar="TYPE",
                   help=names(DTYPES) + " " + from_defaults)
    n.add_argument("--init", metavar="MODEL.npz",
                   help="start from a saved model's weights (its layer sizes must fit)")
    t = p.add_argument_group("training")
    t.add_argument("--optimizer", metavar="NAME",
                   help=names(OPTIMIZERS) + " — PyTorch's update rules "
                        + _defaults("optimizer", "gd"))
    t.add_argument("--lr", type=float,
                   help="learning rate " + _defaults("lr", "1.0 for gd, else PyTorch's"))
    t.add_argument("--momentum", type=float,
                   help="momentum of momentum/nesterov (default 0.9) or rmsprop (default 0)")
    t.add_argument("--weight-decay", type=float, metavar="WD",
                   help="L2 weight decay (adamw: decoupled, default 0.01; others: 0)")
    t.add_argument("--l1", type=float, metavar="LAMBDA",
                   help="L1 penalty LAMBDA·Σ|p| on every weight and bias, any optimizer "
                        "(default 0; the logged loss is the data's alone)")
    t.add_argument("--schedule", default="constant", metavar="NAME",
                   help="the learning rate per epoch, as PyTorch's schedulers: "
                        + names(SCHEDULES, NOTES) + " " + from_defaults)
    t.add_argument("--step-size", type=int, metavar="N", help="step: decay every N epochs")
    t.add_argument("--gamma", type=float, metavar="G",
                   help="step, exponential: the decay factor, 0 < G <= 1 (step: default 0.1)")
    t.add_argument("--t-max", type=int, metavar="N",
                   help="cosine: the half period in epochs (default: --epochs)")
    t.add_argument("--eta-min", type=float, metavar="LR",
                   help="cosine: the lowest learning rate, below --lr (default 0)")
    t.add_argument("--epochs", type=int, help=_defaults("epochs", "20000"))
    t.add_argument("--batch-size", type=int, metavar="B",
                   help="train on shuffled mini-batches of B "
                        + _defaults("batch_size", "full batch, as the lab"))
    t.add_argument("--seed", type=int, default=0,
                   help="seeds data, initialisation and batch order " + from_defaults)
    t.add_argument("--stop-at-loss", type=float, metavar="L",
                   help="stop once the loss is at most L")
    t.add_argument("--max-memory", metavar="SIZE",
                   help="refuse a run whose estimated memory is beyond SIZE, e.g. 8G or 500M "
                        "(default: 4G)")
    t.add_argument("--test-n", type=int, metavar="N",
                   help="also measure accuracy on a fresh sample of N points from the same "
                        "distribution (generated data sets; the digits have their own test set)")
    t.add_argument("--test-fraction", type=float, metavar="F",
                   help="hold out this share of the data (0 < F < 1, stratified by label, drawn "
                        "from the data seed) as a test set and train on the rest; history.csv "
                        "and the learning curve get the test loss and accuracy of every epoch, "
                        "as with --test-n")


GRADCHECK_EXAMPLES = """\
examples:
  backproplab gradcheck --data xor                     the lab's network, every gradient
  backproplab gradcheck --data linear --hidden 4 4 4 --activation relu --loss bce --output sigmoid
  backproplab gradcheck --data xor --break 2           what a wrong gradient looks like
  backproplab gradcheck --data xor --epochs 1000       after some training
"""

EXPLAIN_EXAMPLES = """\
examples:
  backproplab explain                                  2-2-2-1 network, XOR, 2 samples
  backproplab explain --activation relu --loss bce --samples 4
  backproplab explain --format markdown --out step.md
  backproplab explain --epochs 2000                    the step after 2000 epochs
"""


SWEEP_EXAMPLES = """\
a sweep file is TOML whose keys are train's options; a list is a grid axis:

  data = "xor"
  hidden = [4, 4]                 # for hidden, an axis is a list of lists: [[2, 2], [8, 8]]
  lr = [0.01, 0.1, 1.0]
  seeds = 20                      # seeds 0..19 (a list also works)
  epochs = 5000

examples:
  backproplab sweep lr.toml --out runs/lr
  backproplab sweep lr.toml --out runs/lr --jobs 2
  backproplab sweep lr.toml --out runs/lr --backend dask --scheduler tcp://127.0.0.1:8786
"""


SERVE_EXAMPLES = """\
examples:
  backproplab serve                     then open http://127.0.0.1:8765/
  backproplab serve --open --port 9000
  open http://127.0.0.1:8765/?data=xor&hidden=4,4&activation=tanh&optimizer=adam&lr=0.03&play=1

It listens on 127.0.0.1 (this machine) unless --host says otherwise: a page is for its own
user; --host 0.0.0.0 lets others on the network in (a classroom), with no password.
"""
