"""Shared test fixtures: seeded randomness, GPU auto-skip, a data-dir helper."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
# Tests must not depend on a terminal: tqdm progress bars are silenced.
os.environ.setdefault("MLHAD_NO_PROGRESS", "1")
# One torch/BLAS thread per test process, for every test folder: the tests are small, and on
# a 2-core machine that also runs Pythia workers, torch's spinning intra-op threads made some
# tests ~7x slower (torch reads this when it is first imported).
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same random state (numpy, random, torch if loaded)."""
    random.seed(12345)
    np.random.seed(12345)
    try:
        import sys

        if "torch" in sys.modules:
            import torch

            torch.manual_seed(12345)
    except Exception:  # pragma: no cover - torch is a dependency, but keep tests robust
        pass
    yield


@pytest.fixture
def datadir(request) -> Path:
    """``tests/<package>/data`` next to the requesting test module."""
    return Path(request.fspath).parent / "data"


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except Exception:  # pragma: no cover
        has_gpu = False
    if has_gpu:
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device (none present)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)
