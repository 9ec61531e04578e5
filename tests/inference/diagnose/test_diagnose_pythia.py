"""Diagnosis closure on a real (small) Pythia base: an ad-hoc distortion of one observable is found,
ranked first and called a gap; nothing else is flagged; the report is written from a YODA file."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from mlhad.inference.diagnose import DiagnoseConfig, default_limits, diagnose, run_diagnose
from mlhad.inference.sbi import ReweightingSimulator, parse_limits
from mlhad.inference.sbi.pseudo import distort, reference_objects
from mlhad.yoda import write_yoda

pytestmark = pytest.mark.pythia
TARGET = "/ALEPH_1996_S3486095/d03-x01-y01"      # 1 - T
DATA = "rivet_data/ALEPH_1996_S3486095.yoda"


@pytest.fixture(scope="module")
def pseudo(small_base):
    """The base's own prediction plus one draw of the errors, with 1 - T tilted by -+40 %."""
    sample, obs, refs, contributions = small_base
    sim = ReweightingSimulator(sample, obs, contributions, ["aLund", "sigma"])
    out = sim.predict(sim.base_point[None, :])
    errors = obs.noise_scale(out.errors[0])
    values = out.values[0] + np.random.default_rng(11).normal(size=obs.n_points) * errors
    # a tilt of -+40 % across 1 - T, a shape no parameter makes. With 4000 events the bins' MC errors
    # are 5-10 % (counted twice: in the pseudo-data and in the prediction), so -+25 % gave chi2 ~ 37 for
    # 21 points, p ~ 0.008, above the Bonferroni threshold 0.05 / 51; -+40 % gives chi2 ~ 90
    return sim, distort(obs, values, TARGET, lambda u: 1 + 0.4 * u), errors


def test_distorted_observable_is_the_only_one_flagged(pseudo):
    sim, values, errors = pseudo
    sim_obs = sim.observation.with_values(values, errors)
    sim.observation = sim_obs
    limits = sim.suggest_limits(parse_limits("aLund=0.4:1.0,sigma=0.25:0.45"))
    result = diagnose(sim, limits, DiagnoseConfig(n_design=32, classifier=False, seed=2))
    first = result.ranking[0]
    assert first.path == TARGET and first.status == "gap", [(s.path, s.status) for s in result.ranking[:3]]
    assert [s.path for s in result.flagged] == [TARGET]
    assert first.n_unreachable > 0
    explanation = result.gap_models[TARGET].explanations[0]
    assert explanation.fraction < 0.5, explanation     # aLund, sigma do not make a tilt of 1 - T


def test_run_from_files_writes_the_ranked_report(small_base, pseudo, tmp_path):
    sample, obs, refs, _ = small_base
    _, values, errors = pseudo
    path = tmp_path / "pseudo.yoda"
    objects = reference_objects(obs, refs, values, errors)
    # an object Rivet books but the registry does not predict, and one of an analysis mlhad does not know
    d13 = "/REF/ALEPH_1996_S3486095/d13-x01-y01"
    objects[d13] = refs["ALEPH_1996_S3486095"][d13]
    objects["/REF/NOT_AN_ANALYSIS/d01-x01-y01"] = replace(objects["/REF" + TARGET], path="/REF/NOT_AN_ANALYSIS/d01-x01-y01")
    write_yoda(path, objects, version=1)
    result, index = run_diagnose([path], sample.path, limits=parse_limits("aLund=0.6:0.76,sigma=0.32:0.35"),
                                 config=DiagnoseConfig(n_design=16, classifier=False), out=tmp_path / "report",
                                 progress=False)
    assert result.ranking[0].path == TARGET
    text = index.read_text()
    assert "| 1 | [d03-x01-y01](plots/ALEPH_1996_S3486095_d03-x01-y01.png) | **gap** |" in text
    assert "Gaps with no obvious explanation" in text
    assert f"`{d13}`" in text and "`/REF/NOT_AN_ANALYSIS/d01-x01-y01`" in text, "skipped objects must be listed"
    payload = json.loads((tmp_path / "report" / "diagnosis.json").read_text())
    assert payload["observables"][0]["path"] == TARGET and len(payload["observables"]) == len(obs.histograms)
    assert (tmp_path / "report" / "plots" / "ALEPH_1996_S3486095_d03-x01-y01.png").stat().st_size > 1000


def test_default_limits_are_the_covered_box_around_the_base(small_base):
    sample, obs, _, contributions = small_base
    sim = ReweightingSimulator(sample, obs, contributions, ["sigma"])
    box = default_limits(sim)
    # Pythia allows sigma = 0, where no weight exists: the box starts above it and holds the base point
    assert 0 < box.lower[0] < sim.base_point[0] < box.upper[0], box
    assert sim.check_limits(box).ok
    # and it is the largest such box to the rounding: 10 % wider on either side is no longer covered
    wider = parse_limits(f"sigma={box.lower[0] - 0.1 * box.width[0]}:{box.upper[0] + 0.1 * box.width[0]}")
    assert not sim.check_limits(wider).ok


def test_pseudo_reference_without_noise_is_the_samples_own_prediction(small_base, tmp_path):
    from mlhad.inference.sbi import build_observation, read_references
    from mlhad.inference.sbi.pseudo import write_pseudo_reference

    sample, obs, _, contributions = small_base
    path = write_pseudo_reference([DATA], sample, tmp_path / "pseudo.yoda", seed=None)
    refs, _ = read_references([path])
    pseudo_obs = build_observation(refs, contributions)
    sim = ReweightingSimulator(sample, obs, contributions, ["sigma"])
    prediction = sim.predict(sim.base_point[None, :])
    np.testing.assert_allclose(pseudo_obs.values, prediction.values[0], rtol=1e-9)
    # errors: the data's and the sample's own in quadrature
    np.testing.assert_allclose(pseudo_obs.errors, np.sqrt(obs.errors ** 2 + prediction.errors[0] ** 2), rtol=1e-9)
    with pytest.raises(FileExistsError, match="exists"):
        write_pseudo_reference([DATA], sample, path, seed=None)
