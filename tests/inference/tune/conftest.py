"""Toy fits shared by the tune tests (analytic generator, milliseconds per run)."""

from __future__ import annotations

import pytest

from mlhad.inference.objective import build_target
from mlhad.inference.professor_files import parse_weights
from mlhad.inference.tune import ToySimulator, build_space, pseudo_data
from mlhad.inference.tune.toy import TOY_DEFAULT, TOY_RANGES

#: Toy pseudo-data size; the bases are 2x larger, so the MC adds ~50% to the data variance.
N_DATA = 20_000
N_BASE = 40_000

#: Independent information only: x (d01) and the multiplicity (d02) are independent per event,
#: so their points are (up to the multinomial constraint) uncorrelated as the chi2 assumes.
#: d03 is left out: normalised per event it carries <k> again (double counting, see errors.py).
INDEPENDENT = parse_weights("/TOY_1/d01-x01-y01 1\n/TOY_1/d02-x01-y01 1\n", source="toy weights")


def _toy_problem(truth: dict[str, float], seed: int, *, weights=INDEPENDENT, n_data: int = N_DATA):
    """Pseudo-data at ``truth`` (seed ``seed``), its fit target and the toy parameter space."""
    sim = ToySimulator()
    data = sim.run(truth, n_data, seed, label="data")
    target = build_target(pseudo_data(data), sim.mc_paths()[0], weights=weights)
    space = build_space(list(truth), start=TOY_DEFAULT, default_ranges=TOY_RANGES)
    return sim, target, space


@pytest.fixture
def toy_problem():
    """``toy_problem(truth, seed, weights=..., n_data=...) -> (simulator, target, space)``."""
    return _toy_problem
