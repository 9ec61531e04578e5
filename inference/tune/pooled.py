"""Every base run of a fit as one sample: multiple importance sampling (balance heuristic).

A fit that regenerates its base run ends with K runs at points theta_1..theta_K
(``N_k`` events each, ``N = sum N_k``). Each run alone predicts the chi2 near its own
point; comparing runs compares independent Monte Carlo noise. Pooled, they are one
sample of the mixture ``q(h) = sum_k (N_k / N) p(h | theta_k)``, and the weight that
moves an event h of any run to theta is::

    W(h; theta) = p(h | theta) / q(h) = r_k(h; theta) / sum_j (N_j / N) r_k(h; theta_j)

with ``r_k(h; theta) = p(h | theta) / p(h | theta_k)`` the run's own exact reweighting
weight (Veach and Guibas 1995, the balance heuristic; its variance is never much worse
than that of the best single run at any theta). The denominator does not depend on
theta, so it is computed once per event; ``log W`` stays an exact, differentiable
function of theta, and every normalised prediction of the pooled run is a smooth
function of *all* generated events.

:func:`pool_runs` returns the pool as an ordinary :class:`SimulationRun` (contributions
concatenated run after run, a reweighter returning ``log W``), so the reweighted chi2,
its Hessian and the sandwich errors work on it unchanged.

Opt-in (``GradientSettings(pool_bases=True)``): in the closure tests it widened the pulls
and moved a far Pythia closure away from the truth, so the fit does not use it by
default (docs/tune.md, "Pooling did not help").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from mlhad.analysis import Contributions
from mlhad.exceptions import TuneError

from .simulator import SimulationRun

__all__ = ["pool_runs", "PooledReweighter", "poolable"]


def poolable(runs: Sequence[SimulationRun], reference: SimulationRun, free: Sequence[str]) -> list[SimulationRun]:
    """The runs that can join ``reference`` in a pool: reweightable, same analyses, same non-free parameters."""
    out = []
    for run in runs:
        if run.make_reweighter is None or set(run.contributions) != set(reference.contributions):
            continue
        fixed = set(run.point) | set(reference.point)
        if all(run.point.get(name) == reference.point.get(name) for name in fixed - set(free)):
            out.append(run)
    return out


class PooledReweighter:
    """``log W(h; theta)`` of the pooled runs (see the module docstring), run after run.

    Args:
        runs: the pooled runs (each reweightable for ``names``).
        names: parameters that vary (canonical names).
    """

    def __init__(self, runs: Sequence[SimulationRun], names: Sequence[str]) -> None:
        self.params = list(names)
        self.runs = list(runs)
        self.parts = [run.reweighter(self.params) for run in self.runs]
        self.n_events = int(sum(run.n_events for run in self.runs))
        n = np.array([run.n_events for run in self.runs], dtype=np.float64)
        log_share = torch.tensor(np.log(n / n.sum()), dtype=torch.float64)
        points = [self._point_of(run) for run in self.runs]
        self._log_mixture: list[torch.Tensor] = []
        with torch.no_grad():
            for run, part in zip(self.runs, self.parts):
                terms = torch.stack([part.log_weights(p) for p in points]) + log_share[:, None]
                if torch.isnan(terms).any() or torch.isposinf(terms).any():
                    raise TuneError(f"run {run.label}: non-finite reweighting weights towards the other pooled runs; "
                                    "pool only runs of the same generator setup")
                self._log_mixture.append(torch.logsumexp(terms, dim=0))

    def _point_of(self, run: SimulationRun) -> dict[str, torch.Tensor]:
        missing = [name for name in self.params if name not in run.point]
        if missing:
            raise TuneError(f"run {run.label} does not record {missing}: it cannot be pooled for {self.params}")
        return {name: torch.tensor(float(run.point[name]), dtype=torch.float64) for name in self.params}

    def log_weights(self, theta: Mapping[str, Any]) -> torch.Tensor:
        """``(N,)`` log W at ``theta``, the runs' events in pool order, differentiable."""
        return torch.cat([part.log_weights(theta) - log_q for part, log_q in zip(self.parts, self._log_mixture)])


def pool_runs(runs: Sequence[SimulationRun], *, label: str = "pooled") -> SimulationRun:
    """One run made of ``runs`` (events in the given order), reweighted by the balance heuristic.

    The pool's ``point`` is that of the last run (the parameters not varied must agree
    across runs: check with :func:`poolable`).

    Raises:
        TuneError: fewer than one run, a run without histories, or runs analysed for
            different analyses or histograms.
    """
    runs = list(runs)
    if not runs:
        raise TuneError("nothing to pool")
    unreweightable = [run.label for run in runs if run.make_reweighter is None]
    if unreweightable:
        raise TuneError(f"runs {unreweightable} have no fragmentation histories and cannot be pooled")
    analyses = set(runs[-1].contributions)
    for run in runs:
        if set(run.contributions) != analyses:
            raise TuneError(f"run {run.label} was analysed for {sorted(run.contributions)}, the pool for "
                            f"{sorted(analyses)}")
    contributions: dict[str, Contributions] = {}
    for analysis in runs[-1].contributions:
        parts = [run.contributions[analysis] for run in runs]
        paths = [set(p.histograms) for p in parts]
        if any(p != paths[-1] for p in paths):
            raise TuneError(f"{analysis}: the pooled runs hold different histograms")
        contributions[analysis] = Contributions.concatenate(parts)

    def make(names: list[str]) -> PooledReweighter:
        return PooledReweighter(runs, names)

    return SimulationRun(point=dict(runs[-1].point), n_events=int(sum(run.n_events for run in runs)),
                         seed=runs[-1].seed, contributions=contributions, label=label, path=None,
                         seconds=float(sum(run.seconds for run in runs)), make_reweighter=make, parts=tuple(runs))
