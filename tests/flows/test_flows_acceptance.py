"""Acceptance of the flow, small and honest (docs/flows.md has the full-size figures).

One flow is trained on torch Lund chains of the preset (the sampler reproduces Pythia's
``string`` preset: tests/string_sampler/test_sampler_pythia.py) with two mT2 windows
held out, then:

- its z in the held-out windows matches independent Lund chains as well as a second
  independent Lund sample does (Wasserstein-1 within a few times that floor);
- chains sampled with it reproduce the multiplicity distribution of Lund chains;
- MAGIC to a target at (a, b) = (0.5, 1.2) cuts the distance to the target's
  observables (chi2 in excess of its statistical floor) by >= 80% and moves the flow's z density towards the target's Lund
  function.
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import torch
from scipy import stats

from mlhad.generators.string_sampler import LundZ, StringParams, fragment
from mlhad.reweight.flows import (
    BreakFlow,
    FlowConfig,
    FlowSampler,
    MagicConfig,
    TrainConfig,
    break_table,
    build_targets,
    fragment_with_flow,
    kl_to_lund,
    magic,
    train_flow,
    unweighted_chi2,
    z_window_metrics,
)

pytestmark = pytest.mark.slow
WINDOWS = ((0.15, 0.17), (0.35, 0.40))
CONFIG = FlowConfig(n_layers=2, hidden=32, n_blocks=1, n_bins=8, pt_layers=1)


def _mult_p_value(a: np.ndarray, b: np.ndarray) -> float:
    """chi2 contingency p-value of two multiplicity samples (tails with < 10 pooled
    entries merged into their neighbours)."""
    lo, hi = int(min(a.min(), b.min())), int(max(a.max(), b.max()))
    h = np.stack([np.bincount(x - lo, minlength=hi - lo + 1) for x in (a, b)]).astype(float)
    cols, acc = [], np.zeros(2)
    for col in h.T:
        acc = acc + col
        if acc.sum() >= 10:
            cols.append(acc)
            acc = np.zeros(2)
    cols[-1] = cols[-1] + acc
    return float(stats.chi2_contingency(np.array(cols).T)[1])


@pytest.fixture(scope="module")
def trained():
    train_events = fragment(6000, StringParams(), seed=41, progress=False)
    flow, history = train_flow(BreakFlow(CONFIG, seed=1), break_table(train_events),
                               TrainConfig(epochs=4, batch_size=4096, lr=3e-3, holdout_mT2=WINDOWS, seed=1),
                               progress=False)
    return flow


def test_held_out_z_matches_like_a_second_sample(trained):
    truth = break_table(fragment(6000, StringParams(), seed=42, progress=False))
    floor = break_table(fragment(6000, StringParams(), seed=43, progress=False))
    rows = z_window_metrics(FlowSampler(trained), truth, WINDOWS, floor_table=floor, seed=5)
    for row in rows:
        # ~2-4k breaks per window: W1 of two independent samples is ~0.01; a flow that
        # interpolates well stays within 3x that (an untrained one is ~10x off).
        assert row["model"]["w1"] < 3.0 * row["floor"]["w1"] + 0.005, row
        assert row["model"]["ks_p"] > 1e-4, row


def test_flow_pt_follows_pythias_law(trained):
    # Pythia's StringPT: px, py ~ N(0, sigma^2 / 2) each, a fraction f of the pairs at
    # w times the width, so r2 = pT^2 / (sigma^2 / 2) has <r2> = 2 (1 - f + f w^2) and
    # P(r2 > k) = (1 - f) exp(-k / 2) + f exp(-k / (2 w^2)). A 2D (px, py) flow learned
    # <r2> 2.5% low and lost the wide pairs (P(r2 > 20) 65% low), which put +0.09
    # hadrons on the mean multiplicity of its chains (docs/flows.md).
    p = StringParams()
    f, w, sq2 = p.enhanced_fraction, p.enhanced_width, p.sigma**2 / 2
    px, py = trained.sample_pt(400_000, torch.Generator().manual_seed(6))
    r2 = ((px**2 + py**2) / sq2).numpy()
    n_train = 6000 * 14  # ~ pT draws the flow was trained on (6000 chains, ~15 each, 10% validation)
    law_mean = 2 * (1 - f + f * w**2)
    # tolerance: 4 x (statistical error of the training sample + of these draws)
    assert abs(r2.mean() - law_mean) < 4 * r2.std() * (n_train**-0.5 + r2.size**-0.5), r2.mean()
    for k in (4.0, 12.0, 20.0):
        law = (1 - f) * np.exp(-k / 2) + f * np.exp(-k / (2 * w**2))
        se = np.sqrt(law * (1 - law)) * (n_train**-0.5 + r2.size**-0.5)
        assert abs((r2 > k).mean() - law) < 4 * se, (k, (r2 > k).mean(), law)


def test_flow_chains_reproduce_the_multiplicity(trained):
    flow_events, info = fragment_with_flow(trained, 6000, StringParams(), seed=44, progress=False,
                                           outside_tolerance=0.01)
    lund_events = fragment(6000, StringParams(), seed=45, progress=False)
    n_flow, n_lund = (ak.to_numpy(ak.num(e.particles)) for e in (flow_events, lund_events))
    assert _mult_p_value(n_flow, n_lund) > 1e-3, (n_flow.mean(), n_lund.mean())
    se = np.sqrt(n_flow.var() / n_flow.size + n_lund.var() / n_lund.size)
    assert abs(n_flow.mean() - n_lund.mean()) < 4 * se, (n_flow.mean(), n_lund.mean(), se)


def test_magic_closure(trained):
    target_ab = (0.5, 1.2)
    target = fragment(8000, StringParams(), LundZ(*target_ab), seed=46, progress=False)
    obs = ("n_hadrons", "n_charged", "x_lead", "max_gap", "sum_z")  # all five, as in docs/flows.md
    targets = build_targets(target, obs)
    tuned, history = magic(trained, targets, StringParams(),
                           MagicConfig(observables=obs, n_chains=2500, steps=30, lr=5e-4, seed=4), progress=False)
    # The distance MAGIC minimises (weighted chains vs target) falls; per step it is
    # noisy (chains are regenerated whenever n_eff / N < 0.5), so compare the best of
    # the last five steps with the first.
    first = sum(history["chi2"][0].values())
    assert min(sum(c.values()) for c in history["chi2"][-5:]) < 0.5 * first, history["loss"]
    # Fresh chains (same seed for both flows): the excess of the chi2 over its
    # statistical floor (its number of degrees of freedom, ~ the bins) estimates
    # n_chains x the distance between the distributions; MAGIC cuts it by >= 80%.
    before, _ = fragment_with_flow(trained, 5000, seed=99, progress=False, outside_tolerance=0.01)
    after, _ = fragment_with_flow(tuned, 5000, seed=99, progress=False, outside_tolerance=0.01)
    ndf = sum(len(t.sumw) - 1 for t in targets.values())
    cb, ca = (sum(unweighted_chi2(e, targets).values()) for e in (before, after))
    assert cb > 5 * ndf, (cb, ndf)  # the untuned flow is far from the target ...
    assert ca - ndf < 0.2 * (cb - ndf), (cb, ca, ndf)  # ... the tuned one close
    # The microscopic density moves towards the target's Lund function.
    table = break_table(target[:3000])
    kl_before, se_b = kl_to_lund(FlowSampler(trained), table, *target_ab)
    kl_after, se_a = kl_to_lund(FlowSampler(tuned), table, *target_ab)
    assert kl_after < kl_before - 3 * np.hypot(se_b, se_a), (kl_before, kl_after)
