"""Small real-Pythia samples shared by the generator tests (generated once per session)."""

from __future__ import annotations

import pytest

from mlhad.config import GeneratorConfig
from mlhad.generators import generate


@pytest.fixture(scope="session")
def lep1_sample(tmp_path_factory):
    """1200 LEP1 events in 3 chunks, with histories (native recorder)."""
    out = tmp_path_factory.mktemp("samples") / "lep1"
    config = GeneratorConfig(preset="lep1", n_events=1200, chunk_size=400, seed=101)
    return generate(config, out, workers=1, progress=False)


@pytest.fixture(scope="session")
def string_sample(tmp_path_factory):
    """400 single u-ubar strings (50 GeV), pions only."""
    out = tmp_path_factory.mktemp("samples") / "string"
    config = GeneratorConfig(preset="string", n_events=400, chunk_size=400, seed=7)
    return generate(config, out, workers=1, progress=False)
