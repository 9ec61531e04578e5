"""Event generation: Pythia 8 presets, fragmentation histories, chunked parallel runs.

Imported as ``mlhad.generators``. ``pythia8mc`` is loaded lazily, on first generation.
"""

from __future__ import annotations

__all__ = ["generate", "GeneratorConfig", "PRESETS", "get_preset"]

from mlhad.config import GeneratorConfig

from .presets import PRESETS, get_preset


def __getattr__(name: str):
    if name == "generate":
        from .run import generate

        return generate
    raise AttributeError(f"module 'mlhad.generators' has no attribute {name!r}")
