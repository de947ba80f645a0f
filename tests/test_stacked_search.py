"""StackedSearch against GridSearchCV: the same cv_results_ keys, and every candidate's numbers
bit for bit those of fitting it alone. (How much faster it is: benchmarks/stacked_search.py,
in `make bench`.)"""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import make_moons, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, ParameterGrid  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from backproplab.sklearn import (  # noqa: E402
    BackpropClassifier,
    BackpropRegressor,
    StackedSearch,
)
from backproplab.sklearn.params import network_params  # noqa: E402
from backproplab.sklearn.search import _stacks  # noqa: E402

X, Y = make_moons(90, noise=0.25, random_state=0)


def both(estimator, grid, x=X, y=Y, **settings):
    """GridSearchCV's and StackedSearch's fitted searches, with the same settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.filterwarnings("ignore", "One or more of the test scores are non-finite")
        grid_search = GridSearchCV(estimator, grid, **settings).fit(x, y)
        stacked = StackedSearch(estimator, grid, **settings).fit(x, y)
    return grid_search, stacked


def assert_same_results(grid_search, stacked):
    a, b = grid_search.cv_results_, stacked.cv_results_
    assert list(a) == list(b)
    for key in a:
        if key == "params":
            assert a[key] == b[key]
        elif key.startswith("param_"):
            assert list(a[key]) == list(b[key]) and a[key].dtype == b[key].dtype
        elif "time" not in key:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)  # NaN equals NaN
            assert a[key].dtype == b[key].dtype, key
    assert stacked.best_index_ == grid_search.best_index_
    assert stacked.best_params_ == grid_search.best_params_
    assert stacked.best_score_ == grid_search.best_score_


def test_learning_rates_and_seeds_score_as_gridsearchcv_bit_for_bit():
    grid = {"learning_rate_init": [0.002, 0.01, 0.05], "random_state": [0, 1, 2]}
    est = BackpropClassifier((12,), max_iter=60, batch_size=32)
    grid_search, stacked = both(est, grid, cv=3, scoring="neg_log_loss",
                                return_train_score=True)
    assert_same_results(grid_search, stacked)
    assert len(_stacks(est, list(stacked.cv_results_["params"]))) == 1  # one stack of nine
    np.testing.assert_array_equal(stacked.best_estimator_.model_.params,
                                  grid_search.best_estimator_.model_.params)
    np.testing.assert_array_equal(stacked.predict_proba(X), grid_search.predict_proba(X))
    assert stacked.score(X, Y) == grid_search.score(X, Y)


def assert_same_multimetric(grid_search, stacked):
    a, b = grid_search.cv_results_, stacked.cv_results_
    assert list(a) == list(b)
    for key in a:
        if key != "params" and not key.startswith("param_") and "time" not in key:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert stacked.multimetric_ == grid_search.multimetric_
    for name in ("best_index_", "best_score_", "best_params_"):
        assert hasattr(stacked, name) == hasattr(grid_search, name), name
        if hasattr(grid_search, name):
            assert getattr(stacked, name) == getattr(grid_search, name), name


def both_scores(model, x, y):
    return {"acc": float(np.mean(model.predict(x) == y)), "n_wrong": int(np.sum(
        model.predict(x) != y))}


def best_of_three(results):
    return int(np.argsort(results["mean_test_accuracy"])[-1])


@pytest.mark.parametrize("settings", [
    {"scoring": ["accuracy", "neg_log_loss"], "refit": "neg_log_loss",
     "return_train_score": True},
    {"scoring": {"acc": "accuracy", "ll": "neg_log_loss"}, "refit": "acc"},
    {"scoring": ["accuracy", "neg_log_loss"], "refit": False},
    {"scoring": ["accuracy", "neg_log_loss"], "refit": best_of_three},
    {"scoring": both_scores, "refit": "n_wrong"},
    {"scoring": "accuracy", "refit": False},
], ids=["list", "dict", "no-refit", "callable-refit", "callable-scoring", "one-no-refit"])
def test_several_scorings_and_every_refit_as_gridsearchcv(settings):
    grid = {"learning_rate_init": [0.003, 0.03], "random_state": [0, 1]}
    est = BackpropClassifier((6,), max_iter=40, batch_size=32)
    grid_search, stacked = both(est, grid, cv=3, **settings)
    assert_same_multimetric(grid_search, stacked)
    if settings["refit"] is False:
        assert not hasattr(stacked, "best_estimator_")
        return
    np.testing.assert_array_equal(stacked.predict_proba(X), grid_search.predict_proba(X))
    if callable(settings["refit"]):  # no metric to score by (GridSearchCV: a KeyError)
        with pytest.raises(ValueError, match="score uses the one refit names"):
            stacked.score(X, Y)
    else:
        assert stacked.score(X, Y) == grid_search.score(X, Y)


@pytest.mark.parametrize("refit", [True, "f1"])
def test_several_scorings_need_refit_to_name_one(refit):
    est = BackpropClassifier((4,), max_iter=5)
    search = StackedSearch(est, {"random_state": [0, 1]}, scoring=["accuracy", "roc_auc"],
                           refit=refit)
    with pytest.raises(ValueError, match=r"several scorings \(accuracy, roc_auc\), refit "
                                         "names the one"):
        search.fit(X, Y)
    with pytest.raises(ValueError):  # GridSearchCV refuses it too
        GridSearchCV(est, {"random_state": [0, 1]}, scoring=["accuracy", "roc_auc"],
                     refit=refit).fit(X, Y)


def test_every_network_of_a_stack_is_the_network_fitted_alone():
    """Each candidate's own parameters — learning rate, seed, alpha, l1, momentum — in one
    stack, stopped by tol at different epochs, and each equal to fitting it alone."""
    template = BackpropClassifier((8, 8), "tanh", solver="nesterov", max_iter=400,
                                  batch_size=20, n_iter_no_change=4, tol=1e-3)
    own = [dict(learning_rate_init=0.05, random_state=0, alpha=0.0, l1=0.0, momentum=0.9),
           dict(learning_rate_init=0.2, random_state=1, alpha=0.01, l1=1e-4, momentum=0.5),
           dict(learning_rate_init=0.01, random_state=2, alpha=1e-4, l1=0.0, momentum=0.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = template._fit_stack(X, Y, None, [network_params(template.set_params(**p))
                                               for p in own])
        for m, p in enumerate(own):
            alone = BackpropClassifier(**{**template.get_params(), **p}).fit(X, Y)
            member = BackpropClassifier(**{**template.get_params(), **p})
            member._adopt_member(template, run, m)
            np.testing.assert_array_equal(member.model_.params, alone.model_.params)
            assert member.loss_curve_ == alone.loss_curve_ and member.n_iter_ == alone.n_iter_
    assert len({int(n) for n in run.monitor.n_iter}) > 1  # they stopped at different epochs


def test_a_pipeline_with_scaling_and_shapes_that_cannot_stack():
    pipe = make_pipeline(StandardScaler(), BackpropClassifier(max_iter=50, random_state=5))
    grid = {"backpropclassifier__hidden_layer_sizes": [(4,), (16,)],
            "backpropclassifier__learning_rate_init": [0.003, 0.03],
            "backpropclassifier__alpha": [1e-4, 1e-2]}
    assert len(_stacks(pipe, list(ParameterGrid(grid)))) == 2  # one per shape, each of four
    grid_search, stacked = both(pipe, grid, x=100 * X + 7, cv=4)
    assert_same_results(grid_search, stacked)


def test_early_stopping_stacks_only_networks_that_share_the_validation_split():
    est = BackpropClassifier((10,), early_stopping=True, max_iter=80, n_iter_no_change=3)
    grid = {"learning_rate_init": [0.005, 0.05], "random_state": [3, 4]}
    assert sorted(map(len, _stacks(est, list(ParameterGrid(grid))))) == [2, 2]
    assert_same_results(*both(est, grid, cv=3))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_diverging_candidate_scores_error_score_as_in_gridsearchcv():
    x, y = make_regression(60, 3, noise=5.0, random_state=0)
    est = BackpropRegressor((6,), solver="gd", max_iter=30)
    grid = {"learning_rate_init": [1e-3, 1e4], "random_state": [0, 1]}
    grid_search, stacked = both(est, grid, x=x, y=y, cv=3)
    assert_same_results(grid_search, stacked)
    assert np.isnan(stacked.cv_results_["mean_test_score"][2:]).all()
    assert list(stacked.cv_results_["rank_test_score"][2:]) == [3, 3]
    with pytest.warns(FitFailedWarning, match="6 fits failed out of a total of 12"):
        StackedSearch(est, grid, cv=3).fit(x, y)
    with pytest.raises(ValueError, match="diverged"):
        StackedSearch(est, grid, cv=3, error_score="raise").fit(x, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_diverging_candidate_scores_error_score_in_every_metric():
    x, y = make_regression(60, 3, noise=5.0, random_state=0)
    est = BackpropRegressor((6,), solver="gd", max_iter=30)
    grid = {"learning_rate_init": [1e-3, 1e4], "random_state": [0, 1]}
    grid_search, stacked = both(est, grid, x=x, y=y, cv=3, error_score=-1.0,
                                scoring=["r2", "neg_mean_squared_error"], refit="r2",
                                return_train_score=True)
    assert_same_multimetric(grid_search, stacked)
    assert (stacked.cv_results_["mean_test_neg_mean_squared_error"][2:] == -1.0).all()


def test_a_search_needs_a_backprop_estimator():
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="BackpropClassifier or BackpropRegressor"):
        StackedSearch(LogisticRegression(), {"C": [1.0]}).fit(X, Y)
