"""The gradient method on the analytic toy: exact reweighting, derivatives, closure, textbook errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mlhad.exceptions import TuneError
from mlhad.inference.objective import chi2
from mlhad.inference.tune import GradientSettings, ReweightedObjective, at_reference, fit_gradient, pulls
from mlhad.inference.tune.gradient import final_covariance
from mlhad.inference.tune.toy import TOY_DEFAULT

N_DATA = 20_000   # pseudo-data events (as conftest.N_DATA)
N_BASE = 40_000   # events per base run

#: Far from the toy's default (mu 0, width 1, rate 6): n_eff/N of a 40k base there is < 0.3.
FAR = {"toy:mu": 0.3, "toy:width": 1.2, "toy:rate": 7.0}


def quiet(_: str) -> None:
    pass


def test_reweighting_reproduces_the_numpy_analysis(toy_problem):
    """At the base the weights are exactly 1; anywhere, each chi2 convention equals its numpy formula.

    ``reweighted``: values and errors of the weighted numpy analysis; ``base``: weighted
    values, the base's unit-weight errors; ``corrected`` (default): as ``base``, minus the
    weights' extra MC variance in the numerator.
    """
    sim, target, space = toy_problem(FAR, seed=1)
    base = sim.run(TOY_DEFAULT, N_BASE, 2, label="base")
    objs = {mode: ReweightedObjective(base, target, space, mc_errors=mode) for mode in ("reweighted", "base", "corrected")}
    theta0 = np.array([TOY_DEFAULT[n] for n in space.names])
    assert np.array_equal(objs["corrected"].event_weights(theta0), np.ones(N_BASE))
    d, s, wt = target.data, target.data_err, target.weights
    _, e0 = target.gather(at_reference(base.predictions()))
    for theta in (theta0, np.array([0.1, 1.05, 6.3])):
        w = objs["reweighted"].event_weights(theta)
        v, e = target.gather(at_reference(base.predictions(w)))
        expected = {"reweighted": float(chi2(v, e, d, s, wt)), "base": float(chi2(v, e0, d, s, wt)),
                    "corrected": float((wt**2 * ((d - v) ** 2 - (e**2 - e0**2)) / (s**2 + e0**2)).sum())}
        for mode, obj in objs.items():
            assert obj(theta) == pytest.approx(expected[mode], rel=1e-10), mode
        assert objs["corrected"].plain_chi2(theta) == pytest.approx(expected["base"], rel=1e-10)
    assert objs["corrected"](theta0) == pytest.approx(objs["base"](theta0), rel=1e-12)   # no correction at the base


def test_gradient_and_hessian_match_finite_differences(toy_problem):
    sim, target, space = toy_problem(FAR, seed=1)
    obj = ReweightedObjective(sim.run(TOY_DEFAULT, N_BASE, 2, label="base"), target, space)
    theta = np.array([0.1, 1.05, 6.3])
    _, grad, _, _ = obj.value_and_grad(theta)
    h = 1e-5 * space.width
    num = np.array([(obj(theta + d) - obj(theta - d)) / (2 * d[i]) for i, d in enumerate(np.diag(h))])
    np.testing.assert_allclose(grad, num, rtol=1e-5)
    # the Hessian (differences of exact gradients) against second differences of the chi2 itself
    hess = obj.hessian(theta)
    k = 1e-3 * space.width
    num_h = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            ei, ej = np.eye(3)[i] * k[i], np.eye(3)[j] * k[j]
            num_h[i, j] = (obj(theta + ei + ej) - obj(theta + ei - ej) - obj(theta - ei + ej)
                           + obj(theta - ei - ej)) / (4 * k[i] * k[j])
    np.testing.assert_allclose(hess, num_h, rtol=1e-3, atol=1e-5 * np.abs(hess).max())


def test_far_truth_is_reached_by_regeneration(toy_problem):
    """theta* where the first base has n_eff/N < 0.3: the fit regenerates and recovers theta* within 2 sigma."""
    sim, target, space = toy_problem(FAR, seed=7)
    base = sim.run(TOY_DEFAULT, N_BASE, 8, label="base")
    obj = ReweightedObjective(base, target, space)
    with torch.no_grad():
        n_eff = float(obj.evaluate(torch.tensor([FAR[n] for n in space.names], dtype=torch.float64)).n_eff)
    assert n_eff < 0.3, f"the test needs a truth outside the first base's coverage, n_eff/N = {n_eff:.3f}"
    res = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, seed=9, scan_points=0), base=base,
                       log=quiet)
    assert res.converged
    assert res.extra["regenerations"] >= 1
    assert res.steps[0]["n_eff_min"] == pytest.approx(0.5, abs=0.01), "the first minimum sits on the trust region"
    assert res.extra["n_eff_best"] >= 0.8
    assert res.extra["pooled_runs"] == [], "pooling is opt-in"
    p = pulls(res.values(), res.error_dict(), FAR)
    assert all(abs(x) < 2 for x in p.values()), f"pulls {p}"
    # chi2 at the minimum: ndf points of Gaussian noise (data + MC), within 4 standard deviations
    assert abs(res.chi2 - res.ndf) < 4 * math.sqrt(2 * res.ndf), f"chi2 {res.chi2:.1f} for ndf {res.ndf}"


def test_the_symmetric_trust_region_still_closes_the_far_truth(toy_problem):
    """symmetric_region end to end: the first step ends on the region (its own n_eff/N or its mirror image's through
    the base at 0.5, neither below), the fit regenerates and closes within 2 sigma. (The toy's log-weights are
    nearly Gaussian, so its region is nearly symmetric anyway: test_inner_minimiser checks a lopsided one.)"""
    sim, target, space = toy_problem(FAR, seed=7)
    base = sim.run(TOY_DEFAULT, N_BASE, 8, label="base")
    res = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, seed=9, scan_points=0,
                                                            symmetric_region=True), base=base, log=quiet)
    assert res.converged and res.extra["regenerations"] >= 1
    first = res.steps[0]
    mirror = 2 * np.array(first["theta_base"]) - np.array(first["theta_min"])
    n_eff_mirror = ReweightedObjective(base, target, space).value_and_grad(np.clip(mirror, space.lower, space.upper))[2]
    assert min(first["n_eff_min"], n_eff_mirror) == pytest.approx(0.5, abs=0.01)
    assert min(first["n_eff_min"], n_eff_mirror) >= 0.5 * 0.999
    p = pulls(res.values(), res.error_dict(), FAR)
    assert all(abs(x) < 2 for x in p.values()), f"pulls {p}"


def test_small_walk_bases_then_full_size_bases_for_the_result(toy_problem):
    """walk_events: the walk to a far truth runs on small bases, the result comes from full-size ones and closes."""
    sim, target, space = toy_problem(FAR, seed=7)
    walk = N_BASE // 4
    res = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, walk_events=walk, seed=9, scan_points=0),
                       log=quiet)
    sizes = [s["run"]["n_events"] for s in res.steps]
    assert sizes[0] == walk, "the first generated base is a walk base"
    switch = sizes.index(N_BASE)
    assert switch >= 2, f"reaching FAR takes a walk of several small bases, sizes {sizes}"
    assert set(sizes[:switch]) == {walk} and set(sizes[switch:]) == {N_BASE}, f"sizes {sizes}"
    assert res.steps[switch - 1]["decision"].startswith("converged"), "the walk ended because it converged"
    assert res.best_point.run.n_events == N_BASE, "the final estimate comes from a full-size base"
    assert res.converged and not [w for w in res.warnings if "did not converge" in w], res.warnings
    generated = {s["run"]["label"]: s["run"]["n_events"] for s in res.steps}
    assert res.n_events == sum(generated.values()), "every generated base is counted once"
    p = pulls(res.values(), res.error_dict(), FAR)
    assert all(abs(x) < 2 for x in p.values()), f"pulls {p}"


def test_a_rejected_interior_step_shrinks_the_region_below_it(toy_problem, sabotaged_first_regeneration):
    """A new base that does not deliver the promised gain: the next step from the old base must be shorter.

    The truth is close to the start, so the first minimum lies inside the trust region
    (n_eff/N ~ 0.99). Halving only the region's bound (0.5 -> 0.75) would propose the
    same point again; the region must shrink below the rejected step's n_eff/N instead.
    """
    near = {"toy:mu": 0.05, "toy:width": 1.0, "toy:rate": 6.0}
    sim, target, space = toy_problem(near, seed=3)
    rigged = sabotaged_first_regeneration(sim, {"toy:mu": 0.4})
    res = fit_gradient(rigged, target, space, GradientSettings(n_events=N_BASE, seed=5, scan_points=0), log=quiet)
    first, rejected, retry = res.steps[0], res.steps[1], res.steps[2]
    assert 0.75 < first["n_eff_min"] < 0.999 and not first["decision"].startswith("converged"), first["decision"]
    assert rejected["decision"].startswith("rejected"), rejected["decision"]
    assert rejected["min_n_eff"] == pytest.approx(1.0 - 0.5 * (1.0 - first["n_eff_min"]))
    assert retry["run"]["label"] == "base-0", "the fit went back to the proposing base"
    assert retry["n_eff_min"] >= rejected["min_n_eff"] * (1 - 1e-3), "the retried step stays inside the smaller region"
    assert not np.allclose(retry["theta_min"], first["theta_min"], rtol=0, atol=1e-4), "not the rejected point again"


def test_walk_events_larger_than_the_bases_is_refused():
    with pytest.raises(TuneError, match="walk_events must be a positive integer no larger than n_events = 1000"):
        GradientSettings(n_events=1000, walk_events=2000)


def test_opt_in_pooling_takes_the_final_estimate_from_every_base(toy_problem):
    """pool_bases=True: the final minimum comes from all base runs pooled, and still closes."""
    sim, target, space = toy_problem(FAR, seed=7)
    base = sim.run(TOY_DEFAULT, N_BASE, 8, label="base")
    res = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, seed=9, scan_points=0, pool_bases=True),
                       base=base, log=quiet)
    assert res.extra["regenerations"] >= 1
    assert res.extra["pooled_runs"] == ["base"] + [f"base-{k + 1}" for k in range(res.extra["regenerations"])], \
        "the final estimate pools every base run"
    assert res.steps[-1]["iteration"] == "pool"
    p = pulls(res.values(), res.error_dict(), FAR)
    assert all(abs(x) < 2 for x in p.values()), f"pulls {p}"


def test_errors_match_the_textbook(toy_problem):
    """sigma(mu) = width sqrt(1/N_data + 1/N_mc) and sigma(rate) = sqrt(rate (1/N_data + 1/N_mc)).

    The chi2 uses data and MC errors in quadrature, so the MC sample (N_mc = N_BASE)
    adds its own variance. The binned, diagonal chi2 loses a little information to the
    binning (bins of 0.25 width for mu) and slightly overstates the multiplicity's
    (multinomial correlations ignored, errors p(1-p)/N instead of the covariance): 15%.
    """
    truth = {"toy:mu": 0.05, "toy:width": 1.0, "toy:rate": 6.1}
    sim, target, space = toy_problem(truth, seed=11)
    base = sim.run(TOY_DEFAULT, N_BASE, 12, label="base")
    res = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, seed=13, scan_points=0, validate=True),
                       base=base, log=quiet)
    assert res.converged
    # the validation run at the best fit: a direct run's chi2 agrees with the reweighted prediction's
    # (both are ndf points of data + MC noise, the MC noise independent: within 4 sigma of their difference)
    direct, reweighted = res.extra["chi2_validation_run"], res.extra["chi2_reweighted_at_best"]
    assert abs(direct - reweighted) < 4 * math.sqrt(2 * res.ndf), f"direct {direct:.1f} vs reweighted {reweighted:.1f}"
    assert res.extra["validation_run"]["n_events"] == N_BASE
    assert res.n_events == N_BASE * (res.extra["regenerations"] + 1)   # regenerated bases + the validation run
    f = math.sqrt(1 / N_DATA + 1 / N_BASE)
    err = res.error_dict()
    assert err["toy:mu"] == pytest.approx(1.0 * f, rel=0.15)
    assert err["toy:width"] == pytest.approx(1.0 / math.sqrt(2) * f, rel=0.15)
    assert err["toy:rate"] == pytest.approx(math.sqrt(6.1) * f, rel=0.15)


def test_indefinite_hessian_falls_back_to_the_gauss_newton_covariance(toy_problem):
    """At the minimum both curvatures agree; an indefinite Hessian gives the Gauss-Newton errors, with a warning.

    Gauss-Newton, 2 J^T W J, is the chi2's expected curvature, so at a good minimum of
    the toy its errors agree with 2 H^-1 and with the textbook width sqrt(1/N_data + 1/N_mc)
    (within the same 15 % as test_errors_match_the_textbook).
    """
    truth = {"toy:mu": 0.05, "toy:width": 1.0, "toy:rate": 6.1}
    sim, target, space = toy_problem(truth, seed=11)
    obj = ReweightedObjective(sim.run(truth, N_BASE, 12, label="base"), target, space)
    theta = np.array([truth[n] for n in space.names])
    hess = obj.hessian(theta)
    cov_h, warn_h, source_h = final_covariance(obj, theta, hess)
    assert (source_h, warn_h) == ("hessian", [])
    flipped = hess - 2.0 * np.max(np.linalg.eigvalsh(hess)) * np.outer([1.0, 0, 0], [1.0, 0, 0])
    cov_gn, warn_gn, source_gn = final_covariance(obj, theta, flipped)
    assert source_gn == "gauss-newton" and "not positive definite" in warn_gn[0]
    assert np.all(np.linalg.eigvalsh(cov_gn) > 0)
    np.testing.assert_allclose(np.sqrt(np.diag(cov_gn)), np.sqrt(np.diag(cov_h)), rtol=0.15)
    f = math.sqrt(1 / N_DATA + 1 / N_BASE)
    assert math.sqrt(cov_gn[0, 0]) == pytest.approx(1.0 * f, rel=0.15)   # sigma(mu) = width x f


@pytest.mark.slow
@pytest.mark.parametrize("ratio_test", ["direct", "paired"])
def test_repeated_toy_closures_have_unit_gaussian_pulls(toy_problem, ratio_test):
    """30 independent pseudo-data sets and bases: pulls of 3 parameters have mean 0 and std 1, either ratio test.

    90 pulls: the mean has standard error 0.11 and the std 0.075; the bounds below are
    about 3 standard errors. Measured: direct mean -0.055, std 1.12; paired -0.054, 1.14.
    """
    all_pulls = []
    for k in range(30):
        sim, target, space = toy_problem(FAR, seed=1000 + k)
        base = sim.run(TOY_DEFAULT, N_BASE, 2000 + k, label="base")
        res = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, seed=3000 + 10 * k, scan_points=0,
                                                                ratio_test=ratio_test),
                           base=base, log=quiet)
        all_pulls += list(pulls(res.values(), res.error_dict(), FAR).values())
    x = np.array(all_pulls)
    print(f"toy closure pulls ({ratio_test} ratio test): mean {x.mean():+.3f}, std {x.std(ddof=1):.3f} (n = {x.size})")
    assert abs(x.mean()) < 0.33
    assert 0.78 < x.std(ddof=1) < 1.22


def test_prediction_covariance_diagonal_is_the_analysis_error(toy_problem):
    """The full delta-method covariance has the numpy analysis' squared errors on its diagonal, any weights."""
    from mlhad.inference.objective import build_target
    from mlhad.inference.tune import pseudo_data
    from mlhad.inference.tune.covariance import prediction_covariance

    sim, _, space = toy_problem(FAR, seed=1)
    run = sim.run(TOY_DEFAULT, 5_000, 3, label="run")
    target = build_target(pseudo_data(run), sim.mc_paths()[0])          # all three histograms
    w = ReweightedObjective(run, target, space).event_weights(np.array([0.1, 1.05, 6.3]))
    cov = prediction_covariance(run.contributions, target, w, chunk=1_500)   # several blocks
    _, errors = target.gather(at_reference(run.predictions(w)))
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), errors, rtol=1e-10)
    # unit-area bins are anti-correlated (they share the normalisation); a spectrum's bins are
    # positively correlated through the event's multiplicity
    d01 = target.slices["/TOY_1/d01-x01-y01"]
    d03 = target.slices["/TOY_1/d03-x01-y01"]
    corr = cov / np.outer(errors, errors)
    assert np.mean(corr[d01, d01][np.triu_indices(d01.stop - d01.start, 1)]) < 0
    assert np.mean(corr[d03, d03][np.triu_indices(d03.stop - d03.start, 1)]) > 0


@pytest.mark.parametrize("point", [FAR, {"toy:mu": 0.25, "toy:width": 1.15, "toy:rate": 6.8}],
                         ids=["at-truth", "off-truth"])
def test_direct_chi2_noise_matches_the_spread_of_independent_runs(toy_problem, point):
    """The ratio test's noise model: Var(chi2) of a direct run, from that run alone, equals the
    spread of the chi2 over 60 independent runs at the same point (all three toy histograms, so
    the spectrum's correlated bins count; off the truth the residual term 4 r^T ACA r dominates)."""
    from mlhad.inference.tune.gradient import direct_chi2_variance

    sim, target, space = toy_problem(FAR, seed=1, weights=None)
    theta = np.array([point[n] for n in space.names])
    chi2s, variances = [], []
    for seed in range(100, 160):
        obj = ReweightedObjective(sim.run(point, N_BASE, seed, label="base"), target, space)
        chi2s.append(obj.plain_chi2(theta))
        variances.append(direct_chi2_variance(obj, theta))
    ratio = np.std(chi2s, ddof=1) / np.sqrt(np.mean(variances))
    # 60 runs: the sample standard deviation is known to ~9%
    assert 0.75 < ratio < 1.3, f"spread {np.std(chi2s, ddof=1):.2f} vs predicted {np.sqrt(np.mean(variances)):.2f}"


def test_reweighted_derivatives_carry_the_predicted_noise(toy_problem):
    """J from per-event scores equals the finite-difference derivatives, and the predicted
    E[dJ^T W dJ] equals the spread of J over 60 independent bases (it is what makes noisy
    derivatives look like curvature; the aLund-bLund valley of Pythia is made of it)."""
    from mlhad.inference.tune.covariance import derivative_noise

    sim, target, space = toy_problem(FAR, seed=1, weights=None)
    theta = np.array([FAR[n] for n in space.names])
    base_point = {"toy:mu": 0.2, "toy:width": 1.15, "toy:rate": 6.7}
    wdiag = target.weights**2 / target.data_err**2
    wmat = np.diag(wdiag)
    jacs, predicted = [], []
    for seed in range(100, 160):
        obj = ReweightedObjective(sim.run(base_point, N_BASE, seed, label="base"), target, space)
        jac, noise = derivative_noise(obj.run.contributions, target, obj.event_weights(theta),
                                      obj.event_scores(theta), wdiag)
        if seed == 100:
            np.testing.assert_allclose(jac, obj.jacobian(theta), rtol=1e-5, atol=1e-6 * np.abs(jac).max())
        jacs.append(jac)
        predicted.append(noise)
    d_jac = np.array(jacs) - np.mean(jacs, axis=0)
    empirical = np.einsum("kbp,bc,kcq->pq", d_jac, wmat, d_jac) / (len(jacs) - 1)
    # 60 runs: each diagonal element is known to ~18% (chi2 with 59 dof)
    np.testing.assert_allclose(np.diag(np.mean(predicted, axis=0)), np.diag(empirical), rtol=0.4)


def test_noise_corrected_errors_scale_with_the_base_size(toy_problem):
    """The share of the apparent curvature that is derivative noise falls as 1/N_base: a 10x smaller
    base leaves about 10x more of it; the corrected errors are wider than the plain sandwich's."""
    from mlhad.inference.tune.covariance import noise_corrected_sandwich, prediction_covariance

    sim, target, space = toy_problem(FAR, seed=1, weights=None)
    theta = np.array([FAR[n] for n in space.names])
    lost = {}
    for n_base in (4_000, 40_000):
        obj = ReweightedObjective(sim.run(FAR, n_base, 5, label="base"), target, space)
        w = obj.event_weights(theta)
        e = obj.chi2_errors(theta)
        sigma = np.diag(target.data_err**2) + prediction_covariance(obj.run.contributions, target, w)
        cov, kept = noise_corrected_sandwich(obj.run.contributions, target, w, obj.event_scores(theta), e, sigma)
        plain = np.diag(final_covariance_sandwich(obj, theta, sigma))
        assert np.all(np.diag(cov) >= plain * (1 - 1e-9)), (np.diag(cov), plain)
        lost[n_base] = 1.0 - kept.min()
    assert 0.0 < lost[40_000] < 0.05
    assert 5.0 < lost[4_000] / lost[40_000] < 20.0, lost


def final_covariance_sandwich(obj, theta, sigma):
    from mlhad.inference.tune.covariance import sandwich_covariance

    return sandwich_covariance(obj.jacobian(theta), obj.target.data_err, obj.chi2_errors(theta), obj.target.weights, sigma)


def test_derivative_noise_warning_names_the_base_size_needed():
    from mlhad.inference.tune.gradient import _derivative_noise_warning

    assert _derivative_noise_warning([0.6, 0.9, 1.0], 40_000) == []
    # f = 0.3: noise/information = 7/3; N x 7/3 = 93.3k events make them equal
    assert "about 94k events per base" in _derivative_noise_warning([0.3, 0.8, 1.0], 40_000)[0]
    assert "--grow-events" in _derivative_noise_warning([0.3, 0.8, 1.0], 40_000)[0], "names the option that grows them"
    assert "--refine-bases 8" in _derivative_noise_warning([0.3, 0.8, 1.0], 40_000)[0], "names the refinement"
    assert "none of the apparent curvature" in _derivative_noise_warning([-0.1, 0.8, 1.0], 20_000)[0]
