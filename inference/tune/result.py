"""What every tuning method returns: best fit, covariance, history, cost -- one format for all.

:class:`TuneResult` is method-independent, so the gradient, optuna and surrogate tunes
are reported, compared and benchmarked the same way. ``to_dict()`` is what goes into
``tune.json``; the runs it points to (``start`` and ``best`` predictions) are kept in
memory for the report's tables and plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import Scan, correlation, scaled_errors
from .simulator import SimulationRun

__all__ = ["RunPoint", "TuneResult"]


@dataclass(eq=False)
class RunPoint:
    """Predictions at a parameter point: a run and the event weights that move it there (None: 1).

    ``base_errors``: report the run's unit-weight MC errors with the reweighted values (the
    gradient method's chi2 convention, :mod:`mlhad.inference.tune.reweighted`).
    """

    run: SimulationRun
    theta: np.ndarray
    weights: np.ndarray | None = None
    how: str = "direct"
    base_errors: bool = False


@dataclass(eq=False)
class TuneResult:
    """A finished tune.

    Attributes:
        method: ``gradient``, ``optuna`` or ``surrogate``.
        names: free parameters (canonical), order of every vector below.
        start, best: ``(d,)`` start and best-fit points.
        covariance: ``(d, d)`` ``2 H^-1`` at the best fit (None if unavailable).
        hessian: ``(d, d)`` chi2 Hessian at the best fit (None if unavailable).
        chi2_start, chi2: the objective at the start and at the best fit (fitted points).
        n_points: fitted data points; ``ndf = n_points - d``.
        converged: the method's own convergence criterion was met.
        n_events: Pythia (or toy) events generated, every run of the tune included.
        n_runs: generator runs made.
        seconds: wall time of the whole tune.
        steps: per run/iteration records (dicts, JSON-ready).
        scans: 1D chi2 scans at the best fit.
        warnings: messages for the user.
        fixed: fixed parameters.
        extra: method-specific details (JSON-ready).
        start_point, best_point: predictions at start and best fit (for reports).
    """

    method: str
    names: tuple[str, ...]
    start: np.ndarray
    best: np.ndarray
    covariance: np.ndarray | None
    hessian: np.ndarray | None
    chi2_start: float
    chi2: float
    n_points: int
    converged: bool
    n_events: int
    n_runs: int
    seconds: float
    steps: list[dict[str, Any]] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fixed: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    start_point: RunPoint | None = None
    best_point: RunPoint | None = None

    @property
    def ndf(self) -> int:
        return self.n_points - len(self.names)

    @property
    def unequal_statistics(self) -> bool:
        """Do the start's and the best fit's predictions come from runs of different sizes? (Their chi2 then
        have different MC errors in the denominators and are not comparable.)"""
        start, best = self.start_point, self.best_point
        return start is not None and best is not None and start.run.n_events != best.run.n_events

    @property
    def errors(self) -> np.ndarray:
        """``(d,)`` ``sqrt(diag(cov))`` (NaN if unknown)."""
        if self.covariance is None:
            return np.full(len(self.names), np.nan)
        return np.sqrt(np.diag(self.covariance))

    @property
    def error_source(self) -> str:
        """What :attr:`errors` are: ``"2 H^-1"``, ``"Gauss-Newton 2 (J^T W J)^-1"`` where the chi2's
        Hessian was not positive definite at the best fit, or the refinement's data sandwich plus MC
        scatter (gradient method, ``extra["covariance_source"]``)."""
        source = self.extra.get("covariance_source")
        if source == "refinement":
            return "data sandwich + MC scatter of independent bases' minima"
        return "Gauss-Newton 2 (J^T W J)^-1" if source == "gauss-newton" else "2 H^-1"

    @property
    def correlation(self) -> np.ndarray | None:
        return None if self.covariance is None else correlation(self.covariance)

    @property
    def scaled_errors(self) -> np.ndarray:
        """Errors times ``sqrt(max(1, chi2/ndf))`` (PDG scale factor)."""
        if self.covariance is None:
            return np.full(len(self.names), np.nan)
        return scaled_errors(self.covariance, self.chi2, self.ndf)

    def values(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, self.best)}

    def error_dict(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, self.errors)}

    def to_dict(self) -> dict[str, Any]:
        def mat(a: np.ndarray | None) -> list[list[float]] | None:
            return None if a is None else np.asarray(a, dtype=np.float64).tolist()

        return {
            "method": self.method,
            "parameters": list(self.names),
            "start": dict(zip(self.names, self.start.tolist())),
            "best": self.values(),
            "errors": self.error_dict(),
            "errors_scaled_by_sqrt_chi2_ndf": dict(zip(self.names, self.scaled_errors.tolist())),
            "covariance": mat(self.covariance),
            "correlation": mat(self.correlation),
            "hessian": mat(self.hessian),
            "chi2_start": self.chi2_start,
            "chi2": self.chi2,
            "n_points": self.n_points,
            "ndf": self.ndf,
            "chi2_ndf": self.chi2 / self.ndf if self.ndf > 0 else None,
            "converged": self.converged,
            "n_events_generated": self.n_events,
            "n_runs": self.n_runs,
            "seconds": round(self.seconds, 2),
            "fixed": dict(self.fixed),
            "steps": self.steps,
            "scans": [s.to_dict() for s in self.scans],
            "warnings": list(self.warnings),
            "extra": self.extra,
        }

    def summary(self) -> str:
        """A few readable lines: values +- errors, chi2/ndf before and after, cost."""
        lines = [f"{self.method} tune: chi2/ndf {self.chi2_start:.1f}/{self.ndf} = {self.chi2_start / max(self.ndf, 1):.2f}"
                 f" (start) -> {self.chi2:.1f}/{self.ndf} = {self.chi2 / max(self.ndf, 1):.2f} (best fit)"
                 f"{'' if self.converged else '  [NOT CONVERGED]'}"]
        width = max(len(n) for n in self.names)
        for n, s, b, e in zip(self.names, self.start, self.best, self.errors):
            lines.append(f"  {n:<{width}}  {s:.4f} -> {b:.4f} +- {e:.4f}")
        lines.append(f"  {self.n_events} events generated in {self.n_runs} run(s), {self.seconds:.0f} s")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)
