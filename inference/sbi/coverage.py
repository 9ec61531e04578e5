"""The n_eff guard: which parameter points a base sample can reach by reweighting.

Reweighting is exact, but the variance of the weights grows with the distance from the
base point; far away, a handful of events carry the prediction and its MC error estimate
is itself unreliable. A point is *covered* if its weights pass the same three tests as
:func:`mlhad.reweight.diagnostics.check_coverage` (same default thresholds):

* ``n_eff / N = (sum w)^2 / (N sum w^2) >= min_n_eff``;
* the largest weight carries at most ``max_share`` of ``sum w`` (default
  ``max(1 %, 20 / N)``: twenty times the average share in small samples);
* the mean weight is 1 within ``max_pull`` standard errors.

Here they are evaluated for many points at once (rows of a weight matrix).
:meth:`~mlhad.inference.sbi.reweighting.ReweightingSimulator.check_limits` applies them
to the corners of a prior box -- the points farthest from the base, where coverage fails
first -- and :meth:`~mlhad.inference.sbi.reweighting.ReweightingSimulator.suggest_limits`
proposes the largest box of the same shape, shrunk towards the base point, that the
sample covers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mlhad.exceptions import InferenceError

__all__ = ["CoverageThresholds", "WeightHealth", "weight_health", "covered_mask"]


@dataclass(frozen=True)
class CoverageThresholds:
    """Limits of acceptable weights (defaults as :func:`~mlhad.reweight.diagnostics.check_coverage`)."""

    min_n_eff: float = 0.1
    max_share: float | None = None
    max_pull: float = 4.0

    def __post_init__(self) -> None:
        if not 0.0 < self.min_n_eff <= 1.0:
            raise InferenceError(f"min_n_eff must lie in (0, 1], got {self.min_n_eff!r}")
        if self.max_share is not None and not 0.0 < self.max_share <= 1.0:
            raise InferenceError(f"max_share must lie in (0, 1], got {self.max_share!r}")
        if not self.max_pull > 0.0:
            raise InferenceError(f"max_pull must be positive, got {self.max_pull!r}")

    def share_limit(self, n_events: int) -> float:
        """The largest allowed weight share for a sample of ``n_events``."""
        return self.max_share if self.max_share is not None else max(0.01, 20.0 / max(n_events, 1))

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)


@dataclass(frozen=True)
class WeightHealth:
    """Per-point weight statistics, each ``(K,)``.

    Attributes:
        n_eff_fraction: ``(sum w)^2 / (N sum w^2)``.
        max_share: largest weight over ``sum w``.
        mean_pull: ``(mean w - 1) / (std w / sqrt(N))``.
        finite: all weights finite.
    """

    n_eff_fraction: np.ndarray
    max_share: np.ndarray
    mean_pull: np.ndarray
    finite: np.ndarray


def weight_health(weights: np.ndarray) -> WeightHealth:
    """Statistics of ``(K, N)`` weight rows (one row per parameter point)."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    n = w.shape[1]
    finite = np.all(np.isfinite(w), axis=1)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        s1 = w.sum(axis=1)
        s2 = np.square(w).sum(axis=1)
        n_eff = np.where(s2 > 0, s1 * s1 / (n * s2), 0.0)
        share = np.where(s1 > 0, w.max(axis=1) / s1, 1.0)
        std = w.std(axis=1, ddof=1) if n > 1 else np.full(w.shape[0], np.inf)
        pull = np.where(std > 0, (s1 / n - 1.0) / (std / np.sqrt(n)), 0.0)
    n_eff = np.where(finite, n_eff, 0.0)
    share = np.where(finite, share, 1.0)
    pull = np.where(finite, pull, np.inf)
    return WeightHealth(n_eff, share, pull, finite)


def covered_mask(health: WeightHealth, thresholds: CoverageThresholds, n_events: int) -> np.ndarray:
    """``(K,)`` True where all three coverage tests pass for weights of ``n_events`` events."""
    return (health.finite & (health.n_eff_fraction >= thresholds.min_n_eff)
            & (health.max_share <= thresholds.share_limit(n_events))
            & (np.abs(health.mean_pull) <= thresholds.max_pull))
