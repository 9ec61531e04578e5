"""Parameter limits: the box prior of the inference and the search box of the diagnosis.

Two ways to write them, both giving the same :class:`Limits`:

* on the command line, ``"aLund=0.5:0.9,bLund=0.7:1.3,sigma=0.28:0.40"``;
* a Professor-style limits file, one parameter per line: ``NAME LOW HIGH`` (``#``
  starts a comment), as ``prof2-tune --limits`` reads it.

Names may be Pythia's (``StringZ:aLund``) or mlhad's aliases (``aLund``, ``sigma``). A
reweightable parameter's limits must lie inside Pythia's allowed range
(:data:`mlhad.reweight.PARAMETERS`): a prior reaching outside it would ask for points
Pythia itself refuses.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

from mlhad.exceptions import InferenceError, InputFileNotFoundError, ReweightError
from mlhad.reweight import PARAMETERS, canonical_name

__all__ = ["Limits", "parse_limits", "read_limits", "resolve_name"]


def resolve_name(name: str) -> str:
    """Canonical Pythia name of a reweightable parameter, or ``name`` unchanged otherwise.

    Names of parameters mlhad cannot reweight (``StringFlav:probStoUD``...) are kept as
    written: they can still be inferred with fresh Pythia runs.
    """
    try:
        return canonical_name(name)
    except ReweightError:
        return name.strip()


@dataclass(frozen=True)
class Limits:
    """A box in parameter space: ``low[i] <= theta[i] <= high[i]``.

    Attributes:
        names: parameter names (canonical Pythia names for reweightable ones).
        low, high: the bounds, same order as ``names``.

    Raises:
        InferenceError: empty, duplicated or non-finite entries, ``low >= high``, or a
            reweightable parameter's limits outside Pythia's allowed range.
    """

    names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.names:
            raise InferenceError("no parameters given; name at least one, e.g. aLund=0.5:0.9")
        if not len(self.names) == len(self.low) == len(self.high):
            raise InferenceError(f"{len(self.names)} names but {len(self.low)} lower and {len(self.high)} upper limits")
        if len(set(self.names)) != len(self.names):
            dup = sorted({n for n in self.names if self.names.count(n) > 1})
            raise InferenceError(f"parameter(s) {dup} given twice (aliases count: aLund = StringZ:aLund)")
        problems = []
        for name, lo, hi in zip(self.names, self.low, self.high):
            if not (math.isfinite(lo) and math.isfinite(hi)):
                problems.append(f"{name}: limits must be finite, got [{lo}, {hi}]")
            elif lo >= hi:
                problems.append(f"{name}: lower limit {lo} must be below the upper limit {hi}")
            elif name in PARAMETERS:
                plo, phi = PARAMETERS[name]
                if lo < plo or hi > phi:
                    problems.append(f"{name}: limits [{lo}, {hi}] reach outside Pythia's allowed range "
                                    f"[{plo}, {phi}]; clip them to it")
        if problems:
            raise InferenceError("bad parameter limits: " + "; ".join(problems))

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, limits: Mapping[str, tuple[float, float]]) -> Limits:
        """``{"aLund": (0.5, 0.9), ...}`` -> Limits (canonical names, order kept)."""
        names = tuple(resolve_name(n) for n in limits)
        return cls(names, tuple(float(v[0]) for v in limits.values()), tuple(float(v[1]) for v in limits.values()))

    # -- views ------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def lower(self) -> np.ndarray:
        return np.asarray(self.low, dtype=np.float64)

    @property
    def upper(self) -> np.ndarray:
        return np.asarray(self.high, dtype=np.float64)

    @property
    def centre(self) -> np.ndarray:
        return 0.5 * (self.lower + self.upper)

    @property
    def width(self) -> np.ndarray:
        return self.upper - self.lower

    @property
    def reweightable(self) -> bool:
        """True if every parameter can be reweighted (see :data:`mlhad.reweight.PARAMETERS`)."""
        return all(n in PARAMETERS for n in self.names)

    @property
    def short_names(self) -> list[str]:
        """``aLund``, ``sigma``... for labels."""
        return [n.split(":")[-1] for n in self.names]

    def contains(self, theta: np.ndarray) -> np.ndarray:
        """``(K,)`` True where the rows of ``theta`` ``(K, d)`` lie inside the box."""
        t = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        return np.all((t >= self.lower) & (t <= self.upper), axis=1)

    def corners(self) -> np.ndarray:
        """``(2**d, d)`` vertices of the box."""
        return np.array(list(product(*zip(self.low, self.high))), dtype=np.float64)

    def shrink_towards(self, point: np.ndarray, factor: float) -> Limits:
        """The box scaled by ``factor`` (0-1] towards ``point`` (kept inside the box)."""
        p = np.clip(np.asarray(point, dtype=np.float64), self.lower, self.upper)
        lo = p + factor * (self.lower - p)
        hi = p + factor * (self.upper - p)
        return Limits(self.names, tuple(lo.tolist()), tuple(hi.tolist()))

    def reorder(self, names: Sequence[str]) -> Limits:
        """The same box with the parameters in the order of ``names`` (the same set)."""
        wanted = [resolve_name(n) for n in names]
        if sorted(wanted) != sorted(self.names):
            raise InferenceError(f"cannot reorder limits of {list(self.names)} as {wanted}: not the same parameters")
        index = [self.names.index(n) for n in wanted]
        return Limits(tuple(wanted), tuple(self.low[i] for i in index), tuple(self.high[i] for i in index))

    def prior(self):
        """``sbi.utils.BoxUniform`` over the box (float32, as sbi's networks)."""
        import torch
        from sbi.utils import BoxUniform

        return BoxUniform(torch.as_tensor(self.lower, dtype=torch.float32),
                          torch.as_tensor(self.upper, dtype=torch.float32))

    def as_text(self) -> str:
        """``aLund=0.5:0.9,...`` (round-trips through :func:`parse_limits`)."""
        return ",".join(f"{n}={lo!r}:{hi!r}" for n, lo, hi in zip(self.names, self.low, self.high))

    def __iter__(self) -> Iterator[tuple[str, float, float]]:
        return iter(zip(self.names, self.low, self.high))

    def to_dict(self) -> dict[str, list[float]]:
        return {n: [lo, hi] for n, lo, hi in self}


def parse_limits(text: str) -> Limits:
    """``"aLund=0.5:0.9,bLund=0.7:1.3"`` -> :class:`Limits`.

    Raises:
        InferenceError: an item that is not ``NAME=LOW:HIGH``.
    """
    out: dict[str, tuple[float, float]] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, eq, rng = item.partition("=")
        lo_text, colon, hi_text = rng.partition(":")
        if not eq or not colon:
            raise InferenceError(f"cannot read {item!r} in {text!r}: expected NAME=LOW:HIGH, e.g. aLund=0.5:0.9")
        try:
            lo, hi = float(lo_text), float(hi_text)
        except ValueError:
            raise InferenceError(f"cannot read the limits of {name.strip()!r} in {text!r}: {rng!r} "
                                 "is not LOW:HIGH with two numbers") from None
        if name.strip() in out:
            raise InferenceError(f"{name.strip()} given twice in {text!r}")
        out[name.strip()] = (lo, hi)
    if not out:
        raise InferenceError(f"no parameter limits in {text!r}; write e.g. aLund=0.5:0.9,bLund=0.7:1.3")
    return Limits.from_mapping(out)


def read_limits(path: str | os.PathLike[str]) -> Limits:
    """Read a Professor-style limits file (``NAME LOW HIGH`` per line, ``#`` comments).

    Raises:
        InputFileNotFoundError: no such file.
        InferenceError: a malformed line (file and line number named).
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"limits file {p} does not exist (working directory {Path.cwd()})")
    out: dict[str, tuple[float, float]] = {}
    for number, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        try:
            if len(parts) != 3:
                raise ValueError
            out[parts[0]] = (float(parts[1]), float(parts[2]))
        except ValueError:
            raise InferenceError(f"{p}, line {number}: expected 'NAME LOW HIGH', got {raw.strip()!r}") from None
    if not out:
        raise InferenceError(f"{p} holds no limits; write one 'NAME LOW HIGH' line per parameter")
    return Limits.from_mapping(out)
