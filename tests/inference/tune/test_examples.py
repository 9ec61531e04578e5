"""The closure example runs end to end (small sizes) and closes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.pythia]

ROOT = Path(__file__).resolve().parents[3]


def _closure_folder(tmp_path: Path):
    """``(theta*, an empty closure folder, a closure simulator)``: the far point of examples/closure.py, runs under
    ``tmp_path/data-runs``."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from closure import POINTS, closure_simulator
    finally:
        sys.path.pop(0)
    folder = tmp_path / "closure"
    folder.mkdir()
    return POINTS[1], folder, closure_simulator(tmp_path / "data-runs", workers=1)


def test_closure_example_far_point(tmp_path):
    """theta* outside the Monash base's coverage (point 1): regenerates, and closes where 5k pseudo-data and 10k-event
    bases can tell: sigma, and the steep aLund-bLund combination. Along the aLund-bLund valley the position at
    this statistic is set by the walk's path, not by the data (docs/tune.md, "Three stopping rules"; with the
    same seeds the fit ended at aLund 0.57 in one environment and 0.81 in another, whose floating-point paths
    differ by the last digits of one SLSQP minimum): there the fit must either close or report the valley as
    not informed."""
    out = tmp_path / "closure"
    subprocess.run([sys.executable, str(ROOT / "examples" / "closure.py"), "--out", str(out), "--data-events", "5000",
                    "--base-events", "10000", "--points", "1"], check=True, timeout=1200,
                   env={"MLHAD_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"})
    result = json.loads((out / "closure.json").read_text())["closures"][0]
    assert result["n_eff_monash_at_truth"] < 0.3
    assert result["converged"] and result["regenerations"] >= 1
    names = result["names"]
    pulls = dict(zip(names, result["pulls_sandwich"]))
    assert abs(pulls["StringPT:sigma"]) < 3, result
    valley = [names.index("StringZ:aLund"), names.index("StringZ:bLund")]
    if not all(abs(pulls[names[i]]) < 3 for i in valley):
        assert result["curvature_kept_after_noise_correction"][0] < 0.5, \
            f"the valley is off by more than 3 sigma but the fit claims to be informed along it: {result}"
        # the steep combination (the smaller eigen-direction of the aLund-bLund sandwich block) still closes
        cov = np.array(result["covariance_sandwich_full"])[np.ix_(valley, valley)]
        offset = np.array([result["fit"][names[i]] - result["truth"][names[i]] for i in valley])
        values, vectors = np.linalg.eigh(cov)
        assert abs(vectors[:, 0] @ offset) / np.sqrt(values[0]) < 3, result
    # the noise-corrected errors are wider (or the direction is unconstrained: NaN), never narrower
    for plain, corrected in zip(result["errors_sandwich_full"], result["errors_sandwich_noise_corrected"]):
        assert corrected != corrected or corrected >= plain * 0.999, result
    assert (out / "closure.md").read_text().startswith("# Closure of the gradient tune")


def test_closure_checks_reproduce_the_data_limit(tmp_path):
    """closure_checks.py on a small repeated closure: its linear estimator is the closure's data limit, and
    the independent pseudo-data scatter around it by the predicted amount (within the noise of 3 sets)."""
    out = tmp_path / "closure"
    env = {"MLHAD_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, str(ROOT / "examples" / "closure.py"), "--out", str(out), "--data-events", "5000",
                    "--base-events", "10000", "--points", "1", "--repeat", "3"], check=True, timeout=2400, env=env)
    base = sorted((out / "runs").glob("monash-*"))[0]
    subprocess.run([sys.executable, str(ROOT / "examples" / "closure_checks.py"), "--closure", str(out),
                    "--base", str(base), "--min-n-eff", "0.3", "--direct-events", "3000"], check=True, timeout=1200, env=env)
    checks = json.loads((out / "closure-checks.json").read_text())
    closure = json.loads((out / "closure.json").read_text())
    first = checks["linear_projection"][0]
    # the same estimator as the closure's "data limit (full)" of its first closure
    assert first["predicted"] == pytest.approx(closure["closures"][0]["limit_data_full"], rel=1e-6)
    for projection in checks["linear_projection"]:
        assert projection["n_sets"] == 3
        ratio = [e / p for e, p in zip(projection["empirical"], projection["predicted"])]
        # the std of 3 Gaussian values is below 0.03x (or above 3x) its true value with probability 5e-4 (1e-4)
        assert all(0.03 < r < 3.0 for r in ratio), projection
    common = checks["common_base"]
    assert len(common["fits"]) == 4 and all(s > 0 for s in common["spread"])
    # check 3: three direct runs along the fits' principal axis, every set's chi2 at each
    valley = checks["direct_valley"]
    assert valley["direction"][0] == pytest.approx(1.0) and len(valley["points"]) == 3
    assert valley["points"][1] == pytest.approx([closure["closures"][0]["truth"][n] for n in checks["names"]])
    assert [row["set"] for row in valley["sets"]] == ["point0", "repeat0", "repeat1", "repeat2"]
    assert all(len(row["chi2"]) == 3 and all(c > 0 for c in row["chi2"]) for row in valley["sets"])
    # a second run does not replace the first one's file without --overwrite
    written = (out / "closure-checks.json").read_text()
    again = subprocess.run([sys.executable, str(ROOT / "examples" / "closure_checks.py"), "--closure", str(out)],
                           capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 2 and "use --overwrite" in again.stderr
    assert (out / "closure-checks.json").read_text() == written


def test_minima_from_truth_scatter_around_the_truth(tmp_path):
    """minima_from_truth.py: bases generated at theta* put the minima of pseudo-data generated there around
    theta* (sigma, the best-measured parameter, within 4 standard errors of the fits' mean), never worse than
    theta* itself and inside the trust region; a second run does not replace the first one's report."""
    from mlhad.inference.tune import pseudo_data, write_pseudo_data

    truth, folder, sim = _closure_folder(tmp_path)
    for k in range(2):
        run = sim.run(truth, 5000, 600 + k, label=f"set{k}-data")
        write_pseudo_data(folder / f"set{k}-pseudo-data.yoda", pseudo_data(run), overwrite=False)
    out = tmp_path / "minima"
    command = [sys.executable, str(ROOT / "examples" / "minima_from_truth.py"), "--closure", str(folder),
               "--truth", ",".join(str(truth[n]) for n in ("StringZ:aLund", "StringZ:bLund", "StringPT:sigma")),
               "--bases", "2", "--events", "10000", "--workers", "1", "--out", str(out)]
    env = {"MLHAD_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run(command, check=True, timeout=1200, env=env)
    report = json.loads((out / "minima-from-truth.json").read_text())
    assert len(report["fits"]) == 4 and {f["data"] for f in report["fits"]} == {"set0-pseudo-data.yoda",
                                                                              "set1-pseudo-data.yoda"}
    for fit in report["fits"]:
        assert fit["chi2_min"] <= fit["chi2_truth"] + 1e-9, fit
        assert fit["n_eff"] >= 0.5 * 0.98, fit
    sigma = report["names"].index("StringPT:sigma")
    assert abs(report["mean_offset"][sigma]) < 4 * report["scatter_per_fit"][sigma] / np.sqrt(4), report
    written = (out / "minima-from-truth.json").read_text()
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 2 and "exists" in again.stderr
    assert (out / "minima-from-truth.json").read_text() == written


def test_refine_closures_moves_an_offset_fit_towards_the_truth(tmp_path):
    """refine_closures.py: a closure folder whose fit is 0.01 off in sigma (about 3 data standard deviations of
    5k events): 2 bases of 10k events at that fit put the mean of their minima closer to theta*, the pulls are
    finite, the pseudo-data are reproduced from their seed, and a second run does not replace the report."""
    from mlhad.inference.tune import pseudo_data, write_pseudo_data

    truth, folder, sim = _closure_folder(tmp_path)
    run = sim.run(truth, 5000, 700, label="point0-data")
    write_pseudo_data(folder / "point0-pseudo-data.yoda", pseudo_data(run), overwrite=False)
    fit = dict(truth, **{"StringPT:sigma": truth["StringPT:sigma"] + 0.01})
    record = {"truth": truth, "fit": fit, "seed": 700, "errors_sandwich_full": [0.05, 0.05, 0.003]}
    (folder / "closure.json").write_text(json.dumps({"data_events": 5000, "closures": [record], "repeats": []}))
    out = tmp_path / "refined"
    command = [sys.executable, str(ROOT / "examples" / "refine_closures.py"), "--closure", str(folder),
               "--bases", "2", "--events", "10000", "--rounds", "1", "--workers", "1", "--out", str(out)]
    env = {"MLHAD_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run(command, check=True, timeout=1200, env=env)
    report = json.loads((out / "refine.json").read_text())
    (row,) = report["rows"]
    sigma = report["names"].index("StringPT:sigma")
    assert abs(row["refined"][sigma] - truth["StringPT:sigma"]) < 0.01, row
    assert np.all(np.isfinite(row["pulls"])) and np.all(np.isfinite(row["pulls_full_data_covariance"]))
    assert row["events"] == 2 * 10_000 and len(row["rounds"][0]["minima"]) == 2
    written = (out / "refine.json").read_text()
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 2 and "exists" in again.stderr
    assert (out / "refine.json").read_text() == written
