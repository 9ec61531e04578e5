"""MAGIC: exact chain likelihood-ratio weights and the gradient.

The weight machinery is validated with the exact Lund function as the z model: chains
generated at (a0, b0) and reweighted to (a1, b1) must reproduce chains generated at
(a1, b1) (the final-two step uses the same b in both, as in MAGIC, where it is not
tuned). The MAGIC closure with a trained flow is in test_flows_acceptance.py (slow).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from mlhad.exceptions import ModelError
from mlhad.generators.string_sampler import LundZ, StringParams, fragment
from mlhad.reweight.flows import (
    FlowSampler,
    MagicConfig,
    break_table,
    build_targets,
    chain_log_weights,
    effective_fraction,
    magic,
    make_batch,
)
from mlhad.reweight.flows.magic import _step, weighted_chi2

OBS = ("n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z")
BASE, TARGET = (0.68, 0.98), (0.5, 1.2)


@pytest.fixture(scope="module")
def closure_chains():
    base = fragment(8000, StringParams(), LundZ(*BASE), seed=31, progress=False)
    target = fragment(8000, StringParams(), LundZ(*TARGET), seed=32, progress=False)
    return base, target


def test_weights_are_exactly_one_for_the_generating_model(closure_chains):
    base, target = closure_chains
    batch = make_batch(base[:500], LundZ(*BASE), build_targets(target, OBS))
    assert torch.equal(chain_log_weights(LundZ(*BASE), batch), torch.zeros(500, dtype=torch.float64))


def test_exact_reweighting_reproduces_the_target(closure_chains):
    base, target = closure_chains
    targets = build_targets(target, OBS)
    batch = make_batch(base, LundZ(*BASE), targets)
    log_w = chain_log_weights(LundZ(*TARGET), batch)
    w = torch.exp(log_w)
    # E[w] = 1 for an exact likelihood ratio; standard error from the sample.
    assert abs(float(w.mean()) - 1.0) < 5 * float(w.std()) / np.sqrt(w.numel())
    assert 0.3 < effective_fraction(log_w) < 0.9  # the shift is large but well covered
    before = weighted_chi2(torch.zeros_like(log_w), batch, targets)
    after = weighted_chi2(log_w, batch, targets)
    for name, t in targets.items():
        ndf = len(t.sumw) - 1
        # Unweighted: the base chains are far from the target (p ~ 0) ...
        assert stats.chi2.sf(float(before[name]), ndf) < 1e-10, name
        # ... reweighted they agree within statistics (p > 1e-4 per observable; the
        # weighted chi2 is only approximately chi2-distributed).
        assert stats.chi2.sf(float(after[name]), ndf) > 1e-4, (name, float(after[name]), ndf)


def test_two_pass_gradient_equals_direct_autograd(closure_chains, small_config, make_flow):
    base, target = closure_chains
    targets = build_targets(target, OBS)
    flow = make_flow(small_config)
    table = break_table(base[:300])
    flow.fit_preprocessing(table["z"], table, table["px_new"], table["py_new"])
    batch = make_batch(base[:300], LundZ(*BASE), targets)
    model = FlowSampler(flow)
    for kl_weight in (0.0, 0.7):
        flow.zero_grad()
        log_w = chain_log_weights(model, batch, grad=True)
        direct = sum(weighted_chi2(log_w, batch, targets).values())
        if kl_weight:
            direct = direct + kl_weight * (batch.log_q - model.log_prob_z(batch.breaks["z"], batch.breaks)).mean()
        grads = torch.autograd.grad(direct, list(flow.z_flow.parameters()))
        flow.zero_grad()
        loss, _, _ = _step(model, batch, targets, kl_weight)
        assert loss == pytest.approx(direct.detach().item(), rel=1e-10)
        for g, p in zip(grads, flow.z_flow.parameters()):
            assert torch.allclose(p.grad, g, rtol=1e-8, atol=1e-12)


def test_magic_needs_a_target_for_each_observable(closure_chains, small_config, make_flow):
    targets = build_targets(closure_chains[1], ("n_hadrons",))
    with pytest.raises(ModelError, match=r"no target histogram for the observables \['x_lead'\]; targets: \['n_hadrons'\]"):
        magic(make_flow(small_config), targets, config=MagicConfig(observables=("n_hadrons", "x_lead"), steps=1,
                                                                   n_chains=10), progress=False)
