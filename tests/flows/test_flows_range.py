"""Conditioning outside the training range warns and states the range."""

from __future__ import annotations

import warnings

import pytest
import torch

from mlhad.exceptions import CoverageWarning
from mlhad.reweight.flows import BreakFlow, fragment_with_flow


@pytest.fixture
def fitted(small_config):
    flow = BreakFlow(small_config)
    z = torch.tensor([0.1, 0.5, 0.8], dtype=torch.float64)
    flow.fit_preprocessing(z, {"mT2": torch.tensor([0.02, 0.3, 2.0], dtype=torch.float64)},
                           z - 0.45, 0.5 - z)  # pT = 0 exactly has probability 0
    return flow


def test_inside_the_range_is_silent(fitted):
    state = {"mT2": torch.tensor([0.02, 1.0, 2.0], dtype=torch.float64)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.log_prob_z(torch.full((3,), 0.3, dtype=torch.float64), state)
        fitted.sample_z(state, torch.Generator().manual_seed(0))


def test_outside_the_range_warns_with_the_range(fitted):
    state = {"mT2": torch.tensor([0.01, 1.0, 5.0], dtype=torch.float64)}
    msg = r"mT2: 2 of 3 values outside the training range \[0\.02, 2\] GeV\^2 \(got min 0\.01, max 5\)"
    with pytest.warns(CoverageWarning, match=msg):
        fitted.log_prob_z(torch.full((3,), 0.3, dtype=torch.float64), state)
    with pytest.warns(CoverageWarning, match=msg):
        fitted.sample_z(state, torch.Generator().manual_seed(0))
    assert fitted.training_range() == {"mT2": (0.02, 2.0)}


def test_chains_warn_once_when_many_draws_are_outside(fitted):
    # The fitted range [0.02, 2] GeV^2 misses the first-rank pions (mT2 ~ m_pi^2 + pT^2
    # can be 0.0182): a chain sees some draws outside; with tolerance 0 it must warn.
    with pytest.warns(CoverageWarning, match=r"z draws \(.*%\) were conditioned outside the flow's training range \(mT2 in \[0\.02, 2\] GeV\^2\)"):
        _, info = fragment_with_flow(fitted, 50, seed=1, outside_tolerance=0.0, progress=False)
    assert 0 < info["n_outside"] < info["n_draws"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, info = fragment_with_flow(fitted, 50, seed=1, outside_tolerance=1.0, progress=False)
