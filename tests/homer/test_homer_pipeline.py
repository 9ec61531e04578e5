"""End to end on real Pythia strings: closure against the exact weights, step 3, persistence."""

from __future__ import annotations

import json

import awkward as ak
import numpy as np
import pytest

from mlhad.exceptions import InferenceError, ReweightError
from mlhad.reweight.homer import Homer, write_report

pytestmark = pytest.mark.pythia

VALIDATION = ("sphericity", "m2_heavy", "n_yt10")


@pytest.fixture(scope="module")
def report(fitted, string_sim, string_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    metrics = write_report(fitted, string_sim, string_data, out, validation_observables=VALIDATION, n_bins=12)
    return out, metrics


def test_homer_closes_on_fitted_and_unfitted_observables(report):
    """theta_0 -> theta_1 on 1200 held-out string events per sample.

    The unweighted simulation fails (measured: ~70% of bins within 2 sigma, mean squared
    pull ~3.5). HOMER must bring both the 13 fitted observables and 3 it never saw to
    >= 85% of bins within 2 sigma (95% expected for a perfect weighting; ~180 and ~30
    bins, so binomial scatter is 2-4%; measured 94% for both) and reduce the mean squared
    pull by at least a factor 2. The exact Lund weights are the ceiling (measured 95%).
    """
    _, m = report
    sim, homer, exact = m["closure"]["simulation"], m["closure"]["HOMER"], m["closure"]["exact"]
    assert m["truth"] == {"StringZ:aLund": 0.5, "StringZ:bLund": 1.3}, "the truth is read from the data sample"
    assert sim["fitted_chi2_per_bin"] > 2.0, "the closure test needs samples that differ"
    for group in ("fitted", "held_out"):
        assert homer[f"{group}_fraction_within"] >= 0.85
        assert homer[f"{group}_chi2_per_bin"] < 0.5 * sim[f"{group}_chi2_per_bin"]
        assert exact[f"{group}_fraction_within"] >= 0.85


def test_learned_break_weight_tracks_the_lund_ratio(report):
    """Per held-out break, HOMER's log weight correlates with the exact Lund log ratio.

    Measured r ~ 0.75 at these statistics: large z is reproduced, small z (soft hadrons,
    which the observables barely constrain) is shrunk towards 0 (docs/homer.md). r > 0.5
    and a positive slope catch a wrong sign or a network that learned nothing.
    """
    _, m = report
    assert m["breaks"]["correlation_with_exact"] > 0.5
    assert m["events"]["correlation_log_homer_vs_exact"] > 0.5


def test_report_files(report):
    out, m = report
    text = (out / "report.md").read_text()
    assert "# HOMER report" in text and "Closure on observables" in text and "exact Lund" in text
    for name in ("observables", "weights", "losses", "calibration", "break_weights"):
        assert (out / "plots" / f"{name}.png").stat().st_size > 10_000
    assert json.loads((out / "metrics.json").read_text())["closure"]["HOMER"] == m["closure"]["HOMER"]


def test_weights_are_normalised_and_both_chain_choices_agree_on_average(fitted, string_sim):
    """E_sim[w] = 1 for the kept-attempt weights (normalised on the training events) and for the
    full-history product (exact per-break normalisation): the mean over 6000 events must be 1
    within 4 standard errors."""
    for chains in ("accepted", "history"):
        w = fitted.event_weights(string_sim, chains=chains)
        assert w.shape == (string_sim.n_events,)
        assert abs(w.mean() - 1) < 4 * w.std() / np.sqrt(w.size), chains


def test_save_load_gives_identical_weights(fitted, string_sim, tmp_path):
    fitted.save(tmp_path / "run")
    loaded = Homer.load(tmp_path / "run", progress=False)
    assert np.allclose(loaded.event_weights(string_sim), fitted.event_weights(string_sim), rtol=1e-10)
    x = fitted.held_out["x_sim"]
    assert np.allclose(loaded.class_log_weights_of(x), fitted.class_log_weights_of(x), rtol=1e-10)
    assert loaded.config == fitted.config
    assert json.loads((tmp_path / "run" / "homer.json").read_text())["format"] == "mlhad-homer"


def test_weights_are_stored_beside_the_sample(fitted, string_sim):
    where = fitted.write_weights(string_sim, "homer_test")
    stored = string_sim.read_column_set("homer_test")
    assert np.allclose(ak.to_numpy(stored.weight), fitted.event_weights(string_sim))
    meta = string_sim.column_set_metadata("homer_test")
    assert meta["method"].startswith("HOMER") and meta["config"]["seed"] == fitted.config.seed
    assert where.name == "homer_test"


def test_weights_refused_for_a_sample_at_other_parameters(fitted, string_data):
    with pytest.raises(ReweightError, match=r"other fragmentation parameters.*aLund"):
        fitted.event_weights(string_data)


def test_unfitted_homer_says_what_to_do(string_sim):
    with pytest.raises(InferenceError, match=r"not fitted: call \.fit\(sim, data\) or Homer\.load"):
        Homer().event_weights(string_sim)
