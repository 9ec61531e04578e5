"""A small real closure: Pythia pseudo-data at theta* far from Monash, fitted from a Monash base.

5000-event runs (the fit regenerates its base a few times) take about a minute on two
idle cores (3-4 minutes on the busy shared development machine); the full closures
(several theta*, larger samples, repeated) are in examples/closure.py.

The pulls use the sandwich covariance with the pseudo-data's statistical correlations
(``covariance_sandwich_mc_correlations``: pseudo-data made by the same generator share the
MC's correlation structure). Professor's ``2 H^-1`` ignores them (xi_p, N_ch and pT_out are
filled by the same events); both are checked below.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlhad.inference.objective import build_target
from mlhad.inference.tune import (
    GradientSettings,
    PythiaSimulator,
    ReweightedObjective,
    build_space,
    fit_gradient,
    pseudo_data,
    pulls,
    torch_threads,
    write_pseudo_data,
)
from mlhad.yoda import read_reference, read_yoda

pytestmark = pytest.mark.pythia

ANALYSIS = "ALEPH_1996_S3486095"
#: xi_p, N_ch, pT_out: between them sensitive to aLund, bLund (through <N_ch> and the spectrum) and sigma.
HISTOGRAMS = ("d17-x01-y01", "d18-x01-y01", "d12-x01-y01")
#: Far from Monash (0.68, 0.98, 0.335): n_eff/N of a Monash base is below 0.3 there (mostly through sigma).
#: bLund stays at Monash's 0.98 and is not fitted: with 5000-event runs the aLund-bLund valley of these
#: observables is flat within the MC noise (99% correlation), so a 3-parameter closure this small measures
#: the noise, not the method (the 3-parameter closures are in examples/closure.py, 20k/40k events).
TRUTH = {"StringZ:aLund": 0.55, "StringPT:sigma": 0.29}
MONASH = {"StringZ:aLund": 0.68, "StringPT:sigma": 0.335}
N = 5000


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def closure(tmp_path_factory):
    work = tmp_path_factory.mktemp("closure")
    ref = read_reference(ANALYSIS)
    subset = {f"/REF/{ANALYSIS}/{h}": ref[f"/REF/{ANALYSIS}/{h}"] for h in HISTOGRAMS}
    sim = PythiaSimulator(reference={ANALYSIS: subset}, work_dir=work / "runs", workers=2, progress=False)
    data_run = sim.run(TRUTH, N, 101, label="pseudo-data")
    path = write_pseudo_data(work / "pseudo.yoda", pseudo_data(data_run))
    data = read_yoda(path)
    target = build_target(data, sim.mc_paths()[0])
    space = build_space(list(TRUTH), start=MONASH)
    base = sim.run(MONASH, N, 102, label="monash")
    n_eff = float(ReweightedObjective(base, target, space).evaluate(
        torch.tensor(list(TRUTH.values()), dtype=torch.float64)).n_eff.detach())
    with torch_threads(1):  # module scope: the autouse one-thread fixture is not active yet
        res = fit_gradient(sim, target, space, GradientSettings(n_events=N, seed=103, scan_points=0), base=base,
                           log=quiet)
    return res, n_eff, target


def test_truth_is_outside_the_monash_base(closure):
    _, n_eff, _ = closure
    assert n_eff < 0.3, f"n_eff/N of the Monash base at theta* is {n_eff:.3f}: the test would not need regeneration"


def test_fit_regenerates_and_recovers_theta_star(closure):
    res, _, target = closure
    assert res.converged, res.steps
    assert res.extra["regenerations"] >= 1
    sandwich = np.sqrt(np.diag(res.extra["covariance_sandwich_mc_correlations"]))
    p = pulls(res.values(), dict(zip(res.names, sandwich)), TRUTH)
    # fixed seeds, 2 parameters: |pull| < 3 fails for a correct fit with probability ~1% (< 2: ~14%);
    # examples/closure.py reports the pulls of larger closures against 2 sigma
    assert all(abs(x) < 3 for x in p.values()), f"pulls {p}, fit {res.values()} +- {sandwich}"
    # the bin-to-bin correlations change the errors, but not their scale: shared multiplicity fluctuations
    # enlarge them, the unit-area normalisations' negative correlations shrink them (measured ratios 0.8-1.5)
    assert np.all((sandwich > 0.5 * res.errors) & (sandwich < 2.0 * res.errors)), \
        f"sandwich {sandwich} vs 2 H^-1 {res.errors}"
    # the chi2 at the minimum is that of noise: ndf +- 4 sqrt(2 ndf)
    assert abs(res.chi2 - res.ndf) < 4 * np.sqrt(2 * res.ndf), f"chi2 {res.chi2:.1f} for ndf {res.ndf}"
    assert res.chi2 < res.chi2_start
    assert target.n_points > 50
