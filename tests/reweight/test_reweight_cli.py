"""`mlhad reweight`: weights beside the sample, YODA per target, nothing partial on errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mlhad.cli.main import main
from mlhad.exceptions import CoverageWarning
from mlhad.io import open_sample
from mlhad.yoda import read_yoda

pytestmark = pytest.mark.pythia


@pytest.fixture
def sample_copy(trials_sample, tmp_path):
    return open_sample(shutil.copytree(trials_sample.path, tmp_path / "s"))


def test_weights_and_histograms(sample_copy, tmp_path, capsys):
    out = tmp_path / "rw"
    code = main(["reweight", str(sample_copy.path), "--to", "StringZ:aLund=0.64,StringZ:bLund=1.02",
                 "--to", "sigma=0.33", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "n_eff/N" in text and "rw_aLund0p64_bLund1p02" in text
    sets = sample_copy.column_sets()
    assert sets == ["rw_aLund0p64_bLund1p02", "rw_sigma0p33"]
    w = sample_copy.read_column_set("rw_sigma0p33").weight.to_numpy()
    assert w.size == sample_copy.n_events and np.all(np.isfinite(w)) and abs(w.mean() - 1) < 0.2
    meta = sample_copy.column_set_metadata("rw_aLund0p64_bLund1p02")
    assert meta["point"] == {"StringZ:aLund": 0.64, "StringZ:bLund": 1.02}
    objects = read_yoda(out / "rw_sigma0p33-ALEPH_1996_S3486095.yoda")
    assert "/ALEPH_1996_S3486095/d01-x01-y01" in objects


def test_bad_input_leaves_nothing_behind(sample_copy, capsys):
    assert main(["reweight", str(sample_copy.path), "--to", "StringFlav:probStoUD=0.3"]) == 1
    assert "cannot be reweighted" in capsys.readouterr().err
    assert main(["reweight", str(sample_copy.path), "--to", "aLund=0.6", "--to", "aLundd=0.5"]) == 1
    assert "unknown parameter 'aLundd'" in capsys.readouterr().err
    assert sample_copy.column_sets() == []
    assert main(["reweight", str(sample_copy.path), "--to", "sigma=0.33"]) == 0
    assert main(["reweight", str(sample_copy.path), "--to", "sigma=0.33"]) == 1
    assert "already exist" in capsys.readouterr().err


def test_far_target_is_flagged(sample_copy, capsys):
    with pytest.warns(CoverageWarning, match="outside the sample's coverage"):
        assert main(["reweight", str(sample_copy.path), "--to", "aLund=0.3,bLund=1.6"]) == 0
    assert "<- outside coverage" in capsys.readouterr().out
