"""Torch's intra-op thread count, set for a block and restored after."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["torch_threads"]


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Use ``n`` torch threads inside the block (None: leave the setting), then restore it.

    On a busy machine OpenMP's idle threads spin: small torch operations (the tune's
    gathers and scatter-adds, one encoder batch per worker thread) ran 20-30x slower with
    2 threads than with 1 on the 2-core development machine under load.
    """
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
