"""Refine a fit with independent bases: the mean of K bases' minima, and the MC error from their scatter.

Along the aLund-bLund valley one base's reweighted chi2 puts its minimum where that base's
noise says (at 160k events it scatters by about 4x the statistical limit of 20k data
events; docs/tune.md, "Four more looks at the valley's lean"), and a walk that stops when a
base's gain is within its noise stops on the start's side of the data's minimum. Neither
error of one base (2H^-1, sandwich) contains that.

This stage removes the dependence on one base and on the path. Each round generates K
independent bases at the current estimate theta_j (seeds ``seed + j K + k``), minimises
each base's reweighted chi2 from theta_j inside its trust region (n_eff/N >= ``min_n_eff``),
and moves to the mean of the K minima:

    theta_(j+1) = (1/K) sum_k argmin chi2_k

At the data's minimum the K minima scatter about it, so it is a fixed point; from a point
on one side the minima lie towards it (those beyond the trust region on its boundary, which
shortens the step, hence more than one round). The bases share the data, so the scatter of
the last round's minima is the MC noise alone, and its covariance divided by K is the MC
part of the estimate's covariance. The data part is the sandwich ``A Sigma_data A^T`` with
the derivatives averaged over the K bases (their noise shrinks by K). The two add.

With K bases the MC part is a sample covariance of K - 1 degrees of freedom: pulls built on
it follow a Student t more than a Gaussian when the MC part dominates (K = 4: rms 1.7;
K = 8: 1.2). Choose K >= 8 for errors whose tails matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from mlhad.exceptions import TuneError

from ..objective import FitTarget
from .covariance import sandwich_covariance
from .gradient import minimise_reweighted
from .result import RunPoint, TuneResult
from .reweighted import ReweightedObjective
from .simulator import Simulator
from .space import ParameterSpace

#: ``extra`` entries of a gradient tune computed at the walk's point (moved under ``refinement`` by refined_result).
SANDWICH_KEYS = ("covariance_sandwich_uncorrelated_data", "covariance_sandwich_mc_correlations",
                 "covariance_sandwich_noise_corrected", "curvature_kept")
VALIDATION_KEYS = ("chi2_validation_run", "chi2_reweighted_at_best", "validation_run")

__all__ = ["Refinement", "refine_with_independent_bases", "refined_result"]


@dataclass(frozen=True)
class Refinement:
    """The result of :func:`refine_with_independent_bases`.

    Attributes:
        theta: ``(d,)`` the mean of the last round's minima: the refined estimate.
        covariance: ``(d, d)`` ``covariance_data + covariance_mc``.
        covariance_data: ``(d, d)`` the data's part (sandwich with the bases' mean derivatives).
        covariance_mc: ``(d, d)`` the MC part: the sample covariance of the last round's minima / K.
        minima: ``(K, d)`` the last round's minima.
        jacobian: ``(n, d)`` the predictions' derivatives at ``theta``, mean over the last round's bases.
        chi2_mc_errors: ``(n,)`` the MC errors of the chi2 at ``theta``, mean over those bases (with
            ``jacobian``: the data part for another data covariance, ``sandwich_covariance``).
        rounds: one record per round (centre, minima, chi2 and n_eff/N at each, boundary hits).
        chi2_bases: ``(K,)`` the fitted points' chi2 at ``theta`` by each of the last round's bases: their
            scatter is the MC noise of one base's chi2 table, their mean a K times less noisy value.
        n_events_generated: events of all the bases this stage generated.
        objectives: the last round's bases' reweighted chi2 (not saved: the report takes the best fit's
            predictions from the first).
        events_per_base: events of each base.
    """

    theta: np.ndarray
    covariance: np.ndarray
    covariance_data: np.ndarray
    covariance_mc: np.ndarray
    minima: np.ndarray
    jacobian: np.ndarray
    chi2_mc_errors: np.ndarray
    chi2_bases: np.ndarray
    rounds: list[dict] = field(default_factory=list)
    n_events_generated: int = 0
    events_per_base: int = 0
    objectives: list[ReweightedObjective] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        """JSON-ready record (``tune.json``'s ``extra["refinement"]``)."""
        return {"estimate": self.theta.tolist(), "errors": self.errors.tolist(),
                "errors_data": self.errors_data.tolist(), "errors_mc": self.errors_mc.tolist(),
                "covariance_data": self.covariance_data.tolist(), "covariance_mc": self.covariance_mc.tolist(),
                "minima": self.minima.tolist(), "chi2_bases": self.chi2_bases.tolist(), "rounds": self.rounds,
                "n_events_generated": self.n_events_generated,
                "events_per_base": self.events_per_base}

    @property
    def errors(self) -> np.ndarray:
        """``(d,)`` the square roots of the covariance's diagonal."""
        return np.sqrt(np.diag(self.covariance))

    @property
    def errors_data(self) -> np.ndarray:
        """``(d,)`` the data part of :attr:`errors`."""
        return np.sqrt(np.diag(self.covariance_data))

    @property
    def errors_mc(self) -> np.ndarray:
        """``(d,)`` the MC part of :attr:`errors`."""
        return np.sqrt(np.diag(self.covariance_mc))


def refine_with_independent_bases(simulator: Simulator, target: FitTarget, space: ParameterSpace, theta: np.ndarray, *,
                                  bases: int, events: int, seed: int, rounds: int = 2, min_n_eff: float = 0.5,
                                  mc_errors: str = "corrected", max_iterations: int = 100,
                                  log: Callable[[str], None] = print) -> Refinement:
    """Move ``theta`` to the mean of ``bases`` independent bases' minima, ``rounds`` times (module docstring).

    Args:
        simulator: the generator; target: the data; space: the free parameters (reweightable).
        theta: ``(d,)`` where the first round's bases are generated (a fit's result).
        bases: K >= 2 bases per round; events: events per base.
        seed: base ``k`` of round ``j`` uses ``seed + j * bases + k``.
        rounds: rounds (each generates ``bases x events`` events).
        min_n_eff: the trust region of each base's minimisation.

    Raises:
        TuneError: fewer than 2 bases, no round, or a start outside the limits.
    """
    if not (isinstance(bases, int) and bases >= 2):
        raise TuneError(f"bases must be an integer >= 2 (the MC error comes from their scatter), got {bases!r}")
    if not (isinstance(rounds, int) and rounds >= 1):
        raise TuneError(f"rounds must be an integer >= 1, got {rounds!r}")
    if not (isinstance(events, int) and events > 0):
        raise TuneError(f"events must be a positive integer, got {events!r}")
    centre = np.asarray(theta, dtype=np.float64)
    if not space.inside(centre):
        raise TuneError(f"the refinement's start {space.point(centre)} lies outside the limits")
    records: list[dict] = []
    for j in range(rounds):
        objectives: list[ReweightedObjective] = []
        found: list[dict] = []
        for k in range(bases):
            run = simulator.run(space.point(centre), events, seed + j * bases + k, label=f"refine-{j}-{k}")
            objective = ReweightedObjective(run, target, space, mc_errors=mc_errors)
            fit = minimise_reweighted(objective, centre, min_n_eff=min_n_eff, max_iterations=max_iterations)
            objectives.append(objective)
            found.append({"theta": fit.theta.tolist(), "chi2": fit.chi2, "chi2_centre": objective(centre),
                          "n_eff": fit.n_eff, "on_boundary": fit.on_boundary})
            log(f"[refine round {j + 1}/{rounds}, base {k + 1}/{bases}, {events} events at "
                f"{np.round(centre, 4).tolist()}] minimum {np.round(fit.theta, 4).tolist()} chi2 "
                f"{found[-1]['chi2_centre']:.2f} -> {fit.chi2:.2f} (n_eff/N {fit.n_eff:.2f}"
                f"{', on the trust-region boundary' if fit.on_boundary else ''})")
        minima = np.array([f["theta"] for f in found])
        new_centre = minima.mean(axis=0)
        records.append({"round": j, "centre": centre.tolist(), "minima": found, "mean": new_centre.tolist(),
                        "boundary_hits": int(sum(f["on_boundary"] for f in found))})
        centre = new_centre
    cov_mc = np.atleast_2d(np.cov(minima, rowvar=False)) / bases
    jac = np.mean([o.jacobian(centre) for o in objectives], axis=0)
    e_fit = np.mean([o.chi2_errors(centre) for o in objectives], axis=0)
    cov_data = sandwich_covariance(jac, target.data_err, e_fit, target.weights, np.diag(target.data_err**2))
    chi2_bases = np.array([o.plain_chi2(centre) for o in objectives])
    refinement = Refinement(theta=centre, covariance=cov_data + cov_mc, covariance_data=cov_data,
                            covariance_mc=cov_mc, minima=minima, jacobian=jac, chi2_mc_errors=e_fit,
                            chi2_bases=chi2_bases, rounds=records, n_events_generated=rounds * bases * events,
                            events_per_base=events, objectives=objectives)
    log(f"[refine] estimate {np.round(centre, 4).tolist()}, errors: data "
        f"{np.round(refinement.errors_data, 4).tolist()}, MC (scatter of {bases} minima / sqrt({bases})) "
        f"{np.round(refinement.errors_mc, 4).tolist()}")
    return refinement


def refined_result(result: TuneResult, refinement: Refinement) -> TuneResult:
    """The tune ``result`` with its best fit and covariance replaced by the refinement's.

    The walk's own best fit and errors stay in ``extra["refinement"]`` (``walk_best``,
    ``walk_errors``, and the sandwich errors and ``--validate`` run taken at the walk's point:
    ``walk_sandwich``, ``walk_validation``); the chi2 tables and plots come from the first base of the last round,
    reweighted to the refined estimate. The walk's chi2 scans are dropped (they were taken at
    the walk's point, with its base's noise).
    """
    objective = refinement.objectives[0]
    theta = refinement.theta
    last = refinement.rounds[-1]
    warnings = list(result.warnings)
    if last["boundary_hits"] > len(last["minima"]) // 2:
        warnings.append(f"{last['boundary_hits']} of the last round's {len(last['minima'])} minima lie on the "
                        "trust-region boundary: the estimate was still moving; add a round (--refine-rounds)")
    # the sandwich errors were taken at the walk's point with its base: kept with the walk's result
    # (and so was --validate's direct run)
    walk_sandwich = {key: result.extra[key] for key in SANDWICH_KEYS if key in result.extra}
    walk_validation = {key: result.extra[key] for key in VALIDATION_KEYS if key in result.extra}
    extra = {key: value for key, value in result.extra.items() if key not in SANDWICH_KEYS + VALIDATION_KEYS}
    extra.update(covariance_source="refinement",
                 refinement=dict(refinement.to_dict(), walk_best=result.best.tolist(),
                                 walk_errors=result.errors.tolist(), walk_sandwich=walk_sandwich,
                                 walk_validation=walk_validation))
    return replace(result, best=theta, covariance=refinement.covariance, hessian=objective.hessian(theta),
                   chi2=float(refinement.chi2_bases[0]), n_events=result.n_events + refinement.n_events_generated,
                   n_runs=result.n_runs + len(refinement.objectives) * len(refinement.rounds), scans=[],
                   warnings=warnings, extra=extra,
                   best_point=RunPoint(objective.run, theta, objective.event_weights(theta), "reweighted",
                                       base_errors=objective.mc_errors != "reweighted"))
