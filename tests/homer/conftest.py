"""Small real-Pythia samples and one fitted HOMER run, shared by the HOMER tests.

The string preset (one u-ubar string at 50 GeV, pions only) is fast and still has
thrown-away fragmentation attempts. The closure point theta_1 = (aLund 0.5, bLund 1.3)
has exact-weight n_eff/N ~ 0.5 from the Monash base (0.68, 0.98) and moves the
multiplicity by ~30 standard errors at 6000 events, so HOMER has something to learn.
"""

from __future__ import annotations

import pytest

from mlhad.config import GeneratorConfig
from mlhad.generators import generate

THETA_1 = {"StringZ:aLund": 0.5, "StringZ:bLund": 1.3}
N_EVENTS = 6000


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch/BLAS thread: on a busy 2-core machine more threads spin and run 10x slower."""
    from mlhad.reweight.homer.checks import limit_threads

    with limit_threads(1):
        yield


def _generate(tmp_path_factory, name: str, **kwargs):
    out = tmp_path_factory.mktemp("homer") / name
    config = GeneratorConfig(preset=kwargs.pop("preset", "string"), chunk_size=kwargs.pop("chunk_size", 2000),
                             **kwargs)
    return generate(config, out, workers=1, progress=False)


@pytest.fixture(scope="session")
def theta_1() -> dict[str, float]:
    """The parameters of the "data" sample."""
    return dict(THETA_1)


@pytest.fixture(scope="session")
def string_sim(tmp_path_factory):
    """6000 strings at the Monash base parameters, with histories (3 chunks)."""
    return _generate(tmp_path_factory, "sim", n_events=N_EVENTS, seed=1)


@pytest.fixture(scope="session")
def string_data(tmp_path_factory):
    """6000 strings generated at THETA_1: the "data" of the closure tests."""
    settings = tuple(f"{k} = {v}" for k, v in THETA_1.items())
    return _generate(tmp_path_factory, "data", n_events=N_EVENTS, seed=2, settings=settings)


@pytest.fixture(scope="session")
def fitted(string_sim, string_data):
    """One HOMER run on the string samples: one round (arXiv 2410.06342), few epochs.

    Measured: a second round (arXiv 2509.03592) changes no closure number at these
    statistics, so the default test run uses one.
    """
    from mlhad.reweight.homer import BreakWeightConfig, ClassifierConfig, Homer, HomerConfig

    config = HomerConfig(step1=ClassifierConfig(max_epochs=15, patience=4),
                         step2=BreakWeightConfig(max_epochs=8, patience=3, batch_size=256), seed=3, threads=1,
                         iterations=1)
    return Homer(config, progress=False).fit(string_sim, string_data)
