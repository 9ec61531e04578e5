"""examples/score_baselines.py: per-break baselines on a small real run (the facts the method rests on)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.pythia]

ROOT = Path(__file__).resolve().parents[3]


def test_score_baselines_example(tmp_path):
    """Every recorded z draw is a full draw from the Lund density given its past: the per-break scores add up to the
    event scores and each per-break control variate has mean zero within its error; without baselines the script's
    derivatives and noise are the library's (covariance.derivative_noise)."""
    out = tmp_path / "baselines"
    subprocess.run([sys.executable, str(ROOT / "examples" / "score_baselines.py"), "--events", "4000", "--seed", "3",
                    "--workers", "1", "--out", str(out)], check=True, timeout=900,
                   env={"MLHAD_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"})
    report = json.loads((out / "score-baselines-soft-pt-4000-3.json").read_text())
    assert report["draws"] > 20 * report["events"]
    assert report["score_sum_mismatch"] < 1e-4, report["score_sum_mismatch"]
    assert report["library_mismatch"] < 1e-9, report["library_mismatch"]
    t_values = [t for ts in report["control_variate_t"].values() for t in ts]
    assert len(t_values) == 30
    # 30 roughly Gaussian t statistics: |t| > 4.5 has probability ~2e-4 if their means are zero; a draw recorded
    # after a selection on its own z (or with the wrong base parameters) shifts the means by many errors
    assert max(abs(t) for t in t_values) < 4.5, report["control_variate_t"]
    assert [row["baselines"] for row in report["rows"]][0].startswith("none")
    # a run reuses nothing silently: the report is never overwritten
    again = subprocess.run([sys.executable, str(ROOT / "examples" / "score_baselines.py"), "--events", "4000",
                            "--seed", "3", "--out", str(out)], capture_output=True, text=True,
                           env={"MLHAD_NO_PROGRESS": "1", "PATH": "/usr/bin:/bin"})
    assert again.returncode == 2 and "exists" in again.stderr
