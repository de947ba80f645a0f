"""The package's shape: layers that import one way, no cycles, modules a reader takes in one
sitting, and a command line whose help lists every name the registries know."""

import ast
from pathlib import Path

import pytest

import backproplab

PACKAGE = Path(backproplab.__file__).parent
# bottom to top: a module may import from its own layer and the layers below it
# (sklearn, the estimators, is a front end beside the lab's applications)
LAYERS = {"errors": 0, "checks": 0, "files": 0, "limits": 0, "nn": 1, "engine": 2, "models": 3,
          "data": 4, "figures": 5, "app": 6, "sklearn": 6, "__init__": 7, "__main__": 7}
MAX_LINES = 300
# packages a function may import for itself: optional ones, and those the CLI's start-up defers
# (multiprocessing: only where worker processes start, next to joblib's import)
DEFERRED = {"matplotlib", "sklearn", "threadpoolctl", "dask", "distributed", "tqdm", "joblib",
            "tomllib", "tomli", "starlette", "uvicorn", "websockets", "multiprocessing"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(name, path):
    """(imported backproplab module, line, inside a function?) for every import in a module,
    a function's own included; `from X import y` counts y when y is a module."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    known = {m for m, _ in _modules()}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield (full if full in known else target), node.lineno, id(node) in inside
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in inside


def _layer(module):
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else "__init__"]


GRAPH = {name: [(t, line, f) for t, line, f in _imports(name, path)
                if t == "backproplab" or t.startswith("backproplab.")]
         for name, path in _modules()}


def test_the_walk_sees_every_layer():
    assert {name.split(".")[1] for name in GRAPH if "." in name} >= {
        "nn", "engine", "models", "data", "figures", "app", "sklearn", "errors", "files",
        "checks"}
    assert sum(len(edges) for edges in GRAPH.values()) > 100


def test_no_import_cycles():
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for target, _, _ in GRAPH.get(module, []):
            if target not in GRAPH or target == module or module.startswith(target + "."):
                continue  # a package's own __init__ is not a cycle through its modules
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in GRAPH:
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles


def test_imports_flow_one_way_up_the_layers():
    wrong = [f"{m} (layer {_layer(m)}) imports {t} (layer {_layer(t)}), line {line}"
             for m, edges in GRAPH.items() for t, line, _ in edges
             if t != "backproplab" and _layer(t) > _layer(m)]
    # `from backproplab import __version__`: the version, not the package's contents
    assert not wrong, wrong


def test_imports_inside_functions_only_for_optional_packages_and_the_cli_start_up():
    found = []
    for name, path in _modules():
        for target, line, in_function in _imports(name, path):
            if not in_function or name == "backproplab.app.cli":
                continue
            if target.split(".")[0] not in DEFERRED:
                found.append(f"{name}:{line} imports {target}")
    assert not found, found


def test_the_web_extra_is_the_servers_alone_and_imported_only_when_it_serves():
    """starlette, uvicorn and websockets (the optional [web] extra) are imported by app/serve
    alone, inside functions: the command line and the package start without them."""
    web = {"starlette", "uvicorn", "websockets"}
    found = [f"{name}:{line} imports {target}" for name, path in _modules()
             for target, line, in_function in _imports(name, path)
             if target.split(".")[0] in web
             and not (name.startswith("backproplab.app.serve.") and in_function)]
    assert not found, found


@pytest.mark.parametrize("name, path", list(_modules()), ids=lambda v: str(v))
def test_every_module_reads_in_one_sitting(name, path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_the_cli_help_names_everything_the_registries_know(cli):
    from backproplab.app.config import DTYPES, MODELS
    from backproplab.data.datasets import GENERATORS, IMAGES
    from backproplab.nn import ACTIVATIONS, LOSSES, OPTIMIZERS, OUTPUTS, SCHEDULES

    for command in ("train", "gradcheck", "explain"):
        with pytest.raises(SystemExit):
            cli(command, "--help")
    from backproplab.app.cli import build_parser

    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    text = " ".join(text.split())  # argparse wraps lines
    for registry in (ACTIVATIONS, OPTIMIZERS, LOSSES, OUTPUTS, SCHEDULES, GENERATORS, IMAGES,
                     MODELS, DTYPES):
        for name in registry:
            assert f" {name}" in text, name
