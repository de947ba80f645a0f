"""The estimators: scikit-learn's own check_estimator over both, the engine's numbers behind
them, labels of any kind, partial_fit and warm_start, stopping, sample weights, pickling, and
the four places scikit-learn's users put an estimator (Pipeline, GridSearchCV,
cross_val_score, DecisionBoundaryDisplay)."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_blobs, make_moons  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from backproplab import MLP, Trainer  # noqa: E402
from backproplab.sklearn import BackpropClassifier, BackpropRegressor  # noqa: E402

X, Y = make_moons(120, noise=0.2, random_state=0)
QUIET = {"max_iter": 300, "random_state": 0}


@parametrize_with_checks([BackpropClassifier(), BackpropRegressor()])
def test_scikit_learns_own_checks_pass(estimator, check):
    """Every check of check_estimator, each its own test, with the default settings; none is
    expected to fail (the estimators list no exceptions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_without_scikit_learn_the_import_names_the_extra():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "try:\n    import backproplab.sklearn\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert 'pip install "backproplab[sklearn]"' in out.stdout, out.stderr


def _fit(est, x=X, y=Y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(x, y, **kw)


def test_fit_is_the_engines_training_bit_for_bit():
    """The estimator drives the one Trainer: the same MLP trained by hand with the settings
    the parameters stand for ends with the same weights, bit for bit."""
    est = _fit(BackpropClassifier((8, 6), "tanh", solver="adam", learning_rate_init=0.01,
                                  batch_size=32, alpha=1e-3, max_iter=40, tol=0,
                                  n_iter_no_change=1000, random_state=7))
    net = MLP(2, hidden=(8, 6), activation="tanh", output="sigmoid", seed=7)
    Trainer(net, X, Y, loss="bce", optimizer="adam", lr=0.01, batch_size=32, epochs=40,
            weight_decay=1e-3 / 32, eps=1e-8, beta1=0.9, beta2=0.999, l1=0.0).run()
    np.testing.assert_array_equal(est.model_.params, net.params)
    assert est.n_iter_ == 40 and len(est.loss_curve_) == 40


@pytest.mark.parametrize("labels", [np.array(["cat", "dog"]), np.array([-3, 10]),
                                    np.array([False, True]), np.array(["a", "b", "c"])])
def test_classes_of_any_kind(labels):
    x, y = make_blobs(90, centers=len(labels), random_state=1)
    est = _fit(BackpropClassifier(**QUIET), x, labels[y])
    np.testing.assert_array_equal(est.classes_, labels)
    assert est.predict(x).dtype == labels.dtype
    assert est.score(x, labels[y]) > 0.95
    proba = est.predict_proba(x)
    assert proba.shape == (90, len(labels))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(labels[proba.argmax(axis=1)], est.predict(x))
    two = len(labels) == 2
    assert est.out_activation_ == ("logistic" if two else "softmax")
    assert est.coefs_[-1].shape[1] == (1 if two else len(labels))
    assert est.decision_function(x).shape == ((90,) if two else (90, len(labels)))


def test_coefs_and_intercepts_are_laid_out_as_mlpclassifiers():
    est = _fit(BackpropClassifier((5, 4), **QUIET))
    assert [c.shape for c in est.coefs_] == [(2, 5), (5, 4), (4, 1)]
    assert [b.shape for b in est.intercepts_] == [(5,), (4,), (1,)]
    a = X
    for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1]):
        a = np.maximum(a @ W + b, 0.0)  # relu, the default
    z = a @ est.coefs_[-1] + est.intercepts_[-1]
    np.testing.assert_allclose(est.decision_function(X), z[:, 0], rtol=1e-12, atol=1e-12)
    est.coefs_[0][...] = 0.0  # views of the network's own weights
    assert not est.model_.dense_layers[0].W.any()


def test_log_probabilities_stay_finite_where_probabilities_round_to_zero():
    est = _fit(BackpropClassifier(**QUIET))
    far = np.array([[60.0, -60.0], [-60.0, 60.0]])
    log_proba = est.predict_log_proba(far)
    assert np.isfinite(log_proba).all()
    near = est.predict_log_proba(X[:10])
    np.testing.assert_allclose(near, np.log(est.predict_proba(X[:10])), rtol=1e-9, atol=1e-12)
    x3, y3 = make_blobs(60, centers=3, random_state=2)
    three = _fit(BackpropClassifier(**QUIET), x3, y3)
    np.testing.assert_allclose(np.exp(three.predict_log_proba(x3)), three.predict_proba(x3),
                               rtol=1e-9, atol=1e-15)


def test_partial_fit_goes_on_with_the_optimizers_state():
    """Five partial_fit calls are one fit of five epochs, bit for bit: Adam's moments, the step
    count and the batch order carry from call to call (through the Trainer's state)."""
    settings = dict(hidden_layer_sizes=(6,), learning_rate_init=0.01, batch_size=16,
                    random_state=3, tol=0, n_iter_no_change=100)
    steps = BackpropClassifier(**settings)
    for _ in range(5):
        steps.partial_fit(X, Y, classes=[0, 1])
    once = _fit(BackpropClassifier(max_iter=5, **settings))
    np.testing.assert_array_equal(steps.model_.params, once.model_.params)
    np.testing.assert_array_equal(steps.loss_curve_, once.loss_curve_)
    assert steps.n_iter_ == 5 and steps.t_ == 5 * len(X)
    fresh = BackpropClassifier(**settings).partial_fit(X, Y, classes=[0, 1])
    assert not np.array_equal(fresh.model_.params, steps.model_.params)


def test_partial_fit_asks_for_the_classes_first_and_keeps_to_them():
    est = BackpropClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X, Y)
    est.partial_fit(X[:10], np.where(Y[:10] == 1, "b", "a"), classes=["a", "b", "c"])
    assert list(est.classes_) == ["a", "b", "c"] and est.coefs_[-1].shape == (100, 3)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        est.partial_fit(X[:5], ["a", "d", "a", "a", "b"])
    with pytest.raises(ValueError, match="early_stopping"):
        BackpropClassifier(early_stopping=True).partial_fit(X, Y, classes=[0, 1])


def test_partial_fit_survives_pickling_and_chunks_of_any_size():
    settings = dict(hidden_layer_sizes=(6,), batch_size=50, random_state=0, solver="momentum")
    a, b = BackpropClassifier(**settings), BackpropClassifier(**settings)
    for est in (a, b):
        est.partial_fit(X[:70], Y[:70], classes=[0, 1])
    b = pickle.loads(pickle.dumps(b))
    for est in (a, b):
        est.partial_fit(X[70:90], Y[70:90])  # a chunk smaller than a batch: one batch
        est.partial_fit(X, Y)
    np.testing.assert_array_equal(a.model_.params, b.model_.params)


def test_warm_start_trains_on_from_the_last_weights():
    cold = _fit(BackpropClassifier(max_iter=20, tol=0, random_state=0))
    warm = _fit(BackpropClassifier(max_iter=20, tol=0, random_state=0, warm_start=True))
    first = warm.model_.params.copy()
    _fit(warm)
    assert len(warm.loss_curve_) == 40 and warm.loss_curve_[:20] == cold.loss_curve_
    assert not np.array_equal(warm.model_.params, first)
    assert warm.loss_curve_[20] < warm.loss_curve_[0]  # not from the start again
    with pytest.raises(ValueError, match="same classes"):
        warm.fit(X, np.where(Y == 1, 2, 0))


def test_training_stops_when_the_loss_stops_falling():
    est = _fit(BackpropClassifier((10,), solver="gd", learning_rate_init=0.5, tol=1e-3,
                                  n_iter_no_change=5, max_iter=2000, random_state=0))
    curve = np.array(est.loss_curve_)
    assert est.n_iter_ == len(curve) < 2000
    best, count = np.inf, 0
    for i, loss in enumerate(curve):  # MLPClassifier's rule, written out
        count = count + 1 if loss > best - 1e-3 else 0
        best = min(best, loss)
        assert (count > 5) == (i == len(curve) - 1)
    assert est.best_loss_ == curve.min()


def test_early_stopping_keeps_the_best_scoring_weights():
    x, y = make_moons(300, noise=0.3, random_state=4)
    est = _fit(BackpropClassifier((30,), early_stopping=True, learning_rate_init=0.01,
                                  n_iter_no_change=5, max_iter=500, random_state=1), x, y)
    scores = est.validation_scores_
    assert len(scores) == est.n_iter_ < 500 and est.best_loss_ is None
    assert est.best_validation_score_ == max(scores)
    first = scores.index(max(scores))
    assert len(scores) - first - 1 > 5  # it ran on past its best, then stopped
    from sklearn.model_selection import train_test_split  # the same split, from the seed

    _, x_val, _, y_val = train_test_split(x, y, random_state=1, test_size=0.1, stratify=y)
    assert est.score(x_val, y_val) == est.best_validation_score_


def test_reaching_max_iter_warns_as_mlpclassifier_does():
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        BackpropClassifier(max_iter=3).fit(X, Y)


def test_integer_sample_weights_are_repeated_samples():
    w = np.random.default_rng(0).integers(0, 4, len(X))
    settings = dict(hidden_layer_sizes=(8,), batch_size=None, max_iter=50, tol=0,
                    random_state=2)
    weighted = _fit(BackpropClassifier(**settings), X, Y, sample_weight=w)
    repeated = _fit(BackpropClassifier(**settings), np.repeat(X, w, axis=0), np.repeat(Y, w))
    np.testing.assert_allclose(weighted.model_.params, repeated.model_.params, rtol=1e-9,
                               atol=1e-12)
    plain = _fit(BackpropClassifier(**settings))
    assert not np.allclose(plain.model_.params, weighted.model_.params)
    with pytest.raises(ValueError, match="non-zero"):
        BackpropClassifier().fit(X, Y, sample_weight=np.zeros(len(X)))


def test_pickle_and_clone():
    est = _fit(BackpropClassifier((7,), **QUIET))
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    assert back.model_.params.flags.writeable and back.loss_curve_ == est.loss_curve_
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "model_")
    assert "model_" in vars(est)  # pickling changed nothing of the original


def test_feature_names_are_kept():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["width", "height"])
    est = _fit(BackpropClassifier(**QUIET), frame, Y)
    assert list(est.feature_names_in_) == ["width", "height"] and est.n_features_in_ == 2


@pytest.mark.parametrize("params, message", [
    ({"solver": "sgd"}, "'momentum' or 'nesterov'"),
    ({"solver": "newton"}, "choose from: gd, momentum, nesterov, adagrad, rmsprop, adam"),
    ({"learning_rate": "step"}, r"Step\(…\) with its step_size"),
    ({"learning_rate": "adaptive"}, "scikit-learn's"),
    ({"activation": "swish"}, "unknown activation 'swish'"),
    ({"activation": ["relu", "tanh"]}, "2 names for 1 hidden layers"),
    ({"alpha": -1.0}, "alpha must be >= 0"),
    ({"learning_rate_init": 0}, "learning_rate_init must be a number > 0"),
    ({"beta_1": 1.0}, "beta_1 must be < 1"),
    ({"batch_size": 0}, "batch_size must be a whole number >= 1"),
    ({"dtype": "int8"}, "dtype must be float64 or float32"),
    ({"loss": "bce"}, "loss='bce' trains one sigmoid unit"),
])
def test_bad_parameters_are_value_errors_that_say_why(params, message):
    x, y = make_blobs(30, centers=3, random_state=0)
    with pytest.raises(ValueError, match=message):
        BackpropClassifier(**params).fit(x, y)


def test_divergence_is_an_error_that_says_so():
    with pytest.raises(ValueError, match="diverged at epoch .*smaller learning rate"):
        BackpropRegressor(solver="gd", learning_rate_init=1e6, max_iter=50).fit(
            X, 1e3 * X[:, 0])


def test_verbose_prints_each_epochs_loss(capsys):
    est = _fit(BackpropClassifier(max_iter=3, verbose=True, random_state=0))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Iteration {i + 1}, loss = {loss:.8f}"
                     for i, loss in enumerate(est.loss_curve_)]


def test_the_regressor_fits_one_target_or_several():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (200, 1))
    y = np.sin(x[:, 0])
    one = _fit(BackpropRegressor((32, 32), "tanh", learning_rate_init=0.01, max_iter=1000,
                                 random_state=0), x, y)
    assert one.score(x, y) > 0.98 and one.predict(x).shape == (200,)
    two = _fit(BackpropRegressor((32, 32), "tanh", learning_rate_init=0.01, max_iter=1000,
                                 random_state=0), x, np.c_[y, np.cos(x[:, 0])])
    assert two.predict(x).shape == (200, 2) and two.score(x, np.c_[y, np.cos(x[:, 0])]) > 0.95
    assert one.out_activation_ == "identity" and two.n_outputs_ == 2


def test_in_a_pipeline_a_grid_search_and_cross_validation():
    x, y = make_moons(150, noise=0.2, random_state=3)
    x = 100 * x + 1000  # badly scaled: the scaler matters
    pipe = make_pipeline(StandardScaler(), BackpropClassifier(max_iter=400, random_state=0))
    assert _fit(pipe, x, y).score(x, y) > 0.95
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, {"backpropclassifier__learning_rate_init": [0.001, 0.01],
                                     "backpropclassifier__hidden_layer_sizes": [(5,), (20,)]},
                              cv=3).fit(x, y)
        scores = cross_val_score(pipe, x, y, cv=3)
    assert len(search.cv_results_["params"]) == 4 and search.best_score_ > 0.9
    assert scores.shape == (3,) and scores.mean() > 0.9


def test_a_decision_boundary_display():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.inspection import DecisionBoundaryDisplay

    est = _fit(BackpropClassifier(**QUIET))
    for method in ("predict", "predict_proba", "decision_function"):
        display = DecisionBoundaryDisplay.from_estimator(est, X, response_method=method,
                                                         grid_resolution=30)
        grid = np.c_[display.xx0.ravel(), display.xx1.ravel()]
        expected = (est.predict_proba(grid)[:, 1] if method == "predict_proba"
                    else getattr(est, method)(grid))
        np.testing.assert_array_equal(display.response.ravel(), expected)
        plt.close("all")
