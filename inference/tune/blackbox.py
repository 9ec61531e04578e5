"""The black-box baseline: optuna proposes points, a fresh generator run scores each one.

Every trial generates ``n_events`` at the proposed parameters (seed ``seed + trial``) and
returns the chi2 of its predictions -- the most expensive and most general approach
(any Pythia setting can be tuned), with nothing shared between trials. The first trial
is the start point. Optuna's TPE sampler (seeded) is the default, CMA-ES the alternative.

Optuna gives no uncertainty; the covariance reported is ``2 H^-1`` of a quadratic fitted
by least squares to the chi2 of the trials nearest the best one
(:func:`~mlhad.inference.tune.errors.quadratic_fit`), flagged as such. The MC noise of the
trials' chi2 makes it rough.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import OptionalDependencyError, TuneError

from ..objective import FitTarget
from .errors import covariance_from_hessian, quadratic_fit
from .result import RunPoint, TuneResult
from .simulator import SimulationRun, Simulator, run_chi2
from .space import ParameterSpace

__all__ = ["OptunaSettings", "fit_optuna"]


@dataclass(frozen=True)
class OptunaSettings:
    """Settings of the optuna method.

    Attributes:
        n_trials: generator runs (trials).
        n_events: events per trial.
        seed: sampler seed; trial ``i`` generates with seed ``seed + i``.
        sampler: ``"tpe"`` or ``"cmaes"``.
    """

    n_trials: int = 60
    n_events: int = 50_000
    seed: int = 1
    sampler: str = "tpe"

    def __post_init__(self) -> None:
        if self.n_trials < 1:
            raise TuneError(f"n_trials must be positive, got {self.n_trials!r}")
        if self.sampler not in ("tpe", "cmaes"):
            raise TuneError(f"sampler must be 'tpe' or 'cmaes', got {self.sampler!r}")


def _optuna():
    try:
        import optuna
    except ImportError as err:  # pragma: no cover - optuna is a dependency
        raise OptionalDependencyError("--method optuna needs the optional package 'optuna'; install it with "
                                      "`pip install optuna`") from err
    return optuna


def fit_optuna(
    simulator: Simulator,
    target: FitTarget,
    space: ParameterSpace,
    settings: OptunaSettings,
    *,
    log: Callable[[str], None] = print,
) -> TuneResult:
    """Black-box tune (see the module docstring)."""
    optuna = _optuna()
    t0 = time.perf_counter()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.TPESampler(seed=settings.seed) if settings.sampler == "tpe"
               else optuna.samplers.CmaEsSampler(seed=settings.seed, x0=dict(zip(space.names, space.start.tolist()))))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial(dict(zip(space.names, space.start.tolist())))
    keep: dict[str, SimulationRun | float | None] = {"start": None, "best": None, "best_chi2": np.inf}
    records: list[dict] = []

    def objective(trial) -> float:
        theta = np.array([trial.suggest_float(n, lo, hi) for n, lo, hi in zip(space.names, space.lower, space.upper)])
        run = simulator.run(space.point(theta), settings.n_events, settings.seed + trial.number,
                            label=f"trial-{trial.number:04d}", histories=False)
        value = run_chi2(run, target)
        records.append({"run": run.to_dict(), "theta": theta.tolist(), "chi2_run": value})
        if trial.number == 0:
            keep["start"] = run
        if value < keep["best_chi2"]:  # type: ignore[operator]
            keep["best"], keep["best_chi2"] = run, value
        log(f"[trial {trial.number + 1}/{settings.n_trials}] {np.round(theta, 4).tolist()}: chi2 = {value:.1f}")
        return value

    study.optimize(objective, n_trials=settings.n_trials)
    points = np.array([r["theta"] for r in records])
    values = np.array([r["chi2_run"] for r in records])
    best_i = int(np.argmin(values))
    theta = points[best_i]
    warnings: list[str] = []
    cov = hess = None
    n_quad = 1 + space.dim + space.dim * (space.dim + 1) // 2
    near = np.argsort(np.linalg.norm((points - theta) / space.width, axis=1))[: max(3 * n_quad, len(points) // 3)]
    if len(points) >= 2 * n_quad:
        _, hess, _ = quadratic_fit(points[near], values[near])
        cov, w = covariance_from_hessian(hess)
        warnings += w
        warnings.append(f"optuna's covariance comes from a quadratic fitted to the chi2 of the {len(near)} trials "
                        "nearest the best one (noisy: each trial is an independent run)")
    else:
        warnings.append(f"too few trials ({len(points)}) for a quadratic fit of the chi2 surface "
                        f"(needs {2 * n_quad}); no covariance")
    best_run = keep["best"]
    start_run = keep["start"]
    return TuneResult(
        method="optuna", names=space.names, start=np.array(space.start), best=theta, covariance=cov, hessian=hess,
        chi2_start=float(values[0]), chi2=float(values[best_i]), n_points=target.n_points, converged=True,
        n_events=int(sum(r["run"]["n_events"] for r in records)), n_runs=len(records),
        seconds=time.perf_counter() - t0, steps=records, warnings=warnings, fixed=dict(space.fixed),
        extra={"sampler": settings.sampler, "settings": settings.__dict__, "best_trial": best_i},
        start_point=RunPoint(start_run, np.array(space.start)) if isinstance(start_run, SimulationRun) else None,
        best_point=RunPoint(best_run, theta) if isinstance(best_run, SimulationRun) else None,
    )
