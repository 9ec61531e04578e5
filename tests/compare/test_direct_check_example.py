"""examples/direct_check.py (the MC noise of a check's chi2, docs/tune.md) on a small real sample."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mlhad.analysis import analysis_contributions, predict
from mlhad.compare import compare_predictions, read_data

ROOT = Path(__file__).resolve().parents[2]
ALEPH = str(ROOT / "rivet_data" / "ALEPH_1996_S3486095.yoda")


def _example():
    spec = importlib.util.spec_from_file_location("direct_check", ROOT / "examples" / "direct_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parts_are_the_halves_of_the_sample_and_the_whole_is_mlhad_compare(compare_sample_dir, tmp_path):
    weights = tmp_path / "w.txt"
    weights.write_text("/ALEPH_1996_S3486095/d17-x01-y01 1\n")
    results = _example().main([str(compare_sample_dir.path), "--check", f"xi={ALEPH}:{weights}",
                               "--check", f"all={ALEPH}", "--parts", "2", "--workers", "1"])
    chi2_xi, n_xi, parts_xi = results["xi"]
    assert n_xi == 52 and len(parts_xi) == 2
    (name, reference), = read_data([ALEPH]).items()
    c = analysis_contributions(compare_sample_dir, name, reference=reference, progress=False)
    whole = compare_predictions(reference, predict(c, None))
    assert results["all"][0] == pytest.approx(whole.chi2, rel=1e-12)
    first_half = np.r_[np.ones(250), np.zeros(250)]  # the fixture has 500 events
    assert results["all"][2][0] == pytest.approx(compare_predictions(reference, predict(c, first_half)).chi2, rel=1e-12)
    assert np.all(np.isfinite(parts_xi)) and np.all(parts_xi > 0) and chi2_xi > 0


def test_bad_arguments_say_what_is_expected():
    example = _example()
    with pytest.raises(argparse.ArgumentTypeError, match="expected LABEL=DATA.yoda"):
        example.parse_check("no-equals-sign")
    with pytest.raises(SystemExit):
        example.main(["somewhere", "--check", f"a={ALEPH}", "--parts", "1"])
