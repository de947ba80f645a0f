"""When the estimators stop training, as MLPClassifier stops, for each network of a stack.

After every epoch each network's training loss joins its loss curve and, with a validation
set (``early_stopping``), its validation score joins its scores. An epoch *does not improve*
when the loss stays above best − tol (or the score below best + tol). After more than
``n_iter_no_change`` such epochs in a row the network is done: it keeps the weights it has
then — with a validation set, the best-scoring ones it had. Training stops when every network
is done, or after ``max_iter`` epochs.

A network that is done leaves the stack (``Trainer.retire``); the others train on, their
numbers their own: a network stops at the same epoch with the same weights, alone or in a
stack.
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
        self.kept = {}  # network -> the weights it keeps (with a validation set: its best)
        self.trainer = None  # to retire the networks that are done

    def __call__(self, progress):
        e, active, work = progress.epochs, progress.active, progress.model
        losses = progress.loss[e - 1]  # (k,): the networks still training are ``active``
        self.n_iter[active] = e
        if self.validation is None:  # MLPClassifier's rule, for every network at once
            worse = losses[active] > self.best_loss[active] - self.tol
            self.best_loss[active] = np.fmin(self.best_loss[active], losses[active])
        else:
            row = np.full(self.k, np.nan)
            row[active] = scores = self.validation(work)
            worse = scores < self.best_score[active] + self.tol
            for pos in np.flatnonzero(scores > self.best_score[active]):
                self.kept[active[pos]] = work.params[pos].copy()  # its best weights so far
            self.best_score[active] = np.fmax(self.best_score[active], scores)
            self.scores.append(row)
        self.count[active] = np.where(worse, self.count[active] + 1, 0)
        self.losses.append(losses.copy())
        if self.verbose:
            self._print(e, losses, self.scores[-1] if self.validation is not None else None)
        finished = active[self.count[active] > self.patience]
        if len(finished):
            self.done[finished] = True
            self.trainer.retire(finished)  # their weights stay as they are now

    def _print(self, e, losses, scores):
        if self.k == 1:
            print(f"Iteration {e}, loss = {losses[0]:.8f}")
            if scores is not None:
                print(f"Validation score: {scores[0]:f}")
            return
        print(f"Iteration {e}, losses = " + " ".join(f"{v:.8f}" for v in losses))

    def finish(self, model):
        """With a validation set, put into ``model`` each network's best-scoring weights;
        without, each keeps the weights it ended with."""
        for m, params in self.kept.items():
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
