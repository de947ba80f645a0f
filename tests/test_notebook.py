"""examples/lab.ipynb: kept in git without outputs, and run top to bottom by nbclient, in a
kernel of this Python, without an error, in under two minutes."""

import json
import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "lab.ipynb"
LIMIT_S = 120


def test_the_notebook_is_kept_without_outputs():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert len(code) >= 8
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, "".join(
            cell["source"])[:80]


@pytest.mark.notebook
def test_the_notebook_runs_top_to_bottom(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=LIMIT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    took = time.perf_counter() - start
    assert took < LIMIT_S, f"the notebook took {took:.0f} s"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 6  # data, network, curve, comparison, boundary, estimator, study
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "XOR: loss" in text and "accuracy 100%" in text
    assert "the same gradients: True" in text and "the same weights as the Trainer's: True" in text
    assert "best: {'learning_rate_init'" in text
