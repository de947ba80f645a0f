"""StackedSearch: GridSearchCV's search, with the candidates that differ only in what one
network of a stack may have of its own (learning rate, seed, alpha, l1, momentum, betas,
epsilon) trained together as one stack of networks on each fold.

A network's numbers in a stack are its own (see :mod:`.training`), so every candidate scores
exactly what it scores fitted alone — what GridSearchCV reports for it — only sooner: the
stack shares each epoch's Python and NumPy calls among its networks. ``cv_results_`` has
GridSearchCV's keys, for one scoring or several; a candidate's fit time is its stack's divided
among them.
"""

import numbers
import time
import warnings
from collections import defaultdict

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.metrics._scorer import _check_multimetric_scoring  # GridSearchCV's own checks
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, indexable

from .estimator import BackpropEstimator
from .params import PER_NETWORK, network_params


class StackedSearch(MetaEstimatorMixin, BaseEstimator):
    """Exhaustive search over ``param_grid``, cross-validated, as ``GridSearchCV(estimator,
    param_grid, scoring=…, cv=…, refit=…, error_score=…, return_train_score=…)`` — with the
    same results, numbers and keys — training candidates as stacks.

    ``estimator`` is a BackpropClassifier or BackpropRegressor, or a Pipeline ending in one
    (its other steps are fitted once per fold and stack). ``fit(X, y, sample_weight=None)``:
    the weights go to the network's fit (not to the scores), as GridSearchCV passes them.
    ``scoring`` is one scorer (a name, a callable or None: the estimator's score) or several
    (a list of names, a dict of scorers, or a callable that returns a dict); with several,
    ``refit`` names the one that picks the best candidate (or is a callable, or False), and
    cv_results_ has each one's keys. After fit: cv_results_, best_index_, best_score_,
    best_params_, best_estimator_ (refit alone on all the data), refit_time_, scorer_,
    multimetric_, n_splits_; predict, predict_proba, … and score go to best_estimator_.
    """

    def __init__(self, estimator, param_grid, *, scoring=None, cv=None, refit=True,
                 error_score=np.nan, return_train_score=False):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.error_score = error_score
        self.return_train_score = return_train_score

    def fit(self, X, y=None, sample_weight=None):
        X, y, sample_weight = indexable(X, y, sample_weight)
        candidates = list(ParameterGrid(self.param_grid))
        stacks = _stacks(self.estimator, candidates)
        splits = list(check_cv(self.cv, y, classifier=is_classifier(self.estimator)).split(X, y))
        self.scorer_, self.multimetric_ = self._scorers()
        self.n_splits_ = len(splits)
        shape = (len(candidates), len(splits))
        # "fit", "score": times; "test", "train": {metric: scores}, made at the first score
        out = {"fit": np.full(shape, np.nan), "score": np.full(shape, np.nan), "test": {},
               "train": {}, "failed": []}
        failures = []
        for s, (train, test) in enumerate(splits):
            fold = [_safe_indexing(a, rows) for rows in (train, test) for a in (X, y)]
            w = None if sample_weight is None else np.asarray(sample_weight)[train]
            for stack in stacks:
                failures += self._fit_stack(candidates, stack, s, fold, w, out)
        if len(failures) == np.prod(shape):
            raise ValueError(f"All the {len(failures)} fits failed: {failures[0]}")
        if failures:
            warnings.warn(f"{len(failures)} fits failed out of a total of {np.prod(shape)}; "
                          f"the first: {failures[0]}", FitFailedWarning, stacklevel=2)
        for scores in (*out["test"].values(), *out["train"].values()):
            for cell in out["failed"]:
                scores[cell] = self.error_score
        metric = self.refit if self.multimetric_ else "score"
        if self.multimetric_:
            self._check_refit(list(out["test"]))
        self.cv_results_ = _results(candidates, out, self.return_train_score)
        if self.refit or not self.multimetric_:
            self.best_index_ = self._best_index(metric)
            if not callable(self.refit):
                self.best_score_ = float(self.cv_results_[f"mean_test_{metric}"][
                    self.best_index_])
            self.best_params_ = candidates[self.best_index_]
        if self.refit:
            start = time.perf_counter()
            best = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_ = best.fit(X, y, **_weights(best, sample_weight))
            self.refit_time_ = time.perf_counter() - start
        return self

    def _scorers(self):
        """(scorer_, whether several): one scorer, a {name: scorer} dict for a list or dict of
        them (checked as GridSearchCV checks them), or the caller's callable, whose answers
        tell (a dict: several)."""
        if callable(self.scoring):
            return self.scoring, False
        if self.scoring is None or isinstance(self.scoring, str):
            return check_scoring(self.estimator, self.scoring), False
        scorers = _check_multimetric_scoring(self.estimator, self.scoring)
        self._check_refit(scorers)
        return scorers, True

    def _check_refit(self, names):
        if self.refit is False or callable(self.refit) or (isinstance(self.refit, str)
                                                           and self.refit in names):
            return
        raise ValueError(
            f"with several scorings ({', '.join(map(str, names))}), refit names the one that "
            f"picks the best candidate, or is a callable that picks it, or False (then no best_* "
            f"attributes); got refit={self.refit!r}")

    def _best_index(self, metric):
        """As GridSearchCV: a callable refit's choice, checked, or the best rank of ``metric``."""
        if not callable(self.refit):
            return int(self.cv_results_[f"rank_test_{metric}"].argmin())
        index = self.refit(self.cv_results_)
        if not isinstance(index, numbers.Integral):
            raise TypeError("best_index_ returned is not an integer")
        if not 0 <= index < len(self.cv_results_["params"]):
            raise IndexError("best_index_ index out of range")
        return index

    def _score(self, model, X, y):
        """{metric: score} of ``model`` on (X, y): "score" alone for one scorer."""
        if isinstance(self.scorer_, dict):
            return {name: scorer(model, X, y) for name, scorer in self.scorer_.items()}
        score = self.scorer_(model, X, y)
        if isinstance(score, dict):  # a callable's answer: several metrics
            self.multimetric_ = True
            return dict(score)
        return {"score": score}

    def _store(self, out, kind, i, s, scores):
        for name, value in scores.items():
            if name not in out[kind]:
                out[kind][name] = np.full(out["fit"].shape, np.nan)
            out[kind][name][i, s] = value

    def _fit_stack(self, candidates, stack, s, fold, w, out):
        """Fit the candidates ``stack`` on fold s as one stack and score each; returns the
        failures' messages."""
        X_train, y_train, X_test, y_test = fold
        start = time.perf_counter()
        models = [clone(self.estimator).set_params(**candidates[i]) for i in stack]
        try:
            shared = models[0]
            if isinstance(shared, Pipeline):  # the steps before the network, once
                X_train_t = shared[:-1].fit_transform(X_train, y_train)
            else:
                X_train_t = X_train
            networks = [network_params(_final(m)) for m in models]
            run = _final(shared)._fit_stack(X_train_t, y_train, w, networks)
        except Exception as e:  # as GridSearchCV: a failed fit is a score of error_score
            if self.error_score == "raise":
                raise
            out["failed"] += [(i, s) for i in stack]
            out["fit"][stack, s], out["score"][stack, s] = time.perf_counter() - start, 0.0
            return [f"{type(e).__name__}: {e}"] * len(stack)
        out["fit"][stack, s] = (time.perf_counter() - start) / len(stack)
        failures = []
        for m, (i, model) in enumerate(zip(stack, models)):
            if run.failed[m] is not None:
                if self.error_score == "raise":
                    raise ValueError(f"training {run.failed[m]}")
                failures.append(f"ValueError: training {run.failed[m]}")
                out["failed"].append((i, s))
                continue
            _final(model)._adopt_member(_final(shared), run, m)
            if isinstance(model, Pipeline):
                model.steps = [*shared.steps[:-1], model.steps[-1]]
            start = time.perf_counter()
            self._store(out, "test", i, s, self._score(model, X_test, y_test))
            out["score"][i, s] = time.perf_counter() - start
            if self.return_train_score:
                self._store(out, "train", i, s, self._score(model, X_train, y_train))
        return failures

    # -- the best estimator's methods ---------------------------------------------------------

    def predict(self, X):
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        return self.best_estimator_.predict_proba(X)

    def predict_log_proba(self, X):
        return self.best_estimator_.predict_log_proba(X)

    def decision_function(self, X):
        return self.best_estimator_.decision_function(X)

    def score(self, X, y=None):
        """The refit metric's score of best_estimator_ on (X, y)."""
        if self.multimetric_ and not isinstance(self.refit, str):
            raise ValueError("with several scorings, score uses the one refit names; refit is "
                             f"{self.refit!r}: call one of scorer_'s scorers instead")
        if isinstance(self.scorer_, dict):  # that scorer alone, not every one
            return self.scorer_[self.refit](self.best_estimator_, X, y)
        scores = self._score(self.best_estimator_, X, y)
        return scores[self.refit if self.multimetric_ else "score"]

    @property
    def classes_(self):
        return self.best_estimator_.classes_


def _final(model):
    """The network's estimator: the model itself, or a Pipeline's last step."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not isinstance(final, BackpropEstimator):
        raise TypeError("StackedSearch trains a BackpropClassifier or BackpropRegressor, or a "
                        f"Pipeline ending in one; got {type(final).__name__}")
    return final


def _weights(model, sample_weight):
    if sample_weight is None:
        return {}
    if isinstance(model, Pipeline):
        return {f"{model.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def _stacks(estimator, candidates):
    """The candidates' positions, grouped into stacks: those that agree on everything but the
    network's own parameters (PER_NETWORK; with early stopping the seed is shared too, since
    it draws the validation split)."""
    prefix = f"{estimator.steps[-1][0]}__" if isinstance(estimator, Pipeline) else ""
    groups = defaultdict(list)
    for i, params in enumerate(candidates):
        final = _final(clone(estimator).set_params(**params))
        own = set(PER_NETWORK) - ({"random_state"} if final.early_stopping else set())
        key = tuple(sorted((name, repr(value)) for name, value in params.items()
                           if not (name.startswith(prefix) and name[len(prefix):] in own)))
        if final.early_stopping and final.random_state is None:
            key += (("candidate", i),)  # each its own split: no stack
        groups[key].append(i)
    return list(groups.values())


def _results(candidates, out, train_scores):
    """cv_results_, with GridSearchCV's keys and its ways: means and (population) standard
    deviations over the folds, ranks with failed candidates tied last."""
    results = {}

    def store(key, array, splits=False, rank=False):
        if splits:
            for s in range(array.shape[1]):
                results[f"split{s}_{key}"] = array[:, s]
        mean = array.mean(axis=1)
        results[f"mean_{key}"] = mean
        results[f"std_{key}"] = np.sqrt(((array - mean[:, None]) ** 2).mean(axis=1))
        if rank:
            if np.isnan(mean).all():
                results[f"rank_{key}"] = np.ones(len(mean), dtype=np.int32)
            else:
                filled = np.where(np.isnan(mean), np.nanmin(mean) - 1, mean)
                results[f"rank_{key}"] = rankdata(-filled, method="min").astype(np.int32)

    store("fit_time", out["fit"])
    store("score_time", out["score"])
    for name in dict.fromkeys(name for params in candidates for name in params):
        values = [params.get(name) for params in candidates]
        try:
            array = np.array(values)
            dtype = array.dtype if array.dtype.kind != "U" and array.ndim == 1 else object
        except ValueError:
            dtype = object
        column = np.ma.MaskedArray(np.empty(len(values), dtype), mask=True)
        for i, params in enumerate(candidates):
            if name in params:
                column[i] = params[name]
        results[f"param_{name}"] = column
    results["params"] = candidates
    for name, scores in out["test"].items():  # as GridSearchCV: each metric's test, train
        store(f"test_{name}", scores, splits=True, rank=True)
        if train_scores:
            store(f"train_{name}", out["train"][name], splits=True)
    return results
