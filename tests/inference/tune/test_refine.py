"""Refinement with independent bases on the analytic toy: the fixed point, the MC error, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlhad.exceptions import TuneError
from mlhad.inference.tune.refine import refine_with_independent_bases

N_DATA = 20_000
N_BASE = 40_000
TRUTH = {"toy:mu": 0.05, "toy:width": 1.0, "toy:rate": 6.1}


def quiet(_: str) -> None:
    pass


def test_refinement_moves_an_offset_start_to_the_data_minimum(toy_problem):
    """From 4 data standard deviations off in mu, two rounds of 8 bases end within 2.5 sigma of theta*.

    The data part of the error is the textbook width / sqrt(N_data) (15 %, the binning); the MC
    part is the scatter of the minima / sqrt(K), near the textbook width / sqrt(N_base K) (a sample
    standard deviation of 8 minima: within a factor 0.5-1.6 at 99 %).
    """
    sim, target, space = toy_problem(TRUTH, seed=21)
    truth = np.array([TRUTH[n] for n in space.names])
    sigma_data = 1.0 / math.sqrt(N_DATA)
    start = truth + np.array([4 * sigma_data, 0.0, 0.0])
    ref = refine_with_independent_bases(sim, target, space, start, bases=8, events=N_BASE, seed=500, rounds=2,
                                        log=quiet)
    assert ref.n_events_generated == 2 * 8 * N_BASE
    assert ref.minima.shape == (8, 3) and len(ref.rounds) == 2
    np.testing.assert_allclose(ref.covariance_mc, np.cov(ref.minima, rowvar=False) / 8)
    np.testing.assert_allclose(ref.covariance, ref.covariance_data + ref.covariance_mc)
    assert math.sqrt(ref.covariance_data[0, 0]) == pytest.approx(sigma_data, rel=0.15)
    assert 0.5 < math.sqrt(ref.covariance_mc[0, 0]) / (1.0 / math.sqrt(N_BASE * 8)) < 1.6
    pulls = (ref.theta - truth) / ref.errors
    assert np.all(np.abs(pulls) < 2.5), f"pulls {pulls}"
    assert abs(ref.theta[0] - truth[0]) < abs(start[0] - truth[0]) / 2      # the start's offset is gone
    # each base's chi2 at the estimate: data and MC errors both in its denominator, so with the data
    # drawn at theta* it averages to about the number of points (a few sqrt(2 n / K) either side)
    assert ref.chi2_bases.shape == (8,)
    assert ref.chi2_bases[0] == pytest.approx(ref.objectives[0].plain_chi2(ref.theta), rel=1e-12)
    n = target.n_points
    assert abs(ref.chi2_bases.mean() - n) < 4 * math.sqrt(2 * n / 8), f"chi2 {ref.chi2_bases} on {n} points"


def test_refinement_is_reproducible_from_its_seed(toy_problem):
    sim, target, space = toy_problem(TRUTH, seed=22)
    start = np.array([TRUTH[n] for n in space.names])
    a = refine_with_independent_bases(sim, target, space, start, bases=2, events=5_000, seed=7, rounds=1, log=quiet)
    b = refine_with_independent_bases(sim, target, space, start, bases=2, events=5_000, seed=7, rounds=1, log=quiet)
    np.testing.assert_array_equal(a.theta, b.theta)


@pytest.mark.parametrize("kwargs, message", [
    ({"bases": 1}, "bases must be an integer >= 2"),
    ({"rounds": 0}, "rounds must be an integer >= 1"),
    ({"events": 0}, "events must be a positive integer"),
])
def test_bad_settings_are_refused(toy_problem, kwargs, message):
    sim, target, space = toy_problem(TRUTH, seed=23)
    settings = {"bases": 4, "events": 1000, "seed": 1, "rounds": 1} | kwargs
    with pytest.raises(TuneError, match=message):
        refine_with_independent_bases(sim, target, space, np.array([0.0, 1.0, 6.0]), log=quiet, **settings)


def test_a_start_outside_the_limits_is_refused(toy_problem):
    sim, target, space = toy_problem(TRUTH, seed=24)
    with pytest.raises(TuneError, match="outside the limits"):
        refine_with_independent_bases(sim, target, space, np.array([5.0, 1.0, 6.0]), bases=2, events=1000, seed=1,
                                      log=quiet)


@pytest.mark.slow
def test_repeated_toy_refinements_have_unit_gaussian_pulls(toy_problem):
    """20 pseudo-data sets, each refined from a start 3 data sigma off in mu: 60 pulls with mean 0 and std 1.

    Bounds about 3 standard errors (mean: 0.13 x 3; std: 0.09 x 3, widened for the Student-t
    tails of an MC error from 8 minima).
    """
    all_pulls = []
    for k in range(20):
        sim, target, space = toy_problem(TRUTH, seed=4000 + k)
        truth = np.array([TRUTH[n] for n in space.names])
        start = truth + np.array([3.0 / math.sqrt(N_DATA), 0.0, 0.0])
        ref = refine_with_independent_bases(sim, target, space, start, bases=8, events=N_BASE, seed=5000 + 100 * k,
                                            rounds=2, log=quiet)
        all_pulls += list((ref.theta - truth) / ref.errors)
    x = np.array(all_pulls)
    print(f"toy refinement pulls: mean {x.mean():+.3f}, std {x.std(ddof=1):.3f} (n = {x.size})")
    assert abs(x.mean()) < 0.4
    assert 0.73 < x.std(ddof=1) < 1.3


def test_the_cli_options_reach_a_refined_tune_and_its_outputs(toy_problem, monkeypatch, tmp_path):
    """`mlhad tune --refine-bases 4 --refine-events 20000 --refine-rounds 1` -> TuneConfig -> a refined result,
    whose best fit, errors, cost and report are the refinement's, with the walk's result kept beside it."""
    import json

    import mlhad.inference.tune as tune_module
    from mlhad.cli.main import main
    from mlhad.inference.tune import TuneConfig, pseudo_data
    from mlhad.inference.tune.report import format_cmnd, write_outputs
    from mlhad.inference.tune.run import run_method
    from mlhad.yoda import reference_path

    seen = {}
    monkeypatch.setattr(tune_module, "tune", lambda config: seen.setdefault("config", config))
    assert main(["tune", "--data", str(reference_path("ALEPH_1996_S3486095")), "--params", "aLund",
                 "--out", str(tmp_path / "out"), "--refine-bases", "4", "--refine-events", "20000",
                 "--refine-rounds", "1"]) == 0
    assert (seen["config"].refine_bases, seen["config"].refine_events, seen["config"].refine_rounds) == (4, 20_000, 1)
    sim, target, space = toy_problem(TRUTH, seed=25)
    config = TuneConfig(data=("pseudo.yoda",), params=tuple(space.names), out=str(tmp_path / "toy"), n_events=N_BASE,
                        seed=41, scans=False, refine_bases=4, refine_events=20_000, refine_rounds=1, validate=True)
    res = run_method(config, sim, target, space, log=quiet)
    refinement = res.extra["refinement"]
    assert res.best.tolist() == pytest.approx(np.mean(refinement["minima"], axis=0).tolist(), rel=1e-12)
    expected = np.hypot(refinement["errors_data"], refinement["errors_mc"])
    np.testing.assert_allclose(res.errors, expected, rtol=1e-9)
    assert res.error_source == "data sandwich + MC scatter of independent bases' minima"
    # the walk's bases, its --validate run, the refinement's bases
    assert res.n_events == refinement["n_events_generated"] + N_BASE * (res.extra["regenerations"] + 2)
    assert res.best_point.run.n_events == 20_000 and res.scans == []
    assert "covariance_sandwich_noise_corrected" in refinement["walk_sandwich"]
    assert "covariance_sandwich_noise_corrected" not in res.extra       # taken at the walk's point: not shown as ours
    assert "chi2_validation_run" in refinement["walk_validation"] and "chi2_validation_run" not in res.extra
    truth = np.array([TRUTH[n] for n in space.names])
    assert np.all(np.abs((res.best - truth) / res.errors) < 3)
    reference = {"TOY_1": pseudo_data(sim.run(TRUTH, N_DATA, 25, label="data"))}
    summary = write_outputs(tmp_path / "out", res, target, reference, config={"data": ["toy"]}, log=quiet)
    assert "mean of the minima of 4 independent bases (20000 events each, 1 round(s)" in summary
    assert res.chi2 == pytest.approx(refinement["chi2_bases"][0], rel=1e-12)     # the tables' base
    assert f"{np.mean(refinement['chi2_bases']):.1f} +- " in summary and "by the mean of all 4" in summary
    assert "independent bases' minima" in format_cmnd(res)
    doc = json.loads((tmp_path / "out" / "tune.json").read_text())
    assert doc["result"]["extra"]["refinement"]["walk_best"] == pytest.approx(refinement["walk_best"])


@pytest.mark.parametrize("kwargs, message", [
    ({"refine_bases": 1}, "--refine-bases must be an integer >= 2"),
    ({"refine_events": 1000}, "--refine-events needs --refine-bases"),
    ({"refine_bases": 4, "method": "surrogate"}, "used by the gradient method only"),
    ({"refine_bases": 4, "refine_rounds": 0}, "--refine-rounds must be an integer >= 1"),
])
def test_bad_refinement_cli_settings_are_refused(kwargs, message):
    from mlhad.inference.tune import TuneConfig

    with pytest.raises(TuneError, match=message):
        TuneConfig(data=("pseudo.yoda",), params=("toy:mu",), out="unused", **kwargs)
