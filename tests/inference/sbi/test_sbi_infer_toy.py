"""End-to-end inference on the linear-Gaussian toy, whose posterior is known exactly.

One NPE (a mixture density network: the toy's posterior is Gaussian, so that family is
exact and trains in seconds) is trained once per module; tolerances are set by what
1000 simulations can resolve and stated per assertion. The strict calibration (>= 100
pseudo-experiments with the default NPE, the NSF on the probit of the box) is the slow test at the end.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sbi_toy_cases import TOY_HIGH, TOY_LOW, TOY_TRUTH, make_toy

from mlhad.exceptions import InferenceError
from mlhad.inference.sbi import (EstimatorSettings, Limits, SBIConfig, infer, posterior_predictive,
                                 write_sbi_report)
from mlhad.inference.sbi.toy import analytic_posterior

LIMITS = Limits(("p0", "p1"), TOY_LOW, TOY_HIGH)
FAST = EstimatorSettings(model="mdn", hidden_features=32, batch_size=250, learning_rate=2e-3, max_epochs=300)


def _data(toy, seed=5):
    return toy.mean(TOY_TRUTH)[0] + np.random.default_rng(seed).normal(size=toy.observation.n_points) * \
        toy.observation.noise_scale(toy.mc_errors)


@pytest.fixture(scope="module")
def run():
    toy = make_toy()
    data = _data(toy)
    config = SBIConfig(limits=LIMITS, n_simulations=1000, n_sbc=60, n_sbc_samples=200, n_ppc=100,
                       n_posterior_samples=4000, estimator=FAST, seed=1)
    return toy, data, infer(toy, LIMITS, config, data=data)


def test_posterior_matches_the_analytic_one(run):
    toy, data, result = run
    mean, cov = analytic_posterior(toy, data)
    sd = np.sqrt(np.diag(cov))
    # 1000 simulations resolve the mean to ~0.2 sd and the width to ~15 % (measured over seeds); 0.5 sd and 25 % fail
    # for a network that learnt the wrong location or the prior's width (40x wider)
    assert np.all(np.abs(result.mean - mean) < 0.5 * sd), (result.mean, mean, sd)
    np.testing.assert_allclose(result.std, sd, rtol=0.25)
    assert np.all(np.abs(result.map - mean) < 0.5 * sd)
    np.testing.assert_allclose(result.fit.theta, mean, atol=1e-6)


def test_training_box_is_the_prior_cut_around_the_fit(run):
    _, _, result = run
    err = result.fit.uncertainties
    np.testing.assert_allclose(result.limits.lower, np.maximum(LIMITS.lower, result.fit.theta - 6 * err))
    np.testing.assert_allclose(result.limits.upper, np.minimum(LIMITS.upper, result.fit.theta + 6 * err))
    assert result.prior_limits == LIMITS and result.truncation_warning is None
    assert result.limits.contains(TOY_TRUTH)[0]


def test_quick_sbc_finds_no_gross_miscalibration(run):
    _, _, result = run
    s = result.sbc.summary()
    assert s["n"] == 60 and s["n_dropped"] == 0
    # 60 experiments only detect gross errors (a 2x too narrow posterior gives KS p < 1e-6 here)
    assert min(s["rank_uniformity"]["ks_pvalue"]) > 1e-3, s["rank_uniformity"]
    assert s["hpd_coverage_max_deviation_sigma"] < 4.0


def test_posterior_predictive_check(run):
    toy, data, result = run
    assert result.ppc.p_value > 0.01            # data drawn from the model itself
    bad = data.copy()
    bad[3] += 15 * toy.observation.noise_scale(toy.mc_errors)[3]
    ppc = posterior_predictive(_with(toy, bad), result.samples[:200], np.random.default_rng(0))
    assert ppc.p_value < 0.01                   # one point 15 sigma off no parameter can reach
    worst = min(ppc.histogram_p_values().items(), key=lambda kv: kv[1])[0]
    assert worst == toy.observation.histograms[0].path     # point 3 is in the first histogram


def _with(toy, values):
    from mlhad.inference.sbi.infer import _WithData

    return _WithData(toy, toy.observation.with_values(values))


def test_report_files(run, tmp_path):
    _, _, result = run
    index = write_sbi_report(result, tmp_path / "out", meta={"title": "toy"}, truth=TOY_TRUTH)
    text = index.read_text()
    assert "| p0 |" in text and "SBC over the prior" in text
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["params"] == ["p0", "p1"] and summary["truth"] == TOY_TRUTH.tolist()
    assert len(summary["sbc"]["hpd_coverage"]) == 19
    with np.load(tmp_path / "out" / "posterior_samples.npz") as samples:
        np.testing.assert_array_equal(samples["samples"], result.samples)
    for name in ("corner.png", "marginals.png", "sbc_ranks.png", "coverage_sbc.png", "ppc/TOY_d01-x01-y01.png"):
        assert (tmp_path / "out" / name).stat().st_size > 1000, name
    with pytest.raises(FileExistsError, match="not empty"):
        write_sbi_report(result, tmp_path / "out")


def test_too_few_simulations_are_refused():
    toy = make_toy()
    with pytest.raises(InferenceError, match=r"300 simulations are too few for NPE: it needs at least 500"):
        infer(toy, LIMITS, SBIConfig(limits=LIMITS, n_simulations=300))
    with pytest.raises(InferenceError, match=r"900 simulations are too few for NLE: it needs at least 1000"):
        infer(toy, LIMITS, SBIConfig(limits=LIMITS, n_simulations=900, estimator=EstimatorSettings(method="nle")))
    with pytest.raises(InferenceError, match=r"fewer examples than features"):
        infer(make_toy(n_points=600), LIMITS, SBIConfig(limits=LIMITS, n_simulations=550, summary="bins"))


@pytest.mark.slow
def test_calibration_over_300_pseudo_experiments():
    """The default NPE (NSF on the probit of the box) with 3000 simulations is calibrated: SBC over the
    (truncated) prior and coverage at the true point, each over 300 pseudo-experiments. (The NSF on theta,
    ``unbounded=False``, fails it at this seed: SBC central coverage 4.5 binomial sigma off; docs/sbi.md.)
    Under ``filterwarnings = error`` it also fails if infer warns that the posterior reaches the truncated box."""
    toy = make_toy()
    config = SBIConfig(limits=LIMITS, n_simulations=3000, n_sbc=300, n_sbc_samples=500, n_ppc=50,
                       coverage_at=tuple(TOY_TRUTH), seed=2)
    result = infer(toy, LIMITS, config, data=_data(toy, seed=7))
    for cal in (result.sbc, result.fixed):
        s = cal.summary()
        assert min(s["rank_uniformity"]["ks_pvalue"]) > 1e-3 or cal.kind == "fixed", s["rank_uniformity"]
        # 19 correlated levels, binomial errors of 300 experiments: a calibrated curve stays within 3.5 sigma
        assert s["central_coverage_max_deviation_sigma"] < 3.5, s
        assert s["hpd_coverage_max_deviation_sigma"] < 3.5, s
        assert np.all(np.abs(np.array(s["pull_std"]) - 1) < 0.15), s["pull_std"]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["nle", "nre"])
def test_nle_and_nre_recover_the_analytic_posterior(method):
    toy = make_toy()
    data = _data(toy)
    config = SBIConfig(limits=LIMITS, n_simulations=2000, n_sbc=0, n_ppc=20, n_posterior_samples=1000,
                       estimator=EstimatorSettings(method=method, max_epochs=300), seed=3)
    result = infer(toy, LIMITS, config, data=data)
    mean, cov = analytic_posterior(toy, data)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(result.mean - mean) < 0.5 * sd), (result.mean, mean, sd)
    np.testing.assert_allclose(result.std, sd, rtol=0.3)
