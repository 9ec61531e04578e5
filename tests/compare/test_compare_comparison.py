"""Reference objects against predictions: pairing, binning checks, chi2 tables, plots."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mlhad.compare import compare_predictions, parse_weights, plot_comparison, uses_log_y
from mlhad.exceptions import BinningMismatchError
from mlhad.yoda import Scatter2D, read_reference

pytestmark = pytest.mark.pythia
A = "/ALEPH_1996_S3486095/"


def _pseudo_data(predictions, reference, rng):
    """Reference objects whose values are the MC drawn again within data errors of 3 % (+ MC error)."""
    out = {}
    for path, ref in reference.items():
        p = predictions.get(path[len("/REF"):])
        if p is None:
            out[path] = ref
            continue
        mc, err = p.at_reference()
        sigma = 0.03 * np.abs(mc) + 1e-9
        y = mc + rng.normal(0.0, np.hypot(sigma, err))
        out[path] = Scatter2D(path=path, x=ref.x, xerr_minus=ref.xerr_minus, xerr_plus=ref.xerr_plus, y=y,
                              yerr_minus=sigma, yerr_plus=sigma)
    return out


def test_pseudo_data_drawn_around_the_mc_give_chi2_per_ndf_of_one(aleph_predictions):
    c, pred = aleph_predictions
    reference = read_reference("ALEPH_1996_S3486095")
    values = []
    for seed in range(5):
        cmp = compare_predictions(_pseudo_data(pred, reference, np.random.default_rng(seed)), pred, skipped=c.skipped)
        values.append(cmp.chi2_ndf)
        assert len(cmp.histograms) == 51 and len(cmp.skipped) == 16
        # empty MC bins (500 events) have zero MC error and data error 1e-9: those points dominate nothing
    # 5 x 774 - 16 skipped points: the mean of chi2/ndf is 1 within 3 sqrt(2 / n)
    n = 5 * cmp.ndf
    assert abs(np.mean(values) - 1.0) < 3 * np.sqrt(2.0 / n)


def test_table_is_sorted_worst_first_and_weights_select_histograms(aleph_predictions):
    c, pred = aleph_predictions
    reference = read_reference("ALEPH_1996_S3486095")
    cmp = compare_predictions(reference, pred, skipped=c.skipped)
    ranked = [h.chi2_ndf for h in cmp.worst_first()]
    assert ranked == sorted(ranked, reverse=True)
    assert cmp.ndf == sum(len(h.data) for h in cmp.histograms)
    assert cmp.skipped["/REF" + A + "d24-x01-y01"].startswith("never filled")

    w = parse_weights(f"{A}d03-x01-y01 2\n{A}d09-x01-y01#0:5 1\n/NOPE/d01 1\n", "w")
    weighted = compare_predictions(reference, pred, weights=w, skipped=c.skipped)
    assert {h.path for h in weighted.included} == {A + "d03-x01-y01", A + "d09-x01-y01"}
    assert weighted[A + "d03-x01-y01"].chi2 == pytest.approx(4 * cmp[A + "d03-x01-y01"].chi2)
    assert weighted[A + "d09-x01-y01"].ndf == 5
    assert weighted.ndf == 21 + 5
    assert any("'/NOPE/d01' matches no compared histogram" in m for m in weighted.warnings)


def test_mismatched_binning_names_the_histogram(aleph_predictions):
    _, pred = aleph_predictions
    reference = dict(read_reference("ALEPH_1996_S3486095"))
    ref = reference["/REF" + A + "d03-x01-y01"]
    x = ref.x.copy()
    x[3] += 0.001  # moves two inner edges
    reference["/REF" + A + "d03-x01-y01"] = Scatter2D(path=ref.path, x=x, xerr_minus=ref.xerr_minus,
                                                       xerr_plus=ref.xerr_plus, y=ref.y, yerr_minus=ref.yerr_minus,
                                                       yerr_plus=ref.yerr_plus)
    with pytest.raises(BinningMismatchError, match=r"d03-x01-y01"):
        compare_predictions(reference, pred)


def test_plots_are_written_with_rivets_log_axes(aleph_predictions, tmp_path):
    c, pred = aleph_predictions
    cmp = compare_predictions(read_reference("ALEPH_1996_S3486095"), pred, skipped=c.skipped)
    d01 = cmp[A + "d01-x01-y01"]
    assert uses_log_y(d01) is True, "event shape with every bin filled: log axis (Rivet LogY=1)"
    empty_bin = dataclasses.replace(d01, mc=np.where(np.arange(d01.mc.size) == 3, 0.0, d01.mc))
    assert uses_log_y(empty_bin) is True, "an empty MC bin is left out of the line, the axis stays log"
    negative = dataclasses.replace(d01, data=np.where(np.arange(d01.mc.size) == 3, -1.0, d01.data))
    assert uses_log_y(negative) is False, "data <= 0 cannot be shown on a log axis"
    assert uses_log_y(cmp[A + "d19-x01-y01"]) is False, "means: linear axis (Rivet LogY=0)"
    out = plot_comparison(cmp[A + "d25-x01-y01"], tmp_path / "d25.png")  # reference bins with a gap
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_reference_under_the_new_rivet_name_is_paired(aleph_predictions):
    """ALEPH_1996_I428072 is the newer Rivet name of ALEPH_1996_S3486095: same histograms."""
    c, pred = aleph_predictions
    reference = read_reference("ALEPH_1996_S3486095")
    renamed = {}
    for path, obj in reference.items():
        new = path.replace("ALEPH_1996_S3486095", "ALEPH_1996_I428072")
        renamed[new] = Scatter2D(path=new, x=obj.x, xerr_minus=obj.xerr_minus, xerr_plus=obj.xerr_plus, y=obj.y,
                                 yerr_minus=obj.yerr_minus, yerr_plus=obj.yerr_plus)
    cmp = compare_predictions(renamed, pred)
    assert len(cmp.histograms) == 51
    assert cmp.chi2 == pytest.approx(compare_predictions(reference, pred).chi2, rel=1e-12)
