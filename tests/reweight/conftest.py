"""Real-Pythia samples for the reweighting tests (generated once per session)."""

from __future__ import annotations

import pytest

from mlhad.config import GeneratorConfig
from mlhad.generators import generate

#: The closure target: moved in aLund, bLund and sigma, n_eff/N ~ 0.5 from Monash.
TARGET = {"StringZ:aLund": 0.55, "StringZ:bLund": 1.1, "StringPT:sigma": 0.32}
N_CLOSURE = 30_000


@pytest.fixture(scope="session")
def target_point() -> dict[str, float]:
    return dict(TARGET)


@pytest.fixture(scope="session")
def monash(tmp_path_factory):
    out = tmp_path_factory.mktemp("rw") / "monash"
    return generate(GeneratorConfig(n_events=N_CLOSURE, chunk_size=5000, seed=11), out, workers=2, progress=False)


@pytest.fixture(scope="session")
def target(tmp_path_factory):
    out = tmp_path_factory.mktemp("rw") / "target"
    settings = tuple(f"{k} = {v}" for k, v in TARGET.items())
    return generate(GeneratorConfig(n_events=N_CLOSURE, chunk_size=5000, seed=12, settings=settings), out,
                    workers=2, progress=False)


@pytest.fixture(scope="session")
def trials_sample(tmp_path_factory):
    """Pythia's own accept-reject trials and in-situ weights (zHead = 10, see reweight/trials.py)."""
    out = tmp_path_factory.mktemp("rw") / "trials"
    config = GeneratorConfig(
        n_events=400, chunk_size=400, seed=13, history_detail="trials", settings=("VariationFrag:zHead = 10",),
        variations=("a05 frag:aLund=0.5", "ab frag:aLund=0.8 frag:bLund=1.2", "rc frag:rFactC=1.0 frag:rFactB=1.1",
                    "s03 frag:ptSigma=0.3", "all frag:aLund=0.6 frag:bLund=0.9 frag:ptSigma=0.31"),
    )
    return generate(config, out, workers=1, progress=False)
