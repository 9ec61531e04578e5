"""``mlhad sbi`` and ``mlhad diagnose`` end to end on a small real sample (the bad-input cases are in
tests/inference/test_inference_cli.py).

Only StringPT:sigma varies: its weights need no Lund normalisation, so 500 reweighted
simulations of 4000 events take a few seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlhad.cli.main import main

pytestmark = pytest.mark.pythia
DATA = "rivet_data/ALEPH_1996_S3486095.yoda"
CHARGED = """/ALEPH_1996_S3486095/d0[1-9]-x01-y01 1
/ALEPH_1996_S3486095/d1[0-2]-x01-y01 1
/ALEPH_1996_S3486095/d1[7-9]-x01-y01 1
"""


@pytest.mark.slow     # ~20 s of CPU (training, 200 posterior-predictive points): with the slow physics tests
def test_sbi_cli_gives_a_posterior_that_agrees_with_the_chi2_fit(small_base, tmp_path, capsys):
    weights = tmp_path / "weights.txt"
    weights.write_text(CHARGED)
    out = tmp_path / "sbi"
    assert main(["sbi", "--data", DATA, "--base", str(small_base[0].path), "--params", "sigma=0.31:0.36",
                 "--simulations", "500", "--sbc", "0", "--samples", "1000", "--weights", str(weights),
                 "--out", str(out), "--no-progress", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "StringPT:sigma" in printed and "posterior predictive p-value" in printed
    summary = json.loads((out / "summary.json").read_text())
    row = summary["posterior"][0]
    # one parameter, a nearly linear model: the posterior is the chi2 fit's Gaussian; 500 simulations
    # resolve its mean to a fraction of a width and its width to ~20 %
    assert abs(row["mean"] - row["fit"]) < 0.5 * row["fit_error"], row
    assert 0.6 < row["std"] / row["fit_error"] < 1.5, row
    assert 0.31 <= row["q2.5"] < row["q97.5"] <= 0.36
    with np.load(out / "posterior_samples.npz") as f:
        assert f["samples"].shape == (1000, 1)


def test_diagnose_cli_writes_a_ranked_report(small_base, tmp_path, capsys):
    out = tmp_path / "diag"
    assert main(["diagnose", "--data", DATA, "--base", str(small_base[0].path), "--params", "sigma=0.31:0.36",
                 "--design", "8", "--no-classifier", "--out", str(out), "--no-progress", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "flagged" in printed and "reference objects skipped" in printed
    payload = json.loads((out / "diagnosis.json").read_text())
    statuses = [row["status"] for row in payload["observables"]]
    # ranked worst first: every flagged observable precedes every 'ok' one
    assert statuses == sorted(statuses, key={"gap": 0, "tension": 1, "ok": 2}.__getitem__)
    assert "/REF/ALEPH_1996_S3486095/d13-x01-y01" in payload["skipped"]
    assert (out / "index.md").read_text().startswith("# Mismodelling diagnosis")
