"""Progress bars that stay quiet in tests and non-interactive runs (MLHAD_NO_PROGRESS=1)."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["progress_bar", "progress_enabled"]


def progress_enabled() -> bool:
    return os.environ.get("MLHAD_NO_PROGRESS", "") not in ("1", "true", "yes")


def progress_bar(*, disable: bool = False, **kwargs: Any):
    from tqdm.auto import tqdm

    return tqdm(disable=disable or not progress_enabled(), **kwargs)
