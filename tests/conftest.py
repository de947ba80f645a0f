import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


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
