"""backproplab's networks behind scikit-learn's estimator interface: ``BackpropClassifier``
and ``BackpropRegressor`` (drop-ins for MLPClassifier and MLPRegressor), and
``StackedSearch``, a grid search that trains its candidates as stacks of networks.

scikit-learn is an optional extra: ``pip install "backproplab[sklearn]"``.
"""

try:
    import sklearn  # noqa: F401
except ImportError as e:
    raise ImportError("backproplab.sklearn needs scikit-learn, the [sklearn] extra: "
                      'pip install "backproplab[sklearn]"') from e

from .classifier import BackpropClassifier
from .regressor import BackpropRegressor
from .search import StackedSearch

__all__ = ["BackpropClassifier", "BackpropRegressor", "StackedSearch"]
