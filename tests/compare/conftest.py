"""Fixtures of the comparison tests: a small real Pythia sample and its ALEPH predictions."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def compare_sample_dir(tmp_path_factory):
    """500 Monash LEP1 events in 2 chunks (a few seconds with Pythia)."""
    from mlhad.config import GeneratorConfig
    from mlhad.generators import generate

    out = tmp_path_factory.mktemp("compare") / "monash500"
    return generate(GeneratorConfig(preset="lep1", n_events=500, seed=21, chunk_size=250, history=False), out,
                    workers=1, progress=False)


@pytest.fixture(scope="session")
def aleph_predictions(compare_sample_dir):
    from mlhad.analysis import analysis_contributions, predict

    c = analysis_contributions(compare_sample_dir, progress=False)
    return c, predict(c)
