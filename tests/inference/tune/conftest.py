"""Toy fits shared by the tune tests (analytic generator, milliseconds per run)."""

from __future__ import annotations

import dataclasses

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


class SabotagedFirstRegeneration:
    """The toy generator, except that base-1's histograms come from a point far from the one it is labelled with.

    Its reweighter is that of an honest run at the labelled point, so that at its own point
    the weights are 1 and the direct chi2 is the far point's: a base that breaks the promise.
    """

    def __init__(self, simulator, shift: dict[str, float]):
        self.simulator = simulator
        self.shift = shift

    def __getattr__(self, name):
        return getattr(self.simulator, name)

    def run(self, point, n_events, seed, *, label, histories=True):
        if label != "base-1":
            return self.simulator.run(point, n_events, seed, label=label, histories=histories)
        honest = self.simulator.run(point, n_events, seed, label=label, histories=histories)
        moved = {n: v + self.shift.get(n, 0.0) for n, v in point.items()}
        far = self.simulator.run(moved, n_events, seed, label=label, histories=histories)
        return dataclasses.replace(honest, contributions=far.contributions)


@pytest.fixture
def sabotaged_first_regeneration():
    """``sabotaged_first_regeneration(simulator, shift)``: see :class:`SabotagedFirstRegeneration`."""
    return SabotagedFirstRegeneration
