"""Fixtures of the sbi tests (the toy builders live in sbi_toy_cases.py, importable by test modules)."""

from __future__ import annotations

import pytest
from sbi_toy_cases import make_toy
from mlhad.inference.sbi.toy import LinearSimulator


@pytest.fixture
def toy() -> LinearSimulator:
    return make_toy()
