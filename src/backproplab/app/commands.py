"""What each command does with its parsed options: the bodies behind ``backproplab train``,
``sweep``, ``plot``, ``report``, ``gradcheck``, ``explain``, ``check`` and ``serve``. The
command line (:mod:`.cli`) imports this module only once it knows which command runs, so
``--help`` stays light."""

import os
import sys
import time
from dataclasses import fields

from ..errors import BackproplabError
from ..files import write_text
from . import budget, check, explain, gradcheck, plot, report, sweep
from .budget import parse_size
from .check import template
from .config import TrainConfig
from .edge import signals_deferred
from .factory import resume_config
from .outputs import check_out, run_folder
from .serve import launch
from .sweep import results as sweep_results
from .train import train_run


def config_from_args(args):
    """The configuration of the options given; the others take their data set's defaults."""
    given = {f.name: getattr(args, f.name, None) for f in fields(TrainConfig)}
    return TrainConfig.for_data(**{k: v for k, v in given.items() if v is not None})


def run_train(args):
    if args.resume:
        defaults = args.defaults  # the parser's, set by cli.main: what was not typed
        given = {k: v for k, v in vars(config_from_args(args)).items()
                 if getattr(args, k, None) is not None and getattr(args, k) != defaults.get(k)}
        cfg = resume_config(args.resume, given)
    else:
        cfg = config_from_args(args)
    run = train_run(cfg, out=args.out, log_every=args.log_every, plots=not args.no_plots,
                    quiet=args.quiet, save=args.save, resume=args.resume,
                    overwrite=args.overwrite, max_memory=parse_size(args.max_memory))
    return run.status


def run_sweep(args):
    configs = sweep.parse(args.file)
    if args.jobs is not None and args.jobs < 1:
        raise BackproplabError(f"--jobs must be >= 1, got {args.jobs}")
    for option, value in (("--scheduler", args.scheduler), ("--timeout", args.timeout)):
        if value is not None and args.backend != "dask":
            raise BackproplabError(f"{option} applies to --backend dask")
    sweep.check_memory(configs, parse_size(args.max_memory))  # before the folder is made
    out = check_out(args.out, args.overwrite)
    started = time.perf_counter()
    timeout = {} if args.timeout is None else {"timeout": args.timeout}
    result = sweep.run(configs, jobs=args.jobs, backend=args.backend, scheduler=args.scheduler,
                       progress=not args.quiet, **timeout)
    with signals_deferred(), run_folder(out) as folder:  # written whole, then a Ctrl-C counts
        sweep.write(result, folder)
    if result.interrupted:  # what was trained is written, each network marked; exit as Ctrl-C
        finished = sum(m["status"] != "interrupted" for m in result.metrics)
        print(f"backproplab sweep: interrupted: {finished} of {len(configs)} networks "
              f"finished; results.csv in {out} marks the others 'interrupted'", file=sys.stderr)
        return 130
    if not args.quiet:
        keys, rows = sweep.summary(result)
        print(sweep.format_summary(keys, rows))
        print(f"{len(configs)} networks in {time.perf_counter() - started:.1f} s; "
              f"results written to {args.out}")
    if args.plot:
        _draw(result, os.path.join(out, "plots"), args.out, args.quiet)
    return 0


def run_plot(args):
    result = sweep_results.read(args.sweep_dir, parse_size(args.max_memory))
    where = args.out or os.path.join(args.sweep_dir, "plots")
    _draw(result, where, args.sweep_dir, args.quiet, args.overwrite)
    return 0


def _draw(result, where, source, quiet, overwrite=False):
    """A sweep's figures and summary.md, into the folder ``where`` (replacing an earlier
    plot's) as one whole."""
    out = check_out(where, overwrite, replaceable=lambda d: os.path.isfile(
        os.path.join(d, plot.SUMMARY)))
    with run_folder(out) as folder:
        paths = plot.draw(result, folder, source)
    if not quiet:
        print(f"{len(paths) - 1} figures and {plot.SUMMARY} written to {where}")


def run_report(args):
    if args.jobs is not None and args.jobs < 1:
        raise BackproplabError(f"--jobs must be >= 1, got {args.jobs}")
    # a folder holding an earlier report is replaced whole, as `make demo` expects
    out = check_out(args.out, args.overwrite,
                    replaceable=lambda d: os.path.isfile(os.path.join(d, "report.md")))
    with run_folder(out) as folder:
        (md, page), seconds = report.build(folder, quick=args.quick, jobs=args.jobs,
                                           experiments=args.experiments,
                                           progress=not args.quiet)
    if not args.quiet:
        print(f"report written to {os.path.join(args.out, os.path.basename(md))} and "
              f"{os.path.join(args.out, os.path.basename(page))} in {seconds:.1f} s")
    return 0


def run_gradcheck(args):
    cfg = config_from_args(args)
    budget.check(cfg.check(), budget.parse_size(args.max_memory))
    result = gradcheck.check(cfg, samples=args.samples, epochs=args.epochs, h=args.step,
                             tol=args.tol, break_layer=args.break_layer,
                             max_params=args.max_params)
    text = gradcheck.format_result(cfg, result, args.epochs, args.format)
    _write(text, args.out)
    print(text, end="")
    return 0 if result.passed else 1


def run_explain(args):
    cfg = config_from_args(args)
    budget.check(cfg.check(), budget.parse_size(args.max_memory))
    text = explain.render(explain.document(explain.one_step(
        cfg, samples=args.samples, epochs=args.epochs)), args.format)
    if args.out:
        _write(text, args.out)
        print(f"written to {args.out}")
    else:
        print(text, end="")
    return 0


def run_check(args):
    if args.template:
        if args.file:
            raise BackproplabError("give a file to check or --template FILE.py, not both")
        written = template.write_template(args.template)
        print(f"wrote {written}: fill in backward's TODO lines, then run "
              f"backproplab check {written}")
        return 0
    if not args.file:
        raise BackproplabError("name your network's file (FILE.py[:function]), or write a "
                               "starting one with --template FILE.py")
    path, function = args.file, "make_network"
    head, _, tail = args.file.rpartition(":")
    if head and tail.isidentifier():
        path, function = head, tail
    if args.timeout <= 0:
        raise BackproplabError(f"--timeout must be > 0, got {args.timeout:g}")
    if args.epochs < 0:
        raise BackproplabError(f"--epochs must be >= 0, got {args.epochs}")
    cfg = config_from_args(args)
    result = check.check(path, function, cfg, epochs=args.epochs, timeout=args.timeout,
                         out=args.out)
    print(check.format_result(args.file, cfg, result), end="")
    return 0 if result.passed else 1


def run_serve(args):
    return launch.serve(args.host, args.port, open_browser=args.open)


def _write(text, path):
    """Write ``text`` to ``path`` (atomically), if a path is given."""
    if not path:
        return

    try:
        write_text(path, text)
    except OSError as e:
        raise BackproplabError(f"--out {path}: cannot write it ({e.strerror})") from None


COMMANDS = {"train": run_train, "sweep": run_sweep, "plot": run_plot, "report": run_report,
            "gradcheck": run_gradcheck, "explain": run_explain, "check": run_check,
            "serve": run_serve}
