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
