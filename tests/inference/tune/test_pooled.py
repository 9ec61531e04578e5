"""Pooling base runs by multiple importance sampling (balance heuristic), on the analytic toy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.exceptions import TuneError
from mlhad.inference.tune.pooled import pool_runs, poolable
from mlhad.inference.tune.toy import TOY_DEFAULT, TOY_PARAMS, ToySimulator

NAMES = list(TOY_PARAMS)
OTHER = {"toy:mu": 0.3, "toy:width": 1.2, "toy:rate": 7.0}


def _log_w(run, theta):
    with torch.no_grad():
        return run.reweighter(NAMES).log_weights(theta).numpy()


def test_a_pool_of_runs_at_one_point_has_the_runs_own_weights():
    """Every run at the same point: the mixture is p(h|theta0), so W = r exactly (events in pool order)."""
    sim = ToySimulator()
    a, b = sim.run(TOY_DEFAULT, 3000, 1, label="a"), sim.run(TOY_DEFAULT, 5000, 2, label="b")
    pool = pool_runs([a, b])
    assert pool.n_events == 8000 and pool.parts == (a, b)
    np.testing.assert_allclose(_log_w(pool, OTHER), np.concatenate([_log_w(a, OTHER), _log_w(b, OTHER)]), atol=1e-12)


def test_balance_heuristic_weights_are_the_density_over_the_mixture():
    """W(h; theta) = p(h|theta) / sum_k (N_k/N) p(h|theta_k), from the toy's closed-form density ratios,
    and the pooled weights average to 1 (the pool is a sample of the mixture)."""
    sim = ToySimulator()
    a, b = sim.run(TOY_DEFAULT, 20_000, 1, label="a"), sim.run(OTHER, 10_000, 2, label="b")
    pool = pool_runs([a, b])
    theta = {"toy:mu": 0.15, "toy:width": 1.1, "toy:rate": 6.5}
    # relative to run a's density: p(h|theta)/p(h|a) and p(h|b)/p(h|a) for a's events; likewise for b
    expected = []
    for run, other_point in ((a, OTHER), (b, TOY_DEFAULT)):
        log_r_theta = _log_w(run, theta)
        log_r_other = _log_w(run, other_point)
        share_own, share_other = run.n_events / 30_000, (30_000 - run.n_events) / 30_000
        expected.append(log_r_theta - np.log(share_own + share_other * np.exp(log_r_other)))
    np.testing.assert_allclose(_log_w(pool, theta), np.concatenate(expected), rtol=1e-10, atol=1e-10)
    w = np.exp(_log_w(pool, theta))
    assert abs(w.mean() - 1) < 4 * w.std() / np.sqrt(w.size)


def test_runs_that_differ_in_a_fixed_parameter_are_not_pooled():
    sim = ToySimulator()
    a = sim.run(TOY_DEFAULT, 1000, 1, label="a")
    b = sim.run({**TOY_DEFAULT, "toy:rate": 7.0}, 1000, 2, label="b")
    assert poolable([a, b], b, ["toy:mu", "toy:width"]) == [b]
    assert poolable([a, b], b, NAMES) == [a, b]
    with pytest.raises(TuneError, match="nothing to pool"):
        pool_runs([])
