"""The parameter space of a tune: free parameters with their limits and start, fixed ones.

The minimisers work in unit coordinates ``u = (theta - low) / (high - low)`` in
``[0, 1]^d``, so that parameters of different scales are equally conditioned; everything
reported is in the parameters' own units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mlhad.exceptions import TuneError

from ..professor_files import Limits, setting_name

__all__ = ["ParameterSpace", "build_space", "DEFAULT_RANGES", "MONASH"]

#: Default tuning ranges of the reweightable parameters (when no limits file gives one):
#: wide around Monash, inside Pythia's allowed ranges. A surrogate is fitted in this box.
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "StringZ:aLund": (0.2, 1.2),
    "StringZ:bLund": (0.5, 1.6),
    "StringPT:sigma": (0.25, 0.45),
    "StringZ:rFactC": (0.5, 2.0),
    "StringZ:rFactB": (0.4, 1.5),
}

#: The Monash 2013 values (Pythia 8 default, Skands, Carrazza, Rojo, EPJC 74 (2014) 3024).
MONASH: dict[str, float] = {
    "StringZ:aLund": 0.68,
    "StringZ:bLund": 0.98,
    "StringPT:sigma": 0.335,
    "StringZ:rFactC": 1.32,
    "StringZ:rFactB": 0.855,
}


@dataclass(frozen=True)
class ParameterSpace:
    """Free parameters (names, limits, start) and fixed ones.

    Attributes:
        names: free parameters, canonical Pythia names, in the user's order.
        lower, upper: ``(d,)`` limits.
        start: ``(d,)`` starting point (inside the limits).
        fixed: ``{name: value}`` parameters held fixed (passed to every generator run).
        sources: ``{name: where the limits came from}`` for messages.
    """

    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    start: np.ndarray
    fixed: Mapping[str, float] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("lower", "upper", "start"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            if arr.shape != (len(self.names),):
                raise TuneError(f"{name} must have one value per parameter {list(self.names)}, got {arr.shape}")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def width(self) -> np.ndarray:
        return self.upper - self.lower

    def to_unit(self, theta: np.ndarray) -> np.ndarray:
        """``(d,)`` parameters -> unit coordinates."""
        return (np.asarray(theta, dtype=np.float64) - self.lower) / self.width

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """``(d,)`` unit coordinates -> parameters."""
        return self.lower + np.asarray(u, dtype=np.float64) * self.width

    def point(self, theta: Sequence[float] | np.ndarray) -> dict[str, float]:
        """``{name: value}`` of the free parameters at ``theta``, then the fixed ones."""
        values = np.asarray(theta, dtype=np.float64)
        if values.shape != (self.dim,):
            raise TuneError(f"expected {self.dim} values for {list(self.names)}, got shape {values.shape}")
        out = {n: float(v) for n, v in zip(self.names, values)}
        out.update({k: float(v) for k, v in self.fixed.items()})
        return out

    def inside(self, theta: np.ndarray) -> bool:
        t = np.asarray(theta, dtype=np.float64)
        return bool(np.all(t >= self.lower) and np.all(t <= self.upper))

    def clip(self, theta: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(theta, dtype=np.float64), self.lower, self.upper)

    def settings(self, theta: Sequence[float] | np.ndarray) -> tuple[str, ...]:
        """Pythia settings ``"Name = value"`` for a generator run at ``theta`` (fixed ones included)."""
        return tuple(f"{k} = {v!r}" for k, v in self.point(theta).items())

    def to_dict(self) -> dict[str, object]:
        return {"names": list(self.names), "lower": self.lower.tolist(), "upper": self.upper.tolist(),
                "start": self.start.tolist(), "fixed": dict(self.fixed), "sources": dict(self.sources)}


def build_space(
    params: Sequence[str],
    *,
    limits: Limits | None = None,
    start: Mapping[str, float] | None = None,
    default_ranges: Mapping[str, tuple[float, float]] | None = None,
) -> ParameterSpace:
    """Assemble and check the parameter space of a tune.

    Args:
        params: the free parameters (aliases allowed: ``aLund``, ``sigma``, ...).
        limits: a limits file; its ranges apply to the free parameters it names, its
            fixed values become fixed parameters. A parameter both in ``params`` and fixed
            in the file is an error.
        start: starting values (default: Monash for known parameters, otherwise the
            centre of the range).
        default_ranges: ranges for parameters the limits file does not give (default
            :data:`DEFAULT_RANGES`).

    Raises:
        TuneError: no or repeated parameters, a parameter without any range, or a start
            outside the limits ("limits exclude the start").
    """
    if not params:
        raise TuneError("no parameters to tune; give e.g. --params StringZ:aLund,StringZ:bLund,StringPT:sigma")
    names = [setting_name(p) for p in params]
    if len(set(names)) != len(names):
        raise TuneError(f"a parameter is given twice in {list(params)} (canonical names {names})")
    limits = limits or Limits()
    ranges = dict(DEFAULT_RANGES if default_ranges is None else default_ranges)
    canonical_start = {setting_name(k): float(v) for k, v in (start or {}).items()}
    lower, upper, begin, sources = [], [], [], {}
    for name in names:
        if name in limits.fixed:
            raise TuneError(f"{limits.where(name)}: {name} is fixed at {limits.fixed[name]:g} but also asked to be "
                            "tuned (--params); remove one of the two")
        if name in limits.ranges:
            lo, hi = limits.ranges[name]
            sources[name] = limits.where(name)
        elif name in ranges:
            lo, hi = ranges[name]
            sources[name] = "mlhad default range"
        else:
            raise TuneError(f"no range for {name}: give it in a limits file (--limits), e.g. '{name} LOW HIGH'")
        value = canonical_start.get(name, MONASH.get(name, 0.5 * (lo + hi)))
        if not lo <= value <= hi:
            raise TuneError(
                f"the limits exclude the start: {name} = {value:g} is outside [{lo:g}, {hi:g}] "
                f"({sources[name]}); widen the limits or start inside them"
            )
        lower.append(lo)
        upper.append(hi)
        begin.append(value)
    fixed = {k: v for k, v in limits.fixed.items()}
    return ParameterSpace(names=tuple(names), lower=np.array(lower), upper=np.array(upper), start=np.array(begin),
                          fixed=fixed, sources=sources)
