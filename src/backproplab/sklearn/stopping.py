"""When the estimators stop training, as MLPClassifier stops, for each network of a stack.

After every epoch each network's training loss joins its loss curve and, with a validation
set (``early_stopping``), its validation score joins its scores. An epoch *does not improve*
when the loss stays above best − tol (or the score below best + tol). After more than
``n_iter_no_change`` such epochs in a row the network is done: it keeps the weights it has
then — with a validation set, the best-scoring ones it had. Training stops when every network
is done, or after ``max_iter`` epochs.

A network that is done in a stack trains on with the others (its numbers are its own, so they
cannot disturb theirs) but what it keeps was copied when it was done: a network stops at the
same epoch with the same weights, alone or in a stack.
"""

import numpy as np


class Monitor:
    """The Trainer's callback (every epoch) for k networks; see the module's docstring.

    ``validation(work)`` returns the validation score of every network of the working stack
    ``work`` (None: stop by the training loss). ``best_loss`` carries a warm start's on.
    """

    def __init__(self, k, tol, n_iter_no_change, validation=None, verbose=False,
                 best_loss=None):
        self.k, self.tol, self.patience = k, tol, n_iter_no_change
        self.validation, self.verbose = validation, verbose
        self.losses, self.scores = [], []  # one (k,) row per epoch, NaN for stopped networks
        self.best_loss = np.full(k, np.inf) if best_loss is None else np.array(best_loss, float)
        self.best_score = np.full(k, -np.inf)
        self.count = np.zeros(k, dtype=np.int64)  # epochs in a row without improvement
        self.done = np.zeros(k, dtype=bool)
        self.n_iter = np.zeros(k, dtype=np.int64)  # epochs each network trained
        self.kept = {}  # network -> the weights it keeps (its row of params), once known
        self.trainer = None  # to stop, once every network is done

    def __call__(self, progress):
        e, active, work = progress.epochs, progress.active, progress.model
        losses = progress.loss[e - 1]
        scores = None if self.validation is None else self.validation(work)
        row = np.full(self.k, np.nan)
        for pos, m in enumerate(active):
            if self.done[m]:
                continue
            self.n_iter[m] = e
            if scores is None:
                worse = losses[m] > self.best_loss[m] - self.tol
                self.best_loss[m] = min(self.best_loss[m], losses[m])
            else:
                row[m] = score = scores[pos]
                worse = score < self.best_score[m] + self.tol
                if score > self.best_score[m]:
                    self.best_score[m] = score
                    self.kept[m] = work.params[pos].copy()
            self.count[m] = self.count[m] + 1 if worse else 0
            if self.count[m] > self.patience:
                self.done[m] = True
                if scores is None:
                    self.kept[m] = work.params[pos].copy()
        self.losses.append(losses.copy())
        if scores is not None:
            self.scores.append(row)
        if self.verbose:
            self._print(e, losses, row if scores is not None else None)
        if self.done[active].all():
            self.trainer.stop()

    def _print(self, e, losses, scores):
        if self.k == 1:
            print(f"Iteration {e}, loss = {losses[0]:.8f}")
            if scores is not None:
                print(f"Validation score: {scores[0]:f}")
            return
        print(f"Iteration {e}, losses = " + " ".join(f"{v:.8f}" for v in losses))

    def finish(self, model):
        """Put into ``model`` the weights each network keeps: those copied when it was done
        (or its best-scoring ones); a network that ran to the end keeps its last ones."""
        for m, params in self.kept.items():
            if self.done[m] or self.validation is not None:
                model.params[m] = params

    def curve(self, m):
        """Network m's loss per epoch, as a list."""
        return [float(row[m]) for row in self.losses[:self.n_iter[m]]]

    def validation_scores(self, m):
        return [float(row[m]) for row in self.scores[:self.n_iter[m]]]

    def message(self, m):
        """Why network m stopped early, in MLPClassifier's words (None: it did not)."""
        if not self.done[m]:
            return None
        what = ("Validation score did not improve" if self.validation is not None
                else "Training loss did not improve")
        return (f"{what} more than tol={self.tol:f} for {self.patience} consecutive epochs. "
                "Stopping.")
