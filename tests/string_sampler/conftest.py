"""Shared chains for the sampler tests (generated once per session: a few seconds)."""

from __future__ import annotations

import pytest

from mlhad.generators.string_sampler import StringParams, fragment


@pytest.fixture(scope="session")
def lund_events():
    """3000 strings of the preset (Lund z, Gaussian pT), seed 11."""
    return fragment(3000, StringParams(), seed=11, progress=False)
