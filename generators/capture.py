"""Capture what C++ code (Pythia) prints to stdout, so its own words reach our errors."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["captured_stdout"]


class _Captured:
    text: str = ""


@contextlib.contextmanager
def captured_stdout() -> Iterator[_Captured]:
    """Redirect file descriptor 1 into a buffer for the duration of the block.

    Pythia writes through C++'s std::cout, which Python's ``sys.stdout`` does not see,
    so the redirection happens at the file-descriptor level.

    Yields:
        An object whose ``text`` attribute holds the captured output after the block.
    """
    result = _Captured()
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield result
        finally:
            try:
                import ctypes

                ctypes.CDLL(None).fflush(None)  # flush C stdio buffers into the sink
            except Exception:  # pragma: no cover - best effort on exotic platforms
                pass
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            result.text = sink.read().decode("utf-8", "replace")
