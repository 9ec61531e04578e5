"""Professor-style weight files: which histograms and bins enter the chi2, with which weight.

One rule per line, ``PATH[#i | #i:j | @x | @x1:x2]  WEIGHT``::

    /ALEPH_1996_S3486095/d01-x01-y01        1     # every point of this histogram
    /ALEPH_1996_S3486095/d09-x01-y01#0:10   2     # points 0..9 (0-based, end excluded)
    /ALEPH_1996_S3486095/d09-x01-y01#12     0     # point 12 only
    /ALEPH_1996_S3486095/d17-x01-y01@3.0    5     # the point whose bin contains x = 3.0
    /ALEPH_1996_S3486095/d03-x01-y01@0:0.1  3     # points whose bin overlaps [0, 0.1]
    /DELPHI_1996_S3430090/d3[5-9]           1     # PATH is a regular expression

Rules as in Professor 2 (``professor2.weights.PointMatcher`` and ``prof2-tune``):

* ``PATH`` is a regular expression matched at the start of the MC path (no ``/REF``);
* ``#i:j`` selects points ``i <= n < j``; an empty bound is open; ``@x`` selects the
  point with ``low <= x < high``; ``@x1:x2`` the points with ``high > x1`` and ``low <= x2``;
* when a weight file is given, histograms matched by no rule are left out of the chi2,
  and within a matched histogram each point takes the weight of the **last** rule
  matching it (0 if no rule's range covers it);
* lines starting with ``#`` and text after `` #`` (space, hash) are comments.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlhad.exceptions import ConfigError, InputFileNotFoundError

__all__ = ["WeightRule", "WeightFile", "read_weights", "parse_weights", "parse_number"]

_RANGE = re.compile(r"^(?P<path>[^#@]+?)(?P<kind>[#@])(?P<spec>[-+0-9.eE:]*)$")


@dataclass(frozen=True)
class WeightRule:
    """One line of a weight file.

    Attributes:
        pattern: the path regular expression as written.
        kind: ``""`` (whole histogram), ``"#"`` (point indices) or ``"@"`` (x values).
        low, high: range bounds (``-inf``/``inf`` when open); for a single ``#i`` or
            ``@x``, ``high`` is None.
        weight: the weight (>= 0).
        line: line number in the file (1-based).
    """

    pattern: str
    kind: str
    low: float
    high: float | None
    weight: float
    line: int

    def matches_path(self, path: str) -> bool:
        return re.match(self.pattern, path) is not None

    def covers(self, index: np.ndarray, xlow: np.ndarray, xhigh: np.ndarray) -> np.ndarray:
        """``(n,)`` mask of the points this rule's range selects."""
        if self.kind == "":
            return np.ones(index.shape, dtype=bool)
        if self.kind == "#":
            if self.high is None:
                return index == int(self.low)
            return (index >= self.low) & (index < self.high)
        if self.high is None:
            return (xlow <= self.low) & (self.low < xhigh)
        return (xhigh > self.low) & (xlow <= self.high)


@dataclass(frozen=True)
class WeightFile:
    """Parsed weight rules, in file order.

    Attributes:
        rules: the rules.
        source: file name (for messages).
    """

    rules: tuple[WeightRule, ...]
    source: str = "<weights>"

    def point_weights(self, mc_path: str, xlow: np.ndarray, xhigh: np.ndarray) -> np.ndarray | None:
        """``(n,)`` weight of each point of histogram ``mc_path``, or None if no rule names it.

        Args:
            mc_path: MC path (``/ANALYSIS/dNN-xNN-yNN``, no ``/REF``).
            xlow, xhigh: ``(n,)`` bin edges of the reference points.
        """
        matching = [r for r in self.rules if r.matches_path(mc_path)]
        if not matching:
            return None
        index = np.arange(len(xlow))
        out = np.zeros(len(xlow))
        for rule in matching:  # the last matching rule wins, as in Professor
            out[rule.covers(index, np.asarray(xlow), np.asarray(xhigh))] = rule.weight
        return out

    def unused(self, mc_paths: list[str]) -> list[WeightRule]:
        """Rules that match none of the given histogram paths (probably typos)."""
        return [r for r in self.rules if not any(r.matches_path(p) for p in mc_paths)]


def parse_number(text: str, what: str, where: str, error: type[Exception] = ConfigError) -> float:
    """``float(text)``, finite, or ``error`` naming ``where`` (file, line) and ``what`` it is."""
    try:
        value = float(text)
    except ValueError:
        raise error(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise error(f"{where}: {what} must be finite, got {text!r}")
    return value


def _rule(spec: str, weight_text: str, where: str, line: int) -> WeightRule:
    weight = parse_number(weight_text, "weight", where)
    if weight < 0:
        raise ConfigError(f"{where}: weight must be >= 0, got {weight_text}")
    m = _RANGE.match(spec)
    if m is None:
        if "#" in spec or "@" in spec:
            cut = min(i for i in (spec.find("#"), spec.find("@")) if i >= 0)
            raise ConfigError(f"{where}: cannot read the bin range {spec[cut:]!r}; write #i, #i:j, @x or @x1:x2 "
                              "with numbers")
        pattern, kind, low, high = spec, "", -math.inf, None
    else:
        pattern, kind, text = m.group("path"), m.group("kind"), m.group("spec")
        if not text:
            raise ConfigError(f"{where}: empty range after {kind!r} in {spec!r}; write e.g. {kind}0:10")
        if ":" in text:
            a, b = text.split(":", 1)
            low = parse_number(a, "range start", where) if a else -math.inf
            high: float | None = parse_number(b, "range end", where) if b else math.inf
        else:
            low, high = parse_number(text, "position", where), None
        if kind == "#" and any(v is not None and math.isfinite(v) and v != int(v) for v in (low, high)):
            raise ConfigError(f"{where}: point indices after '#' must be integers, got {text!r}")
    try:
        re.compile(pattern)
    except re.error as err:
        raise ConfigError(f"{where}: {pattern!r} is not a valid regular expression ({err})") from None
    if not pattern.startswith("/"):
        raise ConfigError(f"{where}: histogram paths start with '/', e.g. /ALEPH_1996_S3486095/d01-x01-y01; got {pattern!r}")
    return WeightRule(pattern=pattern, kind=kind, low=low, high=high, weight=weight, line=line)


def parse_weights(text: str, source: str = "<weights>") -> WeightFile:
    """Parse weight-file text (see the module docstring).

    Raises:
        ConfigError: a line that is not ``PATH[range] WEIGHT`` (names the file and line).
    """
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if " #" in line:  # a comment after the rule ('#' right after a path is a range)
            line = line[: line.index(" #")]
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        where = f"{source}, line {number}"
        if len(parts) != 2:
            raise ConfigError(
                f"{where}: expected 'PATH[#i|#i:j|@x|@x1:x2] WEIGHT', got {raw.strip()!r}"
            )
        rules.append(_rule(parts[0], parts[1], where, number))
    return WeightFile(rules=tuple(rules), source=source)


def read_weights(path: str | os.PathLike[str]) -> WeightFile:
    """Read a Professor-style weight file.

    Raises:
        InputFileNotFoundError: no such file.
        ConfigError: a malformed line.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"weight file {p} does not exist (working directory {Path.cwd()})")
    return parse_weights(p.read_text(encoding="utf-8"), source=str(p))
