"""The trust-region ratio test of the gradient method: direct (two runs' chi2) against paired (one run, two points)."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import TuneError
from mlhad.inference.tune import GradientSettings, ReweightedObjective, TuneConfig, fit_gradient
from mlhad.inference.tune.gradient import direct_chi2_variance, ratio_test
from mlhad.inference.tune.run import run_method

#: As in test_gradient_toy: far from the toy default, events per base.
FAR = {"toy:mu": 0.3, "toy:width": 1.2, "toy:rate": 7.0}
N_BASE = 40_000


def quiet(_: str) -> None:
    pass

#: A new base on the way from the toy default to FAR, and the point that proposed it (further from FAR).
NEW = {"toy:mu": 0.15, "toy:width": 1.1, "toy:rate": 6.5}
OLD = {"toy:mu": 0.10, "toy:width": 1.07, "toy:rate": 6.35}


@pytest.fixture
def new_base(toy_problem):
    """``(settings -> test)`` for a toy base at NEW, proposed from OLD, with the previous run's direct chi2 given."""
    sim, target, space = toy_problem(FAR, seed=11)
    run = sim.run(NEW, N_BASE, 12, label="new")
    objective = ReweightedObjective(run, target, space)
    here = np.array([NEW[n] for n in space.names])
    before = np.array([OLD[n] for n in space.names])
    chi2_here = objective.value_and_grad(here)[0]
    var_here = direct_chi2_variance(objective, here)

    def test(settings: GradientSettings, chi2_previous: float, previous_point: np.ndarray = before) -> dict:
        return ratio_test(settings, objective, chi2_here, var_here, (chi2_previous, var_here, None, previous_point))

    return test, objective, chi2_here, before


def test_the_paired_test_ignores_how_the_previous_run_fluctuated(new_base):
    """A previous run whose chi2 came out low by noise: the direct test rejects the step, the paired one does not.

    The new base is closer to the truth than the proposing point, and its own events say so
    (its reweighted chi2 at the old point is higher); the previous run's direct chi2 does
    not enter the paired comparison at all.
    """
    test, objective, chi2_here, before = new_base
    chi2_back, _, n_eff_back, _ = objective.value_and_grad(before)
    assert n_eff_back > 0.5 and chi2_back > chi2_here + 5, (chi2_back, chi2_here, "the step was a real gain")
    lucky_previous = chi2_here - 3.0            # the proposing run fluctuated below this one
    direct = test(GradientSettings(), lucky_previous)
    paired = test(GradientSettings(ratio_test="paired"), lucky_previous)
    assert direct["kind"] == "direct" and direct["rejected"]
    assert paired["kind"] == "paired" and not paired["rejected"]
    assert paired["chi2_at_previous"] == pytest.approx(chi2_back) and paired["n_eff_at_previous"] == pytest.approx(n_eff_back)
    # and it is the same decision whatever the previous run's chi2 was
    assert not test(GradientSettings(ratio_test="paired"), chi2_here + 50.0)["rejected"]


def test_the_paired_test_rejects_a_step_its_own_events_undo(new_base):
    """Seen from the other side: proposed from the point that is in fact better, the new base is rejected."""
    test, objective, chi2_here, _ = new_base
    # a proposing point beyond the new base, towards FAR: better than the new base's own point
    beyond = np.array([0.19, 1.13, 6.62])
    chi2_beyond, _, n_eff_beyond, _ = objective.value_and_grad(beyond)
    assert n_eff_beyond > 0.5 and chi2_beyond < chi2_here
    paired = test(GradientSettings(ratio_test="paired"), chi2_here + 50.0, beyond)
    assert paired["kind"] == "paired" and paired["rejected"]
    assert "put the proposing base's point" in paired["why"]


def test_the_paired_test_falls_back_where_the_new_base_cannot_see_the_old_point(new_base):
    test, objective, chi2_here, _ = new_base
    far_back = np.array([0.5, 1.4, 8.0])          # (mu, width, rate): far beyond FAR, seen with n_eff/N ~ 0.08
    assert objective.value_and_grad(far_back)[2] < 0.25
    out = test(GradientSettings(ratio_test="paired"), chi2_here - 1.0, far_back)
    assert out["kind"] == "direct" and out["rejected"] and "fell back to the direct one" in out["why"]
    assert not test(GradientSettings(ratio_test="paired"), chi2_here + 1.0, far_back)["rejected"]


def test_a_paired_fit_rejects_a_base_that_breaks_its_promise(toy_problem, sabotaged_first_regeneration):
    """The sabotaged regeneration of test_gradient_toy, with the paired test: rejected, back to the proposing base."""
    near = {"toy:mu": 0.05, "toy:width": 1.0, "toy:rate": 6.0}
    sim, target, space = toy_problem(near, seed=3)
    rigged = sabotaged_first_regeneration(sim, {"toy:mu": 0.4})
    res = fit_gradient(rigged, target, space, GradientSettings(n_events=N_BASE, seed=5, scan_points=0,
                                                               ratio_test="paired"), log=quiet)
    rejected, retry = res.steps[1], res.steps[2]
    assert rejected["decision"].startswith("rejected") and rejected["ratio_test"]["kind"] == "paired", rejected
    assert retry["run"]["label"] == "base-0", "the fit went back to the proposing base"
    accepted = [s for s in res.steps if "ratio_test" in s and not s["ratio_test"]["rejected"]]
    assert all(s["ratio_test"]["kind"] == "paired" for s in accepted)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ratio_test": "both"}, "ratio_test must be 'direct' or 'paired'"),
    ({"ratio_test": "paired", "reject_sigma": 2.0}, "applies to ratio_test='direct' only"),
])
def test_bad_ratio_test_settings_are_refused(kwargs, message):
    with pytest.raises(TuneError, match=message):
        GradientSettings(**kwargs)


def test_the_cli_option_reaches_the_fit(toy_problem, monkeypatch, tmp_path):
    """`mlhad tune --ratio-test paired` -> TuneConfig -> GradientSettings: the fit's steps use the paired test."""
    import mlhad.inference.tune as tune_module
    from mlhad.cli.main import main
    from mlhad.yoda import reference_path

    seen = {}
    monkeypatch.setattr(tune_module, "tune", lambda config: seen.setdefault("config", config))
    assert main(["tune", "--data", str(reference_path("ALEPH_1996_S3486095")), "--params", "aLund",
                 "--out", str(tmp_path / "out"), "--ratio-test", "paired"]) == 0
    assert seen["config"].ratio_test == "paired"
    sim, target, space = toy_problem(FAR, seed=21)
    config = TuneConfig(data=("pseudo.yoda",), params=tuple(space.names), out=str(tmp_path / "toy"),
                        n_events=N_BASE, ratio_test="paired", scans=False)
    res = run_method(config, sim, target, space, log=quiet)
    assert res.extra["settings"]["ratio_test"] == "paired"
    tested = [s["ratio_test"] for s in res.steps if "ratio_test" in s]
    assert tested and {t["kind"] for t in tested} == {"paired"}, res.steps


def test_the_gain_noise_cli_options_reach_the_fit(toy_problem, monkeypatch, tmp_path):
    """`mlhad tune --gain-noise-sigma 2 --grow-events M` -> TuneConfig -> GradientSettings: the toy fit records the
    gain noise per step and grows its 1000-event bases."""
    import mlhad.inference.tune as tune_module
    from mlhad.cli.main import main
    from mlhad.yoda import reference_path

    seen = {}
    monkeypatch.setattr(tune_module, "tune", lambda config: seen.setdefault("config", config))
    assert main(["tune", "--data", str(reference_path("ALEPH_1996_S3486095")), "--params", "aLund",
                 "--out", str(tmp_path / "out"), "--gain-noise-sigma", "2", "--grow-events", "64000"]) == 0
    assert (seen["config"].gain_noise_sigma, seen["config"].grow_events) == (2.0, 64_000)
    sim, target, space = toy_problem(FAR, seed=1003)
    from mlhad.inference.tune.toy import TOY_DEFAULT

    base = sim.run(TOY_DEFAULT, 1000, 2003, label="base")      # as in test_a_base_not_informed_along_every_direction_grows
    config = TuneConfig(data=("pseudo.yoda",), params=tuple(space.names), out=str(tmp_path / "toy"), n_events=1000,
                        seed=3030, gain_noise_sigma=2.0, grow_events=64_000, scans=False)
    res = run_method(config, sim, target, space, base=base, log=quiet)
    assert (res.extra["settings"]["gain_noise_sigma"], res.extra["settings"]["grow_events"]) == (2.0, 64_000)
    assert all("gain_noise" in s for s in res.steps)
    assert max(s["run"]["n_events"] for s in res.steps) > 1000, "the bases grew"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"grow_events": 64_000}, "--grow-events needs --gain-noise-sigma"),
    ({"gain_noise_sigma": 2.0, "method": "surrogate"}, "used by the gradient method only"),
])
def test_bad_gain_noise_cli_settings_are_refused(kwargs, message):
    with pytest.raises(TuneError, match=message):
        TuneConfig(data=("pseudo.yoda",), params=("toy:mu",), out="unused", **kwargs)


def test_the_noise_of_a_bases_gain_matches_the_spread_over_independent_bases(toy_problem):
    """gain = chi2(base point) - chi2(theta) on one base: its first-order MC noise, from that base alone, equals
    the spread of the gain over 60 independent bases (the same events enter both chi2, so their common noise
    cancels; what is left is the reweighted change's own noise)."""
    from mlhad.inference.tune.gradient import gain_noise

    sim, target, space = toy_problem(FAR, seed=1, weights=None)
    here = np.array([NEW[n] for n in space.names])
    there = np.array([0.30, 1.22, 7.1])             # towards FAR and beyond, n_eff/N ~ 0.6 from NEW
    gains, predicted, n_effs = [], [], []
    for seed in range(200, 260):
        objective = ReweightedObjective(sim.run(NEW, N_BASE, seed, label="base"), target, space, mc_errors="base")
        gains.append(objective(here) - objective(there))
        predicted.append(gain_noise(objective, here, there))
        n_effs.append(objective.value_and_grad(there)[2])
    assert 0.4 < np.mean(n_effs) < 0.9, np.mean(n_effs)
    ratio = np.std(gains, ddof=1) / np.sqrt(np.mean(np.square(predicted)))
    # 60 bases: the sample standard deviation is known to ~9%; first order leaves out tr(ACAC)-like terms
    assert 0.75 < ratio < 1.3, f"spread {np.std(gains, ddof=1):.2f} vs predicted {np.sqrt(np.mean(np.square(predicted))):.2f}"


def test_a_base_that_cannot_tell_its_minimum_from_its_point_keeps_its_point(toy_problem):
    """gain_noise_sigma = 2 on the toy's far closure: the last base's gain (3.0) is within twice its own MC
    noise (2 x 2.2), so the fit stops there. The estimate moves from the base's point towards its minimum only
    along the directions the base is informed about (on the toy, with no flat direction, all of them) and whose own
    part of the step is a significant gain."""
    from mlhad.inference.tune import pulls
    from mlhad.inference.tune.toy import TOY_DEFAULT

    sim, target, space = toy_problem(FAR, seed=1003)
    base = sim.run(TOY_DEFAULT, N_BASE, 2003, label="base")
    res = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, seed=3030, scan_points=0,
                                                           gain_noise_sigma=2.0), base=base, log=quiet)
    last = res.steps[-1]
    assert res.converged and "cannot tell its minimum from its own point" in last["decision"], last["decision"]
    assert 0 < last["chi2_base"] - last["chi2_min"] < 2.0 * last["gain_noise"]
    assert not np.allclose(last["theta_min"], last["theta_base"], rtol=0, atol=1e-6), "its minimum was elsewhere"
    # every direction is informed on the toy, but the estimate moves only along those whose own gain is significant
    record = last["informed_step"]
    assert [d["kept"] >= 0.5 for d in record["directions"]] == [True] * 3, record
    assert [d["moved"] for d in record["directions"]] == [d["gain"] >= 2.0 * d["noise"] for d in record["directions"]]
    np.testing.assert_allclose(res.best, record["estimate"], rtol=0, atol=1e-12)
    if not any(d["moved"] for d in record["directions"]):
        np.testing.assert_allclose(res.best, last["theta_base"], rtol=0, atol=1e-12)
    assert all(s["gain_noise"] > 0 for s in res.steps) and res.steps[0]["gain_noise"] > 10 * last["gain_noise"]
    p = pulls(res.values(), res.error_dict(), FAR)
    assert all(abs(x) < 2 for x in p.values()), f"pulls {p}"
    # off (the default): no gain-noise records, and the same fit goes on to its minimum
    off = fit_gradient(sim, target, space, GradientSettings(n_events=N_BASE, seed=3030, scan_points=0), base=base,
                       log=quiet)
    assert all("gain_noise" not in s for s in off.steps)


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_bad_gain_noise_sigma_is_refused(value):
    with pytest.raises(TuneError, match="gain_noise_sigma must be a finite number >= 0"):
        GradientSettings(gain_noise_sigma=value)


def test_the_informed_step_projects_out_the_directions_without_information(new_base):
    """informed_step: no direction informed -> the base's point; all -> the minimum; in between, the step is the
    projection (in the metric of the apparent curvature) onto the informed eigen-directions."""
    from mlhad.inference.tune.covariance import derivative_noise, information_frame
    from mlhad.inference.tune.gradient import informed_step

    _, objective, _, _ = new_base
    here = np.array([NEW[n] for n in objective.space.names])
    there = np.array([0.18, 1.12, 6.6])
    np.testing.assert_allclose(informed_step(objective, here, there, min_kept=2.0)[0], here, rtol=0, atol=1e-12)
    np.testing.assert_allclose(informed_step(objective, here, there, min_kept=-1.0)[0], there, rtol=1e-9)
    target = objective.target
    wdiag = target.weights**2 / (target.data_err**2 + objective.chi2_errors(here) ** 2)
    jac, noise = derivative_noise(objective.run.contributions, target, objective.event_weights(here),
                                  objective.event_scores(here), wdiag)
    half, _, kept, _ = information_frame(jac, noise, wdiag)
    cut = 0.5 * (kept[0] + kept[1])                  # the least informed direction is dropped
    partial = informed_step(objective, here, there, min_kept=cut)[0] - here
    y, y_kept = half @ (there - here), half @ partial
    assert np.linalg.norm(y_kept) < np.linalg.norm(y)
    assert abs(float((y - y_kept) @ y_kept)) < 1e-9 * float(y @ y), "an orthogonal projection"


def test_the_informed_step_stays_along_directions_whose_gain_is_within_the_noise(new_base):
    """gain_sigma: an informed direction moves only if its part of the step alone lowers the chi2 by gain_sigma x
    that gain's MC noise. Far from the base's point (the gain is large) every direction moves; a threshold above
    every direction's significance keeps the base's point; in between, exactly the significant directions move."""
    from mlhad.inference.tune.gradient import informed_step

    _, objective, _, _ = new_base
    here = np.array([NEW[n] for n in objective.space.names])
    there = np.array([0.18, 1.12, 6.6])
    moved_all, _, records = informed_step(objective, here, there, min_kept=-1.0, gain_sigma=1e-9)
    significance = [d["gain"] / d["noise"] for d in records]
    assert all(d["noise"] > 0 for d in records) and len(records) == 3
    if all(z > 0 for z in significance):
        np.testing.assert_allclose(moved_all, there, rtol=1e-9)
    stayed, _, records = informed_step(objective, here, there, min_kept=-1.0, gain_sigma=max(significance) + 1)
    np.testing.assert_allclose(stayed, here, rtol=0, atol=1e-12)
    assert not any(d["moved"] for d in records)
    cut = float(np.median(significance))
    some, _, records = informed_step(objective, here, there, min_kept=-1.0, gain_sigma=cut)
    assert [d["moved"] for d in records] == [z >= cut for z in significance]
    # the records are the chi2 change and gain_noise of each direction's part of the step alone
    part = informed_step(objective, here, there, min_kept=-1.0)[0] - here     # all directions, no gain test
    assert sum(d["gain"] for d in records) == pytest.approx(objective(here) - objective(here + part), rel=0.2)
    assert some.tolist() not in (here.tolist(), there.tolist()), "a partial step"


def test_a_base_not_informed_along_every_direction_grows(toy_problem):
    """grow_events: 1000-event toy bases stop on their gain's noise with a direction that keeps less than half of
    its curvature; the fit doubles the base there and goes on, and the result comes from the larger base."""
    from mlhad.inference.tune import pulls
    from mlhad.inference.tune.toy import TOY_DEFAULT

    sim, target, space = toy_problem(FAR, seed=1003)
    base = sim.run(TOY_DEFAULT, 1000, 2003, label="base")
    res = fit_gradient(sim, target, space, GradientSettings(n_events=1000, seed=3030, scan_points=0,
                                                           gain_noise_sigma=2.0, grow_events=64_000), base=base, log=quiet)
    sizes = [s["run"]["n_events"] for s in res.steps]
    grown = sizes.index(2000)
    assert set(sizes[:grown]) == {1000} and set(sizes[grown:]) == {2000}, sizes
    assert "cannot tell its minimum from its own point" in res.steps[grown - 1]["decision"]
    assert res.best_point.run.n_events == 2000, "the result comes from the grown base"
    generated = {s["run"]["label"]: s["run"]["n_events"] for s in res.steps if s["run"]["label"] != "base"}
    assert res.n_events == sum(generated.values()), "every generated base counted once, the given one not"
    p = pulls(res.values(), res.error_dict(), FAR)
    assert all(abs(x) < 2 for x in p.values()), f"pulls {p}"
    # without growth the same fit stops at the 1000-event base, with a warning that names grow_events
    stopped = fit_gradient(sim, target, space, GradientSettings(n_events=1000, seed=3030, scan_points=0,
                                                               gain_noise_sigma=2.0), base=base, log=quiet)
    assert {s["run"]["n_events"] for s in stopped.steps} == {1000}
    assert any("grow_events" in w for w in stopped.warnings), stopped.warnings
    # the grown fit's chi2 at the best fit comes from a larger base than the start's: said, and only then
    from mlhad.inference.tune.report import summary_text

    assert any("1000-event base and the best fit's from a 2000-event base" in w for w in res.warnings), res.warnings
    assert "from bases of different sizes: not comparable" in summary_text(res)
    assert not any("not comparable" in w for w in stopped.warnings)
    assert "not comparable" not in summary_text(stopped)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"grow_events": 200_000}, "grow_events needs gain_noise_sigma > 0"),
    ({"grow_events": 150_000, "gain_noise_sigma": 2.0}, "at least 2 x n_events = 200000"),
])
def test_bad_grow_events_are_refused(kwargs, message):
    with pytest.raises(TuneError, match=message):
        GradientSettings(n_events=100_000, **kwargs)
