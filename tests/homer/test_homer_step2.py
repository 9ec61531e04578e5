"""Step 2: its loss has its minimum exactly at the target, and with the exact event weights
as target it recovers the exact single-break Lund ratio (a known answer)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar

from mlhad.reweight import FragmentationBase, break_log_ratio
from mlhad.reweight.homer import BreakTable, BreakWeightConfig, fit_break_weights, prepare_breaks
from mlhad.reweight.homer.step2 import break_log_weights, event_log_weights, history_loss, minimum_history_loss


@pytest.mark.parametrize("w", [0.05, 0.7, 1.0, 3.0, 40.0])
def test_loss_minimum_is_at_the_target(w):
    """d l / d log W = 1 - (w + 1) / (1 + W) = 0 at W = w; the minimum value is l_min(w)."""
    target = torch.tensor([w], dtype=torch.float64)
    res = minimize_scalar(lambda x: float(history_loss(torch.tensor([x], dtype=torch.float64), target)),
                          bounds=(-10, 10), method="bounded", options={"xatol": 1e-10})
    assert res.x == pytest.approx(np.log(w), abs=1e-6)
    at_min = history_loss(torch.log(target), target)
    assert float(at_min) == pytest.approx(float(minimum_history_loss(target)), rel=1e-12)
    log_w = torch.log(target).requires_grad_(True)
    history_loss(log_w, target).sum().backward()
    assert abs(float(log_w.grad)) < 1e-12


def test_expected_loss_is_minimised_by_the_conditional_mean():
    """Events sharing a history but with different w_class: the minimiser is log E[w]."""
    rng = np.random.default_rng(1)
    w = torch.as_tensor(rng.lognormal(0.0, 0.8, 10_000))
    res = minimize_scalar(lambda x: float(history_loss(torch.full_like(w, x), w).mean()), bounds=(-5, 5),
                          method="bounded", options={"xatol": 1e-10})
    assert res.x == pytest.approx(float(torch.log(w.mean())), abs=1e-6)


@pytest.mark.pythia
@pytest.mark.parametrize("chains", [pytest.param("history", marks=pytest.mark.slow), "accepted"])
def test_exact_targets_give_back_the_exact_lund_ratio(string_sim, theta_1, chains):
    """Known answer: if w_class were the exact event weight to theta_1, the minimiser of the
    step-2 loss is g = exact single-break log ratio (history: product over every break;
    accepted: product over the kept attempt, normalised). Measured r = 0.9997 with 12k
    events and 20 epochs; 3000 events and 8 epochs must still give r > 0.98 and an
    event-level correlation > 0.98 on held-out events.
    """
    base = FragmentationBase.from_metadata(string_sim.metadata)
    table = BreakTable.from_sample(string_sim, max_events=4000, progress=False)
    ratio = break_log_ratio(table.z, table.m2, table.flav_old, table.flav_new, base, theta_1)
    mask = table.accepted if chains == "accepted" else np.ones(table.n_breaks, bool)
    log_w = np.bincount(table.event_index, ratio * mask, table.n_events)
    w = np.exp(log_w - np.log(np.mean(np.exp(log_w))))
    train, val, test = np.arange(3000), np.arange(3000, 3500), np.arange(3500, 4000)
    config = BreakWeightConfig(max_epochs=8, patience=8, batch_size=128, learning_rate=2e-3, chains=chains)
    fit = fit_break_weights(table.select(train), w[train], table.select(val), w[val], base, config, seed=1,
                            progress=False)
    held_out = table.select(test)
    prepared = prepare_breaks(held_out, fit.model)
    g = break_log_weights(fit.model, prepared)
    exact = break_log_ratio(held_out.z, held_out.m2, held_out.flav_old, held_out.flav_new, base, theta_1)
    assert np.corrcoef(g, exact)[0, 1] > 0.98
    events = event_log_weights(fit.model, prepared)
    assert np.corrcoef(events, np.log(w[test]))[0, 1] > 0.98
    assert fit.history.val_loss[fit.history.best_epoch] < fit.history.val_loss[0], "training must improve the loss"
