"""Names, aliases and validation of the reweightable fragmentation parameters.

Reweightable from the recorded histories: the Lund a and b, the Bowler factors for c and
b quarks, and the string pT width. Anything else is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mlhad.exceptions import ReweightError

__all__ = ["PARAMETERS", "canonical_name", "parse_point", "validate_point"]

#: Canonical names (Pythia's) and the limits inside which Pythia accepts them.
PARAMETERS: dict[str, tuple[float, float]] = {
    "StringZ:aLund": (0.0, 2.0),
    "StringZ:bLund": (0.2, 2.0),
    "StringZ:rFactC": (0.0, 2.0),
    "StringZ:rFactB": (0.0, 2.0),
    "StringPT:sigma": (0.0, 1.0),
}

_ALIASES = {name.split(":")[1].lower(): name for name in PARAMETERS}
_ALIASES.update({
    "frag:alund": "StringZ:aLund", "frag:blund": "StringZ:bLund", "frag:rfactc": "StringZ:rFactC",
    "frag:rfactb": "StringZ:rFactB", "frag:ptsigma": "StringPT:sigma", "sigma": "StringPT:sigma",
})

_NOT_REWEIGHTABLE = {
    "stringflav": "flavour parameters change which hadrons are made; their reweighting needs the "
                  "flavour-choice history, which mlhad does not record",
    "stringz:aextra": "aExtraSQuark/aExtraDiquark reweighting is not implemented (the histories do hold the "
                      "flavours it would need)",
    "stringz:rfacth": "rFactH only acts on hadrons heavier than b, which LEP events do not have",
    "stringpt:enhanced": "enhancedFraction/enhancedWidth reweighting is not implemented (the per-break "
                         "Gaussian components are not recorded)",
}


def canonical_name(name: str) -> str:
    """Map ``aLund``, ``frag:aLund``, ``StringZ:alund`` ... to Pythia's canonical name.

    Raises:
        ReweightError: for unknown or non-reweightable parameters, saying why.
    """
    key = name.strip()
    for canonical in PARAMETERS:
        if key.lower() == canonical.lower():
            return canonical
    if key.lower() in _ALIASES:
        return _ALIASES[key.lower()]
    for prefix, reason in _NOT_REWEIGHTABLE.items():
        if key.lower().startswith(prefix):
            raise ReweightError(f"parameter {name!r} cannot be reweighted: {reason}")
    raise ReweightError(
        f"unknown parameter {name!r}; reweightable parameters are {', '.join(PARAMETERS)}"
    )


def validate_point(point: Mapping[str, float]) -> dict[str, float]:
    """Canonical names, finite values inside Pythia's allowed ranges."""
    out: dict[str, float] = {}
    for name, value in point.items():
        canonical = canonical_name(name)
        value = float(value)
        lo, hi = PARAMETERS[canonical]
        if not lo <= value <= hi or value != value:
            raise ReweightError(f"{canonical} = {value} is outside Pythia's allowed range [{lo}, {hi}]")
        out[canonical] = value
    return out


def parse_point(text: str) -> dict[str, float]:
    """``"StringZ:aLund=0.6,StringZ:bLund=1.1"`` -> ``{"StringZ:aLund": 0.6, ...}``."""
    point: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        if "=" not in item:
            raise ReweightError(f"cannot read {item!r} in {text!r}: expected Name=value, e.g. StringZ:aLund=0.6")
        name, value = item.split("=", 1)
        try:
            point[name.strip()] = float(value)
        except ValueError:
            raise ReweightError(f"cannot read the value of {name.strip()!r} in {text!r}: {value!r}") from None
    if not point:
        raise ReweightError(f"empty parameter point {text!r}")
    return validate_point(point)


def ordered(names: Iterable[str]) -> list[str]:
    """Canonical names in the fixed order of PARAMETERS (for vectors of theta)."""
    wanted = {canonical_name(n) for n in names}
    return [n for n in PARAMETERS if n in wanted]
