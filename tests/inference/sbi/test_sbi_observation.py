"""The data vector: which reference objects enter, which are skipped and why."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.compare.weights import parse_weights
from mlhad.exceptions import RegistryError
from mlhad.inference.sbi import build_observation, read_references
from mlhad.yoda import Scatter2D, read_yoda, write_yoda

pytestmark = pytest.mark.pythia
DATA = "rivet_data/ALEPH_1996_S3486095.yoda"


def test_every_known_histogram_is_used_and_the_rest_listed(small_base):
    _, obs, refs, _ = small_base
    objects = refs["ALEPH_1996_S3486095"]
    assert len(obs.histograms) + len(obs.skipped) == len(objects) == 67
    assert "/REF/ALEPH_1996_S3486095/d13-x01-y01" in obs.skipped       # never filled by Rivet
    assert all(isinstance(reason, str) and reason for reason in obs.skipped.values())
    assert obs.n_points == sum(h.stop - h.start for h in obs.histograms)
    assert np.all(obs.errors > 0) and np.all(obs.weights == 1)


def test_objects_the_registry_does_not_know_are_skipped_with_the_reason(small_base, tmp_path):
    _, _, _, contributions = small_base
    objects = dict(read_yoda(DATA))
    extra = "/REF/ALEPH_1996_S3486095/d99-x01-y01"
    objects[extra] = Scatter2D(path=extra, x=[0.5], xerr_minus=[0.5], xerr_plus=[0.5], y=[1.0], yerr_minus=[0.1],
                               yerr_plus=[0.1])
    other = "/REF/MY_2024_I000001/d01-x01-y01"
    objects[other] = Scatter2D(path=other, x=[0.5], xerr_minus=[0.5], xerr_plus=[0.5], y=[1.0], yerr_minus=[0.1],
                               yerr_plus=[0.1])
    path = tmp_path / "mixed.yoda"
    write_yoda(path, list(objects.values()), version=1)
    refs, skipped = read_references([path])
    assert skipped[other] == "analysis MY_2024_I000001 is not in mlhad's registry (mlhad.registry.ANALYSES)"
    obs = build_observation(refs, contributions, skipped=skipped)
    assert "registry" in obs.skipped[extra] and other in obs.skipped


def test_data_with_no_known_analysis_is_refused(tmp_path):
    path = tmp_path / "unknown.yoda"
    write_yoda(path, [Scatter2D(path="/REF/MY_2024_I000001/d01-x01-y01", x=[0.5], xerr_minus=[0.5], xerr_plus=[0.5],
                                y=[1.0], yerr_minus=[0.1], yerr_plus=[0.1])], version=1)
    with pytest.raises(RegistryError, match=r"none of the analyses .*MY_2024_I000001.* is in mlhad's registry"):
        read_references([path])


def test_weight_file_selects_histograms_and_points(small_base):
    _, _, refs, contributions = small_base
    rules = parse_weights("/ALEPH_1996_S3486095/d03-x01-y01 1\n/ALEPH_1996_S3486095/d03-x01-y01#0:3 0\n"
                          "/ALEPH_1996_S3486095/d18-x01-y01 2\n")
    obs = build_observation(refs, contributions, weight_file=rules)
    assert obs.paths == ["/ALEPH_1996_S3486095/d03-x01-y01", "/ALEPH_1996_S3486095/d18-x01-y01"]
    assert "/ALEPH_1996_S3486095/d03-x01-y01#0" in obs.dropped
    assert np.all(obs.weights[obs.histogram("/ALEPH_1996_S3486095/d18-x01-y01").slice] == 2)
    assert "not named in the weight file" in obs.skipped["/REF/ALEPH_1996_S3486095/d01-x01-y01"]
