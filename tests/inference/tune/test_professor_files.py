"""Limits files (Professor syntax) and the parameter space built from them."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import InputFileNotFoundError, TuneError
from mlhad.inference.professor_files import format_limits, parse_limits, read_limits
from mlhad.inference.tune import build_space

TEXT = """\
# a Professor limits file
StringZ:aLund   0.3  1.0
bLund           0.5  1.5     # alias of StringZ:bLund
StringZ:rFactC  1.32         # fixed
StringFlav:probStoUD  0.15  0.25
"""


def test_ranges_fixed_aliases_comments():
    lim = parse_limits(TEXT, source="L")
    assert lim.ranges == {"StringZ:aLund": (0.3, 1.0), "StringZ:bLund": (0.5, 1.5),
                          "StringFlav:probStoUD": (0.15, 0.25)}
    assert lim.fixed == {"StringZ:rFactC": 1.32}
    assert lim.where("StringZ:bLund") == "L, line 3"
    assert parse_limits(format_limits(lim)).ranges == lim.ranges
    assert parse_limits(format_limits(lim)).fixed == lim.fixed


@pytest.mark.parametrize(("text", "message"), [
    ("StringZ:aLund 0.3 1.0 2.0\n", r"L, line 1: expected 'NAME LOW HIGH' \(a range\) or 'NAME VALUE' \(fixed\)"),
    ("StringZ:aLund 1.0 0.3\n", "L, line 1: the low limit must be below the high one, got StringZ:aLund 1 0.3"),
    ("StringZ:aLund 0.3 x\n", "L, line 1: high limit 'x' is not a number"),
    ("StringZ:aLund 0.3 nan\n", "L, line 1: high limit must be finite"),
    ("aLund 0.3 1\nStringZ:aLund 0.4 1\n", "L, line 2: StringZ:aLund is already given on line 1"),
    ("aLundd 0.3 1\n", "L, line 1: unknown parameter 'aLundd'"),
])
def test_bad_limits_name_file_and_line(text, message):
    with pytest.raises(TuneError, match=message):
        parse_limits(text, source="L")


def test_missing_limits_file(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="limits file .*nope.txt does not exist"):
        read_limits(tmp_path / "nope.txt")


def test_limits_that_exclude_the_start():
    lim = parse_limits("StringZ:aLund 0.7 1.0\n", source="L")
    with pytest.raises(TuneError, match=r"the limits exclude the start: StringZ:aLund = 0.68 is outside \[0.7, 1\] "
                                        r"\(L, line 1\)"):
        build_space(["aLund"], limits=lim)


def test_space_uses_limits_then_defaults_and_fixed():
    space = build_space(["aLund", "sigma"], limits=parse_limits(TEXT, source="L"), start={"aLund": 0.5})
    assert space.names == ("StringZ:aLund", "StringPT:sigma")
    np.testing.assert_array_equal(space.lower, [0.3, 0.25])
    np.testing.assert_array_equal(space.start, [0.5, 0.335])      # Monash sigma
    assert space.fixed == {"StringZ:rFactC": 1.32}
    assert space.settings(space.start) == ("StringZ:aLund = 0.5", "StringPT:sigma = 0.335", "StringZ:rFactC = 1.32")
    np.testing.assert_allclose(space.from_unit(space.to_unit([0.9, 0.3])), [0.9, 0.3], rtol=1e-15)


def test_space_rejects_fixed_and_free_and_unknown_ranges():
    with pytest.raises(TuneError, match="StringZ:rFactC is fixed at 1.32 but also asked to be tuned"):
        build_space(["rFactC"], limits=parse_limits(TEXT, source="L"))
    with pytest.raises(TuneError, match="no range for StringFlav:probQQtoQ: give it in a limits file"):
        build_space(["StringFlav:probQQtoQ"])
    with pytest.raises(TuneError, match="a parameter is given twice"):
        build_space(["aLund", "StringZ:aLund"])


@pytest.mark.parametrize(("file", "name"), [("weights.txt", "soft-pt"), ("weights-global.txt", "global")])
def test_committed_aleph_selections_are_the_built_in_ones(file, name):
    """docs/aleph_tune's weight files (the committed tunes' selections) and the built-in selections agree rule by rule."""
    from pathlib import Path

    from mlhad.inference.professor_files import read_weights
    from mlhad.inference.tune.aleph import aleph_weights

    committed = read_weights(Path(__file__).resolve().parents[3] / "docs" / "aleph_tune" / file)

    def rules(wf):
        return [(r.pattern, r.kind, r.low, r.high, r.weight) for r in wf.rules]

    assert rules(committed) == rules(aleph_weights(name))


def test_unknown_aleph_selection_names_the_known_ones(tmp_path):
    from mlhad.inference.tune import demo_tune

    with pytest.raises(TuneError, match="unknown ALEPH selection 'soft': choose one of global, soft-pt"):
        demo_tune(tmp_path / "demo", selection="soft", progress=False)
    assert not (tmp_path / "demo").exists(), "bad input must be caught before anything is written"


@pytest.mark.parametrize(("file", "points", "histograms"), [
    ("weights.txt", 119, 5),             # soft pT: pT_in / pT_out below 1 GeV only
    ("weights-full-pt.txt", 143, 5),     # the pT spectra over their full range
    ("weights-global.txt", 300, 13),     # and ALEPH's eight event shapes
])
def test_shipped_aleph_selections_pick_the_documented_points(file, points, histograms):
    """The point counts that docs/tune.md quotes for each shipped selection, counted on the shipped ALEPH data."""
    from pathlib import Path

    from mlhad.compare import read_data
    from mlhad.compare.comparison import reference_points
    from mlhad.inference.professor_files import read_weights
    from mlhad.yoda import reference_path, strip_ref

    rules = read_weights(Path(__file__).resolve().parents[3] / "docs" / "aleph_tune" / file)
    ((_, reference),) = read_data([reference_path("ALEPH_1996_S3486095")]).items()
    selected = {}
    for path, ref in reference.items():
        if ref.is_bookkeeping:
            continue
        xlow, xhigh, _, err_minus, err_plus = reference_points(ref)
        w = rules.point_weights(strip_ref(path), xlow, xhigh)
        if w is not None and np.count_nonzero(w):
            assert np.all((err_minus + err_plus)[w > 0] > 0), f"{path}: a selected point has zero error"
            selected[path] = np.count_nonzero(w)
    assert len(selected) == histograms
    assert sum(selected.values()) == points
    assert rules.unused([strip_ref(p) for p in reference]) == []


@pytest.mark.parametrize("name", ["global", "soft-pt"])
def test_demo_fits_the_selection_it_is_given(monkeypatch, tmp_path, name):
    """demo_tune writes the chosen selection as its weight file and hands exactly that file to the tune."""
    from pathlib import Path

    from mlhad.inference.tune import demo as demo_module
    from mlhad.inference.tune.aleph import SELECTIONS

    seen = {}

    def fake_tune(config, log=print):
        seen["weights"] = config.weights
        seen["text"] = Path(config.weights).read_text()
        return "result"

    monkeypatch.setattr(demo_module, "tune", fake_tune)
    assert demo_module.demo_tune(tmp_path / "demo", selection=name, plots=False, progress=False) == "result"
    assert seen["weights"] == str(tmp_path / "demo" / "aleph-weights.txt")
    assert seen["text"] == SELECTIONS[name]


@pytest.mark.parametrize(("name", "histograms"), [("soft-pt", 5), ("global", 13)])
def test_aleph_reference_books_exactly_the_selected_histograms(name, histograms):
    """aleph_reference: the shipped ALEPH objects with a weighted point in the selection, and no others."""
    from mlhad.compare.comparison import reference_points
    from mlhad.inference.tune.aleph import ANALYSIS, aleph_reference, aleph_weights
    from mlhad.yoda import read_reference, strip_ref

    rules = aleph_weights(name)
    weighted = set()
    for path, ref in read_reference(ANALYSIS).items():
        if ref.is_bookkeeping:
            continue
        xlow, xhigh, *_ = reference_points(ref)
        w = rules.point_weights(strip_ref(path), xlow, xhigh)
        if w is not None and np.count_nonzero(w):
            weighted.add(path)
    booked = aleph_reference(name)
    assert set(booked) == weighted and len(booked) == histograms
    with pytest.raises(TuneError, match="unknown ALEPH selection"):
        aleph_reference("soft")
