"""Closure of the torch chain sampler against Pythia's own ``string`` preset.

The torch sampler with the Lund function must reproduce Pythia within statistical
errors: the multiplicity distributions, the charged multiplicity, the number of z draws
per string (restarts included) and the distributions of z and mT2 over all draws. Each
comparison is a two-sample test of independent samples; p > 1e-3 fails a correct
sampler once in a thousand (seeds are fixed, so the outcome is deterministic).
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from scipy import stats

from mlhad.config import GeneratorConfig
from mlhad.generators.string_sampler import StringParams, fragment, params_from_metadata

pytestmark = pytest.mark.pythia
P_MIN = 1e-3


def two_sample_chi2(a: np.ndarray, b: np.ndarray) -> float:
    """p-value of the chi2 test that integer samples a and b share one distribution
    (bins with fewer than 5 expected entries in the pooled sample are merged)."""
    lo, hi = int(min(a.min(), b.min())), int(max(a.max(), b.max()))
    ha = np.bincount(a - lo, minlength=hi - lo + 1).astype(float)
    hb = np.bincount(b - lo, minlength=hi - lo + 1).astype(float)
    # merge sparse tails into neighbours so that each bin has >= 10 pooled entries
    keep, acc_a, acc_b = [], 0.0, 0.0
    for xa, xb in zip(ha, hb):
        acc_a, acc_b = acc_a + xa, acc_b + xb
        if acc_a + acc_b >= 10:
            keep.append((acc_a, acc_b))
            acc_a = acc_b = 0.0
    if acc_a + acc_b > 0:
        keep[-1] = (keep[-1][0] + acc_a, keep[-1][1] + acc_b)
    table = np.array(keep).T
    return float(stats.chi2_contingency(table)[1])


def _pythia(tmp_path_factory, n: int, seed: int):
    from mlhad.generators import generate

    out = tmp_path_factory.mktemp("pythia_string")
    sample = generate(GeneratorConfig(preset="string", n_events=n, seed=seed, energy=50.0, chunk_size=n),
                      out, workers=1, progress=False)
    return sample.read(["breaks", "particles"]), sample.metadata


def _compare(pythia_events, torch_events) -> dict[str, float]:
    mult = [ak.to_numpy(ak.num(e.particles)) for e in (pythia_events, torch_events)]
    nch = [ak.to_numpy(ak.sum(e.particles.charge != 0, axis=1)) for e in (pythia_events, torch_events)]
    nbr = [ak.to_numpy(ak.num(e.breaks)) for e in (pythia_events, torch_events)]
    z = [ak.to_numpy(ak.flatten(e.breaks.z)) for e in (pythia_events, torch_events)]
    m = [ak.to_numpy(ak.flatten(e.breaks.mT2)) for e in (pythia_events, torch_events)]
    first = [ak.to_numpy(ak.flatten(e.breaks.z[e.breaks.rank == 0])) for e in (pythia_events, torch_events)]
    return {
        "multiplicity": two_sample_chi2(*mult),
        "n_charged": two_sample_chi2(*nch),
        "z draws per string": two_sample_chi2(*nbr),
        "z (all draws)": float(stats.ks_2samp(*z).pvalue),
        "z (first rank)": float(stats.ks_2samp(*first).pvalue),
        "mT2 (all draws)": float(stats.ks_2samp(*m).pvalue),
    }


def test_default_parameters_are_the_pythia_preset(tmp_path_factory):
    _, meta = _pythia(tmp_path_factory, 20, 3)
    assert params_from_metadata(meta) == StringParams()
    import pythia8mc

    from mlhad.generators.presets import get_preset

    pythia = pythia8mc.Pythia("", False)
    for s in get_preset("string").pythia_settings(50.0):
        pythia.readString(s)
    p = StringParams()
    for name, value in (("StringFragmentation:stopMass", p.stop_mass), ("StringFragmentation:stopNewFlav", p.stop_new_flav),
                        ("StringFragmentation:stopSmear", p.stop_smear), ("StringPT:sigma", p.sigma)):
        assert pythia.settings.parm(name) == pytest.approx(value), name
    assert pythia.particleData.constituentMass(2) == pytest.approx(p.constituent_mass)
    assert pythia.particleData.m0(211) == pytest.approx(0.13957)


def test_lund_chains_reproduce_pythia(tmp_path_factory):
    pythia_events, _ = _pythia(tmp_path_factory, 10_000, 21)
    torch_events = fragment(10_000, StringParams(), seed=21, progress=False)
    pvalues = _compare(pythia_events, torch_events)
    assert min(pvalues.values()) > P_MIN, pvalues


@pytest.mark.slow
def test_lund_chains_reproduce_pythia_high_statistics(tmp_path_factory):
    # 200k strings each: the mean multiplicity is compared to +-0.01 (0.07%).
    pythia_events, _ = _pythia(tmp_path_factory, 200_000, 22)
    torch_events = fragment(200_000, StringParams(), seed=22, progress=False)
    pvalues = _compare(pythia_events, torch_events)
    assert min(pvalues.values()) > P_MIN, pvalues
    mp, mt = (ak.to_numpy(ak.num(e.particles)) for e in (pythia_events, torch_events))
    se = np.sqrt(mp.var() / mp.size + mt.var() / mt.size)
    assert abs(mp.mean() - mt.mean()) < 4 * se, (mp.mean(), mt.mean(), se)
