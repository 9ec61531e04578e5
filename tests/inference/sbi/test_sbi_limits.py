"""Prior limits: parsing, Pythia's ranges, and the box's geometry."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.exceptions import InferenceError, InputFileNotFoundError
from mlhad.inference.sbi import Limits, parse_limits, read_limits


def test_parse_resolves_aliases_and_round_trips():
    lim = parse_limits("aLund=0.5:0.9, sigma=0.3:0.37,StringZ:bLund=0.8:1.2")
    assert lim.names == ("StringZ:aLund", "StringPT:sigma", "StringZ:bLund")
    assert parse_limits(lim.as_text()) == lim
    np.testing.assert_allclose(lim.centre, [0.7, 0.335, 1.0])
    assert lim.reweightable


def test_reorder_and_corners():
    lim = parse_limits("sigma=0.3:0.37,aLund=0.5:0.9").reorder(["aLund", "sigma"])
    assert lim.names == ("StringZ:aLund", "StringPT:sigma")
    corners = lim.corners()
    assert corners.shape == (4, 2)
    assert {tuple(c) for c in corners} == {(0.5, 0.3), (0.5, 0.37), (0.9, 0.3), (0.9, 0.37)}
    assert lim.contains(corners).all() and not lim.contains([[0.4, 0.33]])[0]


def test_shrink_towards_a_point():
    lim = parse_limits("aLund=0.4:1.0")
    small = lim.shrink_towards(np.array([0.7]), 0.5)
    assert small.low == (0.55,) and small.high == (0.85,)


def test_limits_outside_pythias_range_are_refused():
    with pytest.raises(InferenceError, match=r"StringZ:aLund: limits \[0.5, 2.5\] reach outside Pythia's allowed range "
                                             r"\[0.0, 2.0\]"):
        parse_limits("aLund=0.5:2.5")


def test_non_reweightable_parameters_are_kept_for_pythia_runs():
    lim = parse_limits("StringFlav:probStoUD=0.15:0.3")
    assert lim.names == ("StringFlav:probStoUD",) and not lim.reweightable


@pytest.mark.parametrize("text, message", [
    ("aLund=0.9:0.5", "lower limit 0.9 must be below the upper limit 0.5"),
    ("aLund=0.5", "expected NAME=LOW:HIGH"),
    ("aLund=a:b", "is not LOW:HIGH with two numbers"),
    ("aLund=0.5:0.6,StringZ:aLund=0.5:0.7", "given twice"),
    ("aLund=0.5:inf", "limits must be finite"),
    ("", "no parameter limits"),
])
def test_bad_limits(text, message):
    with pytest.raises(InferenceError, match=message):
        parse_limits(text)


def test_professor_limits_file(tmp_path):
    f = tmp_path / "limits.txt"
    f.write_text("# name low high\nStringZ:aLund 0.5 0.9\nStringZ:bLund 0.8 1.2  # comment\n\n")
    assert read_limits(f) == Limits(("StringZ:aLund", "StringZ:bLund"), (0.5, 0.8), (0.9, 1.2))
    f.write_text("StringZ:aLund 0.5\n")
    with pytest.raises(InferenceError, match=r"line 1: expected 'NAME LOW HIGH'"):
        read_limits(f)
    with pytest.raises(InputFileNotFoundError, match="does not exist"):
        read_limits(tmp_path / "missing.txt")
