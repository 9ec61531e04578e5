"""What the two parts of the training loss see: z without the held-out mT2 windows,
pT on every draw (its law does not depend on the string state)."""

from __future__ import annotations

import math

import pytest
import torch

from mlhad.exceptions import ModelError
from mlhad.generators.string_sampler import StringParams, fragment
from mlhad.reweight.flows import DEFAULT_WINDOWS, BreakFlow, TrainConfig, break_table, in_windows
from mlhad.reweight.flows.train import _split, break_nll


@pytest.fixture(scope="module")
def table():
    return break_table(fragment(4000, StringParams(), seed=21, progress=False))


def test_pt_is_fitted_on_every_draw_z_outside_the_windows(table):
    config = TrainConfig(holdout_mT2=DEFAULT_WINDOWS, seed=2)
    train, val = _split(table, config, torch.Generator().manual_seed(2))
    assert train["z"].numel() + val["z"].numel() == table["z"].numel()  # every draw kept for pT
    for part in (train, val):
        assert torch.equal(part["fit_z"], ~in_windows(part["mT2"], DEFAULT_WINDOWS))
    # Pythia's law: <pT^2> = sigma^2 (1 - f + f w^2). All draws follow it; the draws
    # outside the windows do not (the windows select on |pT_old + pT_new|^2), which
    # is why the pT flow must not be fitted on them only.
    p = StringParams()
    law = p.sigma**2 * (1 - p.enhanced_fraction + p.enhanced_fraction * p.enhanced_width**2)
    pt2 = table["px_new"] ** 2 + table["py_new"] ** 2
    se = float(pt2.std()) / math.sqrt(pt2.numel())
    assert float(pt2.mean()) == pytest.approx(law, abs=4 * se)
    inside = in_windows(table["mT2"], DEFAULT_WINDOWS)
    a, b = pt2[inside], pt2[~inside]
    se_diff = math.sqrt(float(a.var()) / a.numel() + float(b.var()) / b.numel())
    # on Pythia's 2.9M draws: +9.5% inside, -1.7% outside; here ~10 standard errors apart
    assert float(a.mean() - b.mean()) > 5 * se_diff


def test_break_nll_splits_its_rows(table, small_config):
    flow = BreakFlow(small_config)
    batch = {k: v[:500] for k, v in table.items()}
    batch["fit_z"] = torch.arange(500) % 3 == 0
    z_rows = {k: v[batch["fit_z"]] for k, v in batch.items()}
    with torch.no_grad():
        want = (-flow.log_prob_z(z_rows["z"], z_rows, check_range=False).mean()
                - flow.log_prob_pt(batch["px_new"], batch["py_new"]).mean())
        assert float(break_nll(flow, batch)) == pytest.approx(float(want), rel=1e-12)


def test_nothing_left_to_fit_z_is_explained(table):
    config = TrainConfig(holdout_mT2=((0.0, 1e3),))
    with pytest.raises(ModelError, match=r"no breaks left to fit z: breaks='all' and the held-out mT2 windows"):
        _split(table, config, torch.Generator().manual_seed(0))
