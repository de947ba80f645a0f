"""The playground behind ``backproplab serve``: one :class:`Session` per browser tab — its
settings (the URL's keys, train's option names), its data, the run that trains while the page
watches, and what the page shows of it (frames, an explained step, robustness over seeds,
model files and the equivalent ``train`` command). Pure Python and NumPy: the web server
(:mod:`backproplab.app.serve`) drives it.

Errors a user can fix are BackproplabError (``PlaygroundError`` is the same class), each one
line naming the setting, the file and line, or the limit."""

from ...errors import BackproplabError
from .session import Session
from .settings import DEFAULTS, KEYS, LIVE, choices, limits

PlaygroundError = BackproplabError

__all__ = ["Session", "PlaygroundError", "choices", "limits", "DEFAULTS", "KEYS", "LIVE"]
