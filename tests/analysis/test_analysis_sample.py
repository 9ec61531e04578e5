"""A real (small) Pythia sample: chunked pass, the cache beside the sample, MC YODA output."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mlhad.analysis import analysis_contributions, predict, write_predictions
from mlhad.exceptions import ConfigError, HistogramError, RegistryError, SampleError
from mlhad.yoda import read_reference, read_yoda

pytestmark = pytest.mark.pythia
A = "/ALEPH_1996_S3486095/"


def _same(c1, c2):
    assert list(c1) == list(c2)
    for path in c1:
        a, b = c1[path], c2[path]
        for name in ("event", "bin", "count", "count2", "n_fills", "sumx", "sumx2", "accepted"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=f"{path} {name}")


def test_chunked_pass_equals_one_pass_and_is_cached(small_sample, tmp_path):
    sample = small_sample
    work = tmp_path / "s"
    shutil.copytree(sample.path, work)
    first = analysis_contributions(work, progress=False)
    assert first.n_events == 600 and first.metadata["chunks_computed"] == 3
    events = sample.read([f"particles.{f}" for f in ("px", "py", "pz", "e", "m", "pid", "charge", "status", "parent")])
    _same(first, analysis_contributions(events.particles))  # chunks joined = all events at once

    second = analysis_contributions(work, progress=False)
    assert second.metadata["chunks_from_cache"] == 3 and second.metadata["chunks_computed"] == 0
    _same(first, second)
    plain = second[A + "d09-x01-y01"]
    assert plain.count2 is plain.count and plain.n_fills is plain.count, "plain fills share one array"
    weighted_mean = second[A + "d19-x01-y01"]
    np.testing.assert_array_equal(weighted_mean.count2, weighted_mean.count**2)

    lean = analysis_contributions(work, progress=False, moments=False)
    assert lean.metadata["chunks_from_cache"] == 3
    assert lean[A + "d09-x01-y01"].sumx is None and lean.nbytes() < 0.75 * second.nbytes()
    lean_pred, full_pred = predict(lean), predict(second)
    for path in full_pred:
        np.testing.assert_array_equal(lean_pred[path].values, full_pred[path].values)
    with pytest.raises(HistogramError, match="without x moments"):
        write_predictions(tmp_path / "lean.yoda", lean_pred, lean)

    # a damaged cache file is recomputed, not trusted
    cache = sorted((work / "contributions").glob("ALEPH_1996_S3486095-*/chunk-00001.npz"))[0]
    cache.write_bytes(cache.read_bytes()[:100])
    third = analysis_contributions(work, progress=False)
    assert third.metadata["chunks_computed"] == 1
    _same(first, third)

    # other reference binning -> another cache key
    ref = dict(read_reference("ALEPH_1996_S3486095"))
    del ref["/REF" + A + "d01-x01-y01"]
    fewer = analysis_contributions(work, reference=ref, progress=False)
    assert fewer.metadata["cache_key"] != first.metadata["cache_key"]
    assert A + "d01-x01-y01" not in fewer and len(fewer) == 50


def test_parallel_workers_give_the_same_contributions(small_sample, tmp_path):
    serial = analysis_contributions(small_sample, "DELPHI_1996_S3430090", cache=False, progress=False)
    parallel = analysis_contributions(small_sample, "DELPHI_1996_S3430090", cache=False, progress=False, workers=2)
    _same(serial, parallel)
    assert not (small_sample.path / "contributions").exists() or not any(
        p.name.startswith("DELPHI") for p in (small_sample.path / "contributions").iterdir()), "cache=False writes nothing"


def test_mc_yoda_file_has_reference_paths_and_the_predicted_heights(small_sample, tmp_path):
    c = analysis_contributions(small_sample, cache=False, progress=False)
    rng = np.random.default_rng(9)
    w = np.column_stack([np.ones(c.n_events), rng.uniform(0.8, 1.2, c.n_events)])
    pred = predict(c, w, variations=["nominal", "alt"])
    out = write_predictions(tmp_path / "mc.yoda", pred, c, w)
    back = read_yoda(out)
    ref = read_reference("ALEPH_1996_S3486095")
    for path, p in pred.items():
        assert "/REF" + path in ref
        h = back[path]
        # YODA's height sumw/width is the prediction (also for the fraction d18 and the means)
        np.testing.assert_allclose(h.sumw / np.diff(h.edges), p.values[0], rtol=1e-12, atol=1e-300, err_msg=path)
        np.testing.assert_allclose(back[f"{path}[alt]"].sumw / np.diff(h.edges), p.values[1], rtol=1e-12,
                                   atol=1e-300, err_msg=path)
    assert back["/_EVTCOUNT"].sumw == c.n_events
    with pytest.raises(FileExistsError):
        write_predictions(out, pred, c, w)


def test_bad_inputs(small_sample, tmp_path):
    with pytest.raises(RegistryError, match="unknown analysis 'ALEPH_1996'"):
        analysis_contributions(small_sample, "ALEPH_1996", progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "mlhad-sample.json").write_text(json.dumps(small_sample.metadata))
    with pytest.raises(SampleError, match="has no finished chunks"):
        analysis_contributions(empty, progress=False)
    other = tmp_path / "other_energy"
    shutil.copytree(small_sample.path, other, ignore=shutil.ignore_patterns("contributions"))
    meta = json.loads((other / "mlhad-sample.json").read_text())
    meta["pythia_settings"] = [s.replace("Beams:eCM = 91.2", "Beams:eCM = 200.0") for s in meta["pythia_settings"]]
    (other / "mlhad-sample.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="generated at sqrt\\(s\\) = 200 GeV but ALEPH_1996_S3486095 measured at 91.2"):
        analysis_contributions(other, progress=False)
    with pytest.raises(SampleError, match="no events given"):
        analysis_contributions(small_sample.read(["particles.px"], chunks=[0])[:0])
