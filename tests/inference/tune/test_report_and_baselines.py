"""Outputs of a tune (JSON, .cmnd, tables, plots) and the optuna baseline, on the toy."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from mlhad.config import parse_setting
from mlhad.inference.tune import GradientSettings, OptunaSettings, fit_gradient, fit_optuna
from mlhad.inference.tune.report import format_cmnd, format_results_txt, summary_text, write_outputs
from mlhad.inference.tune.toy import TOY_DEFAULT

TRUTH = {"toy:mu": 0.1, "toy:width": 1.05, "toy:rate": 6.3}


def quiet(_: str) -> None:
    pass


def test_outputs_of_a_gradient_tune(toy_problem, tmp_path):
    from mlhad.inference.tune import pseudo_data

    sim, target, space = toy_problem(TRUTH, seed=31)
    base = sim.run(TOY_DEFAULT, 40_000, 32, label="base")
    res = fit_gradient(sim, target, space, GradientSettings(n_events=40_000, seed=33, scan_points=5), base=base,
                       log=quiet)
    reference = {"TOY_1": pseudo_data(sim.run(TRUTH, 20_000, 31, label="data"))}   # the same pseudo-data
    summary = write_outputs(tmp_path, res, target, reference, config={"data": ["toy"]}, log=quiet)
    doc = json.loads((tmp_path / "tune.json").read_text())
    assert doc["result"]["best"] == pytest.approx(res.values(), rel=1e-12)
    assert doc["result"]["converged"] is True
    assert np.allclose(doc["result"]["covariance"], res.covariance)
    assert doc["result"]["extra"]["n_eff_history"] == pytest.approx(res.extra["n_eff_history"])
    assert set(doc["versions"]) >= {"mlhad", "torch", "numpy"}
    # the table: fitted histograms first; d03 is not fitted but compared; the fitted chi2 adds up to the fit's
    rows = doc["chi2_table"]
    assert [r["path"] for r in rows] == ["/TOY_1/d01-x01-y01", "/TOY_1/d02-x01-y01", "/TOY_1/d03-x01-y01"]
    assert rows[2]["fitted_points"] == 0
    assert sum(r["chi2_fit_tune"] for r in rows[:2]) == pytest.approx(res.chi2, rel=1e-6)
    assert sum(r["chi2_fit_start"] for r in rows[:2]) == pytest.approx(res.chi2_start, rel=1e-6)
    # tune.cmnd is a valid Pythia command file: every non-comment line is "Key = value"
    lines = [ln.split("!")[0].strip() for ln in (tmp_path / "tune.cmnd").read_text().splitlines()]
    settings = dict(parse_setting(ln) for ln in lines if ln)
    assert float(settings["toy:mu"]) == pytest.approx(res.best[0], abs=1e-5)
    assert "| toy:mu |" in summary and (tmp_path / "summary.md").read_text() == summary
    assert (tmp_path / "scans.png").stat().st_size > 0
    assert (tmp_path / "plots" / "TOY_1" / "d03-x01-y01.png").stat().st_size > 0
    # each scan passes through the minimum and rises on both sides
    for scan in res.scans:
        assert scan.delta_chi2.min() == pytest.approx(0.0, abs=1e-6)
        assert scan.delta_chi2[0] > 0.5 and scan.delta_chi2[-1] > 0.5
    # the errors are labelled by where they came from: the Hessian here ...
    assert res.extra["covariance_source"] == "hessian" and res.error_source == "2 H^-1"
    assert "| error (2 H^-1) |" in summary and "(2 H^-1)" in (tmp_path / "tune.cmnd").read_text()
    # ... the Gauss-Newton curvature where the Hessian was not positive definite
    gauss_newton = dataclasses.replace(res, extra={**res.extra, "covariance_source": "gauss-newton"})
    assert gauss_newton.error_source == "Gauss-Newton 2 (J^T W J)^-1"
    text = summary_text(gauss_newton)
    assert "| error (Gauss-Newton 2 (J^T W J)^-1) |" in text and "Hessian is not positive definite" in text
    assert "2 H^-1" not in format_cmnd(gauss_newton) + format_results_txt(gauss_newton)


def test_optuna_baseline_on_the_toy(toy_problem):
    """Mechanics of the black-box baseline: trials, cost accounting, best trial, quadratic covariance."""
    far = {"toy:mu": 0.3, "toy:width": 1.2, "toy:rate": 7.0}
    sim, target, space = toy_problem(far, seed=41)
    res = fit_optuna(sim, target, space, OptunaSettings(n_trials=25, n_events=20_000, seed=5), log=quiet)
    assert res.n_runs == 25 and res.n_events == 25 * 20_000
    assert res.steps[0]["theta"] == pytest.approx(list(space.start))   # the first trial is the start
    assert res.chi2 < res.chi2_start
    assert res.chi2 == min(s["chi2_run"] for s in res.steps)
    assert res.covariance is not None and any("quadratic" in w for w in res.warnings)
