"""Fixtures of the analysis tests: toy events and a small real Pythia sample."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_events import random_events

from mlhad.analysis import analysis_contributions


@pytest.fixture(scope="session")
def toy_events():
    """120 random LEP-like toy events (fixed seed)."""
    return random_events(120, np.random.default_rng(2024))


@pytest.fixture(scope="session")
def toy_aleph(toy_events):
    """ALEPH contributions of the toy events."""
    return analysis_contributions(toy_events, "ALEPH_1996_S3486095")


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory):
    """600 Monash LEP1 events in 3 chunks (about 5 s with Pythia)."""
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate

    out = tmp_path_factory.mktemp("analysis") / "monash600"
    return generate(GeneratorConfig(preset="lep1", n_events=600, seed=11, chunk_size=200, history=False), out,
                    workers=1, progress=False)
