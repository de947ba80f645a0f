"""The ``backproplab`` command. ``main(argv) -> int`` so tests call it directly.

Start-up imports nothing heavy: NumPy and friends are imported by the command that runs.
"""

import argparse
import sys

from .edge import readable_output, run, say, signals_deferred, terminate_as_interrupt


def build_parser():
    from .options import (
        SWEEP_EXAMPLES,
        TRAIN_EXAMPLES,
        add_network_options,
    )

    parser = argparse.ArgumentParser(
        prog="backproplab",
        description="Backpropagation from scratch in NumPy: train the lab's network, and see "
                    "inside it.",
        epilog="Run 'backproplab COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true",
                        help="show a traceback for every error (also: BACKPROPLAB_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train", help="train one network and write its log, predictions, model and figures",
        description="Train one network (default: the lab's — two hidden layers, sigmoid, mse, "
                    "gradient descent) and write config.json, history.csv, predictions.csv, "
                    "model.npz, metrics.json and the figures to --out.",
        epilog=TRAIN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_network_options(train)
    o = train.add_argument_group("output")
    o.add_argument("--out", metavar="DIR", help="output folder (default: a new one under runs/)")
    o.add_argument("--overwrite", action="store_true",
                   help="replace --out if it holds files already (by default it must be new "
                        "or empty); the old run goes once the new one is complete")
    o.add_argument("--save", metavar="MODEL.npz",
                   help="also save the trained model here: a checkpoint, like DIR/model.npz")
    o.add_argument("--resume", metavar="MODEL.npz",
                   help="go on with the run this checkpoint holds (its settings; options given "
                        "must agree) until --epochs, as if it had never stopped")
    o.add_argument("--log-every", type=int, metavar="K",
                   help="a log line every K epochs (default: epochs / 20)")
    o.add_argument("--no-plots", action="store_true", help="skip the figures")
    o.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sweep = commands.add_parser(
        "sweep", help="train a grid of settings × seeds, many networks at once",
        description="Train every network a sweep file asks for — networks of the same shape as "
                    "one stack — and write results.csv (one row per network) and curves.npz.",
        epilog=SWEEP_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("file", metavar="FILE.toml", help="the sweep file")
    sweep.add_argument("--out", metavar="DIR", required=True, help="output folder")
    sweep.add_argument("--jobs", type=int, metavar="N",
                       help="parallel processes (default and most: one per core; never more "
                            "than there are stacks)")
    sweep.add_argument("--backend", default="loky", metavar="NAME",
                       help="loky (local processes) or dask (default: %(default)s)")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="the Dask scheduler's address, with --backend dask")
    sweep.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="give up reaching the Dask scheduler (and waiting for a worker) "
                            "after this long (default: 30)")
    sweep.add_argument("--max-memory", metavar="SIZE",
                       help="refuse a sweep whose networks would need more memory, by their "
                            "estimate (default: 4G)")
    sweep.add_argument("--overwrite", action="store_true",
                       help="replace --out if it holds files already")
    sweep.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sweep.add_argument("--plot", action="store_true",
                       help="at the end, draw the sweep into DIR/plots as 'backproplab plot' does")
    _add_plot(commands)

    report = commands.add_parser(
        "report", help="run the whole lab and write report.md and report.html",
        description="Run the whole lab — the lab's two runs and the discussion experiments "
                    "over many seeds — and write DIR/report.md (figures beside it) and a "
                    "self-contained DIR/report.html.",
        epilog="examples:\n  backproplab report --out report\n"
               "  backproplab report --out report --quick\n"
               "  backproplab report --out report --experiments my_experiments/\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("--out", metavar="DIR", default="report",
                        help="output folder (default: %(default)s)")
    report.add_argument("--quick", action="store_true",
                        help="a small version: 2 seeds, a tenth of the epochs")
    report.add_argument("--jobs", type=int, metavar="N",
                        help="parallel processes (default: all cores)")
    report.add_argument("--experiments", metavar="DIR",
                        help="a folder of edited experiment files (NAME.toml) to use instead "
                             "of the shipped ones")
    report.add_argument("--overwrite", action="store_true",
                        help="replace --out even if it holds files other than a report")
    report.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_learning_tools(commands)
    _add_check(commands)
    _add_serve(commands)
    for command in commands.choices.values():  # --debug after the command's name works too
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show a traceback for every error")
    return parser


def _add_plot(commands):
    """plot: a sweep's folder drawn as the report draws its experiments."""
    plot = commands.add_parser(
        "plot", help="draw a sweep's results: curves over seeds and the table per setting",
        description="Draw what 'backproplab sweep' wrote to SWEEP_DIR (results.csv and\n"
                    "curves.npz) as the report draws its experiments: for each data set, the loss\n"
                    "and the training accuracy over seeds (the median and the 10–90% band of\n"
                    "every setting, × where a run diverged) as PNG, and the table per setting\n"
                    "(the settings that vary across the sweep, seeds pooled) in summary.md.",
        epilog="examples:\n  backproplab plot runs/lr                 # into runs/lr/plots\n"
               "  backproplab plot runs/lr --out lr-figures\n"
               "  backproplab sweep lr.toml --out runs/lr --plot   # the same, after the sweep\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plot.add_argument("sweep_dir", metavar="SWEEP_DIR", help="a sweep's --out folder")
    plot.add_argument("--out", metavar="DIR",
                      help="output folder (default: SWEEP_DIR/plots); one holding an earlier "
                           "plot is replaced")
    plot.add_argument("--max-memory", metavar="SIZE",
                      help="refuse curves.npz if its curves need more (default: 4G)")
    plot.add_argument("--overwrite", action="store_true",
                      help="replace --out even if it holds files other than a plot")
    plot.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _add_learning_tools(commands):
    """gradcheck and explain: the network options of train, and their own."""
    from .options import EXPLAIN_EXAMPLES, GRADCHECK_EXAMPLES, add_network_options

    check = commands.add_parser(
        "gradcheck", help="check every gradient of a network against finite differences",
        description="Build the network train would build from these options and compare, for\n"
                    "every parameter, the gradient backpropagation computes with a central\n"
                    "finite difference, in float64, at the initial weights (--epochs N: after N\n"
                    "epochs of training). Prints a table per parameter array; exit status 0\n"
                    "when all pass, 1 when any fails.",
        epilog=GRADCHECK_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_network_options(check)
    check.set_defaults(epochs=0)
    g = check.add_argument_group("gradcheck")
    g.add_argument("--samples", type=int, metavar="N",
                   help="use the first N samples of the data set (default: all)")
    g.add_argument("--step", type=float, default=1e-5, metavar="H",
                   help="finite-difference step (default: %(default)g)")
    g.add_argument("--tol", type=float, default=1e-5,
                   help="largest relative error that passes (default: %(default)g)")
    g.add_argument("--break", dest="break_layer", type=int, metavar="LAYER",
                   help="plant a bug in layer LAYER's backward (1 = W1, b1): it divides its "
                        "gradients by the number of samples again, a slip that still trains; "
                        "see its rows FAIL")
    g.add_argument("--max-params", type=int, metavar="M",
                   help="check at most M evenly spaced entries of each parameter array")
    g.add_argument("--format", default="text", help="text or markdown (default: %(default)s)")
    g.add_argument("--out", metavar="FILE", help="also write the result to FILE")

    explain = commands.add_parser(
        "explain", help="one training step of a tiny network, written out with its numbers",
        description="One gradient-descent step of the network train would build, written out\n"
                    "with the real numbers: the forward pass layer by layer, the loss, the\n"
                    "backward pass (each δ, dW and db by the chain rule), the updated weights\n"
                    "and the loss after the step. Its numbers are train's, to the last bit.\n"
                    "Plain gradient descent, full batch; --epochs N explains the step after N\n"
                    "epochs of training.",
        epilog=EXPLAIN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_network_options(explain)
    explain.set_defaults(data="xor", hidden=[2, 2], epochs=0)
    e = explain.add_argument_group("explain")
    e.add_argument("--samples", type=int, default=2, metavar="N",
                   help="the step uses the first N samples of the data set (default: "
                        "%(default)s); --epochs trains on them first")
    e.add_argument("--format", default="text", help="text or markdown (default: %(default)s)")
    e.add_argument("--out", metavar="FILE", help="write it to FILE instead of printing it")


def _add_serve(commands):
    """serve: the playground in the browser."""
    from .options import SERVE_EXAMPLES

    serve = commands.add_parser(
        "serve", help="the playground: a network training live in your browser",
        description="Start the playground on this machine and print its address: a page where a\n"
                    "network trains while you watch (NumPy on this server, the same numbers as\n"
                    "'backproplab train'). Needs the [web] extra. Ctrl-C stops it.",
        epilog=SERVE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: %(default)s, this machine only)")
    serve.add_argument("--port", type=int, default=8765,
                       help="port to listen on, 0 for any free one (default: %(default)s)")
    serve.add_argument("--open", action="store_true", help="open the page in your browser")


CHECK_PROTOCOL = """\
your file defines make_network(n_in, hidden, n_out, seed) (or the function named after a
colon, FILE.py:function), which returns your network object. The object has:
  - its weights as NumPy arrays: parameters() returning W1, b1, W2, b2, ... in that order,
    or attributes W1/w1/weight1, b1/B1/bias1, ...; biases are optional; a W may be
    (n_in, n_out) or transposed, (n_out, n_in). The checker writes its weights into them.
  - forward(x): the output, shape (n, 1) or (n,);
  - backward(x, y): the gradients, a dict keyed by the weights' names (or dW1, ...) or a list
    in their order; and/or step(x, y, lr): one plain gradient-descent update, in place;
  - optionally loss(y_hat, y): then the gradients are also checked against finite
    differences of your own loss.
exit status: 0 all matches, 1 something does not, 2 a bad file, protocol or option.

examples:
  backproplab check my_lab.py
  backproplab check my_lab.py --data xor --hidden 4 4
  backproplab check my_lab.py:build --loss bce --epochs 500 --out runs/check
"""


def _add_check(commands):
    """check: a learner's own network against backproplab's, the mistake named."""
    check = commands.add_parser(
        "check", help="check your own NumPy network against backproplab's, naming the mistake",
        description="Run your network (in a child process, with a time limit) beside\n"
                    "backproplab's MLP at the same weights: the structure, the forward pass\n"
                    "(to 1e-10), every gradient array (against backprop and, with your loss,\n"
                    "finite differences; a failing one is matched against the usual mistakes),\n"
                    "and training from the same weights, both loss curves in check.png.",
        epilog=CHECK_PROTOCOL, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("file", metavar="FILE.py[:function]", nargs="?",
                       help="your network's file")
    check.add_argument("--template", metavar="FILE.py",
                       help="write a starting file to FILE.py instead: data, make_network and "
                            "forward done, backward as TODO lines with each array's shape and "
                            "chain-rule line")
    d = check.add_argument_group("the network to compare with")
    d.add_argument("--data", default="linear", metavar="NAME|FILE.csv",
                   help="two-class data set (default: %(default)s)")
    d.add_argument("--n", type=int, help="number of points of a generated data set")
    d.add_argument("--noise", type=float, help="noise of a generated data set")
    d.add_argument("--hidden", type=int, nargs="+", metavar="UNITS",
                   help="units per hidden layer (default: 10 10)")
    d.add_argument("--activation", nargs="+", metavar="NAME",
                   help="hidden activation, one or one per layer (default: sigmoid)")
    d.add_argument("--output", metavar="NAME", help="sigmoid or none (default: sigmoid)")
    d.add_argument("--loss", metavar="NAME", help="mse or bce (default: mse)")
    d.add_argument("--lr", type=float, help="learning rate of the training (default: 1)")
    d.add_argument("--epochs", type=int, default=2000,
                   help="epochs of training side by side (default: %(default)s; 0: none)")
    d.add_argument("--seed", type=int, default=0, help="the weights' seed (default: 0)")
    c = check.add_argument_group("check")
    c.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="longest any one call into your code may take (default: %(default)g)")
    c.add_argument("--out", metavar="DIR", default=".",
                   help="folder for check.png (default: the current folder)")


def main(argv=None):
    """Run the command line with ``argv`` (default: sys.argv[1:]); returns the exit status."""
    try:
        terminate_as_interrupt()
        # A Ctrl-C while NumPy and the commands load is held until they have loaded, then is an
        # interruption like any other. Raised in the middle of an import, it could be swallowed
        # by the library being imported, or make Python end by SIGINT after exit status 130.
        with signals_deferred():
            readable_output()
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.version:
                from .. import __version__

                print(f"backproplab {__version__}")
                return 0
            if args.command is None:
                parser.print_help()
                return 2
            if args.command == "train":  # --resume must know which options were typed
                args.defaults = vars(parser.parse_args(["train"]))
            from .commands import COMMANDS
    except KeyboardInterrupt:
        say("backproplab: interrupted")
        return 130
    return run(args.command, COMMANDS[args.command], args)


if __name__ == "__main__":
    sys.exit(main())
