"""Compiled helpers: a Pythia plugin (history recorder) and the encoder's kNN kernel.

``history_recorder.cc`` is a Pythia 8 ``UserHooks`` plugin that records fragmentation
histories at C++ speed. :mod:`mlhad.native.build` compiles it against the headers of
the installed ``pythia8mc`` wheel (taken from that exact version's source distribution on
PyPI); :mod:`mlhad.native.recorder` attaches it to a Pythia instance and reads its records
through ctypes. If no compiler is available, mlhad falls back to a slower pure-Python hook.

``knn_angle.c`` is the encoder's angular k-nearest-neighbour kernel (plain C, no Pythia):
:mod:`mlhad.native.knn` compiles it on first use, caches it and loads it through ctypes;
without a compiler the encoder uses its torch path (same neighbours).
"""

from __future__ import annotations

__all__ = ["build_library", "library_path", "native_available"]


def __getattr__(name: str):
    if name in ("build_library", "library_path", "native_available"):
        from . import build

        return getattr(build, name)
    raise AttributeError(name)
