import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
# scikit-learn's check that array-API dispatch leaves the estimators' results as they are runs
# only with SciPy's array-API mode on, which must be set before SciPy is first imported
os.environ.setdefault("SCIPY_ARRAY_API", "1")


@pytest.fixture
def cli(capsys):
    """Run ``backproplab ARGS…`` in-process; returns (status, stdout, stderr)."""
    from backproplab.app.cli import main

    def run(*args):
        status = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


# The PyTorch cross-checks skip with this reason where torch is not installed; .ci/run installs
# the CPU build (torch==2.13.0) so that CI runs them on every submission.
TORCH_MISSING = ("PyTorch cross-check: torch is not installed (pip install torch==2.13.0, "
                 "as .ci/run does)")
