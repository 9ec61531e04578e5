"""Thread limits for the small networks and matrix products of the inference.

Measured on the project's 2-core machine while other jobs ran: one training step of a
small MAF took 0.024 s with one torch thread and 0.52 s with two, because the threads
of an oversubscribed machine wait on each other. The networks here are far too small to
gain from intra-op parallelism, so training, sampling and the simulators run inside
:func:`limited_threads` (one thread by default). The previous settings are restored on
exit; nothing global is changed for the caller.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["limited_threads"]


@contextlib.contextmanager
def limited_threads(n: int | None = 1) -> Iterator[None]:
    """Limit torch's and the BLAS libraries' threads to ``n`` inside the block (None: no change)."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        with threadpool_limits(limits=int(n)):
            yield
    finally:
        torch.set_num_threads(old)
