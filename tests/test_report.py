"""`backproplab report --quick` end to end, and the report's generated text against its tables."""

import html
import os
import re
from types import SimpleNamespace

import numpy as np
import pytest

from backproplab import MLP
from backproplab.app import report
from backproplab.data import datasets
from backproplab.errors import BackproplabError

SECTIONS = ["## Results", "### The linear data", "### The XOR data",
            "### Inside the hidden units",
            "## One training step, written out", "### 2. Forward pass",
            "### 4. Backward pass", "### 6. The loss after the step", "## Discussion",
            *(f"### {title}" for _, title, _ in report.EXPERIMENTS),
            f"## {report.DIGITS_TITLE}", "## Settings and reproduction"]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    from backproplab.app.cli import main

    out = tmp_path_factory.mktemp("report")
    status = main(["report", "--out", str(out), "--quick", "--quiet"])
    assert status == 0
    return out


def test_every_section_figure_and_table_is_present(quick_report):
    md = (quick_report / "report.md").read_text()
    positions = [md.index(s) for s in SECTIONS]
    assert positions == sorted(positions)  # in order
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    for name in ("learning_curve.png", "comparison.png", "decision_boundary.png",
                 "network.png", "training.gif", "neurons.png"):
        assert any(f.endswith(name) for f in figures), name
    for name, _, _ in report.EXPERIMENTS:
        assert f"figures/{name}.png" in figures
    assert "figures/vanishing_gradients_norms.png" in figures
    for f in figures:
        assert (quick_report / f).stat().st_size > 1000, f
    # a test table per data set in Results, and two tables (linear, XOR) per experiment
    assert md.count("| sample | x₁ | x₂ | ground truth | prediction | correct |") == 2
    assert md.count("| setting | seeds | final accuracy (mean ± std) |") == 2 * len(
        report.EXPERIMENTS)
    # the training log and the lab's test print come from the run
    assert re.search(r"^epoch +0  loss \d\.\d{6}  accuracy", md, re.M)
    assert re.search(r"^loss=\d\.\d{5} accuracy=\d+\.\d{2}%$", md, re.M)
    # the reproduction command and every experiment's sweep file
    assert "backproplab report --out DIR --quick" in md
    for name, _, _ in report.EXPERIMENTS:
        assert f"`{name}.toml`" in md


@pytest.mark.skipif(not datasets.have_digits(), reason="scikit-learn is not installed")
def test_digits_section_compares_the_cnn_with_the_mlp(quick_report):
    import json

    md = (quick_report / "report.md").read_text()
    body = md[md.index(f"## {report.DIGITS_TITLE}"):md.index("## Settings and reproduction")]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in body.splitlines()
            if line.startswith("| cnn ") or line.startswith("| mlp ")]
    assert [r[0] for r in rows] == ["cnn", "mlp"]
    for (model, _, params, epochs, seconds, train, test) in rows:
        # every number in the table is the run's own, from its metrics.json
        metrics = json.loads((quick_report / "digits" / model / "metrics.json").read_text())
        assert int(epochs) == metrics["epochs_run"] == report.QUICK_DIGITS_EPOCHS
        assert seconds == f"{metrics['seconds']:.1f}"
        assert test == f"{100 * metrics['test_accuracy']:.1f}%"
        assert train == f"{100 * metrics['train_accuracy']:.1f}%"
        assert int(params) > 1000
    cnn_test, mlp_test = (float(r[6].rstrip("%")) for r in rows)
    assert f"({cnn_test:.1f}% against {mlp_test:.1f}%" in body
    for name in ("learning_curve", "confusion_matrix", "misclassified", "filters"):
        assert f"](digits/cnn/{name}.png)" in body
        assert (quick_report / "digits" / "cnn" / f"{name}.png").stat().st_size > 1000
    assert "(`--quick`: 3 epochs)" in md


def test_digits_section_without_sklearn_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    from backproplab.app.document import Document

    for name in ("sklearn", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, name, None)
    doc = Document("t")
    report._digits(doc, str(tmp_path), quick=True)
    md = doc.markdown()
    assert f"## {report.DIGITS_TITLE}" in md
    assert "Skipped" in md and 'pip install -e ".[digits]"' in md
    assert "| model |" not in md and not (tmp_path / "digits").exists()


def test_hidden_units_section_shows_both_networks(quick_report):
    md = (quick_report / "report.md").read_text()
    start = md.index("### Inside the hidden units")
    section = md[start:md.index("\n## ", start)]
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", section)
    assert figures == ["results/linear/neurons.png", "results/xor/neurons.png"]
    for f in figures:
        with open(quick_report / f, "rb") as png:
            assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    for data in ("linear", "xor"):  # the numbers come from the networks the report trained
        net = MLP.load(quick_report / "results" / data / "model.npz")
        x, y = datasets.load(data, seed=0)
        facts = "; ".join(f"h{i + 1}.{u + 1} (best of {n}) classifies {100 * a:.0f}%"
                          for i, (u, a, n) in enumerate(report.best_units(net, x, y)))
        facts += f" of the {len(y)} points."
        assert f"On the {report.DATA_TITLES[data]}, the best single unit" in section
        assert facts in section, facts


def test_best_units_reads_each_unit_as_a_classifier():
    x, y = datasets.linear(40, seed=3)  # label 1 where x₂ ≥ x₁
    net = MLP(2, hidden=(3, 2), seed=0)
    W1, b1 = net.dense_layers[0].W[0], net.dense_layers[0].b[0]
    W1[:, 1] = [-50.0, 50.0]  # unit 2: σ(50 (x₂ − x₁)), above ½ exactly where x₂ > x₁
    b1[0, 1] = 0.0
    best = report.best_units(net, x, y)
    assert best[0][0] == 1 and best[0][1] == 1.0 and best[0][2] == 3
    # the same unit with its sign flipped is just as good: whichever way round fits better
    W1[:, 1] *= -1
    assert report.best_units(net, x, y)[0][:2] == (1, 1.0)
    # layer 2 by hand: each unit's agreement with the labels at ½, or its disagreement
    _, h2 = net.hidden_activations(x)
    agree = np.mean((h2 > 0.5) == (y == 1), axis=0)
    accuracy = np.maximum(agree, 1 - agree)
    assert report.best_units(net, x, y)[1] == (int(np.argmax(accuracy)), accuracy.max(), 2)
    assert accuracy.min() < accuracy.max()  # the units differ: picking the best one matters


def test_html_is_self_contained(quick_report):
    page = (quick_report / "report.html").read_text()
    md = (quick_report / "report.md").read_text()
    assert "http://" not in page and "https://" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert len(sources) == len(re.findall(r"!\[", md))
    assert "<link" not in page and "@import" not in page
    separators = [line for line in md.splitlines() if re.match(r"^\| -{3}", line)]
    assert page.count("<table>") == len(separators)


def parse_sections(md):
    """{section title: (paragraphs, {data title: table rows})} for the discussion."""
    out = {}
    for _, title, _ in report.EXPERIMENTS:
        start = md.index(f"### {title}")
        end = md.find("\n### ", start + 1)
        end = md.find("\n## ", start + 1) if end == -1 else end
        body = md[start:end]
        paragraphs = [line for line in body.splitlines() if line.startswith("On the ")
                      and not line.endswith(":")]
        tables = {}
        for data_title in report.DATA_TITLES.values():
            marker = f"On the {data_title}:\n\n"
            at = body.find(marker)
            if at == -1:
                continue
            lines = body[at + len(marker):].splitlines()
            rows = []
            for line in lines[2:]:
                if not line.startswith("|"):
                    break
                rows.append([c.strip() for c in line.strip("|").split("|")])
            tables[data_title] = rows
        out[title] = (paragraphs, tables)
    return out


def test_generated_paragraphs_agree_with_their_tables(quick_report):
    md = (quick_report / "report.md").read_text()
    checked = 0
    for title, (paragraphs, tables) in parse_sections(md).items():
        assert tables, title
        for data_title, rows in tables.items():
            text = next(p for p in paragraphs if p.startswith(f"On the {data_title},"))
            solved = []
            for label, seeds, _, cell, median, diverged in rows:
                s, n = map(int, cell.split(" ")[0].split("/"))
                assert int(seeds) == n
                # each setting is named (grouped names keep every part of the label)
                for part in label.replace(" (", ", (").split(", "):
                    assert part in text, (title, label, text)
                if 0 < s < n:
                    assert "Some seeds only:" in text and re.search(rf"\b{s}\b|one", text)
                if int(diverged):
                    count = "all|both" if int(diverged) == n else f"{int(diverged)}|one"
                    assert re.search(rf"Diverged: ({count}) ", text), text
                solved.append((s, n, median))
                checked += 1
            full = [int(m) for s, n, m in solved if s == n and m != "—"]
            if full:
                assert f"in a median of {min(full)} epoch" in text, (title, text)
                assert re.search(r"solved (all \w+|both) seeds", text)
            else:
                assert "a median of" not in text
            if all(s == 0 for s, _, _ in solved):
                assert re.search(r"On the [^,]+\), (none of the \w+|neither) seed", text), text
            if not any(int(r[5]) for r in rows):
                assert "Diverged:" not in text
    assert checked >= 2 * 20


def test_describe_writes_what_the_rows_say():
    rows = [
        {"label": "lr 1", "networks": 10, "solved": 10, "median_epochs": 850,
         "accuracy_mean": 1.0, "diverged": 0, "diverged_epochs": []},
        {"label": "lr 10", "networks": 10, "solved": 10, "median_epochs": 300,
         "accuracy_mean": 1.0, "diverged": 0, "diverged_epochs": []},
        {"label": "lr 0.1", "networks": 10, "solved": 3, "median_epochs": 2000,
         "accuracy_mean": 0.8, "diverged": 0, "diverged_epochs": []},
        {"label": "lr 100", "networks": 10, "solved": 0, "median_epochs": None,
         "accuracy_mean": 0.5, "diverged": 4, "diverged_epochs": [7, 3, 9, 12]},
    ]
    text = report.describe("xor", rows)
    assert "lr 1 and lr 10 solved all ten seeds" in text
    assert "the fastest, lr 10, reached 100% in a median of 300 epochs" in text
    assert "Some seeds only: lr 0.1 solved 3 of the 10 seeds." in text
    assert ("None of the ten seeds was solved by lr 100, whose mean final accuracy was "
            "50.0%.") in text
    assert "Diverged: 4 of the 10 seeds of lr 100, the first at epoch 3." in text


def test_describe_one_winner_and_labels():
    rows = [{"label": "sigmoid", "networks": 4, "solved": 4, "median_epochs": 120,
             "accuracy_mean": 1.0, "diverged": 0, "diverged_epochs": []}]
    assert report.describe("linear", rows) == (
        "On the linear data (100 points), sigmoid solved all four seeds, reaching 100% in a "
        "median of 120 epochs.")
    keys = ["activation", "output", "lr"]
    row = {"activation": ["none", "none"], "output": "none", "lr": 0.01}
    assert report.setting_label(row, keys) == "no activations, lr 0.01"
    row = {"activation": ["sigmoid", "sigmoid"], "output": "sigmoid", "lr": 1.0}
    assert report.setting_label(row, keys) == "sigmoid, lr 1"
    row = {"hidden": [500, 500], "epochs": 50}
    assert report.setting_label(row, ["hidden", "epochs"]) == "500×500 (50 epochs)"
    assert report.setting_label({"activation": ["none"] * 2}, ["activation"]) == "identity"


def test_collapse_is_the_network_without_activations():
    x, _ = datasets.linear(50, seed=2)
    net = MLP(2, hidden=(5, 3, 4), activation="none", output="none", seed=1)
    W, b = report.collapse(net)
    assert W.shape == (2, 1) and b.shape == (1,)
    np.testing.assert_allclose(net.decision_function(x), x @ W + b, rtol=1e-12, atol=1e-14)


def test_experiments_folder_overrides_one_file(tmp_path):
    (tmp_path / "learning_rates.toml").write_text(
        'data = "xor"\nlr = [0.5]\nseeds = 2\nepochs = 10\n')
    exps = report.load_experiments(str(tmp_path))
    path, text, configs = exps["learning_rates"]
    assert path == os.path.join(str(tmp_path), "learning_rates.toml")
    assert [(c.lr, c.seed) for c in configs] == [(0.5, 0), (0.5, 1)]
    assert exps["optimizers"][0].endswith(os.path.join("experiments", "optimizers.toml"))


def test_shipped_experiments_cover_the_lab(tmp_path):
    exps = report.load_experiments()
    lrs = {c.lr for c in exps["learning_rates"][2]}
    assert min(lrs) == 0.001 and max(lrs) == 10.0
    widths = {c.hidden[0] for c in exps["hidden_units"][2]}
    assert min(widths) == 1 and max(widths) == 500
    assert {c.optimizer for c in exps["optimizers"][2]} == {
        "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"}
    assert len({c.activation[0] for c in exps["activations"][2]}) == 8
    assert {c.loss for c in exps["losses"][2]} == {"mse", "bce"}
    for name, (_, _, configs) in exps.items():
        assert {c.data for c in configs} == {"linear", "xor"}, name
        assert len({c.seed for c in configs}) >= 10, name
    assert any(c.activation[0] == "none" and c.output == "none" and c.lr == 1.0
               for c in exps["no_activation"][2])


def test_bad_experiments_folder(cli, tmp_path):
    status, _, stderr = cli("report", "--out", tmp_path / "r", "--experiments",
                            tmp_path / "missing", "--quick")
    assert status == 2 and "no such folder" in stderr
    (tmp_path / "exp").mkdir()
    for text, line in (("seeds = 2\nloss = [\n", "line 3"), ("seeds = 2\nloss == 1\n", "line 2")):
        (tmp_path / "exp" / "losses.toml").write_text(text)
        status, _, stderr = cli("report", "--out", tmp_path / "r", "--experiments",
                                tmp_path / "exp", "--quick")
        assert status == 2 and "losses.toml" in stderr and line in stderr, stderr


def test_gradient_norm_records_keep_their_spacing_through_a_slice():
    from backproplab.app import sweep
    from backproplab.app.config import TrainConfig

    configs = [TrainConfig(data="xor", hidden=[3, 3], epochs=60, seed=0).check(),
               TrainConfig(data="xor", hidden=[3, 3, 3], epochs=20, seed=0).check()]
    result = sweep.run(configs, jobs=1, progress=False, grad_norm_every=10)
    assert result.grad_norm_every == 10
    assert result.grad_norms[0].shape == (6, 3) and result.grad_norms[1].shape == (2, 4)
    part = report._slice(result, 1, 2)
    assert part.grad_norm_every == 10 and part.grad_norms[0].shape == (2, 4)
    # record i is the gradient of the update made in epoch (i + 1) * 10 - 1
    assert np.all(np.isfinite(result.grad_norms[0])) and np.all(result.grad_norms[0] > 0)


def test_hidden_units_paragraphs_follow_the_facts(tmp_path, monkeypatch):
    from backproplab.app.document import Document
    from backproplab.app.report import results

    for data in ("linear", "xor"):
        (tmp_path / data).mkdir()
        (tmp_path / data / "neurons.png").write_bytes(b"png")
    net = MLP(2, hidden=(10, 10), seed=0)
    runs = {data: SimpleNamespace(net=net, x=None, y=np.zeros((n, 1)), out=str(tmp_path / data))
            for data, n in (("linear", 100), ("xor", 21))}
    facts = {"linear": [(3, 1.0, 10), (1, 1.0, 10)], "xor": [(7, 16 / 21, 10), (0, 1.0, 10)]}
    monkeypatch.setattr(results, "best_units",
                        lambda net, x, y: facts["xor" if len(y) == 21 else "linear"])
    doc = Document("t")
    results._hidden_units(doc, str(tmp_path), runs)
    md = doc.markdown()
    assert "![What each hidden unit detects (linear).](linear/neurons.png)" in md
    assert ("h1.8 (best of 10) classifies 76%; h2.1 (best of 10) classifies 100% of the 21 "
            "points.") in md
    # said of XOR, whose first layer falls short, and not of the linear data
    assert md.count("No first-layer unit separates the two classes alone") == 1
    assert "h2.1 of layer 2 does" in md
def test_the_explained_step_is_explain_s_own(quick_report):
    from backproplab.app import explain
    from backproplab.app.config import TrainConfig

    md = (quick_report / "report.md").read_text()
    page = (quick_report / "report.html").read_text()
    step = explain.one_step(TrainConfig(data="xor", hidden=[2, 2]), samples=2)
    blocks = re.findall(r"```\n(.*?)\n```", explain.document(step).markdown(), re.S)
    assert len(blocks) == 6  # weights, forward, loss, backward, update, loss after
    for block in blocks:
        assert block in md and f"<pre><code>{html.escape(block)}</code></pre>" in page
    assert f"L: {step.loss_before:.6f} → {step.loss_after:.6f}" in md
    assert step.loss_after < step.loss_before


def test_quick_report_says_so_first_and_runs_the_results_in_full(quick_report):
    import json

    from backproplab.app.config import TrainConfig

    md = (quick_report / "report.md").read_text()
    assert "**A quick report** (`--quick`)" in md[:md.index("## Results")]
    for data in ("linear", "xor"):
        metrics = json.loads((quick_report / "results" / data / "metrics.json").read_text())
        assert metrics["epochs_run"] == TrainConfig(data=data).check().epochs
        assert metrics["train_accuracy"] == 1.0  # the lab's network works, even in a quick run


def test_a_misnamed_experiment_file_is_an_error(cli, tmp_path):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "learning_rate.toml").write_text('lr = [0.5]\nseeds = 2\n')
    (tmp_path / "exp" / "notes.txt").write_text("not an experiment: ignored")
    status, _, err = cli("report", "--out", tmp_path / "r", "--experiments", tmp_path / "exp",
                         "--quick")
    assert status == 2
    assert "learning_rate.toml: not one of the report's experiments" in err
    assert all(name in err for name, _, _ in report.EXPERIMENTS)
    assert not (tmp_path / "r" / "report.md").exists()


def test_a_new_experiment_gets_a_section_of_its_own(tmp_path):
    from backproplab.app import sweep
    from backproplab.app.document import Document
    from backproplab.app.report.discussion import _discussion

    text = ('# a new experiment\ntitle = "Batch sizes"  # the heading\ndata = ["xor"]\n'
            'batch_size = [7, 21]\nseeds = 2\nepochs = 30\n')
    (tmp_path / "batch_sizes.toml").write_text(text)
    exps = report.load_experiments(str(tmp_path))
    assert list(exps)[-1] == "batch_sizes" and exps["batch_sizes"][1] == text
    name, title, keys = report.sections(exps)[-1]
    assert (name, title, keys) == ("batch_sizes", "i. Batch sizes", ["batch_size"])
    configs = exps["batch_sizes"][2]
    assert [(c.batch_size, c.seed) for c in configs] == [(7, 0), (7, 1), (21, 0), (21, 1)]
    result = sweep.run(configs, jobs=1, progress=False)
    doc = Document("t")
    (tmp_path / "figures").mkdir()
    _discussion(doc, str(tmp_path), name, title, keys, result, configs,
                SimpleNamespace(done=lambda: None))
    md = doc.markdown()
    assert "### i. Batch sizes" in md and "![Batch sizes" in md
    assert (tmp_path / "figures" / "batch_sizes.png").stat().st_size > 1000
    assert "| batch_size 7 | 2 |" in md and "| batch_size 21 | 2 |" in md
    assert re.search(r"On the XOR data \(the lab's 21 points\), .*batch_size 7.*batch_size 21", md)
    assert "whose mean final accuracy was 52.4% for both" in md
    # a title that is not at the top level is no title: the file is then misnamed
    (tmp_path / "batch_sizes.toml").write_text('seeds = 2\n[[grid]]\ntitle = "x"\nlr = 1.0\n')
    with pytest.raises(BackproplabError, match="not one of the report's experiments"):
        report.load_experiments(str(tmp_path))
