"""A small real Pythia base sample shared by the SBI and diagnosis tests (generated once per session)."""

from __future__ import annotations

import pytest

from mlhad.config import GeneratorConfig

DATA = "rivet_data/ALEPH_1996_S3486095.yoda"


@pytest.fixture(scope="session")
def small_base(tmp_path_factory):
    """4000 Monash LEP1 events with histories, and their ALEPH observation (all histograms)."""
    from mlhad.generators import generate
    from mlhad.inference.sbi import load_observation

    out = tmp_path_factory.mktemp("inference") / "monash"
    sample = generate(GeneratorConfig(n_events=4000, chunk_size=2000, seed=17), out, workers=2, progress=False)
    obs, refs, contributions = load_observation([DATA], sample, progress=False)
    return sample, obs, refs, contributions
