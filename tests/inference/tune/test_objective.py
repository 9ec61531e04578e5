"""The objective: Professor's chi2 (same as mlhad.compare's), point selection, weight files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.compare import chi2_terms as compare_chi2_terms
from mlhad.exceptions import TuneError
from mlhad.inference.objective import build_target, chi2, chi2_terms, format_weight_file
from mlhad.inference.professor_files import parse_weights
from mlhad.yoda import Scatter2D


def scatter(path: str, y, err, edges=None) -> Scatter2D:
    y = np.asarray(y, dtype=float)
    edges = np.arange(len(y) + 1, dtype=float) if edges is None else np.asarray(edges, dtype=float)
    centre = 0.5 * (edges[1:] + edges[:-1])
    err = np.asarray(err, dtype=float)
    return Scatter2D(path=path, x=centre, xerr_minus=centre - edges[:-1], xerr_plus=edges[1:] - centre, y=y,
                     yerr_minus=err, yerr_plus=err)


def reference():
    return {
        "/REF/ANA/d01-x01-y01": scatter("/REF/ANA/d01-x01-y01", [1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.0, 0.4]),
        "/REF/ANA/d02-x01-y01": scatter("/REF/ANA/d02-x01-y01", [5.0, 6.0], [0.5, 0.6]),
        "/REF/ANA/d03-x01-y01": scatter("/REF/ANA/d03-x01-y01", [7.0], [0.7]),
    }


def test_chi2_is_professors_and_mlhad_compares():
    """Identical to mlhad.compare.chi2_terms (weights squared) on numpy, and to numpy on torch."""
    rng = np.random.default_rng(1)
    d, s, m, e, w = rng.normal(size=20), rng.uniform(0.1, 1, 20), rng.normal(size=20), rng.uniform(0, 1, 20), \
        rng.uniform(0.5, 3, 20)
    ours = chi2_terms(m, e, d, s, w)
    np.testing.assert_allclose(ours, compare_chi2_terms(d, s, m, e, w), rtol=1e-12)
    np.testing.assert_allclose(ours, w**2 * (d - m) ** 2 / (s**2 + e**2), rtol=1e-14)
    mt = torch.tensor(m, requires_grad=True)
    total = chi2(mt, torch.tensor(e), torch.tensor(d), torch.tensor(s), torch.tensor(w))
    total.backward()
    assert float(total.detach()) == pytest.approx(float(ours.sum()), rel=1e-12)
    # d chi2 / d m = -2 w^2 (d - m) / (s^2 + e^2)
    np.testing.assert_allclose(mt.grad.numpy(), -2 * w**2 * (d - m) / (s**2 + e**2), rtol=1e-12)


def test_zero_error_points_are_filtered_with_a_note():
    t = build_target(reference(), ["/ANA/d01-x01-y01", "/ANA/d02-x01-y01"])
    assert t["/ANA/d01-x01-y01"].points.tolist() == [0, 1, 3]
    assert any("filtered 1 point(s) with zero data error (points [2])" in n for n in t.notes)
    # d03 has no MC counterpart: left out with a reason, not an error
    assert t.left_out == {"/REF/ANA/d03-x01-y01": "no MC prediction for this object"}
    assert t.n_points == 5 and t.ndf(2) == 3


def test_zero_error_points_raise_without_the_filter():
    with pytest.raises(TuneError, match=r"/ANA/d01-x01-y01 has 1 point\(s\) with zero data error \(points \[2\]\)"):
        build_target(reference(), ["/ANA/d01-x01-y01"], filter_zero_errors=False)


def test_no_overlap_between_data_and_mc():
    with pytest.raises(TuneError, match="no data point to fit: none of the 3 histograms"):
        build_target(reference(), ["/OTHER/d01-x01-y01"])


def test_non_finite_data_is_an_error():
    ref = {"/REF/ANA/d02-x01-y01": scatter("/REF/ANA/d02-x01-y01", [5.0, np.nan], [0.5, 0.6])}
    with pytest.raises(TuneError, match=r"/ANA/d02-x01-y01 point 1 has a non-finite value"):
        build_target(ref, ["/ANA/d02-x01-y01"])


def test_weight_file_selects_histograms_and_points():
    text = ("/ANA/d01-x01-y01 1\n"
            "/ANA/d01-x01-y01#1 3   # point 1 gets weight 3 (the last rule wins)\n"
            "/ANA/d01-x01-y01@3.5 0\n"
            "/ANA/d09 1\n")
    wf = parse_weights(text, source="w.txt")
    t = build_target(reference(), ["/ANA/d01-x01-y01", "/ANA/d02-x01-y01"], weights=wf)
    h = t["/ANA/d01-x01-y01"]
    assert h.points.tolist() == [0, 1]          # point 2 filtered (zero error), point 3 weight 0
    assert h.weights.tolist() == [1.0, 3.0]
    assert "/REF/ANA/d02-x01-y01" in t.left_out  # not named in the weight file
    assert any("line 4" in n and "matches no data histogram" in n for n in t.notes)
    # the data points of the fit, written as a weight file, select the same points again
    again = build_target(reference(), ["/ANA/d01-x01-y01", "/ANA/d02-x01-y01"],
                         weights=parse_weights(format_weight_file(t), source="used"))
    assert again["/ANA/d01-x01-y01"].points.tolist() == [0, 1]
    assert again["/ANA/d01-x01-y01"].weights.tolist() == [1.0, 3.0]
    assert again.paths == t.paths


def test_gather_orders_points_and_checks_shapes():
    t = build_target(reference(), ["/ANA/d01-x01-y01", "/ANA/d02-x01-y01"])
    preds = {"/ANA/d01-x01-y01": (np.array([10.0, 11, 12, 13]), np.array([1.0, 1, 1, 1])),
             "/ANA/d02-x01-y01": (np.array([20.0, 21]), np.array([2.0, 2]))}
    values, errors = t.gather(preds)
    assert values.tolist() == [10, 11, 13, 20, 21]
    assert errors.tolist() == [1, 1, 1, 2, 2]
    preds["/ANA/d02-x01-y01"] = (np.array([20.0]), np.array([2.0]))
    with pytest.raises(TuneError, match="the MC prediction has \\(1,\\) points, the reference 2"):
        t.gather(preds)
