"""Professor / Apprentice text files: parameter limits (here) and bin weights (re-exported).

**Limits file** (``prof2-tune --limits``, Professor 2's ``read_limitsandfixed``)::

    # name            low     high       -> the parameter is free within [low, high]
    StringZ:aLund     0.3     1.0
    StringZ:bLund     0.5     1.5
    # name            value              -> the parameter is fixed at that value
    StringZ:rFactC    1.32

Blank lines and lines starting with ``#`` are ignored, as is text after a ``#``.
Names are Pythia setting names; mlhad's aliases of the reweightable ones (``aLund``,
``bLund``, ``sigma``, ``rFactC``, ``rFactB``, ``frag:aLund``, ...) are mapped to the
canonical names, anything else is kept as written (an optuna or surrogate tune may vary
any Pythia setting). Unlike Professor, which silently ignores lines with another number
of columns, mlhad rejects them with the file and line.

**Weight file** (``prof2-tune --wfile``): ``PATH[#i | #i:j | @x | @x1:x2]  WEIGHT``, parsed
by :mod:`mlhad.compare.weights` (re-exported here so a fit needs one import).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlhad.compare.weights import WeightFile, WeightRule, parse_number, parse_weights, read_weights
from mlhad.exceptions import InputFileNotFoundError, ReweightError, TuneError
from mlhad.reweight.parameters import canonical_name

__all__ = [
    "Limits",
    "parse_limits",
    "read_limits",
    "format_limits",
    "setting_name",
    "WeightFile",
    "WeightRule",
    "parse_weights",
    "read_weights",
]


def setting_name(name: str) -> str:
    """Canonical Pythia name of a tunable parameter (aliases of reweightable ones resolved).

    Example:
        >>> setting_name("aLund"), setting_name("StringFlav:probStoUD")
        ('StringZ:aLund', 'StringFlav:probStoUD')
    """
    text = name.strip()
    try:
        return canonical_name(text)
    except ReweightError:
        if ":" not in text:
            raise TuneError(
                f"unknown parameter {name!r}: give a Pythia setting name (Group:key, e.g. StringZ:aLund) or one "
                "of the aliases aLund, bLund, sigma, rFactC, rFactB"
            ) from None
        return text


@dataclass(frozen=True)
class Limits:
    """Parsed limits file.

    Attributes:
        ranges: ``{name: (low, high)}`` of free parameters (canonical names).
        fixed: ``{name: value}`` of fixed parameters.
        source: file name, for messages.
        lines: ``{name: line number}`` where each was given.
    """

    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    fixed: Mapping[str, float] = field(default_factory=dict)
    source: str = "<limits>"
    lines: Mapping[str, int] = field(default_factory=dict)

    def where(self, name: str) -> str:
        """``"file, line N"`` of a parameter, for messages."""
        line = self.lines.get(name)
        return f"{self.source}, line {line}" if line is not None else self.source


def _number(text: str, what: str, where: str) -> float:
    return parse_number(text, what, where, error=TuneError)


def parse_limits(text: str, source: str = "<limits>") -> Limits:
    """Parse limits-file text (see the module docstring).

    Raises:
        TuneError: a line with neither 2 nor 3 columns, a value that is not a finite
            number, ``low >= high``, a parameter given twice, or an unknown alias;
            the message names the file and the line.
    """
    ranges: dict[str, tuple[float, float]] = {}
    fixed: dict[str, float] = {}
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}, line {number}"
        parts = line.split()
        if len(parts) not in (2, 3):
            raise TuneError(f"{where}: expected 'NAME LOW HIGH' (a range) or 'NAME VALUE' (fixed), got {raw.strip()!r}")
        try:
            name = setting_name(parts[0])
        except TuneError as err:
            raise TuneError(f"{where}: {err}") from None
        if name in lines:
            raise TuneError(f"{where}: {name} is already given on line {lines[name]}; give each parameter once")
        lines[name] = number
        if len(parts) == 2:
            fixed[name] = _number(parts[1], "value", where)
            continue
        low, high = _number(parts[1], "low limit", where), _number(parts[2], "high limit", where)
        if not low < high:
            raise TuneError(f"{where}: the low limit must be below the high one, got {name} {low:g} {high:g}")
        ranges[name] = (low, high)
    return Limits(ranges=ranges, fixed=fixed, source=source, lines=lines)


def read_limits(path: str | os.PathLike[str]) -> Limits:
    """Read a limits file.

    Raises:
        InputFileNotFoundError: no such file.
        TuneError: a malformed line (see :func:`parse_limits`).
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"limits file {p} does not exist (working directory {Path.cwd()})")
    return parse_limits(p.read_text(encoding="utf-8"), source=str(p))


def format_limits(limits: Limits) -> str:
    """Limits as file text (round-trips through :func:`parse_limits`)."""
    out = ["# name  low  high   (free)   |   name  value   (fixed)"]
    out += [f"{name}  {lo!r}  {hi!r}" for name, (lo, hi) in limits.ranges.items()]
    out += [f"{name}  {value!r}" for name, value in limits.fixed.items()]
    return "\n".join(out) + "\n"
