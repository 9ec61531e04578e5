"""examples/closure_checks.py, check 3's arithmetic: a parabola's minimum, the fits' principal axis."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def checks():
    sys.path.insert(0, str(ROOT / "examples"))      # the script imports examples/closure.py by name
    try:
        spec = importlib.util.spec_from_file_location("closure_checks", ROOT / "examples" / "closure_checks.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(ROOT / "examples"))


@pytest.mark.parametrize(("a", "b", "c"), [(3.0, -1.2, 110.0), (0.5, 2.0, 90.0), (20.0, 0.0, 130.0)])
def test_the_parabola_through_three_chi2_has_the_known_minimum(checks, a, b, c):
    chi2 = [a * t * t + b * t + c for t in (-1.0, 0.0, 1.0)]
    t_min, curvature = checks.parabola_minimum(*chi2)
    assert t_min == pytest.approx(-b / (2 * a)) and curvature == pytest.approx(a)


def test_a_parabola_without_a_minimum_gives_nan(checks):
    t_min, curvature = checks.parabola_minimum(120.0, 125.0, 118.0)
    assert math.isnan(t_min) and curvature < 0


def test_the_principal_axis_of_points_along_a_line(checks):
    rng = np.random.default_rng(3)
    t = rng.normal(size=40)
    points = np.array([0.55, 0.90, 0.29]) + np.outer(t, [0.1, 0.121, 0.0]) + rng.normal(scale=1e-4, size=(40, 3))
    np.testing.assert_allclose(checks.principal_axis(points), [1.0, 1.21, 0.0], atol=5e-3)
    with pytest.raises(ValueError, match="do not scatter in the first parameter"):
        checks.principal_axis(np.array([[0.5, 0.8, 0.29], [0.5, 0.9, 0.29], [0.5, 1.0, 0.29]]))
