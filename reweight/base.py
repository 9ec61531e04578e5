"""The base point of a sample: its fragmentation parameters, read from the metadata."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlhad.exceptions import ReweightError

__all__ = ["FragmentationBase"]

_UNSUPPORTED_FLAGS = {
    "StringZ:usePetersonC": "Peterson/SLAC z for c quarks",
    "StringZ:usePetersonB": "Peterson/SLAC z for b quarks",
    "StringZ:usePetersonH": "Peterson/SLAC z for heavier quarks",
    "StringZ:useNonstandardC": "non-standard a, b for c quarks",
    "StringZ:useNonstandardB": "non-standard a, b for b quarks",
    "StringZ:useNonstandardH": "non-standard a, b for heavier quarks",
    "ClosePacking:doClosePacking": "close packing (string-density dependent pT)",
}


@dataclass(frozen=True)
class FragmentationBase:
    """Parameters of the Lund z and Gaussian pT samplers of a sample (Pythia's names)."""

    aLund: float
    bLund: float
    rFactC: float
    rFactB: float
    sigma: float
    aExtraSQuark: float
    aExtraDiquark: float
    useOldAExtra: bool
    mc: float
    mb: float

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any], *, source: str = "sample") -> "FragmentationBase":
        try:
            fb = metadata["fragmentation_base"]
        except KeyError:
            raise ReweightError(f"{source}: metadata has no 'fragmentation_base'; regenerate with mlhad >= 0.1") from None
        on = [desc for flag, desc in _UNSUPPORTED_FLAGS.items() if fb.get(flag)]
        if on:
            raise ReweightError(f"{source} was generated with {', '.join(on)}; mlhad cannot reweight those samplers")
        return cls(
            aLund=fb["StringZ:aLund"], bLund=fb["StringZ:bLund"], rFactC=fb["StringZ:rFactC"],
            rFactB=fb["StringZ:rFactB"], sigma=fb["StringPT:sigma"], aExtraSQuark=fb["StringZ:aExtraSQuark"],
            aExtraDiquark=fb["StringZ:aExtraDiquark"], useOldAExtra=bool(fb["StringZ:useOldAExtra"]),
            mc=fb["mc"], mb=fb["mb"],
        )

    def point(self) -> dict[str, float]:
        """The reweightable parameters at the base (canonical names)."""
        return {"StringZ:aLund": self.aLund, "StringZ:bLund": self.bLund, "StringZ:rFactC": self.rFactC,
                "StringZ:rFactB": self.rFactB, "StringPT:sigma": self.sigma}
