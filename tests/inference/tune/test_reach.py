"""The ideal fit's probability of reaching a precision (inference/tune/reach.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from mlhad.exceptions import TuneError
from mlhad.inference.tune.covariance import information_frame, linear_estimator
from mlhad.inference.tune.reach import (
    box_probability,
    ideal_ladder_reach,
    ideal_reach_probability,
    kept_at,
    limit_offsets,
    resolving_events,
)


def test_box_probability_of_independent_parameters_is_the_product_of_their_intervals():
    sigma = np.array([0.5, 2.0, 1.0])
    half = np.array([0.6, 3.0, 2.0])
    expected = np.prod(2 * norm.cdf(half / sigma) - 1)
    assert box_probability(np.diag(sigma**2), half) == pytest.approx(expected, abs=1e-4)


def test_box_probability_of_correlated_parameters_matches_sampling():
    cov = np.array([[1.0, 0.95, 0.1], [0.95, 1.2, 0.0], [0.1, 0.0, 0.3]])
    half = np.array([1.2, 1.5, 0.6])
    x = np.random.default_rng(1).multivariate_normal(np.zeros(3), cov, size=400_000)
    sampled = np.mean(np.all(np.abs(x) <= half, axis=1))
    p = box_probability(cov, half)
    assert abs(p - sampled) < 5 * np.sqrt(p * (1 - p) / x.shape[0])
    # correlation matters: the independent product is far off here
    assert abs(p - np.prod(2 * norm.cdf(half / np.sqrt(np.diag(cov))) - 1)) > 0.02


def test_ideal_reach_probability_matches_simulated_linear_fits():
    """A linear model fitted by the chi2 with data and MC errors, data of 4 n_data events with the errors of
    n_data, one base of n_base events: the fraction of fits within the tolerance is the formula's."""
    rng = np.random.default_rng(7)
    n_points, d = 40, 2
    jac = rng.normal(size=(n_points, d))
    jac[:, 1] = 0.9 * jac[:, 0] + 0.2 * jac[:, 1]          # a valley: strongly correlated parameters
    per_event = np.exp(rng.normal(size=n_points))          # per-event variance of each point
    n_data, n_base, tolerance = 20_000, 10_000, 1.5
    data_err, mc_err = np.sqrt(per_event / n_data), np.sqrt(per_event / n_base)
    a = linear_estimator(jac, data_err, mc_err, np.ones(n_points))
    cov_lim = (a * data_err**2) @ a.T                      # the limit: data errors, no MC
    trials = 200_000
    noise = rng.normal(size=(trials, n_points)) * np.sqrt(per_event / (4 * n_data)) \
        - rng.normal(size=(trials, n_points)) * mc_err     # values of 4 n_data events minus the base's fluctuation
    fits = noise @ a.T
    sampled = np.mean(np.all(np.abs(fits) <= tolerance * np.sqrt(np.diag(cov_lim)), axis=1))
    p = ideal_reach_probability(cov_lim, tolerance, n_data, n_base)
    assert abs(p - sampled) < 5 * np.sqrt(p * (1 - p) / trials)
    # more base events help, but never beyond the data's own fluctuation
    ladder = [ideal_reach_probability(cov_lim, tolerance, n_data, n) for n in (5_000, 20_000, 80_000, 10**9)]
    assert np.all(np.diff(ladder) > 0)
    assert ladder[-1] == pytest.approx(box_probability(0.25 * cov_lim, tolerance * np.sqrt(np.diag(cov_lim))),
                                       abs=1e-4)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_base": 0}, "positive event counts"),
    ({"tolerance": -1.0}, "positive event counts"),
    ({"cov_lim": np.full((2, 2), np.nan)}, "undefined"),
])
def test_ideal_reach_probability_rejects_bad_input(kwargs, message):
    args = {"cov_lim": np.eye(2), "tolerance": 1.5, "n_data": 20_000, "n_base": 10_000} | kwargs
    with pytest.raises(TuneError, match=message):
        ideal_reach_probability(**args)


def test_box_probability_rejects_mismatched_shapes():
    with pytest.raises(TuneError, match="covariance of shape"):
        box_probability(np.eye(3), np.ones(2))


def test_docstring_examples():
    import doctest

    import mlhad.inference.tune.reach as reach

    result = doctest.testmod(reach)
    assert result.failed == 0 and result.attempted >= 2


def test_ladder_without_shared_data_fluctuation_is_a_sequence_of_independent_tries():
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    rungs = [10_000, 20_000, 40_000]
    first = ideal_ladder_reach(cov, 1.5, 20_000, rungs, data_var=0.0)
    p = [ideal_reach_probability(cov, 1.5, 20_000, n, data_var=0.0) for n in rungs]
    expected = [p[0], (1 - p[0]) * p[1], (1 - p[0]) * (1 - p[1]) * p[2]]
    assert first == pytest.approx(expected, abs=5e-3)


def test_ladder_rungs_sharing_the_data_are_positively_correlated():
    cov = np.eye(3)
    rungs = [10_000, 20_000]
    first = ideal_ladder_reach(cov, 1.5, 20_000, rungs, data_var=1.0)
    p = [ideal_reach_probability(cov, 1.5, 20_000, n, data_var=1.0) for n in rungs]
    assert first[0] == pytest.approx(p[0], abs=5e-3)
    # a draw of the data that defeats the first rung tends to defeat the second too
    assert first[0] + first[1] < 1 - (1 - p[0]) * (1 - p[1]) - 0.01
    with pytest.raises(TuneError, match="at least one rung"):
        ideal_ladder_reach(cov, 1.5, 20_000, [])
    with pytest.raises(TuneError, match="ideal_ladder_reach: need positive event counts"):   # names its caller
        ideal_ladder_reach(cov, 1.5, 20_000, [10_000, 0])


def _kept_at(info: np.ndarray, noise_per_event: np.ndarray, n_events: float) -> np.ndarray:
    """Kept fractions of a run of ``n_events`` whose apparent curvature is ``info + noise_per_event / n_events``."""
    noise = noise_per_event / n_events
    jac = np.linalg.cholesky(info + noise).T            # J^T J = the apparent curvature, unit weights
    return information_frame(jac, noise, np.ones(jac.shape[0]))[2]


def test_resolving_events_gives_the_run_size_at_which_the_information_frame_keeps_that_fraction():
    """A valley: one direction whose information is small against the derivative noise. Growing the run to the
    predicted size, the code's own kept fractions (covariance.information_frame) reach the asked fraction."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3))
    info = a @ np.diag([50.0, 4.0, 0.05]) @ a.T                    # the last direction is nearly flat
    b = rng.normal(size=(3, 3))
    noise_per_event = 2_000.0 * (b @ b.T + np.eye(3))
    kept = _kept_at(info, noise_per_event, 80_000)
    assert kept[0] < 0.5 < kept[-1]                                 # one unresolved direction, one resolved
    for fraction in (0.5, 0.8):
        needed = resolving_events(kept, 80_000, fraction)
        assert needed[0] > 80_000 > needed[-1]
        for k, n in enumerate(needed):
            assert _kept_at(info, noise_per_event, n)[k] == pytest.approx(fraction, rel=1e-6)
    for n in (5_000, 320_000):                                     # the scaling itself, at any size
        assert kept_at(kept, 80_000, n) == pytest.approx(_kept_at(info, noise_per_event, n), rel=1e-6)
    with pytest.raises(TuneError, match="kept_at"):
        kept_at(kept, 80_000, 0)


def test_resolving_events_of_a_direction_without_information_is_infinite_and_bad_input_is_refused():
    assert resolving_events(np.array([-0.1, 0.0, 0.5]), 10_000).tolist() == [np.inf, np.inf, 10_000.0]
    for kept, n, fraction in (([0.5], 0, 0.5), ([0.5], 10, 1.0), ([1.2], 10, 0.5), ([np.nan], 10, 0.5)):
        with pytest.raises(TuneError, match="resolving_events"):
            resolving_events(np.array(kept), n, fraction)


def test_limit_offsets_are_the_mahalanobis_distance_split_along_the_limit_directions():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(3, 3))
    cov = a @ np.diag([1e-4, 1e-2, 1.0]) @ a.T
    delta = rng.normal(size=3)
    offsets, directions = limit_offsets(cov, delta)
    assert np.sum(offsets**2) == pytest.approx(delta @ np.linalg.solve(cov, delta), rel=1e-9)
    assert np.allclose(directions.T @ directions, np.eye(3))
    spread = np.diag(directions.T @ cov @ directions)
    assert np.all(np.diff(spread) > 0)                              # best constrained first, the valley last
    assert np.allclose(directions @ (offsets * np.sqrt(spread)), delta)
    with pytest.raises(TuneError, match="positive definite"):
        limit_offsets(np.diag([1.0, -1.0, 1.0]), delta)
    with pytest.raises(TuneError, match="covariance"):
        limit_offsets(np.eye(2), delta)
